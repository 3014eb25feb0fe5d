# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One batch of a rollout and the way back (documented in plugins/modules/batch.py).

Every host of the rollout's play runs each step together, so each decides alike from what
every host reported (module_utils/_batch.py):

- ``gate`` after a step of the batch: fails on every host at once when a step failed on any,
  so the play's rescue takes the way back; else returns the members the frontends balance
  over;
- ``report`` records, on the host it failed on, a step that failed (a frontend that did not
  move, requests that failed through it), for the next gate;
- ``back`` builds the previous record from what the pool hosts said and what stopped the
  rollout; the batch runs again under it;
- ``end`` says how the rollout ended, and fails when it stopped.

It reads the play's hosts and their facts, decides, and changes nothing on any host.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _batch

_STEPS = ("gate", "report", "back", "end")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("step", "after", "record", "pool", "failure"))

    def _hosts(self, task_vars):
        """{name: facts} of every host of the play, the failed ones too."""
        hostvars = task_vars.get("hostvars") or {}
        names = task_vars.get("ansible_play_hosts_all") or list(hostvars)
        return {name: hostvars[name] for name in names if name in hostvars}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args, task_vars = self._task.args, task_vars or {}
        step = args.get("step")
        if step not in _STEPS:
            raise AnsibleActionFail("step is %r: use one of %s" % (step, ", ".join(_STEPS)))
        result["changed"] = False
        if step == "report":
            failure = " ".join(str(args.get("failure") or "").split())
            result.update(msg=failure or "nothing failed", ansible_facts={_batch.STEP_FAILURE: failure})
            return result
        record = args.get("record")
        if not isinstance(record, Mapping) or not record.get("image"):
            raise AnsibleActionFail("record is %r: give the release record (pyfleet_release) or the record "
                                    "the step back returned" % (record,))
        record = dict(record)
        pool = list(args.get("pool") or [])
        hosts = self._hosts(task_vars)
        try:
            if step == "gate":
                verdict = _batch.gate(args.get("after"), hosts, pool, record)
                result.update(verdict)
                result["failed"] = not verdict["ok"]
            elif step == "back":
                said, batch = _batch.stopped_by(hosts)
                back = _batch.back(hosts, pool, record, said, batch)
                where = ", ".join(back["hosts"]) or "no host (none had moved)"
                result.update(record=back, msg="going back to %s on %s" % (back["image"], where),
                              outcome=_batch.going_back(back))
            else:
                result.update(_batch.end(record))
        except ValueError as exc:
            raise AnsibleActionFail(str(exc))
        return result
