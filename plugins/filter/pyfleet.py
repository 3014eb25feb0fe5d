# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions that turn inventory and variables into the plain data templates render."""

from __future__ import annotations

import ipaddress
import os
import socket
import zlib

from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _fleet, _health, _pool
from ansible_collections.pyfleet.wsgi.plugins.module_utils._preflight import app_hosts, pool_protocol, tls_mode, valid_name
from ansible_collections.pyfleet.wsgi.plugins.module_utils._context import registry_of
from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import build_excludes, content_version


def pool_members_in_slot(slot, settings, host):
    """The members one pool host runs in ``slot`` (0 or 1), as the pool action places them."""
    try:
        return _pool.member_slots(settings, host, int(slot))
    except (_pool.PlanError, ValueError) as exc:
        raise AnsibleFilterError(str(exc))


def port_range(start, count):
    """``count`` ports from ``start`` as an iptables range ("8100:8103", or "8100")."""
    return port_span(range(int(start), int(start) + int(count)))


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


def member_hostnames(pool_hosts, app, size):
    """The hostnames of every member ``app`` runs on ``pool_hosts``, ``size`` per host, in
    host order: the names a balancing check expects to hear from."""
    return [_pool.member_hostname(app, index, host) for host in pool_hosts or [] for index in range(1, int(size) + 1)]


def rollout_batches(hosts, batch):
    """Split the pool hosts into rollout batches of ``batch`` hosts, or ``"N%"`` of them."""
    try:
        return _fleet.rollout_batches(hosts, batch)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def port_span(ports):
    """The lowest and highest of `ports` as an iptables range ("8100:8103", or "8100")."""
    ports = sorted(int(p) for p in ports)
    if not ports:
        raise AnsibleFilterError("port_span needs at least one port")
    return str(ports[0]) if ports[0] == ports[-1] else "%d:%d" % (ports[0], ports[-1])


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


def has_static(static_dir, src="", build_commands=(), app_image=""):
    """Whether the app image has static files for the frontends to serve: the directory is in
    the source on the controller, or the build makes it (build commands), or the image was
    built elsewhere (its directory is looked for when copied out)."""
    if not static_dir:
        return False
    if build_commands or app_image:
        return True
    return bool(src) and os.path.isdir(os.path.join(os.path.expanduser(str(src)), str(static_dir)))


class FilterModule:
    def filters(self):
        return {
            "upstream_servers": upstream_servers,
            "has_static": has_static,
            "image_registry": registry_of,
            "env_strings": env_strings,
            "pool_subnet": pool_subnet,
            "endpoint": _endpoint,
            "content_version": content_version,
            "valid_name": valid_name,
            "build_excludes": build_excludes,
            "member_shares": member_shares,
            "member_hostnames": member_hostnames,
            "rollout_batches": rollout_batches,
            "pool_protocol": pool_protocol,
            "tls_mode": tls_mode,
            "app_hosts": app_hosts,
            "port_span": port_span,
            "port_range": port_range,
            "pool_members_in_slot": pool_members_in_slot,
            "source_addresses": source_addresses,
            "health_host": _health.health_host,
            "health_probe": _health.probe,
            "health_env": _health.environment,
            "health_verify": _health.verify,
        }
