# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pool's filters: which members a host runs, their ports, network and environment."""

from __future__ import annotations

import zlib

from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _pool
from ansible_collections.pyfleet.wsgi.plugins.module_utils._preflight import address_like, bind_address, pool_protocol, published


def pool_members_in_slot(slot, settings, host):
    """The members one pool host runs in ``slot`` (0 or 1), as the pool action places them."""
    try:
        return _pool.member_slots(settings, host, int(slot))
    except (_pool.PlanError, ValueError) as exc:
        raise AnsibleFilterError(str(exc))


def port_range(start, count):
    """``count`` ports from ``start`` as an iptables range ("8100:8103", or "8100")."""
    return port_span(range(int(start), int(start) + int(count)))


def port_span(ports):
    """The lowest and highest of `ports` as an iptables range ("8100:8103", or "8100")."""
    ports = sorted(int(p) for p in ports)
    if not ports:
        raise AnsibleFilterError("port_span needs at least one port")
    return str(ports[0]) if ports[0] == ports[-1] else "%d:%d" % (ports[0], ports[-1])


def pool_subnet(app_name, subnet=""):
    """The app network's subnet: ``subnet`` when given, else 172.30.N.0/24 with N from the name.

    Apps on one engine then get different subnets without configuration; a collision of two
    names (1 in 256) is reported by Docker when the second network is created.
    """
    if subnet:
        return str(subnet)
    return "172.30.%d.0/24" % (zlib.crc32(str(app_name).encode("utf-8")) % 256)


def member_hostnames(pool_hosts, app, size):
    """The hostnames of every member ``app`` runs on ``pool_hosts``, ``size`` per host, in
    host order: the names a balancing check expects to hear from."""
    return [_pool.member_hostname(app, index, host) for host in pool_hosts or [] for index in range(1, int(size) + 1)]


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


class FilterModule:
    def filters(self):
        return {
            "pool_members_in_slot": pool_members_in_slot,
            "port_range": port_range,
            "port_span": port_span,
            "pool_subnet": pool_subnet,
            "member_hostnames": member_hostnames,
            "env_strings": env_strings,
            "pool_protocol": pool_protocol,
            "pool_published": published,
            "pool_bind_address": bind_address,
            "address_like": address_like,
        }
