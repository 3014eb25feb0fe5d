#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the audit action (plugins/action/audit.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: audit
short_description: Append to, or read, an app's audit trail on a host
description:
  - Each pool host keeps C(audit.jsonl) in the app's state directory, one JSON record per
    line, oldest first, the last 500 - every deploy, rollback and scale, and every rollout
    that failed.
  - A record holds when (UTC), who (the controller's user and host name), the O(action), the
    O(version), the git commit and dirty flag of O(src) when it is a git checkout, and the
    O(outcome).
  - With O(read), returns the newest records instead and changes nothing.
version_added: 0.7.0
author: pyfleet maintainers (@pyfleet)
options:
  state_dir:
    description: The app's state directory on the host.
    type: path
    required: true
  action:
    description: What ran.
    type: str
    choices: [deploy, rollback, scale]
  version:
    description: The image reference rolled out.
    type: str
  outcome:
    description: C(ok), or what failed.
    type: str
    default: ok
  src:
    description: The app's source on the controller; its git commit and dirty flag are recorded.
    type: str
    default: ""
  read:
    description: Return this many of the newest records instead of writing one.
    type: int
    default: 0
attributes:
  check_mode:
    support: full
    description: Reports the record it would append.
  diff_mode:
    support: full
    description: Shows the line added.
"""

EXAMPLES = r"""
- name: Record the rollout
  pyfleet.wsgi.audit:
    state_dir: /etc/pyfleet/shop
    action: deploy
    version: shop:3f2a9c1b7d0e
    src: ~/src/shop
"""

RETURN = r"""
record:
  description: The record appended.
  returned: unless O(read)
  type: dict
lines:
  description: With O(read), the newest records, newest first, one line each.
  returned: with O(read)
  type: list
  elements: str
"""
