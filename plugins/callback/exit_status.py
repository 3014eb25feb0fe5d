# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End ansible-playbook with the exit status of the command a play ran.

``playbooks/exec.yml`` publishes its command's status with ``ansible.builtin.set_stats``
(``pyfleet_exit_status``). ansible-playbook itself only knows 0, 2 (a task failed), 4 (a
host was unreachable) and a few more; with this callback enabled, a run whose command exited
non-zero ends with that status instead, after the recap, so scripts and CI jobs can use it
like ``docker exec``'s.
"""
from __future__ import annotations

DOCUMENTATION = r"""
name: exit_status
type: aggregate
short_description: End the run with the exit status of the command it ran
version_added: 0.7.0
description:
  - Reads the custom stat C(pyfleet_exit_status) that C(playbooks/exec.yml) sets with
    M(ansible.builtin.set_stats).
  - When it is a status from 1 to 255, ansible-playbook exits with it after the play recap.
  - Runs without that stat, or whose command exited 0, keep ansible-playbook's own exit code.
requirements:
  - Enable it, e.g. C(ANSIBLE_CALLBACKS_ENABLED=pyfleet.wsgi.exit_status), or in C(callbacks_enabled) of ansible.cfg.
"""

from ansible.plugins.callback import CallbackBase  # noqa: E402 (after the documentation)

STAT = "pyfleet_exit_status"


def exit_status(custom):
    """The status to exit with, from set_stats' custom data, or None to keep Ansible's own.

    ``custom`` is ``AggregateStats.custom``: ``{"_run": {...}}`` for run-wide stats and
    ``{host: {...}}`` for per-host ones. A status outside 1..255 is not a command's failure
    status and is ignored.
    """
    for scope in sorted(custom or {}, key=lambda name: name != "_run"):
        data = custom[scope]
        if not isinstance(data, dict) or STAT not in data:
            continue
        try:
            status = int(data[STAT])
        except (TypeError, ValueError):
            continue
        if 1 <= status <= 255:
            return status
    return None


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "pyfleet.wsgi.exit_status"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_stats(self, stats):
        status = exit_status(getattr(stats, "custom", {}))
        if status is not None:
            # The stdout callback has printed the recap (it is always called first); the
            # executor's cleanup runs on the way out (SystemExit passes its handlers).
            raise SystemExit(status)
