# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The frontend's decisions, as pure functions the frontend action (plugins/action/frontend.py) calls."""

from __future__ import annotations

import re

_HOLDER = re.compile(r"\(pid (\d+) on (\S+)\)$")


def must_install(candidate, live):
    """A rendered config goes live (after validation) only when it differs from the live one."""
    return candidate != live


def go_max_procs(kind, setting, runs_pool, cpus):
    """GOMAXPROCS for a Caddy frontend, or None for Go's default (every CPU).

    ``setting`` > 0 is the user's choice. Otherwise, on a host that also runs pool members,
    Caddy gets half the engine's CPUs (at least one): Go keeps idle threads spinning for work
    on every CPU it may use, and on a shared host those cycles are the members'. nginx is not
    Go: None. ``cpus`` is called for the engine's CPU count only when the answer needs it.
    """
    if kind != "caddy":
        return None
    if int(setting or 0) > 0:
        return int(setting)
    if not runs_pool:
        return None
    return max(1, int(cpus() or 1) // 2)


def must_reload(installed, tls_written, container_changed):
    """A running proxy reloads for a new config or new certificates; a container that was just
    created or recreated already started with them."""
    return bool(installed or tls_written) and not container_changed


def serves(status, content, config_id):
    """Whether a new connection got the new config: its id answers, or the config has no such
    location (a custom template without it answers 404)."""
    return status == 404 or (content or "").strip() == config_id


def lock_holder(app, controller, pid):
    """Who holds a shared ingress's lock: the app, and the process on the controller that took it."""
    return "the frontend step of %s (pid %d on %s)" % (app, pid, controller)


def holder_gone(holder, controller, alive):
    """Whether a held ingress lock was left by a process of this controller that no longer runs
    (a run killed while it changed the ingress): then it is taken over at once instead of after
    its expiry. Holders from other controllers, or not naming a process, are waited for.
    ``alive(pid)`` says whether a process runs."""
    found = _HOLDER.search(holder or "")
    return bool(found) and found.group(2) == controller and not alive(int(found.group(1)))


def port_holder(port, frontends):
    """Which of the collection's frontends on a host listens on ``port``: ``frontends`` holds,
    per running frontend container, its labels and the parts of the apps it serves (each with
    ``listen.http_port`` and ``listen.https_port``). Returns ``("ingress", name)``,
    ``("app", name)`` or None when none of them does (another program holds it)."""
    for frontend in frontends:
        labels = frontend.get("labels") or {}
        for part in frontend.get("parts") or []:
            listen = (part or {}).get("listen") or {}
            if str(port) in (str(listen.get("http_port")), str(listen.get("https_port"))):
                if labels.get("pyfleet.ingress"):
                    return "ingress", labels["pyfleet.ingress"]
                return "app", labels.get("pyfleet.app") or part.get("name") or "?"
    return None


def port_refusal(variable, port, host, holder, ingress=""):
    """The message that refuses ``port`` (the value of ``variable``) on ``host``, naming what
    holds it and what to do."""
    if holder is None:
        return ("%s is %s, but another program already listens on that port on %s. Choose a free port or stop "
                "that program." % (variable, port, host))
    kind, name = holder
    if kind == "ingress":
        if ingress:
            return ("%s is %s, but the shared ingress %s already listens on that port on %s, and this app joins the "
                    "ingress %s: set pyfleet_frontend_ingress to %s to share it, or choose another port."
                    % (variable, port, name, host, ingress, name))
        return ("%s is %s, but the shared ingress %s already listens on that port on %s: set "
                "pyfleet_frontend_ingress to %s so that this app joins it (with its own pyfleet_app_hosts), or "
                "choose another port." % (variable, port, name, host, name))
    return ("%s is %s, but the frontend of the app %s already listens on that port on %s. To serve both apps on "
            "that port, give both the same pyfleet_frontend_ingress (a shared ingress routes by pyfleet_app_hosts "
            "and pyfleet_app_path_prefix; %s moves onto it when it is deployed again), or choose another port."
            % (variable, port, name, host, name))
