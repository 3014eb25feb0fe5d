#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and write an app's state directory on a host in one call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: app_state
short_description: Read and write an app's state directory on a host in one call
description:
  - The pool keeps a few small files per app on each host under O(path) (by default
    C(/etc/pyfleet/<app>)), the uWSGI configurations by content digest, the container specs
    the members were created from, and C(pool.json), the record of the members the frontends
    were last pointed at.
  - One call writes the files that differ (atomically, by rename), removes entries of a
    directory that are not to be kept, and reads files back, so a step that needs the state
    of a host asks it once.
version_added: 0.5.0
author: pyfleet maintainers (@pyfleet)
options:
  path:
    description: The app's state directory; created when a file is written.
    type: path
    required: true
  files:
    description:
      - Files to hold, by path relative to O(path), with their content. Parent directories are
        created (mode 0755).
    type: dict
    default: {}
  secret_files:
    description:
      - Like O(files), but written with mode 0600 and never shown in a diff (the container
        specs hold the app's environment).
    type: dict
    default: {}
  read:
    description: Files to read back, relative to O(path); a missing file reads as null.
    type: list
    elements: str
    default: []
  read_glob:
    description:
      - Shell patterns relative to O(path); every file they match is read back too, under its
        path relative to O(path) (a frontend's parts, C(apps/*/part.json)).
    type: list
    elements: str
    default: []
  prune:
    description:
      - Directories relative to O(path), each with the names of entries to keep in it; every
        other entry is removed.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: Reports what would be written or removed and changes nothing.
  diff_mode:
    support: full
    description: Shows the content of changed files, except secret ones.
"""

EXAMPLES = r"""
- name: Hold the uWSGI config and read the serving record
  pyfleet.wsgi.app_state:
    path: /etc/pyfleet/shop
    files:
      uwsgi/0123456789ab/uwsgi.ini: "{{ lookup('ansible.builtin.template', 'uwsgi.ini.j2') }}"
    read: [pool.json]
"""

RETURN = r"""
contents:
  description: The files of O(read) and O(read_glob), by name; null for a missing one of O(read).
  returned: always
  type: dict
written:
  description: The files that were (or, in check mode, would be) written.
  returned: always
  type: list
  elements: str
removed:
  description: The entries that were (or would be) removed by O(prune).
  returned: always
  type: list
  elements: str
"""

import glob
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule


def _read(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _inside(base, rel):
    full = os.path.normpath(os.path.join(base, rel))
    if os.path.isabs(rel) or not full.startswith(os.path.normpath(base) + os.sep):
        raise ValueError("%s is not a path inside %s" % (rel, base))
    return full


def _write(path, content, mode):
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".pyfleet-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            files=dict(type="dict", default={}),
            secret_files=dict(type="dict", default={}, no_log=True),
            read=dict(type="list", elements="str", default=[]),
            read_glob=dict(type="list", elements="str", default=[]),
            prune=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    base = module.params["path"]
    result = dict(changed=False, contents={}, written=[], removed=[])
    diff = {"before": "", "after": "", "before_header": base, "after_header": base}
    try:
        wanted = [(rel, str(content), 0o644, False) for rel, content in module.params["files"].items()]
        wanted += [(rel, str(content), 0o600, True) for rel, content in module.params["secret_files"].items()]
        for rel, content, mode, secret in wanted:
            full = _inside(base, rel)
            before = _read(full)
            if before == content and os.stat(full).st_mode & 0o777 == mode:
                continue
            result["written"].append(rel)
            if not secret:
                diff["before"] += "# %s\n%s" % (rel, before or "")
                diff["after"] += "# %s\n%s" % (rel, content)
            if not module.check_mode:
                _write(full, content, mode)
        for rel, keep in module.params["prune"].items():
            folder = _inside(base, rel)
            if not os.path.isdir(folder):
                continue
            for entry in sorted(os.listdir(folder)):
                if entry in keep or entry.startswith("."):
                    continue
                result["removed"].append(os.path.join(rel, entry))
                if not module.check_mode:
                    target = os.path.join(folder, entry)
                    if os.path.isdir(target) and not os.path.islink(target):
                        shutil.rmtree(target)
                    else:
                        os.unlink(target)
        for rel in module.params["read"]:
            result["contents"][rel] = _read(_inside(base, rel))
        for pattern in module.params["read_glob"]:
            _inside(base, pattern)
            for full in sorted(glob.glob(os.path.join(base, pattern))):
                if os.path.isfile(full):
                    result["contents"][os.path.relpath(full, base)] = _read(full)
    except (OSError, ValueError) as exc:
        module.fail_json(msg="%s: %s" % (base, exc), **result)
    result["changed"] = bool(result["written"] or result["removed"])
    if module._diff and result["changed"]:
        diff["after"] += "".join("# removed %s\n" % rel for rel in result["removed"])
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
