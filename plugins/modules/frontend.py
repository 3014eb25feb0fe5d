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
  - A frontend serves one app (a container of its own) or every app that joined a shared
    ingress on the host (O(ingress)). Each app's O(part) (host names, path prefix, members,
    static files, TLS) is kept on the host as C(apps/<app>/part.json) in O(dir); the config is
    rendered from every part there, so one app's change keeps the others exactly as their last
    deploy left them. A shared ingress is changed by one app at a time (a lock in O(dir)).
  - Before anything changes, the app's host names and paths are checked against the other
    apps' (two apps claiming the same host name and path are refused, naming both), and on a
    shared ingress its listening settings too (kind, ports, address).
  - Renders O(template) on the controller and reads the live config once
    (M(pyfleet.wsgi.app_state)); the candidate, the O(tls_files) and the O(pages) are written
    beside it. Only when the candidate differs from the live config, it is validated with
    O(check) in a throwaway container of the proxy's image (no network), then installed. A
    candidate the proxy rejects fails the task and leaves the running frontend as it is.
  - Ensures the frontend container (M(community.docker.docker_container)) from O(container); a
    running proxy then reloads gracefully with O(reload) when its config or files changed.
  - With O(confirm_url) (nginx), waits until a new connection gets the new config's id from
    it, so the caller knows the new config serves before it stops anything the old one used.
  - With O(replaces), the app's former frontend is removed, first when it holds a port the new
    one needs (a short gap), else once the new config serves.
  - The static file versions served are the new one and the one the app's last deploy served
    (assets of pages the previous version rendered keep loading); others in O(static_dir) go.
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
  go_max_procs:
    description:
      - GOMAXPROCS of a Caddy frontend; V(0) decides by itself, with O(runs_pool).
    type: int
    default: 0
  runs_pool:
    description:
      - Whether this host also runs pool members. Then a Caddy frontend gets half the engine's CPUs
        (at least one) unless O(go_max_procs) is set; else Go's default, every CPU.
    type: bool
    default: false
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
  ingress:
    description: The shared ingress's name; empty for a frontend of the app's own.
    type: str
    default: ""
  part:
    description:
      - The app's part of the config; C(name) at least. Without C(members) the part the app's
        last deploy left is used (to change only O(maintenance), or with O(state=absent)).
    type: dict
    required: true
  state:
    description: C(absent) takes the app's part out; the ingress goes with its last app.
    type: str
    choices: [present, absent]
    default: present
  maintenance:
    description: C(on) answers the world with 503 and the maintenance page, C(off) serves the app, C(keep) leaves it.
    type: str
    choices: [keep, "on", "off"]
    default: keep
  pages:
    description: HTML files on the controller by status code (500, 502, 503, 504), served by the frontend instead of its own.
    type: dict
    default: {}
  maintenance_page:
    description: The HTML file on the controller served in maintenance mode; empty for a default page.
    type: str
    default: ""
  static_dir:
    description: The host directory holding the app's static file versions; only those served stay.
    type: str
    default: ""
  replaces:
    description: The app's former frontend, C(container) and C(config) (its live config file on the host).
    type: dict
    default: {}
  claims_only:
    description: Only check the part's claims and listening settings against the other apps; reads, changes nothing.
    type: bool
    default: false
  lock_timeout:
    description: Seconds to wait while another app changes the shared ingress.
    type: float
    default: 120
  confirm_timeout:
    description: Seconds to wait for the new config's id.
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
      name: pyfleet-ingress-main
      image: nginx:stable
      network_mode: host
    ingress: main
    part: "{{ part_of_the_shop }}"
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
  returned: when a config was rendered
  type: str
apps:
  description: The apps the frontend serves.
  returned: always
  type: list
  elements: str
"""
