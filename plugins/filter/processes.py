# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app's other processes (pyfleet_app_processes): workers and schedulers run from the
app's image beside the web members, never behind the frontend.

``host_processes`` gives the process types one pool host runs, with how many, as the pool
action takes them (module_utils/_processes.py).
"""

from __future__ import annotations

from ansible_collections.pyfleet.wsgi.plugins.module_utils._processes import host_processes

DOCUMENTATION = r"""
name: host_processes
short_description: The process types one pool host runs
version_added: 0.6.0
description:
  - From C(pyfleet_app_processes), the process types the host runs and how many of each; a
    singleton runs on the first host of its group only.
positional: _input, host, groups
options:
  _input:
    description: C(pyfleet_app_processes).
    type: dict
    required: true
  host:
    description: The host's inventory name.
    type: str
    required: true
  groups:
    description: The inventory's groups (C(groups)).
    type: dict
    required: true
"""

EXAMPLES = r"""
processes: "{{ pyfleet_app_processes | pyfleet.wsgi.host_processes(inventory_hostname, groups) }}"
"""

RETURN = r"""
_value:
  description: One dict per process type this host runs (name, command, count, and the rest).
  type: list
  elements: dict
"""


class FilterModule:
    def filters(self):
        return {"host_processes": host_processes}
