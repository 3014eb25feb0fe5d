#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tell whether a host still runs what the last finished deploy of the same inputs left there."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: converged
short_description: Tell whether a host still runs what the last finished deploy of the same inputs left there
description:
  - A deploy that finishes writes a record on each host (O(state=present)), C(converged.json) in
    the app's state directory. It holds the digest of the deploy's inputs, the app's running
    containers by id, the port guard rules of the app and a digest of the app's state and
    config directories.
  - O(state=check) reads the record and what the host shows now, in one call to the engine, one
    C(iptables -S) and a walk of the directories, and reports each difference as a reason. No
    reason means a deploy of the same inputs has nothing to do on this host.
  - Each of these is a reason. A container gone, stopped, unhealthy or recreated by something
    else than a deploy. A container of the app that no deploy started. Port guard rules changed
    or gone (after a reboot). A file changed in the state or config directories. Other inputs.
    The deploy lock held (another rollout may be under way, or one was interrupted).
  - The action of the same name computes the inputs' digest on the controller and runs this
    module on each host; see the playbook C(pyfleet.wsgi.deploy).
version_added: 0.5.0
author: pyfleet maintainers (@pyfleet)
extends_documentation_fragment:
  - community.docker.docker.api_documentation
options:
  app:
    description: The app's name; its containers carry the label C(pyfleet.app=<app>).
    type: str
    required: true
  path:
    description: The app's state directory on the host, where the record is kept.
    type: path
    required: true
  digest:
    description: The digest of the deploy's inputs.
    type: str
    required: true
  guards:
    description: The iptables chains of the app's port guards whose rules are part of the record.
    type: list
    elements: str
    default: []
  trees:
    description: Directories whose content is part of the record (the state and config directories).
    type: list
    elements: path
    default: []
  ingress:
    description: The shared ingress the app joined; its container (label C(pyfleet.ingress)) is part of the record.
    type: str
    default: ""
  state:
    description: C(check) compares, C(present) writes the record of what runs now.
    type: str
    choices: [check, present]
    default: check
attributes:
  check_mode:
    support: full
    description: O(state=check) changes nothing anyway; O(state=present) reports whether it would write.
  diff_mode:
    support: none
    description: Writes only its own record; there is nothing to show.
"""

EXAMPLES = r"""
- name: Has this host anything to do?
  pyfleet.wsgi.converged:
    app: shop
    path: /etc/pyfleet/shop
    digest: "{{ pyfleet_inputs_digest }}"
    trees: [/etc/pyfleet/shop]
  register: shop_converged
"""

RETURN = r"""
converged:
  description: True when the record matches what the host shows now (O(state=check)).
  returned: always
  type: bool
reasons:
  description: Each difference, in words; empty when converged.
  returned: always
  type: list
  elements: str
"""

import json
import os
import shutil
import subprocess
import tempfile
import traceback

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.community.docker.plugins.module_utils.common_api import AnsibleDockerClient, RequestException
from ansible_collections.community.docker.plugins.module_utils._api.errors import DockerException
from ansible_collections.community.docker.plugins.module_utils._api.utils.utils import convert_filters
from ansible_collections.pyfleet.wsgi.plugins.module_utils import _converged
from ansible_collections.pyfleet.wsgi.plugins.module_utils._guard import chain_lines


def _guard_rules(chains):
    if not chains:
        return []
    iptables = shutil.which("iptables")
    if not iptables:
        return []
    proc = subprocess.run([iptables, "-w", "-S"], capture_output=True, text=True, check=False)
    return chain_lines(proc.stdout, chains) if proc.returncode == 0 else ["iptables -S failed: %s" % proc.stderr.strip()]


def _read(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _write(path, record):
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".pyfleet-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(record, out, indent=1, sort_keys=True)
    os.chmod(temp, 0o600)
    os.replace(temp, path)


def main():
    client = AnsibleDockerClient(
        argument_spec=dict(
            app=dict(type="str", required=True),
            path=dict(type="path", required=True),
            digest=dict(type="str", required=True),
            guards=dict(type="list", elements="str", default=[]),
            trees=dict(type="list", elements="path", default=[]),
            ingress=dict(type="str", default=""),
            state=dict(type="str", choices=["check", "present"], default="check"),
        ),
        supports_check_mode=True,
    )
    module, params = client.module, client.module.params
    try:
        items = client.get_json("/containers/json", params={
            "all": 1, "filters": convert_filters({"label": ["pyfleet.app=%s" % params["app"]]})})
        if params["ingress"]:
            items += client.get_json("/containers/json", params={
                "all": 1, "filters": convert_filters({"label": ["pyfleet.ingress=%s" % params["ingress"]]})})
    except (DockerException, RequestException) as exc:
        client.fail("reading the app's containers failed: %s" % to_native(exc), exception=traceback.format_exc())
    containers = _converged.observe(items)
    guards = _guard_rules(params["guards"])
    trees = {path: _converged.dir_digest(path) for path in params["trees"]}
    record_path = os.path.join(params["path"], _converged.RECORD)
    record = _read(record_path)
    if params["state"] == "present":
        wanted = _converged.snapshot(params["digest"], containers, guards, trees)
        changed = record != wanted
        if changed and not module.check_mode:
            try:
                _write(record_path, wanted)
            except OSError as exc:
                module.fail_json(msg="writing %s failed: %s" % (record_path, exc))
        module.exit_json(changed=changed, converged=True, reasons=[])
    lock = os.path.join(params["path"], "deploy.lock")
    locked_by = None
    if os.path.isdir(lock):
        try:
            with open(os.path.join(lock, "holder"), encoding="utf-8") as handle:
                locked_by = handle.read()
        except OSError:
            locked_by = ""
    reasons = _converged.differences(record, params["digest"], containers, guards, trees, locked_by)
    module.exit_json(changed=False, converged=not reasons, reasons=reasons)


if __name__ == "__main__":
    main()
