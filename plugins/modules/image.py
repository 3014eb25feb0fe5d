#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the image action (plugins/action/image.py)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: image
short_description: Stage an app's build context, name its version and build it only when missing
description:
  - Runs on the controller. Stages O(src) into O(context)C(/app) like C(rsync --checksum --delete),
    leaving out version control data, caches, virtualenvs, env files and O(dockerignore_extra);
    copies the image's helpers and O(extra_ca_bundle); renders the C(.dockerignore) and the
    C(Dockerfile). Only files whose content differs are written.
  - The version is O(version) when given, else a digest of the whole context, so an unchanged app
    gives the same tag and a changed one a new tag.
  - With O(build), looks the version up on the build engine (M(community.docker.docker_image_info))
    and builds it (M(community.docker.docker_image)) only when it is missing, pulling missing base
    images first. A new image must start uWSGI, else it is removed and the task fails.
  - Publishes the facts C(pyfleet_image_ref), C(pyfleet_image_version), C(pyfleet_image_context) and
    C(pyfleet_image_bases).
version_added: 0.5.0
author: pyfleet maintainers (@pyfleet)
options:
  app_name:
    description: The app's name (the throwaway container that checks a new image).
    type: str
  src:
    description: The app's source directory on the controller.
    type: path
    required: true
  context:
    description: The build context directory on the controller.
    type: path
    required: true
  repository:
    description: The image repository; the version is its tag.
    type: str
    required: true
  version:
    description: An explicit version (tag); empty derives it from the content.
    type: str
    default: ""
  build:
    description: Build the version when the build engine lacks it; false only stages and names it.
    type: bool
    default: true
  builder_base:
    description: The builder stage's base image.
    type: str
    required: true
  runtime_base:
    description: The runtime stage's base image.
    type: str
    required: true
  dependencies:
    description: How the dependencies are installed; C(auto) picks from the files present.
    type: str
    choices: [auto, uv, poetry, pipfile, requirements, pyproject, none]
    default: auto
  dockerignore_extra:
    description: More patterns left out of the context.
    type: list
    elements: str
    default: []
  extra_ca_bundle:
    description: A CA bundle the builder stage trusts (TLS-inspecting networks); empty for none.
    type: path
    default: ""
  helpers:
    description: The directory of the image's helpers (C(healthcheck.py), C(start.py), C(deps.py)).
    type: path
    required: true
  dockerfile_template:
    description: The Dockerfile template.
    type: path
    required: true
  dockerignore_template:
    description: The C(.dockerignore) template.
    type: path
    required: true
  template_vars:
    description: Values for the Dockerfile template (packages, pip indexes, uWSGI requirement, uid).
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: Stages into the given context (a scratch one, for a dry run) and builds nothing.
  diff_mode:
    support: full
    description: Shows the image that would be built.
"""

EXAMPLES = r"""
- name: Build the app image when its version is missing
  pyfleet.wsgi.image:
    src: /srv/src/shop
    context: ~/.cache/pyfleet/build/shop
    repository: shop
    builder_base: python:3.12
    runtime_base: python:3.12-slim
    helpers: "{{ role_path }}/files"
    dockerfile_template: "{{ role_path }}/../../templates/Dockerfile.j2"
    dockerignore_template: "{{ role_path }}/../../templates/dockerignore.j2"
"""

RETURN = r"""
ref:
  description: The image reference, C(repository:version).
  returned: always
  type: str
version:
  description: The version.
  returned: always
  type: str
staged:
  description: The context's paths that were written (C(-path) for removed ones).
  returned: always
  type: list
  elements: str
built:
  description: Whether the version was (or, in check mode, would be) built.
  returned: always
  type: bool
dependencies:
  description: How the dependencies are installed.
  returned: always
  type: str
"""
