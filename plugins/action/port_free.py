# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Refuse a frontend port another program holds (documented in plugins/modules/port_free.py).

A port that answers is looked up among the collection's frontends on the host (their
containers and the parts of the apps they serve): the message then names the app or the
shared ingress that holds it and says how both can share it.
"""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _frontend
from ansible_collections.pyfleet.wsgi.plugins.plugin_utils._action import PyfleetAction

MOUNT = "/etc/pyfleet/frontend"


class ActionModule(PyfleetAction):
    _VALID_ARGS = frozenset(("address", "port", "variable", "ingress"))

    def _frontends(self):
        """Each running frontend of the collection on the host: its labels and app parts."""
        found = self._module("community.docker.docker_host_info", dict(
            containers=True, verbose_output=True, containers_filters={"label": "pyfleet.role=frontend"}))
        if found.get("failed"):
            raise AnsibleActionFail("listing the frontends failed: %s" % found.get("msg", ""))
        frontends = []
        for container in found.get("containers") or []:
            sources = [m.get("Source") for m in container.get("Mounts") or [] if m.get("Destination") == MOUNT]
            parts = []
            for source in sources:
                read = self._module("pyfleet.wsgi.app_state", dict(path=source, read_glob=["apps/*/part.json"]))
                for text in (read.get("contents") or {}).values():
                    try:
                        parts.append(json.loads(text))
                    except (TypeError, ValueError):
                        continue
            frontends.append({"labels": container.get("Labels") or {}, "parts": parts})
        return frontends

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self._vars = task_vars
        args = self._task.args
        port = int(args["port"])
        probe = self._module("ansible.builtin.wait_for", dict(
            host=args.get("address") or "127.0.0.1", port=port, state="stopped", timeout=1))
        result.update(changed=False, free=not probe.get("failed"), holder=None)
        if result["free"]:
            return result
        holder = _frontend.port_holder(port, self._frontends())
        result.update(failed=True, holder=list(holder) if holder else None, msg=_frontend.port_refusal(
            args.get("variable") or "the port", port, task_vars.get("inventory_hostname"), holder,
            args.get("ingress") or ""))
        return result
