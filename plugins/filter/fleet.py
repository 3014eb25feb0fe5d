# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet's filters: the addresses hosts connect from, the rollout's batches, usable names."""

from __future__ import annotations

import ipaddress
import socket

from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _fleet
from ansible_collections.pyfleet.wsgi.plugins.module_utils._preflight import valid_name


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


def rollout_batches(hosts, batch):
    """Split the pool hosts into rollout batches of ``batch`` hosts, or ``"N%"`` of them."""
    try:
        return _fleet.rollout_batches(hosts, batch)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    def filters(self):
        return {
            "source_addresses": source_addresses,
            "rollout_batches": rollout_batches,
            "valid_name": valid_name,
        }
