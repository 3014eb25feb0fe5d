# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One batch of a rollout, and the way back (playbooks/tasks/rollout_batch.yml, run by the
batch action, plugins/action/batch.py).

A batch runs under a record: the release record of the run (module_utils/_release.py) on the
way forward, or the previous record, built by ``back`` from what the pool hosts said, on the
way back. After each step (members started, frontends moved, requests checked) ``gate`` reads
what every host of the play reported and either lets the batch go on, with the members the
frontends balance over, or stops it with the failures in words. When the rollout stops,
``back`` names the hosts whose members changed and the spec each returns to; the same batch,
run under that record, puts them back, and ``end`` tells how the rollout ended.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.pyfleet.wsgi.plugins.module_utils._release import version_of
from ansible_collections.pyfleet.wsgi.plugins.module_utils._shapes import show

STEPS = ("started", "moved", "verified")
# What a pool host's start reports (the pool action) and what any host reports of a step
# that failed on it (the batch action's ``report``).
POOL_FAILURE = "pyfleet_pool_failure"
STEP_FAILURE = "pyfleet_batch_failure"
STOPPED = "stopped: a step failed before the rollout finished, see the output of the run"


def host_value(host, name, default):
    """A variable of a host's hostvars (a Mapping, HostVarsVars, not a dict); ``default``
    when it is unset or null."""
    value = host.get(name, default) if isinstance(host, Mapping) else default
    return default if value is None else value


def _unique_words(texts):
    """``texts`` with their whitespace folded, each once, the empty ones left out."""
    said = []
    for text in texts:
        text = " ".join(str(text or "").split())
        if text and text not in said:
            said.append(text)
    return said


def _by_batch(record):
    """Whether a batch's gate stopped the rollout the record goes back from (else another step)."""
    return record.get("stopped_in", "batch") == "batch"


def failures(hosts, record):
    """What failed on ``hosts`` ({name: hostvars}), in words, less what stopped the rollout
    before the way back began (the record's ``stopped_by``)."""
    known = set(record.get("stopped_by") or [])
    said = _unique_words(host_value(vars_, name, "") for vars_ in hosts.values() for name in (POOL_FAILURE, STEP_FAILURE))
    return [text for text in said if text not in known]


def upstreams(hosts, pool):
    """What each pool host published it serves (pyfleet_pool_members), for the frontends and the
    check through them; None for a host that published nothing, [] for one that serves none yet."""
    return {name: host_value(hosts.get(name) or {}, "pyfleet_pool_members", None) for name in pool}


def going_back(record):
    """What the audit trail says of a run that ended while going back."""
    if _by_batch(record):
        return "failed: %s Going back did not finish." % " ".join(record.get("stopped_by") or [])
    return STOPPED + " Going back did not finish."


def gate(step, hosts, pool, record):
    """After ``step`` of a batch: may the batch go on?

    Returns {ok, step, failures, upstreams, members, msg, outcome}; ``outcome`` is what the
    audit trail says if the run ended here."""
    if step not in STEPS:
        raise ValueError("step is %s: use one of %s" % (show(step), ", ".join(STEPS)))
    said = failures(hosts, record)
    ups = upstreams(hosts, pool)
    # Each pool host's members, as the check through the frontends takes them.
    members = [ms for ms in ups.values() if ms]
    back = record.get("direction") == "back"
    result = {"ok": not said, "step": step, "failures": said, "upstreams": ups, "members": members,
              "record": record}
    if back:
        head = "The rollout of %s stopped: %s" % (record.get("rolled_out"), " ".join(record.get("stopped_by") or []))
        if said:
            result.update(upstreams={}, members=[])
            result["msg"] = "%s Putting the moved hosts back failed too: %s" % (head, " ".join(said))
            result["outcome"] = "failed: %s Going back failed too." % " ".join(
                record.get("stopped_by") if _by_batch(record) else said)
        else:
            result["msg"] = "Going back to %s: %s" % (record.get("image"), step)
            result["outcome"] = going_back(record)
    elif said:
        result.update(upstreams={}, members=[])
        result["msg"] = " ".join(said)
        result["outcome"] = "failed: %s" % " ".join(said)
    else:
        serving = ", ".join(n for n, ms in ups.items() if ms) or "no host"
        result["msg"] = "%s: %d member(s) serve on %s" % (step, sum(len(ms) for ms in members), serving)
        result["outcome"] = STOPPED
    return result


def back(hosts, pool, release, stopped_by, batch=True):
    """The previous record: the pool hosts whose members the rollout changed
    (pyfleet_pool_moved), each back to the spec that served before it
    (pyfleet_pool_serving_digest, kept on the host), or, for members made before specs were
    kept, to the image it ran before (pyfleet_pool_previous_image) with today's settings.
    ``static`` is the version whose static files the frontends serve again; ``batch`` says
    whether a batch's gate stopped the rollout (else another step failed)."""
    moved = [name for name in pool if host_value(hosts.get(name) or {}, "pyfleet_pool_moved", False)]
    images = [str(host_value(hosts[name], "pyfleet_pool_previous_image", "")) for name in moved]
    previous = next((i for i in images if i), "") or release.get("image", "")
    said = _unique_words(stopped_by) or ["a step failed, see the output of the run."]
    record = {key: release.get(key) for key in ("app", "action", "context", "bases")}
    record.update(
        direction="back", image=previous, static=previous,
        version=version_of(previous),
        hosts=moved, batches=[moved] if moved else [],
        specs={name: str(host_value(hosts[name], "pyfleet_pool_serving_digest", "")) for name in moved},
        stopped_by=said, stopped_in="batch" if batch else "step", rolled_out=release.get("image", ""))
    return record


def stopped_by(hosts):
    """What stopped the rollout, from every host's failed step (ansible_failed_result): a gate
    names the failures of the batch, any other step its message. Returns (failures, batch):
    ``batch`` is true when a gate stopped it, false when another step failed."""
    texts, batch = [], False
    for vars_ in hosts.values():
        failed = host_value(vars_, "ansible_failed_result", {})
        if not isinstance(failed, Mapping):
            continue
        batch = batch or bool(failed.get("failures"))
        texts.extend(failed.get("failures") or [failed.get("msg", "")])
    return _unique_words(texts), batch


def end(record):
    """How the rollout ended, once every batch ran (``record`` forward) or the way back did.

    The audit trail keeps the failures of a batch (``failed: ...``); a step outside the batches
    (a release command, shipping the image) that failed is only ``stopped``: its output, which
    the run shows, stays out of the trail."""
    if record.get("direction") != "back":
        return {"failed": False, "outcome": "ok", "record": record,
                "msg": "%s of %s finished" % (record.get("action", "deploy"), record.get("image"))}
    hosts = record.get("hosts") or []
    stopped = " ".join(record.get("stopped_by") or [])
    tail = ("The hosts it had moved (%s) are back on their previous version." % ", ".join(hosts) if hosts
            else "No host had moved: every one runs what it ran before.")
    outcome = ("failed: %s The moved hosts went back." % stopped if _by_batch(record)
               else STOPPED + (" The moved hosts went back." if hosts else ""))
    return {"failed": True, "record": record, "outcome": outcome,
            "msg": "The rollout of %s stopped: %s %s" % (record.get("rolled_out"), stopped, tail)}
