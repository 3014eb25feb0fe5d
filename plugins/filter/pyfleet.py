# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions that turn inventory and variables into the plain data templates render."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import re
import socket
import zlib

from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import DEFAULT_EXCLUDES

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


# Each member has two slots: a new version starts in the slot its running container does
# not use, beside it, and the old one is retired once the frontends point at the new one.
SLOT_PORT_OFFSET = 100
SLOT_IP_OFFSET = 100


def pool_members(bind_address, size, port_base, app_name, host, subnet, container_port=3031, slot=0):
    """The uWSGI containers one pool host runs, in slot 0 (the default) or slot 1.

    Each member has a fixed address on the app network (``ip``: frontends on the same host
    reach it there) and a port published on ``bind_address`` (frontends on other hosts).
    Slot 1 is ``<app>-<n>-b`` on the port and address SLOT_*_OFFSET above slot 0's; both
    slots of member n have the host name ``<app>-<n>.<host>``.
    """
    size = int(size)
    port_base = int(port_base)
    slot = int(slot)
    if size < 1:
        raise AnsibleFilterError("pool size must be at least 1, got %r" % size)
    top = port_base + SLOT_PORT_OFFSET + size - 1
    if port_base < 1 or top > 65535:
        raise AnsibleFilterError(
            "pool ports %s..%s (both slots) are outside 1..65535" % (port_base, top)
        )
    try:
        network = ipaddress.ip_network(str(subnet), strict=True)
    except ValueError as exc:
        raise AnsibleFilterError("pool network subnet %r is not a network: %s" % (subnet, exc))
    if network.num_addresses < SLOT_IP_OFFSET + size + 12:
        raise AnsibleFilterError(
            "pool network subnet %s holds %d addresses, too few for %d members in two slots"
            % (subnet, network.num_addresses, size)
        )
    return [
        {
            "host": host,
            "name": "%s-%d%s" % (app_name, index, "-b" if slot else ""),
            "hostname": "%s-%d.%s" % (app_name, index, host),
            "index": index,
            "slot": slot,
            "address": str(bind_address),
            "port": port_base + index - 1 + slot * SLOT_PORT_OFFSET,
            "ip": str(network.network_address + 10 + index + slot * SLOT_IP_OFFSET),
            "container_port": int(container_port),
        }
        for index in range(1, size + 1)
    ]


def pool_plan(slot_a, slot_b, states, spec, label="pyfleet.spec"):
    """What a pool host does to reach ``spec``: which members to keep, start and retire.

    ``slot_a``/``slot_b`` are pool_members for slot 0 and 1, ``states`` container_states of
    this app's pool containers. A member whose running, healthy container carries the
    current digest is kept. Otherwise the new container goes in the slot its running one
    does not use, and the running one is retired after the frontends moved on. Returns
    ``members`` (what the frontends should reach once the started ones are healthy),
    ``current`` (what serves now), ``start``, ``retire`` (container names) and ``stale``
    (names of stopped leftovers removed right away).
    """
    states = states or {}
    plan = {"members": [], "current": [], "start": [], "retire": [], "stale": []}
    wanted = set()
    for a, b in zip(slot_a, slot_b):
        wanted.update((a["name"], b["name"]))
        pair = []
        for member in (a, b):
            state = states.get(member["name"])
            pair.append((member, state, spec_digest(spec, member)))
        current = [(m, st, d) for m, st, d in pair if st and st["running"] and st["healthy"]]
        kept = [(m, st, d) for m, st, d in current if st["labels"].get(label) == d]
        if kept:
            member = dict(kept[0][0], digest=kept[0][2])
            plan["members"].append(member)
            plan["current"].append(member)
            plan["retire"].extend(m["name"] for m, st, _digest in pair if st and m["name"] != member["name"])
            continue
        serving = current[0] if current else None
        new_member, _state, digest = pair[1] if serving and serving[0]["slot"] == 0 else pair[0]
        new_member = dict(new_member, digest=digest)
        plan["start"].append(new_member)
        plan["members"].append(new_member)
        if serving:
            plan["current"].append(dict(serving[0], digest=serving[1]["labels"].get(label, "")))
            plan["retire"].append(serving[0]["name"])
        plan["stale"].extend(m["name"] for m, st, _digest in pair
                             if st and m["name"] != new_member["name"] and not (serving and m["name"] == serving[0]["name"]))
    plan["retire"].extend(sorted(name for name in states if name not in wanted))
    return plan


def pool_subnet(app_name, subnet=""):
    """The app network's subnet: ``subnet`` when given, else 172.30.N.0/24 with N from the name.

    Apps on one engine then get different subnets without configuration; a collision of two
    names (1 in 256) is reported by Docker when the second network is created.
    """
    if subnet:
        return str(subnet)
    return "172.30.%d.0/24" % (zlib.crc32(str(app_name).encode("utf-8")) % 256)


def upstream_servers(member_lists, frontend_host=None):
    """Every pool host's members as one sorted upstream list, as seen from ``frontend_host``.

    Members on the frontend's own host are reached at their address on the app network;
    members elsewhere at their published address.  Two members on one endpoint are refused.
    """
    members = []
    for entry in member_lists:
        if isinstance(entry, dict):
            members.append(entry)
        else:
            members.extend(entry or [])
    result = []
    seen = {}
    for member in sorted(members, key=lambda m: (str(m["host"]), int(m["index"]))):
        item = dict(member)
        if frontend_host is not None and member["host"] == frontend_host:
            item["endpoint"] = _endpoint(member["ip"], member["container_port"])
        else:
            item["endpoint"] = _endpoint(member["address"], member["port"])
        if item["endpoint"] in seen:
            other = seen[item["endpoint"]]
            raise AnsibleFilterError(
                "pool members %s (%s) and %s (%s) both listen on %s: give each pool host its "
                "own pyfleet_pool_bind_address" % (
                    other["name"], other["host"], member["name"], member["host"], item["endpoint"])
            )
        seen[item["endpoint"]] = item
        result.append(item)
    return result


def env_strings(env):
    """A container environment with every value as a string (booleans as true/false)."""
    if not isinstance(env, dict):
        raise AnsibleFilterError("the environment must be a dict, got %s" % type(env).__name__)
    result = {}
    for key, value in env.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        result[str(key)] = str(value)
    return result


def _endpoint(address, port):
    """host:port, with IPv6 addresses in brackets."""
    try:
        if ipaddress.ip_address(str(address)).version == 6:
            return "[%s]:%s" % (address, port)
    except ValueError:
        pass
    return "%s:%s" % (address, port)


def uwsgi_sizing(cpus, pool_size, processes=None, threads=None):
    """Processes and threads per container: about two workers per CPU over the host's pool.

    One thread per worker by default: with two, a CPU-bound app's workers contend for the
    GIL and every switch can cost a request 5 ms (measured: p99 x8 under load).
    """
    cpus = max(1, int(cpus or 1))
    pool_size = max(1, int(pool_size))
    if processes in (None, "", 0, "auto"):
        processes = max(2, math.ceil(2 * cpus / pool_size))
    if threads in (None, "", 0, "auto"):
        threads = 1
    return {"processes": int(processes), "threads": int(threads)}


def content_version(parts, length=12):
    """A short immutable version from content digests (order-sensitive)."""
    if isinstance(parts, str):
        parts = [parts]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[: int(length)]


def build_excludes(extra=None):
    """Patterns kept out of every build context: the defaults plus ``extra``."""
    result = list(DEFAULT_EXCLUDES)
    for pattern in extra or []:
        if pattern not in result:
            result.append(str(pattern))
    return result


def valid_name(value):
    """True for names usable in container, network and image names."""
    return isinstance(value, str) and bool(_NAME_RE.match(value))


def member_shares(counts, expected):
    """Share of each expected member in ``counts`` and the largest deviation from even.

    ``counts`` maps a member endpoint to how many responses it served; ``expected`` lists
    every endpoint that should have served.  Endpoints seen but not expected are reported.
    """
    expected = [str(e) for e in expected]
    total = sum(int(v) for v in counts.values())
    even = total / len(expected) if expected else 0
    shares = {e: int(counts.get(e, 0)) for e in expected}
    deviation = max((abs(v - even) / even for v in shares.values()), default=0.0) if even else 1.0
    return {
        "total": total,
        "shares": shares,
        "missing": [e for e in expected if shares[e] == 0],
        "unexpected": sorted(set(counts) - set(expected)),
        "max_deviation": round(deviation, 4),
    }


def container_states(containers):
    """Index docker_host_info's container list (verbose) by name: image, state, health, labels."""
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


def spec_digest(spec, member=None):
    """A short digest of everything a container is created from (shared spec + its member)."""
    text = json.dumps({"spec": spec, "member": member}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def health_report(results):
    """"name: last health check output" of each container in docker_container_info results."""
    lines = []
    for result in results or []:
        container = result.get("container") or {}
        if not result.get("exists") or not container:
            continue
        state = container.get("State") or {}
        log = (state.get("Health") or {}).get("Log") or []
        said = (log[-1].get("Output") or "").strip() if log else ""
        status = (state.get("Health") or {}).get("Status") or state.get("Status") or ""
        lines.append("%s (%s): %s" % (container.get("Name", "").lstrip("/"), status, said or "no health check output"))
    return lines


def pool_protocol(setting, frontend_kinds):
    """The protocol between frontends and pool: ``setting`` when given, else http when any
    frontend is Caddy (it has no uwsgi transport), else uwsgi."""
    if setting:
        return setting
    return "http" if "caddy" in list(frontend_kinds or []) else "uwsgi"


def rollout_batches(hosts, batch):
    """Split the pool hosts into rollout batches of ``batch`` hosts, or ``"N%"`` of them."""
    hosts = list(hosts or [])
    text = str(batch).strip()
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            if not 0 < percent <= 100:
                raise ValueError(text)
            size = max(1, math.ceil(len(hosts) * percent / 100))
        else:
            size = int(text)
            if size < 1:
                raise ValueError(text)
    except ValueError:
        raise AnsibleFilterError(
            "pyfleet_rollout_batch is %r: use a number of hosts (1 or more) or a percentage "
            "like 50%%" % (batch,))
    return [hosts[i:i + size] for i in range(0, len(hosts), size)] or [[]]


def port_span(ports):
    """The lowest and highest of `ports` as an iptables range ("8100:8103", or "8100")."""
    ports = sorted(int(p) for p in ports)
    if not ports:
        raise AnsibleFilterError("port_span needs at least one port")
    return str(ports[0]) if ports[0] == ports[-1] else "%d:%d" % (ports[0], ports[-1])


def health_host(explicit="", domain="", server_name="_"):
    """The Host the health checks send: the explicit one, else the site's domain, else the
    first of nginx's server names that is a plain name, else "" (uWSGI's "localhost")."""
    if explicit:
        return str(explicit)
    if domain:
        return str(domain)
    for name in str(server_name or "").split():
        if name != "_" and not name.startswith(("*", "~", ".")) and not name.endswith(".*"):
            return name
    return ""


def source_addresses(hosts):
    """The IPv4 address each host's connections come from, for the port guards.

    ``hosts`` are hostvars: ``pyfleet_source_address`` when set, else ``ansible_host`` (or the
    inventory name) when it is an address, else that name resolved on the controller. A name
    that does not resolve is returned as it is, for the pool's preflight to name.
    """
    out = []
    for host in hosts:
        name = host.get("inventory_hostname", "?")
        given = host.get("pyfleet_source_address") or host.get("ansible_host") or name
        given = str(given).strip("[]")
        try:
            address = str(ipaddress.ip_address(given))
        except ValueError:
            try:
                address = socket.getaddrinfo(given, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
            except (OSError, IndexError):
                address = given
        if address not in out:
            out.append(address)
    return out


class FilterModule:
    def filters(self):
        return {
            "pool_members": pool_members,
            "upstream_servers": upstream_servers,
            "env_strings": env_strings,
            "pool_subnet": pool_subnet,
            "endpoint": _endpoint,
            "uwsgi_sizing": uwsgi_sizing,
            "content_version": content_version,
            "valid_name": valid_name,
            "build_excludes": build_excludes,
            "member_shares": member_shares,
            "container_states": container_states,
            "spec_digest": spec_digest,
            "pool_plan": pool_plan,
            "health_report": health_report,
            "rollout_batches": rollout_batches,
            "pool_protocol": pool_protocol,
            "port_span": port_span,
            "source_addresses": source_addresses,
            "health_host": health_host,
        }
