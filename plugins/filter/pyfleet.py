# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions that turn inventory and variables into the plain data templates render."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import re
import zlib

from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import DEFAULT_EXCLUDES

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def pool_members(bind_address, size, port_base, app_name, host, subnet, container_port=3031):
    """The uWSGI containers one pool host runs.

    Each member has a fixed address on the app network (``ip``: frontends on the same host
    reach it there) and a port published on ``bind_address`` (frontends on other hosts).
    """
    size = int(size)
    port_base = int(port_base)
    if size < 1:
        raise AnsibleFilterError("pool size must be at least 1, got %r" % size)
    if port_base < 1 or port_base + size - 1 > 65535:
        raise AnsibleFilterError(
            "pool ports %s..%s are outside 1..65535" % (port_base, port_base + size - 1)
        )
    try:
        network = ipaddress.ip_network(str(subnet), strict=True)
    except ValueError as exc:
        raise AnsibleFilterError("pool network subnet %r is not a network: %s" % (subnet, exc))
    if network.num_addresses < size + 12:
        raise AnsibleFilterError(
            "pool network subnet %s holds %d addresses, too few for %d members"
            % (subnet, network.num_addresses, size)
        )
    return [
        {
            "host": host,
            "name": "%s-%d" % (app_name, index),
            "index": index,
            "address": str(bind_address),
            "port": port_base + index - 1,
            "ip": str(network.network_address + 10 + index),
            "container_port": int(container_port),
        }
        for index in range(1, size + 1)
    ]


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


def stale_members(members, states, spec, label="pyfleet.spec"):
    """The members whose container must be (re)created or waited for, each with its digest.

    A member is current when its container runs, reports healthy and carries the digest of
    the spec it would be created from now; every other member is returned.
    """
    stale = []
    for member in members:
        digest = spec_digest(spec, member)
        state = (states or {}).get(member["name"])
        if not (state and state["running"] and state["healthy"] and state["labels"].get(label) == digest):
            stale.append(dict(member, digest=digest))
    return stale


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
            "stale_members": stale_members,
        }
