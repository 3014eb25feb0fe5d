# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait until containers are healthy; fail at once when one is known to be broken.

Looks at each container with community.docker.docker_container_info every `poll` seconds and
judges it (module_utils/_health.py): all healthy ends the wait; one that exited, restarted or
turned unhealthy fails it at once with its health check's last output; `timeout` fails it too.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.pyfleet.wsgi.plugins.plugin_utils._action import PyfleetAction, describe

_DOCKER_ARGS = frozenset(("docker_host",))


class ActionModule(PyfleetAction):
    _VALID_ARGS = frozenset(("names", "timeout", "poll")) | _DOCKER_ARGS

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self._vars = task_vars
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
        verdict, late, states, elapsed = self._await_healthy(names, timeout, poll, docker)
        result.update(states=states, elapsed=elapsed)
        if verdict == "broken":
            result.update(failed=True, broken=late, msg=describe(states, late))
        elif verdict == "timeout":
            result.update(failed=True, broken=late, msg="not healthy after %d s: %s" % (timeout, describe(states, late)))
        else:
            result["msg"] = "%s healthy after %.1f s" % (", ".join(names), elapsed)
        return result
