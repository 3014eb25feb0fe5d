# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app's other processes (pyfleet_app_processes): workers and schedulers run from the
app's image beside the web members, never behind the frontend.

``process_errors`` checks the variable before any host changes (a preflight rule);
``host_processes`` gives the process types one pool host runs, with how many, as the pool
action takes them. ``groups`` is the inventory's groups as the fleet view carries them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"^[a-z][a-z0-9]{0,19}$")
_SIGNAL = re.compile(r"^SIG[A-Z0-9]+$")
_SIZE = re.compile(r"^[0-9]+[bkmgBKMG]?$")
# Names the collection's own containers use after the app's name.
RESERVED = ("frontend", "release", "import", "static", "check", "b")
DEFAULTS = {"count": 1, "group": "pyfleet_pool", "singleton": False, "stop_signal": "SIGTERM",
            "stop_timeout": 300, "healthcheck": "", "memory": ""}
KEYS = ("command",) + tuple(DEFAULTS)


def _int(value):
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _bool(value):
    if isinstance(value, bool):
        return value
    return {"true": True, "yes": True, "false": False, "no": False}.get(str(value).lower())


def normalize(name, value):
    """One process type's settings with the defaults filled in (``value`` is checked first)."""
    settings = dict(DEFAULTS, command=value) if isinstance(value, str) else dict(DEFAULTS, **value)
    settings.update(name=name, command=str(settings["command"]).strip(), count=_int(settings["count"]),
                    singleton=_bool(settings["singleton"]), stop_timeout=_int(settings["stop_timeout"]),
                    healthcheck=str(settings["healthcheck"] or "").strip(), memory=str(settings["memory"] or ""))
    return settings


def process_errors(processes, groups, accessories=None):
    """One message per bad process type, naming the setting, the value and what is accepted."""
    if processes in (None, ""):
        return []
    if not isinstance(processes, Mapping):
        return ["pyfleet_app_processes is %r: use a mapping of process names to commands or settings, e.g. "
                "{worker: 'celery -A proj worker'}." % (processes,)]
    taken = {str(a.get("name")) for a in accessories or [] if isinstance(a, Mapping)}
    pool = set(groups.get("pyfleet_pool") or [])
    errors = []
    for name, value in processes.items():
        where = "pyfleet_app_processes.%s" % name
        if not isinstance(name, str) or not _NAME.match(name) or name in RESERVED or name in taken:
            errors.append("%s: the name %r is not usable: use 1-20 lower-case letters and digits, starting with a "
                          "letter, other than %s and the accessories' names." % (where, name, ", ".join(RESERVED)))
            continue
        if isinstance(value, str):
            if not value.strip():
                errors.append("%s is empty: give the command to run, e.g. celery -A proj worker." % where)
            continue
        if not isinstance(value, Mapping):
            errors.append("%s is %r: give a command, or settings with a command." % (where, value))
            continue
        unknown = sorted(set(value) - set(KEYS))
        if unknown:
            errors.append("%s has %s: the settings are %s." % (where, ", ".join(map(str, unknown)), ", ".join(KEYS)))
        if not isinstance(value.get("command"), str) or not value["command"].strip():
            errors.append("%s.command is %r: give the command to run." % (where, value.get("command")))
        settings = dict(DEFAULTS, **value)
        count, singleton, timeout = _int(settings["count"]), _bool(settings["singleton"]), _int(settings["stop_timeout"])
        if count is None or not 0 <= count <= 64:
            errors.append("%s.count is %r: use 0 to 64 per host." % (where, settings["count"]))
        if singleton is None:
            errors.append("%s.singleton is %r: use true or false." % (where, settings["singleton"]))
        elif singleton and count not in (None, 1):
            errors.append("%s is a singleton with count %r: a singleton runs once across the fleet; drop count." % (
                where, settings["count"]))
        if not _SIGNAL.match(str(settings["stop_signal"])):
            errors.append("%s.stop_signal is %r: use a signal name like SIGTERM or SIGQUIT." % (where, settings["stop_signal"]))
        if timeout is None or not 1 <= timeout <= 3600:
            errors.append("%s.stop_timeout is %r: use 1 to 3600 seconds (a worker finishes its jobs in that time)." % (
                where, settings["stop_timeout"]))
        if not isinstance(settings["healthcheck"], str):
            errors.append("%s.healthcheck is %r: give a shell command that exits 0 when the process is well." % (
                where, settings["healthcheck"]))
        if settings["memory"] and not _SIZE.match(str(settings["memory"])):
            errors.append("%s.memory is %r: use a size like 512m or 1g." % (where, settings["memory"]))
        group = settings["group"]
        if group not in groups:
            errors.append("%s.group is %r, which is no group of the inventory." % (where, group))
        else:
            outside = sorted(set(groups[group]) - pool)
            if outside:
                errors.append("%s.group %s holds %s, which are not pool hosts: processes run on pool hosts." % (
                    where, group, ", ".join(outside)))
            elif not groups[group]:
                errors.append("%s.group %s has no hosts." % (where, group))
    return errors


def host_processes(processes, host, groups):
    """The process types ``host`` runs, each with its count there, sorted by name."""
    result = []
    for name in sorted(processes or {}):
        settings = normalize(name, processes[name])
        members = list(groups.get(settings["group"]) or [])
        if host not in members:
            continue
        if settings["singleton"]:
            settings["count"] = 1 if members and members[0] == host else 0
        del settings["group"]
        if settings["count"] > 0:
            result.append(settings)
    return result
