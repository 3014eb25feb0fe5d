#!/usr/bin/python
# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_ship
author: pyfleet maintainers (@pyfleet)
short_description: Copy an image archive from the controller and load it into the host's engine
description:
  - Copies O(src), an archive written by M(community.docker.docker_image_export) on the
    controller, into the task's temporary directory on the host, loads it with
    M(community.docker.docker_image_load) and removes the copy, also when loading fails.
  - The copy uses the connection's file transfer without the checksums
    M(ansible.builtin.copy) computes on both sides, and without SSH compression unless
    O(ssh_compression) is set; both matter for archives of hundreds of megabytes sent to many
    hosts.
  - In check mode nothing is copied or loaded; the task reports a change.
  - This is an action plugin; the host needs what M(community.docker.docker_image_load) needs.
options:
  src:
    description: Path of the image archive on the controller.
    type: path
    required: true
  ssh_compression:
    description:
      - Copy with the SSH connection's compression (C(-C) in Ansible's default C(ssh_args)).
      - Off by default. Layers copy many times faster uncompressed on a local network, so with the
        C(ssh) connection the copy runs on its own uncompressed SSH connection. Turn it on for
        slow links.
    type: bool
    default: false
  docker_host:
    description: Passed to M(community.docker.docker_image_load).
    type: str
  tls_hostname:
    description: Passed to M(community.docker.docker_image_load).
    type: str
  api_version:
    description: Passed to M(community.docker.docker_image_load).
    type: str
  timeout:
    description: Passed to M(community.docker.docker_image_load).
    type: int
  ca_path:
    description: Passed to M(community.docker.docker_image_load).
    type: path
  client_cert:
    description: Passed to M(community.docker.docker_image_load).
    type: path
  client_key:
    description: Passed to M(community.docker.docker_image_load).
    type: path
  tls:
    description: Passed to M(community.docker.docker_image_load).
    type: bool
  use_ssh_client:
    description: Passed to M(community.docker.docker_image_load).
    type: bool
  validate_certs:
    description: Passed to M(community.docker.docker_image_load).
    type: bool
notes:
  - Supports check mode.
"""

EXAMPLES = r"""
- name: Ship the exported app image to every pool host
  pyfleet.wsgi.image_ship:
    src: ~/.cache/pyfleet/archives/hello_0123456789ab.tar
"""

RETURN = r"""
image_names:
  description: Names of the images the archive held, as the engine reports them.
  returned: success
  type: list
  elements: str
src:
  description: The archive on the controller.
  returned: always
  type: str
"""
