#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Refuse a frontend port another program holds."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: port_free
short_description: Refuse a frontend port another program holds
description:
  - Fails when something already listens on O(port) at O(address) on the host.
  - When the holder is a frontend of this collection, the message names the app or the
    shared ingress that runs it and says how to share the port (C(pyfleet_frontend_ingress)).
  - An action plugin; it runs M(ansible.builtin.wait_for), M(community.docker.docker_host_info)
    and M(pyfleet.wsgi.app_state) on the host and changes nothing.
version_added: 0.8.0
author: pyfleet maintainers (@pyfleet)
extends_documentation_fragment:
  - pyfleet.wsgi.read_only
options:
  address:
    description: The address the frontend listens on (C(127.0.0.1) when empty).
    type: str
    default: ""
  port:
    description: The port.
    type: int
    required: true
  variable:
    description: The variable the port comes from, for the message.
    type: str
    default: the port
  ingress:
    description: The shared ingress this app joins (C(pyfleet_frontend_ingress)), if any.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Refuse a port that another program holds
  pyfleet.wsgi.port_free:
    port: 80
    variable: pyfleet_http_port
"""

RETURN = r"""
free:
  description: Whether nothing listens on the port.
  returned: always
  type: bool
holder:
  description: C([ingress, name]) or C([app, name]) of the frontend that holds the port, or null.
  returned: always
  type: list
  elements: str
"""
