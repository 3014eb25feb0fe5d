#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One batch of a rollout and the way back."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: batch
short_description: One batch of a rollout, and the way back
description:
  - Every host of a rollout's play runs each step together (playbooks/tasks/rollout_batch.yml),
    and each decides alike from what every host of the play reported.
  - O(step=gate), after a step of the batch (O(after)), reads what the pool hosts started
    (C(pyfleet_pool_members), C(pyfleet_pool_failure)) and what any host reported with
    O(step=report). When a step failed on any host it fails on every host at once, so the play's
    rescue takes the way back; else it returns the members the frontends balance over.
  - O(step=report) records, on the host it failed on, a step that failed there (a frontend that did
    not move, requests that failed through it), as the fact C(pyfleet_batch_failure).
  - O(step=back) builds the previous record from the pool hosts whose members the rollout changed
    (C(pyfleet_pool_moved)), each with the spec it ran before (C(pyfleet_pool_serving_digest)),
    and from what stopped the rollout. The batch runs again under that record.
  - O(step=end) says how the rollout ended; it fails when the rollout stopped.
  - Every result but O(step=report)'s carries the O(record) it ran under and the C(outcome) the
    audit trail keeps if the run ended there.
  - An action plugin. It decides from the play's facts and changes nothing.
version_added: 0.8.0
author: pyfleet maintainers (@pyfleet)
extends_documentation_fragment:
  - pyfleet.wsgi.read_only
options:
  step:
    description: What to do.
    type: str
    required: true
    choices: [gate, report, back, end]
  after:
    description: The step of the batch the gate follows (O(step=gate)).
    type: str
    choices: [started, moved, verified]
  record:
    description:
      - The record the batch runs under - the release record (C(pyfleet_release)) on the way
        forward, the C(record) that O(step=back) returned on the way back.
      - Required but for O(step=report).
    type: dict
  pool:
    description: The pool hosts of the fleet (C(pyfleet_fleet.pool)).
    type: list
    elements: str
    default: []
  failure:
    description: What failed on this host, in words (O(step=report)).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Go on once every new member is healthy
  pyfleet.wsgi.batch:
    step: gate
    after: started
    record: "{{ pyfleet_release }}"
    pool: "{{ pyfleet_fleet.pool }}"
  register: __rollout

- name: Build the previous record of the hosts that moved
  pyfleet.wsgi.batch:
    step: back
    record: "{{ pyfleet_release }}"
    pool: "{{ pyfleet_fleet.pool }}"
  register: __rollout
"""

RETURN = r"""
ok:
  description: Whether the batch may go on (O(step=gate)).
  returned: O(step=gate)
  type: bool
failures:
  description: What failed on the hosts of the play, in words, less what stopped the rollout before the way back began.
  returned: O(step=gate)
  type: list
  elements: str
upstreams:
  description: What each pool host serves (its C(pyfleet_pool_members)), null for a host that published nothing.
  returned: O(step=gate)
  type: dict
members:
  description: Each pool host's members, for the check through the frontends.
  returned: O(step=gate)
  type: list
  elements: list
record:
  description:
    - The record the step ran under; O(step=back) returns the previous record - C(direction=back),
      the C(hosts) that go back, the C(specs) each returns to, the C(image) and C(static) version,
      and what C(stopped_by) the rollout.
  returned: always but O(step=report)
  type: dict
outcome:
  description: What the audit trail keeps if the run ended after this step.
  returned: always but O(step=report)
  type: str
"""
