#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release record of a deploy, rollback or scale."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release
short_description: The release record of a deploy, rollback or scale
description:
  - O(step=record) builds the record every step of a rollout reads, once per run, and publishes
    it as the fact C(pyfleet_release). It holds the app, the action, the image reference and its
    version, the build context and base images the image step published on the controller, and
    the pool hosts of each batch.
  - O(step=choose) picks the version a rollback or a scale rolls out from what the first pool
    host showed (O(engine), O(history)) and publishes it as C(pyfleet_image_ref); a version that
    cannot be found fails with the versions there and what to do.
  - An action plugin. It decides from the data it is given and changes nothing.
version_added: 0.8.0
author: pyfleet maintainers (@pyfleet)
extends_documentation_fragment:
  - pyfleet.wsgi.read_only
options:
  step:
    description: C(choose) the version, or C(record) the release.
    type: str
    choices: [choose, record]
    default: record
  action:
    description: What the run does.
    type: str
    choices: [deploy, rollback, scale]
    default: deploy
  app:
    description: The app's name.
    type: str
  repository:
    description: The app's image repository (O(step=choose)).
    type: str
  named:
    description: The version a rollback returns to (C(pyfleet_rollback_to)), a tag or a full reference.
    type: str
    default: ""
  engine:
    description: What M(community.docker.docker_host_info) showed on the first pool host (images, containers).
    type: dict
  history:
    description: The versions rolled out on the first pool host, oldest first (C(pyfleet_pool_history)).
    type: list
    elements: str
  fleet:
    description: The fleet (C(pyfleet_fleet)); its C(pool) hosts are split into batches.
    type: dict
  batch:
    description: Pool hosts per batch, a number or a percentage (C(pyfleet_rollout_batch)).
    type: str
    default: 50%
"""

EXAMPLES = r"""
- name: Build the release record
  pyfleet.wsgi.release:
    app: shop
    action: deploy
    fleet: "{{ pyfleet_fleet }}"
    batch: "{{ pyfleet_rollout_batch }}"
  run_once: true
"""

RETURN = r"""
release:
  description: The record (O(step=record)) - app, action, image, version, context, bases, batches.
  returned: success
  type: dict
image:
  description: The version chosen (O(step=choose)).
  returned: success
  type: str
"""
