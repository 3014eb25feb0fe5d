# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions that turn inventory and variables into the plain data templates render."""

from __future__ import annotations

import ipaddress
import math
import os
import re
import socket
import zlib

from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _pool
from ansible_collections.pyfleet.wsgi.plugins.module_utils._context import registry_of
from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import build_excludes, content_version

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


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


def member_hostnames(pool_hosts, app, size):
    """The hostnames of every member ``app`` runs on ``pool_hosts``, ``size`` per host, in
    host order: the names a balancing check expects to hear from."""
    return [_pool.member_hostname(app, index, host) for host in pool_hosts or [] for index in range(1, int(size) + 1)]


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


def health_host(explicit="", domain="", server_name="_", hosts=None):
    """The Host the health checks send: the explicit one, else the site's domain, else the
    first plain name of the app's host names (pyfleet_app_hosts) or nginx's server names,
    else "" (uWSGI's "localhost")."""
    if explicit:
        return str(explicit)
    if domain:
        return str(domain)
    for name in [str(h) for h in hosts or []] + str(server_name or "").split():
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


def has_static(static_dir, src="", build_commands=(), app_image=""):
    """Whether the app image has static files for the frontends to serve: the directory is in
    the source on the controller, or the build makes it (build commands), or the image was
    built elsewhere (its directory is looked for when copied out)."""
    if not static_dir:
        return False
    if build_commands or app_image:
        return True
    return bool(src) and os.path.isdir(os.path.join(os.path.expanduser(str(src)), str(static_dir)))


def build_env_errors(build_env, app_env):
    """A message when a build setting carries a value the app's environment holds (a real
    secret copied into the build, where `docker history` shows it); empty otherwise. The
    values themselves are never named."""
    if not isinstance(build_env, dict) or not isinstance(app_env, dict):
        return ""
    secrets = {str(v): k for k, v in app_env.items() if len(str(v)) >= 8}
    clashes = ["pyfleet_image_build_env.%s holds the value of pyfleet_app_env.%s" % (k, secrets[str(v)])
               for k, v in sorted(build_env.items()) if str(v) in secrets]
    if not clashes:
        return ""
    return ("%s: build settings show in the image's history (docker history), so give the build a dummy value "
            "and the app its real one at run time." % "; ".join(clashes))


class FilterModule:
    def filters(self):
        return {
            "upstream_servers": upstream_servers,
            "build_env_errors": build_env_errors,
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
            "port_span": port_span,
            "port_range": port_range,
            "pool_members_in_slot": pool_members_in_slot,
            "source_addresses": source_addresses,
            "health_host": health_host,
        }
