#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a role's inputs before any host changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: preflight
short_description: Check a role's inputs before any host changes
description:
  - Reads every variable of a role of this collection as the role sees it, and checks it
    against its type (the role's argument spec), its grammar (sizes, durations, paths, image
    references, host names, package names) and every rule that relates it to other
    variables, to the fleet or to files on the controller.
  - Each message names the variable, the value given and what to do. A rule runs only once
    every variable it reads has its shape.
  - An action plugin. It runs on the controller and changes nothing, in check mode too.
version_added: 0.8.0
author: pyfleet maintainers (@pyfleet)
extends_documentation_fragment:
  - pyfleet.wsgi.read_only
options:
  role:
    description: The role whose inputs are checked (C(preflight) checks the fleet's groups and batches).
    type: str
    required: true
    choices: [preflight, image, frontend, pool]
  fleet:
    description:
      - The fleet as the playbooks pass it (C(pyfleet_fleet)) with C(pool), C(frontends),
        C(accessories) and the inventory C(groups). Default is the task's C(pyfleet_fleet).
    type: dict
"""

EXAMPLES = r"""
- name: Validate the pool variables
  pyfleet.wsgi.preflight:
    role: pool
    fleet: "{{ pyfleet_fleet }}"
"""

RETURN = r"""
errors:
  description: One message per refused value or rule, empty when the inputs are valid.
  returned: always
  type: list
  elements: str
"""
