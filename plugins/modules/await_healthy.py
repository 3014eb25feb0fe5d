#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the await_healthy action (plugins/action/await_healthy.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: await_healthy
short_description: Wait until containers are healthy, and fail at once when one cannot become so
description:
  - Looks at each container with M(community.docker.docker_container_info) every O(poll) seconds.
  - Succeeds when every container is running and healthy (or running with no health check).
  - Fails at once, with the health check's last output, when a container is C(unhealthy) (its
    health check's retries are used up), has exited, is restarting or was restarted, since none of
    those becomes a serving member by waiting. Fails when O(timeout) passes first.
version_added: 0.4.0
author: pyfleet maintainers (@pyfleet)
options:
  names:
    description: The containers to wait for.
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for all of them together.
    type: float
    default: 120
  poll:
    description: Seconds between two looks.
    type: float
    default: 1
  docker_host:
    description: Passed to M(community.docker.docker_container_info).
    type: str
attributes:
  check_mode:
    support: full
    description: Nothing was started in a dry run, so it returns at once.
  diff_mode:
    support: none
    description: It changes nothing.
"""

EXAMPLES = r"""
- name: Wait for the new members
  pyfleet.wsgi.await_healthy:
    names: [shop-1-b, shop-2-b]
    timeout: 120
"""

RETURN = r"""
states:
  description: Per container, its last state (C(healthy), C(starting), C(unhealthy), C(exited), ...) and health output.
  type: dict
  returned: always
broken:
  description: The containers that failed the wait.
  type: list
  elements: str
  returned: failure
elapsed:
  description: Seconds waited.
  type: float
  returned: always
"""
