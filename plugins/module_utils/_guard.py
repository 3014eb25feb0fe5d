# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The iptables chain that guards a name's ports (private helper of the pyfleet.wsgi collection)."""

from __future__ import annotations

import hashlib
import re


def chain_name(name):
    """An iptables chain name (at most 28 characters) that names `name`."""
    clean = re.sub(r"[^A-Za-z0-9_.-]", "-", name)
    chain = "PYF-" + clean
    if len(chain) > 28:
        chain = "PYF-%s-%s" % (clean[:17], hashlib.sha1(name.encode()).hexdigest()[:6])
    return chain


def chain_lines(listing, chains):
    """The lines of ``iptables -S`` output that create, fill or jump to one of ``chains``."""
    wanted = set(chains)
    lines = []
    for line in listing.splitlines():
        words = line.split()
        if len(words) >= 2 and (words[1] in wanted and words[0] in ("-N", "-A")
                                or any(a == "-j" and b in wanted for a, b in zip(words, words[1:]))):
            lines.append(line.strip())
    return sorted(lines)
