#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the frontend action (plugins/action/frontend.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: frontend
short_description: Put a validated nginx or Caddy config live on one frontend host
description:
  - Renders O(template) with O(template_vars) on the controller and reads the live config once
    (M(pyfleet.wsgi.app_state)); the candidate and the O(tls_files) are written beside it.
  - Only when the candidate differs from the live config, it is validated with O(check) in a
    throwaway container of the proxy's image (no network), then installed. A candidate the proxy
    rejects fails the task and leaves the running frontend as it is.
  - Ensures the frontend container (M(community.docker.docker_container)) from O(container); a
    running proxy then reloads gracefully with O(reload) when its config or certificates changed.
  - With O(confirm_url) (nginx), waits until a new connection gets O(config_id) from it, so the
    caller knows the new config serves before it stops anything the old one used.
version_added: 0.5.0
author: pyfleet maintainers (@pyfleet)
options:
  host:
    description: The frontend host's inventory name, for messages.
    type: str
    required: true
  kind:
    description: The proxy.
    type: str
    choices: [nginx, caddy]
    required: true
  dir:
    description: The frontend's config directory on the host, mounted read-only at O(mount).
    type: path
    required: true
  mount:
    description: Where the proxy sees O(dir).
    type: str
    required: true
  file:
    description: The config's file name in O(dir) (the candidate is C(<file>.candidate)).
    type: str
    required: true
  template:
    description: The config template on the controller.
    type: path
    required: true
  template_vars:
    description: The values the template renders.
    type: dict
    default: {}
  check:
    description: The command that validates the candidate in the proxy's image.
    type: list
    elements: str
    required: true
  reload:
    description: The command that reloads the running proxy gracefully.
    type: list
    elements: str
    required: true
  container:
    description: M(community.docker.docker_container)'s arguments for the frontend container (C(name) and C(image) at least).
    type: dict
    required: true
  tls_files:
    description:
      - Certificate files copied from the controller into O(dir), each with C(src), C(dest) and
        C(secret) (a key, written with mode 0600 and never shown in a diff).
    type: list
    elements: dict
    default: []
  confirm_url:
    description: A URL on the host that answers the serving config's id; empty skips the wait.
    type: str
    default: ""
  config_id:
    description: The candidate's id, as the URL answers it.
    type: str
    default: ""
  confirm_timeout:
    description: Seconds to wait for O(config_id).
    type: float
    default: 60
  reach:
    description:
      - How a check on the host reaches this frontend (C(url), C(ca_path), C(validate_certs)),
        published as the fact C(pyfleet_frontend_check) for pyfleet.wsgi.verify.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: Shows the config change and changes nothing.
  diff_mode:
    support: full
    description: The live config against the candidate.
"""

EXAMPLES = r"""
- name: Run the frontend with the validated config
  pyfleet.wsgi.frontend:
    host: "{{ inventory_hostname }}"
    kind: nginx
    dir: /etc/pyfleet/shop/frontend
    mount: /etc/pyfleet/frontend
    file: nginx.conf
    template: templates/nginx.conf.j2
    check: [nginx, -t, -q, -c, /etc/pyfleet/frontend/nginx.conf.candidate]
    reload: [nginx, -s, reload, -c, /etc/pyfleet/frontend/nginx.conf]
    container:
      name: shop-frontend
      image: nginx:stable
      network_mode: host
"""

RETURN = r"""
installed:
  description: Whether a new config was installed.
  returned: always
  type: bool
reloaded:
  description: Whether the running proxy was reloaded.
  returned: always
  type: bool
config_id:
  description: The candidate's id.
  returned: always
  type: str
"""
