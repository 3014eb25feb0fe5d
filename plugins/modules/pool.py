#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the pool action (plugins/action/pool.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pool
short_description: One pool host's uWSGI members, per step of a rollout
description:
  - Reads the host's Docker engine (M(community.docker.docker_host_info)) and the app's state
    directory (M(pyfleet.wsgi.app_state)) once, decides, and acts through
    M(community.docker.docker_container) unless in check mode.
  - Every app container (the import check, the members, the release command) is created from
    one spec (C(plugins/module_utils/_pool.py)), so they share the same hardening. The spec's
    digest is each container's C(pyfleet.spec) label; the spec itself, environment included, is
    kept on the host (mode 0600) so that a rollback restarts exactly what ran.
  - Which member serves is read from C(pool.json), written when the frontends have moved; it is
    never guessed from which slot is healthy.
  - O(step=current) reports what serves now and the host's deploy history. O(step=start) starts the members the wanted spec
    lacks in the free slot beside the serving ones and waits until they are healthy, failing
    fast when one turns unhealthy, exits or restarts. O(step=retire) records what the frontends
    now use, stops the old members (SIGTERM, then the C(stop_timeout) of O(settings)) and removes image
    versions beyond O(keep_images). O(step=release) runs the release commands once, unless the
    host holds the version's release record (C(releases/<version>) in O(state_dir)).
    O(step=exec) runs O(command) in a new container of the version serving on the host (the
    spec the last finished rollout recorded - its image, env, network and hardening), waits for
    it and returns its output and exit status; the container is removed.
version_added: 0.5.0
author: pyfleet maintainers (@pyfleet)
options:
  step:
    description: What to do.
    type: str
    choices: [current, start, retire, release, exec]
    default: start
  host:
    description: The pool host's inventory name (the members' host names, the messages).
    type: str
    required: true
  settings:
    description:
      - Everything the app's containers are created from, as the pool role assembles it in
        C(_pool_settings) (roles/pool/vars/main.yml) -- C(app), C(image), C(module), C(size),
        C(port_base), C(bind_address), C(subnet), C(network), C(protocol), C(publish), C(env),
        C(restart_policy), C(health), C(listen), C(user), C(read_only), C(tmpfs), C(cap_drop),
        C(no_new_privileges), C(memory), C(pids_limit), C(stop_timeout), C(log_max_size),
        C(log_max_file).
      - A change of any of them but C(size) replaces the members.
    type: dict
    required: true
  state_dir:
    description: The app's state directory on the host.
    type: path
    required: true
  config_template:
    description: With O(step=start), the uWSGI config template, rendered with O(config_vars).
    type: path
  config_vars:
    description:
      - Values for O(config_template). C(processes) and C(threads) of 0 are sized from the
        engine's CPUs.
    type: dict
    default: {}
  restore:
    description:
      - With O(step=start), the digest of a spec kept on the host to start instead of
        O(settings) (the way back of a failed rollout). Without a kept spec of that digest,
        O(settings) are used.
    type: str
    default: ""
  healthy_timeout:
    description: Seconds the new members have to become healthy together.
    type: float
    default: 120
  poll:
    description: Seconds between two looks at the new members.
    type: float
    default: 1
  retire:
    description: With O(step=retire), the containers to stop and remove.
    type: list
    elements: str
    default: []
  serving:
    description: With O(step=retire), the members the frontends use now, recorded in C(pool.json).
    type: list
    elements: str
    default: []
  digest:
    description: With O(step=retire), the digest of the spec that serves now (kept on the host).
    type: str
    default: ""
  drain:
    description: With O(step=retire), seconds the frontends' old connections get before the stop.
    type: float
    default: 2
  keep_images:
    description: With O(step=retire), how many of the newest app image versions stay on the host.
    type: int
    default: 3
  repository:
    description: The app image's repository (default, the C(image) of O(settings) without its tag).
    type: str
  command:
    description: With O(step=exec), the shell command to run.
    type: str
    default: ""
  commands:
    description: With O(step=release), the shell commands, run in one C(/bin/sh -e).
    type: list
    elements: str
    default: []
  timeout:
    description: With O(step=release), seconds the commands may take.
    type: int
    default: 600
  on_failure:
    description:
      - C(fail) fails the task when the step fails as expected (an app that does not import,
        members never healthy, a failed release command); C(report) returns it in RV(failure)
        and in the C(pyfleet_pool_failure) fact, for a rollout to decide.
    type: str
    choices: [fail, report]
    default: fail
attributes:
  check_mode:
    support: full
    description: Reports the plan and changes nothing.
  diff_mode:
    support: full
    description: Shows the members before and after.
"""

EXAMPLES = r"""
- name: Start the new members beside the running ones
  pyfleet.wsgi.pool:
    step: start
    host: "{{ inventory_hostname }}"
    settings: "{{ _pool_settings }}"
    config_template: "{{ pyfleet_pool_uwsgi_template }}"
    config_vars: "{{ _pool_uwsgi_vars }}"
    state_dir: /etc/pyfleet/shop
"""

RETURN = r"""
plan:
  description: With O(step=start), the container names to C(start), C(keep), C(retire) and remove as C(stale).
  returned: step start
  type: dict
members:
  description: What the frontends reach once the started members are healthy.
  returned: step start
  type: list
  elements: dict
current:
  description: What serves now.
  returned: steps current and start
  type: list
  elements: dict
digest:
  description: The wanted spec's digest.
  returned: step start
  type: str
previous:
  description: The digest of the spec that serves now ("" when nothing serves).
  returned: steps current and start
  type: str
failure:
  description: What failed, in words ("" when nothing did).
  returned: always
  type: str
ansible_facts:
  description:
    - C(pyfleet_pool_members) (for the frontends), C(pyfleet_pool_retire), C(pyfleet_pool_failure),
      C(pyfleet_pool_moved), C(pyfleet_pool_previous_image), C(pyfleet_pool_digest) and, with
      O(step=current), C(pyfleet_pool_serving_digest) and C(pyfleet_pool_history) (the versions the
      host was rolled out to, oldest first).
  returned: always
  type: dict
"""
