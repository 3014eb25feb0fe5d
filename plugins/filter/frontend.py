# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The frontend's filters: the upstream members as a frontend reaches them, its TLS and host names, static files, and how evenly members answered."""

from __future__ import annotations

import ipaddress
import os

from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.module_utils._preflight import app_hosts, tls_mode


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
            "endpoint": _endpoint,
            "member_shares": member_shares,
            "has_static": has_static,
            "tls_mode": tls_mode,
            "app_hosts": app_hosts,
        }
