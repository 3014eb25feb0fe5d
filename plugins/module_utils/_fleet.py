# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet's batches: which pool hosts move together in a rollout."""

from __future__ import annotations

import math


def rollout_batches(hosts, batch):
    """Split the pool hosts into rollout batches of ``batch`` hosts, or ``"N%"`` of them.

    Raises ValueError, with the message preflight shows, for any other ``batch``."""
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
        raise ValueError("pyfleet_rollout_batch is %r: use a number of hosts (1 or more) or a percentage "
                         "like 50%%" % (batch,)) from None
    return [hosts[i:i + size] for i in range(0, len(hosts), size)] or [[]]
