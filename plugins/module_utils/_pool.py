# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pool's decisions, as pure functions the pool action (plugins/action/pool.py) calls.

- ``member_slots``: where member n of a host lives in slot a and in slot b.
- ``container_params``: every app container (the import check, a member, the release
  command, a process such as a worker) from one spec, so their hardening cannot drift apart.
- ``plan``: which members to keep, start and retire, from the engine's containers and the
  record of what serves (never guessed from which slot is healthy).
- ``process_plan``: which of the app's other processes (workers, a scheduler) to keep,
  replace and remove.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import secrets

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _health

# Each member has two slots: a new version starts in the slot its serving container does not
# use, beside it, and the old one is retired once the frontends point at the new one.
SLOT_PORT_OFFSET = 100
SLOT_IP_OFFSET = 100
CONTAINER_PORT = 3031
LABEL = "pyfleet.spec"
MEMBER_COMMAND = ("/opt/venv/bin/uwsgi", "--ini", "/etc/pyfleet/uwsgi.ini")

# Imports "module:callable" as uWSGI would (from /app) and checks the callable exists.
IMPORT_CHECK = (
    "import importlib, sys; sys.path.insert(0, '/app'); "
    "module, _, name = sys.argv[1].partition(':'); "
    "app = getattr(importlib.import_module(module), name or 'application'); "
    "assert callable(app), sys.argv[1] + ' is not callable'"
)


def member_hostname(app, index, host):
    """The hostname of member ``index`` of ``app`` on ``host``: what the container reports as
    its name, and what the demo apps put in their answers."""
    return "%s-%d.%s" % (app, int(index), host)


def sizing(cpus, pool_size, processes=0, threads=0):
    """uWSGI processes and threads per member: about two workers per CPU over the host's pool.

    One thread per worker by default: with two, a CPU-bound app's workers contend for the
    GIL and every switch can cost a request 5 ms (measured: p99 x8 under load).
    """
    cpus = max(1, int(cpus or 1))
    pool_size = max(1, int(pool_size))
    processes = int(processes or 0) or max(2, math.ceil(2 * cpus / pool_size))
    return {"processes": processes, "threads": int(threads or 0) or 1}


class PlanError(Exception):
    """The engine's state admits no safe plan; the message says what to do."""


# Settings that change how many members run, not how each is made.
NOT_IN_DIGEST = ("size",)


def _hash(value):
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def digest(spec):
    """A short digest of the whole spec: the members and the other processes (the name of
    the copy each host keeps for the way back)."""
    return _hash({k: v for k, v in spec.items() if k not in NOT_IN_DIGEST and not (k == "processes" and not v)})


def member_digest(spec):
    """What the web members (and the import check and release container) are made from: the
    spec without the other processes, so a changed worker leaves the members alone."""
    return _hash({k: v for k, v in spec.items() if k not in NOT_IN_DIGEST and k != "processes"})


def process_digest(spec, process):
    """What one process type's containers are made from: the members' spec and its own."""
    return _hash([member_digest(spec), process])


def member_slots(spec, host, slot):
    """The members one pool host runs in ``slot`` (0 or 1), from the spec's sizes and addresses.

    Slot 1 is ``<app>-<n>-b`` on the port and network address SLOT_*_OFFSET above slot 0's.
    """
    size = int(spec["size"])
    port_base = int(spec["port_base"])
    if size < 1:
        raise PlanError("pyfleet_pool_size is %r: use 1 to 64 containers per host" % size)
    top = port_base + SLOT_PORT_OFFSET + size - 1
    if port_base < 1 or top > 65535:
        raise PlanError("pool ports %s..%s (both slots) are outside 1..65535" % (port_base, top))
    network = ipaddress.ip_network(str(spec["subnet"]), strict=True)
    if network.num_addresses < SLOT_IP_OFFSET + size + 12:
        raise PlanError("pool network subnet %s is too small for %d members in two slots"
                        % (spec["subnet"], size))
    app = spec["app"]
    return [
        {
            "host": host,
            "name": "%s-%d%s" % (app, index, "-b" if slot else ""),
            "hostname": member_hostname(app, index, host),
            "index": index,
            "slot": slot,
            "address": str(spec["bind_address"]),
            "port": port_base + index - 1 + slot * SLOT_PORT_OFFSET,
            "ip": str(network.network_address + 10 + index + slot * SLOT_IP_OFFSET),
            "container_port": CONTAINER_PORT,
            "protocol": spec["protocol"],
        }
        for index in range(1, size + 1)
    ]


def short_id():
    """A random suffix for the name of a one-off container, so several may run at once."""
    return secrets.token_hex(4)


def _common(spec, role, spec_digest):
    """What every container of the app shares: image, env, network and the hardening."""
    params = {
        "image": spec["image"],
        "env": dict(spec["env"]),
        "networks": [{"name": spec["network"]}],
        "networks_cli_compatible": True,
        "network_mode": spec["network"],
        "init": True,
        "read_only": bool(spec["read_only"]),
        "tmpfs": list(spec["tmpfs"]),
        "cap_drop": list(spec["cap_drop"]),
        "security_opts": ["no-new-privileges:true"] if spec["no_new_privileges"] else [],
        "memory": spec["memory"],
        "pids_limit": int(spec["pids_limit"]),
        "labels": {
            "pyfleet.app": spec["app"],
            "pyfleet.role": role,
            "pyfleet.version": spec["image"].rsplit(":", 1)[-1],
            LABEL: spec_digest,
        },
        "log_driver": "json-file",
        "log_options": {"max-size": spec["log_max_size"], "max-file": str(spec["log_max_file"])},
        "container_default_behavior": "no_defaults",
    }
    if spec.get("user"):
        params["user"] = spec["user"]
    return params


def container_params(kind, spec, member=None, commands=None, timeout=600):
    """community.docker.docker_container's arguments for one of the app's containers.

    ``kind`` is ``member`` (needs ``member``, from member_slots), ``import_check`` (imports
    the app's callable and exits), ``release`` (runs ``commands`` in one shell, at most
    ``timeout`` seconds), ``process`` (``member`` is then one entry of process_plan's
    ``start``: a process type's settings with its ``index`` and ``host``) or ``exec`` (runs
    the one command of ``commands`` in a container named ``member``).
    """
    spec_digest = member_digest(spec)
    if kind == "process":
        process = member
        params = _common(spec, "process", process_digest(spec, _settings(process)))
        params["env"]["PYFLEET_PROCESS"] = process["name"]
        params["labels"].update({"pyfleet.process": process["name"], "pyfleet.stop_timeout": str(process["stop_timeout"])})
        params.update(
            name=process_name(spec["app"], process["name"], process["index"]),
            hostname="%s-%s-%d.%s" % (spec["app"], process["name"], process["index"], process["host"]),
            command=["/bin/sh", "-c", "exec " + process["command"]],
            state="started",
            restart_policy=spec["restart_policy"],
            # The image's health check asks the web port, which a process does not serve.
            healthcheck=({"test": ["CMD-SHELL", process["healthcheck"]], "interval": spec["health"]["interval"],
                          "timeout": "10s", "retries": int(spec["health"]["retries"]),
                          "start_period": spec["health"]["start_period"]}
                         if process.get("healthcheck") else {"test": ["NONE"]}),
            stop_signal=process["stop_signal"],
            stop_timeout=int(process["stop_timeout"]),
        )
        if process.get("memory"):
            params["memory"] = process["memory"]
        return params
    if kind == "member":
        params = _common(spec, "pool", spec_digest)
        params["labels"].update({
            "pyfleet.member": str(member["index"]),
            "pyfleet.slot": str(member["slot"]),
            "pyfleet.address": member["address"],
            "pyfleet.port": str(member["port"]),
            "pyfleet.ip": member["ip"],
            "pyfleet.protocol": member["protocol"],
        })
        params["networks"] = [{"name": spec["network"], "ipv4_address": member["ip"]}]
        params.update(
            name=member["name"],
            hostname=member["hostname"],
            # Named here, not left to the image's CMD: an image built elsewhere runs it too.
            command=list(MEMBER_COMMAND),
            state="started",
            mounts=[{"type": "bind", "source": spec["config_dir"], "target": "/etc/pyfleet", "read_only": True}],
            restart_policy=spec["restart_policy"],
            published_ports=(["%s:%s:%s" % (member["address"], member["port"], member["container_port"])]
                             if spec["publish"] else []),
            healthcheck=_health.container_healthcheck(spec["health"]),
            sysctls={"net.core.somaxconn": str(spec["listen"])},
            stop_timeout=int(spec["stop_timeout"]),
        )
        return params
    if kind == "import_check":
        params = _common(spec, "check", spec_digest)
        params.update(
            name="%s-import-check" % spec["app"],
            entrypoint=["/opt/venv/bin/python", "-c", IMPORT_CHECK, spec["module"]],
            command=[],
            detach=False,
            cleanup=True,
        )
        return params
    if kind == "release":
        params = _common(spec, "release", spec_digest)
        params["env"]["PYFLEET_RELEASE_VERSION"] = params["labels"]["pyfleet.version"]
        params.update(
            name="%s-release" % spec["app"],
            command=["timeout", str(int(timeout)), "/bin/sh", "-ec", "\n".join(commands or [])],
            detach=False,
            cleanup=True,
        )
        return params
    if kind == "exec":
        # A one-off command (playbooks/exec.yml): the version's image, env, network and
        # hardening, its own name, removed when it ends.
        params = _common(spec, "exec", spec_digest)
        params.update(
            name=member,
            command=["/bin/sh", "-c", (commands or [""])[0]],
            detach=False,
            cleanup=True,
        )
        return params
    raise ValueError("unknown container kind %r" % (kind,))


def container_states(containers):
    """Index docker_host_info's containers (verbose) by name: image, state, health, labels."""
    states = {}
    for container in containers or []:
        status = container.get("Status") or ""
        for name in container.get("Names") or []:
            states[name.lstrip("/")] = {
                "image": container.get("Image"),
                "running": container.get("State") == "running",
                "healthy": "(healthy)" in status,
                "labels": container.get("Labels") or {},
            }
    return states


def _as_member(name, state, fallback):
    """A running container as the frontends reach it: from its labels, else where the
    current spec would put it (members created before these labels existed)."""
    labels = state["labels"]
    member = dict(fallback)
    if labels.get("pyfleet.port"):
        member.update(address=labels.get("pyfleet.address", member["address"]),
                      port=int(labels["pyfleet.port"]),
                      ip=labels.get("pyfleet.ip", member["ip"]),
                      protocol=labels.get("pyfleet.protocol", member["protocol"]))
    member["name"] = name
    member["digest"] = labels.get(LABEL, "")
    member["image"] = state["image"]
    return member


def plan(spec, host, containers, serving=None):
    """What one pool host does to run ``spec``: which members to keep, start and retire.

    ``containers`` maps container names to container_states; ``serving`` is the record of
    the members the frontends were last pointed at (None when there is no record).

    For each member: the container that serves is the recorded one, or, without a record,
    the only running one; two running containers and no record is an error, not a guess. A
    running, healthy container of the wanted spec is kept. Otherwise the new container starts
    in the slot the serving one does not use, whatever is left in that slot is removed first
    (``stale``), and other running containers are retired once the frontends have moved.
    Members beyond the pool's size are retired.

    Returns ``members`` (what the frontends reach once the started ones are healthy),
    ``current`` (what serves now), ``start`` (members to create), ``retire`` and ``stale``
    (container names), ``digest`` (the wanted spec's) and ``previous`` (the digest of what
    serves now, "" when nothing does or it differs per member).
    """
    wanted = member_digest(spec)
    serving = None if serving is None else set(serving)
    result = {"members": [], "current": [], "start": [], "retire": [], "stale": [],
              "digest": wanted, "previous": ""}
    slots = (member_slots(spec, host, 0), member_slots(spec, host, 1))
    known = set()
    previous = set()
    for pair in zip(*slots):
        names = [m["name"] for m in pair]
        known.update(names)
        found = [(m, containers.get(m["name"])) for m in pair]
        running = [(m, st) for m, st in found if st and st["running"]]
        if serving is not None:
            serves = [(m, st) for m, st in running if m["name"] in serving]
        elif len(running) > 1:
            raise PlanError(
                "%s and %s both run on %s, and no record says which one the frontends use: remove the "
                "one they do not use (docker rm -f NAME) and deploy again" % (names[0], names[1], host))
        else:
            serves = running
        serves = serves[0] if serves else None
        if serves:
            result["current"].append(_as_member(serves[0]["name"], serves[1], serves[0]))
            previous.add(serves[1]["labels"].get(LABEL, ""))
        kept = [(m, st) for m, st in running if st["healthy"] and st["labels"].get(LABEL) == wanted]
        if kept:
            # The serving container when it is already the wanted one, else the one started
            # by an earlier, interrupted run: the frontends move to it and the other retires.
            keep = next((k for k in kept if serves and k[0] is serves[0]), kept[0])
            result["members"].append(_as_member(keep[0]["name"], keep[1], keep[0]))
            new = keep[0]
            new_slot = None
        else:
            new = pair[1] if serves and serves[0]["slot"] == 0 else pair[0]
            new = dict(new, digest=wanted, image=spec["image"])
            new_slot = new["name"]
            result["start"].append(new)
            result["members"].append(new)
        for m, st in found:
            if not st or (new_slot is None and m["name"] == new["name"]):
                continue
            # The new member's slot is cleared first; a running container elsewhere goes only
            # once the frontends have moved (an interrupted run may have pointed them at it).
            if m["name"] == new_slot or not st["running"]:
                result["stale"].append(m["name"])
            else:
                result["retire"].append(m["name"])
    for name in sorted(containers):
        if name in known:
            continue
        state = containers[name]
        if state["running"] and (serving is None or name in serving):
            labels = state["labels"]
            if labels.get("pyfleet.port"):
                result["current"].append({
                    "host": host, "name": name, "hostname": name, "index": int(labels.get("pyfleet.member", 0)),
                    "slot": int(labels.get("pyfleet.slot", 0)), "address": labels.get("pyfleet.address"),
                    "port": int(labels["pyfleet.port"]), "ip": labels.get("pyfleet.ip"),
                    "container_port": CONTAINER_PORT, "protocol": labels.get("pyfleet.protocol", spec["protocol"]),
                    "digest": labels.get(LABEL, ""), "image": state["image"]})
        result["retire"].append(name)
    if len(previous) == 1:
        result["previous"] = previous.pop()
    return result


def process_name(app, process, index):
    return "%s-%s-%d" % (app, process, index)


def process_plan(spec, host, containers):
    """Which of the app's other processes one host keeps, replaces and removes.

    ``spec["processes"]`` are the process types this host runs (each with its ``count`` here;
    a singleton has 1 on its one host). ``containers`` maps names to container_states of the
    app's process containers. A running container of the wanted spec is kept; any other is
    removed (with its own stop signal and timeout, so a worker finishes its jobs) before its
    replacement starts, so a singleton never runs twice; containers of process types this host
    no longer runs are removed.

    Returns ``keep`` and ``remove`` (names, with ``stop_timeout`` per removed one) and
    ``start`` (the process settings with ``index`` and ``host``, in order).
    """
    wanted = {}
    for process in spec.get("processes") or []:
        for index in range(1, int(process["count"]) + 1):
            wanted[process_name(spec["app"], process["name"], index)] = dict(process, index=index, host=host)
    result = {"keep": [], "start": [], "remove": [], "stop_timeout": {}}
    for name in sorted(containers):
        state = containers[name]
        want = wanted.get(name)
        if want and state["running"] and state["labels"].get(LABEL) == process_digest(spec, _settings(want)):
            result["keep"].append(name)
            continue
        result["remove"].append(name)
        result["stop_timeout"][name] = int(state["labels"].get("pyfleet.stop_timeout") or 30)
    result["start"] = [wanted[n] for n in sorted(wanted) if n not in result["keep"]]
    return result


def _settings(process):
    """A process type's own settings (what its containers' digest covers; how many run is
    not how each is made)."""
    return {k: v for k, v in process.items() if k not in ("index", "host", "count")}
