# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait until containers are healthy; fail at once when one is known to be broken.

Looks at each container with community.docker.docker_container_info every `poll` seconds and
judges it (module_utils/_health.py): all healthy ends the wait; one that exited, restarted or
turned unhealthy fails it at once with its health check's last output; `timeout` fails it too.
"""

from __future__ import annotations

import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.pyfleet.wsgi.plugins.module_utils._health import judge

_DOCKER_ARGS = frozenset(("docker_host",))


def _describe(states, names):
    return "; ".join("%s (%s): %s" % (n, states[n]["state"], states[n]["output"] or "no output") for n in names)


class ActionModule(ActionBase):
    _VALID_ARGS = frozenset(("names", "timeout", "poll")) | _DOCKER_ARGS

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        names = self._task.args.get("names")
        if isinstance(names, str) or not isinstance(names, (list, tuple)) or not names:
            raise AnsibleActionFail("names must be a non-empty list of container names, got %r" % (names,))
        try:
            timeout = float(self._task.args.get("timeout", 120))
            poll = float(self._task.args.get("poll", 1))
        except (TypeError, ValueError):
            raise AnsibleActionFail("timeout and poll must be numbers of seconds")
        docker = {k: v for k, v in self._task.args.items() if k in _DOCKER_ARGS}
        result.update(changed=False, states={}, elapsed=0.0)
        if self._task.check_mode:
            result["msg"] = "a dry run started nothing to wait for"
            return result
        started = time.monotonic()
        states = result["states"]
        while True:
            broken, waiting = [], []
            for name in names:
                info = self._execute_module(module_name="community.docker.docker_container_info",
                                            module_args=dict(docker, name=name), task_vars=task_vars)
                if info.get("failed"):
                    raise AnsibleActionFail("reading %s failed: %s" % (name, info.get("msg", "")))
                verdict, state, output = judge(info.get("container") if info.get("exists") else None)
                states[name] = {"state": state, "output": output}
                (broken if verdict == "broken" else waiting if verdict == "wait" else []).append(name)
            result["elapsed"] = round(time.monotonic() - started, 2)
            if broken:
                result.update(failed=True, broken=broken, msg=_describe(states, broken))
                return result
            if not waiting:
                result["msg"] = "%s healthy after %.1f s" % (", ".join(names), result["elapsed"])
                return result
            if result["elapsed"] > timeout:
                result.update(failed=True, broken=waiting,
                              msg="not healthy after %d s: %s" % (timeout, _describe(states, waiting)))
                return result
            time.sleep(poll)
