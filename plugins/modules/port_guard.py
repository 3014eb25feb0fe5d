#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Let only the given sources reach ports that Docker publishes on one address."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: port_guard
short_description: Let only the given sources reach ports that Docker publishes on one address
description:
  - Keeps one chain of its own in the filter table (C(PYF-<name>)) and jumps to it from Docker's
    C(DOCKER-USER) chain for new connections to O(address) on O(ports). The chain lets each source
    of O(allow) through and drops everything else.
  - Docker never flushes C(DOCKER-USER) or chains it does not own, so the rules survive engine
    restarts and containers being recreated. A host's rules are gone after a reboot until the
    next deploy writes them again.
  - Traffic from the host itself and between containers of one host does not cross
    C(DOCKER-USER) and is not filtered.
  - Reads the rules once, compares them with the wanted ones and changes them in one atomic
    C(iptables-restore --noflush) transaction, so no packet sees a half-written chain.
version_added: 0.4.0
author: pyfleet maintainers (@pyfleet)
options:
  name:
    description: What the rules guard, e.g. C(shop-pool); names the chain and the rules' comment.
    type: str
    required: true
  address:
    description: The IPv4 address the ports are published on. Required with O(state=present).
    type: str
  ports:
    description: Published ports or ranges (C(8100) or C(8100:8103)). Required with O(state=present).
    type: list
    elements: str
    default: []
  allow:
    description: IPv4 addresses or networks that may connect. Empty drops every connection from elsewhere.
    type: list
    elements: str
    default: []
  state:
    description: C(absent) removes the chain and its jumps.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Reads the rules and reports what it would change.
  diff_mode:
    support: full
    description: Shows the chain's rules and its jumps before and after.
notes:
  - Needs C(iptables) and C(iptables-restore) on the host and an engine that manages iptables
    (the default); it fails, naming the reason, when C(DOCKER-USER) is missing.
"""

EXAMPLES = r"""
- name: Only the frontends reach the members' ports
  pyfleet.wsgi.port_guard:
    name: shop-pool
    address: 10.0.0.11
    ports: ["8100:8103", "8200:8203"]
    allow: [10.0.0.10]
"""

RETURN = r"""
chain:
  description: The chain the rules live in.
  type: str
  returned: always
rules:
  description: The rules wanted, as C(iptables -S) prints them.
  type: list
  elements: str
  returned: always
"""

import ipaddress
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pyfleet.wsgi.plugins.module_utils._guard import chain_name

USER_CHAIN = "DOCKER-USER"


def _network(value, what):
    try:
        net = ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        raise ValueError("%s %r is not an IPv4 address or network" % (what, value))
    if net.version != 4:
        raise ValueError("%s %r is not IPv4" % (what, value))
    return str(net)


def _port_range(value):
    text = str(value).strip()
    match = re.match(r"^(\d{1,5})(?:[:-](\d{1,5}))?$", text)
    if not match:
        raise ValueError("port %r is not a port or a range like 8100:8103" % (value,))
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if not 1 <= low <= high <= 65535:
        raise ValueError("port %r is outside 1..65535 or reversed" % (value,))
    return str(low) if low == high else "%d:%d" % (low, high)


def wanted_rules(name, address, ports, allow):
    """(chain rules, jump rules) exactly as `iptables -S` prints them."""
    chain = chain_name(name)
    dest = _network(address, "address")
    # iptables prints a conntrack address without its /32.
    dest = dest[:-3] if dest.endswith("/32") else dest
    sources = []
    for source in allow:
        net = _network(source, "allowed source")
        if net not in sources:
            sources.append(net)
    chain_rules = ["-A %s -s %s -j RETURN" % (chain, net) for net in sources]
    chain_rules.append("-A %s -j DROP" % chain)
    jumps = []
    for port in ports:
        spec = _port_range(port)
        rule = ('-A %s -p tcp -m conntrack --ctorigdst %s --ctorigdstport %s --ctdir ORIGINAL '
                '-m comment --comment "pyfleet %s" -j %s' % (USER_CHAIN, dest, spec, name, chain))
        if rule not in jumps:
            jumps.append(rule)
    return chain, chain_rules, jumps


def current_rules(lines, chain):
    """(chain exists, chain rules, jump rules to it) from `iptables -S` of the filter table."""
    exists = ("-N %s" % chain) in lines
    rules = [line for line in lines if line.startswith("-A %s " % chain)]
    jumps = [line for line in lines if line.startswith("-A %s " % USER_CHAIN) and line.endswith("-j %s" % chain)]
    return exists, rules, jumps


def restore_script(chain, exists, have_rules, have_jumps, want_rules, want_jumps, present):
    """An iptables-restore --noflush transaction from the current rules to the wanted ones."""
    lines = ["*filter"]
    for jump in have_jumps:
        if not present or jump not in want_jumps:
            lines.append("-D" + jump[2:])
    if present:
        # Declaring a user chain with --noflush empties it; the rules follow in the same commit.
        if have_rules != want_rules or not exists:
            lines.append(":%s - [0:0]" % chain)
            lines.extend(want_rules)
        for jump in reversed(want_jumps):
            if jump not in have_jumps:
                lines.append("-I %s 1%s" % (USER_CHAIN, jump[len("-A " + USER_CHAIN):]))
    elif exists:
        lines.append("-F %s" % chain)
        lines.append("-X %s" % chain)
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            address=dict(type="str"),
            ports=dict(type="list", elements="str", default=[]),
            allow=dict(type="list", elements="str", default=[]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("address", "ports"))],
        supports_check_mode=True,
    )
    params = module.params
    present = params["state"] == "present"
    try:
        if present:
            chain, want_rules, want_jumps = wanted_rules(params["name"], params["address"], params["ports"], params["allow"])
        else:
            chain, want_rules, want_jumps = chain_name(params["name"]), [], []
    except ValueError as exc:
        module.fail_json(msg="port_guard %s: %s" % (params["name"], exc))

    iptables = module.get_bin_path("iptables", required=present)
    if iptables is None:
        # No iptables, so no rules of ours to remove.
        module.exit_json(changed=False, chain=chain, rules=[])
    rc, out, err = module.run_command([iptables, "-w", "-t", "filter", "-S"])
    if rc != 0:
        module.fail_json(msg="iptables -S failed: %s" % err.strip())
    lines = out.splitlines()
    if present and ("-N %s" % USER_CHAIN) not in lines:
        module.fail_json(msg="The filter table has no %s chain: the Docker engine on this host does not manage "
                             "iptables (--iptables=false), so published ports cannot be limited to %s."
                         % (USER_CHAIN, ", ".join(params["allow"]) or "nobody"))
    exists, have_rules, have_jumps = current_rules(lines, chain)
    before = have_rules + have_jumps
    after = want_rules + want_jumps
    changed = (exists != present) or before != after
    result = dict(changed=changed, chain=chain, rules=after,
                  diff=dict(before="\n".join(before) + ("\n" if before else ""),
                            after="\n".join(after) + ("\n" if after else ""),
                            before_header="iptables %s" % chain, after_header="iptables %s" % chain))
    if changed and not module.check_mode:
        script = restore_script(chain, exists, have_rules, have_jumps, want_rules, want_jumps, present)
        restore = module.get_bin_path("iptables-restore", required=True)
        rc, out, err = module.run_command([restore, "-w", "--noflush"], data=script, binary_data=True)
        if rc != 0:
            module.fail_json(msg="iptables-restore failed: %s" % err.strip(), script=script)
        rc, out, err = module.run_command([iptables, "-w", "-t", "filter", "-S"])
        got_rules, got_jumps = current_rules(out.splitlines(), chain)[1:]
        if got_rules + got_jumps != after:
            module.fail_json(msg="The rules of %s read back differ from the ones written." % chain,
                             wanted=after, found=got_rules + got_jumps)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
