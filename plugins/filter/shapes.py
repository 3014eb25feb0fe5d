# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durations as the frontends read them (module_utils/_shapes.py checks every variable's shape)."""
from __future__ import annotations

from ansible_collections.pyfleet.wsgi.plugins.module_utils._shapes import milliseconds

DOCUMENTATION = r"""
name: milliseconds
short_description: A duration in milliseconds
version_added: 0.6.0
description:
  - A duration given as C(300ms), C(2s) or whole seconds (C(2)), in milliseconds; -1 when it is none.
positional: _input
options:
  _input:
    description: The duration.
    type: raw
    required: true
"""

EXAMPLES = r"""
connect_ms: "{{ pyfleet_frontend_connect_timeout | pyfleet.wsgi.milliseconds }}"
"""

RETURN = r"""
_value:
  description: The milliseconds, or -1.
  type: int
"""


class FilterModule:
    def filters(self):
        return {"milliseconds": milliseconds}
