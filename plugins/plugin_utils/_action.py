# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's action plugins share: running a module on the task's host,
rendering a template with the play's variables on the controller, and waiting until
containers are healthy."""

from __future__ import annotations

import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.pyfleet.wsgi.plugins.module_utils._health import judge


def describe(states, names, silent="no output"):
    """"name (state): last health check output" of each of ``names``, joined by "; "."""
    return "; ".join("%s (%s): %s" % (n, states[n]["state"], states[n]["output"] or silent) for n in names)


class PyfleetAction(ActionBase):
    """An action that decides in Python and acts through modules (community.docker's, mostly)."""

    _vars = None

    def _module(self, name, args):
        """Run module `name` on the task's host; its result, without the echo of its arguments."""
        out = self._execute_module(module_name=name, module_args=args, task_vars=self._vars)
        out.pop("invocation", None)
        return out

    def _render(self, template, values):
        """`template` (a path on the controller) rendered with the task's variables and `values`."""
        lookup = self._shared_loader_obj.lookup_loader.get("ansible.builtin.template", loader=self._loader,
                                                           templar=self._templar)
        return lookup.run([template], variables=self._vars, template_vars=values)[0]

    def _await_healthy(self, names, timeout, poll, docker=None):
        """Look at the containers every ``poll`` seconds until all are healthy, one is broken
        (module_utils/_health.py) or ``timeout`` passes.

        Returns (verdict, names, states, elapsed): ``ok`` with no names, ``broken`` with the
        broken ones or ``timeout`` with those still waiting; ``states`` holds each container's
        state and last health check output.
        """
        started = time.monotonic()
        states = {}
        while True:
            broken, waiting = [], []
            for name in names:
                info = self._module("community.docker.docker_container_info", dict(docker or {}, name=name))
                if info.get("failed"):
                    raise AnsibleActionFail("reading %s failed: %s" % (name, info.get("msg", "")))
                verdict, state, output = judge(info.get("container") if info.get("exists") else None)
                states[name] = {"state": state, "output": output}
                (broken if verdict == "broken" else waiting if verdict == "wait" else []).append(name)
            elapsed = round(time.monotonic() - started, 2)
            if broken:
                return "broken", broken, states, elapsed
            if not waiting:
                return "ok", [], states, elapsed
            if elapsed > timeout:
                return "timeout", waiting, states, elapsed
            time.sleep(poll)
