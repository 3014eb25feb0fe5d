# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Append a record to the app's audit trail on a host (documented in plugins/modules/audit.py).

Who and the source's git state are read on the controller, where the deploy runs; the trail
on the host is read once and written back with the record added.
"""

from __future__ import annotations

import datetime
import getpass
import os
import socket
import subprocess

from ansible.errors import AnsibleActionFail

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _audit
from ansible_collections.pyfleet.wsgi.plugins.plugin_utils._action import PyfleetAction

TRAIL = "audit.jsonl"


def _git(src, *words):
    try:
        return subprocess.run(["git", "-C", src, *words], capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


class ActionModule(PyfleetAction):
    _VALID_ARGS = frozenset(("state_dir", "action", "version", "outcome", "src", "read"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self._vars = task_vars
        args = self._task.args
        if not args.get("state_dir"):
            raise AnsibleActionFail("state_dir is required")
        if args.get("read"):
            state = self._module("pyfleet.wsgi.app_state", dict(path=args["state_dir"], read=[TRAIL]))
            text = (state.get("contents") or {}).get(TRAIL) or ""
            result.update(changed=False, records=_audit.parse(text)[-int(args["read"]):], lines=_audit.last(text, int(args["read"])))
            return result
        for required in ("action", "version"):
            if not args.get(required):
                raise AnsibleActionFail("%s is required" % required)
        src = os.path.expanduser(str(args.get("src") or ""))
        git = (_audit.git_state(_git(src, "rev-parse", "HEAD"), _git(src, "status", "--porcelain"))
               if src and os.path.isdir(src) else _audit.git_state("", ""))
        entry = _audit.record(datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "%s@%s" % (getpass.getuser(), socket.gethostname()), args["action"], args["version"],
                              args.get("outcome") or "ok", git)
        state = self._module("pyfleet.wsgi.app_state", dict(path=args["state_dir"], read=[TRAIL]))
        if state.get("failed"):
            raise AnsibleActionFail(state.get("msg", "reading the audit trail failed"))
        text = _audit.append((state.get("contents") or {}).get(TRAIL) or "", entry)
        written = self._module("pyfleet.wsgi.app_state", dict(path=args["state_dir"], files={TRAIL: text}))
        if written.get("failed"):
            raise AnsibleActionFail(written.get("msg", "writing the audit trail failed"))
        result.update(changed=bool(written.get("changed")), record=entry)
        return result
