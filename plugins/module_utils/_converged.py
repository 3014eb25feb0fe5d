# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a host still runs what the last finished deploy of the same inputs left there
(private helper of the pyfleet.wsgi collection; used by the converged module and action).

A deploy that finishes writes a record on each host: the digest of its inputs, the app's
running containers by id, the port guard rules and a digest of the app's state and config
directories. A later deploy with the same inputs has nothing to do on a host whose record
still matches what the host shows now; any difference is a reason to run the whole deploy.
"""

from __future__ import annotations

import hashlib
import json
import os

from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import tree_digest

RECORD = "converged.json"
# Entries of a state directory that change while the deployment does not: the record itself,
# the deploy lock (held while the record is written), the audit trail (a log of the runs,
# written after the record) and temporary files.
VOLATILE = (RECORD, "deploy.lock", "audit.jsonl", ".*")
# What of the collection decides what a deploy does.
CODE = ("plugins", "roles", "templates", "playbooks")


def inputs_digest(parts):
    """SHA-256 of ``parts`` (JSON-able, order of keys ignored)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_digest(root):
    """Digest of the collection's code below ``root`` (plugins, roles, templates, playbooks)."""
    return inputs_digest([tree_digest(os.path.join(root, d)) if os.path.isdir(os.path.join(root, d)) else None
                          for d in CODE])


def dir_digest(path):
    """Digest of a state or config directory without its volatile entries; None when it is
    absent or holds none but them (the record's own directory, made when it is written)."""
    if not os.path.isdir(path):
        return None
    found = tree_digest(path, VOLATILE)
    return None if found == tree_digest_of_nothing() else found


def tree_digest_of_nothing():
    """The digest of a directory without files."""
    return hashlib.sha256().hexdigest()


def health(status):
    """The health in a container list's ``Status`` text: healthy, unhealthy, starting or none."""
    for word, verdict in (("(unhealthy)", "unhealthy"), ("(health: starting)", "starting"), ("(healthy)", "healthy")):
        if word in status:
            return verdict
    return "none"


def observe(items):
    """The engine's container list (GET /containers/json) by name: id, state and health."""
    seen = {}
    for item in items:
        names = item.get("Names") or []
        if not names:
            continue
        seen[names[0].lstrip("/")] = {"id": item.get("Id", ""), "state": item.get("State", ""),
                                      "health": health(item.get("Status", ""))}
    return seen


def snapshot(digest, containers, guards, trees):
    """The record a finished deploy leaves: its inputs' digest and what runs now."""
    return {"digest": digest,
            "containers": {n: c["id"] for n, c in sorted(containers.items()) if c["state"] == "running"},
            "guards": list(guards), "trees": dict(trees)}


def differences(record, digest, containers, guards, trees, locked_by=None):
    """Why the host is not what the last finished deploy of ``digest`` left; empty when it is.

    ``locked_by`` is the holder of the deploy lock found on the host, if any: a rollout may be
    under way (or was interrupted), so what the host shows proves nothing.
    """
    if locked_by is not None:
        return ["the deploy lock is held (%s)" % (locked_by.strip() or "holder unknown")]
    if not isinstance(record, dict):
        return ["no deploy has finished on this host since it keeps records"]
    if record.get("digest") != digest:
        return ["the inputs differ from those of the last deploy that finished here"]
    reasons = []
    recorded = record.get("containers") or {}
    for name, cid in sorted(recorded.items()):
        now = containers.get(name)
        if now is None:
            reasons.append("%s is gone" % name)
        elif now["id"] != cid:
            reasons.append("%s was recreated by something else than a deploy" % name)
        elif now["state"] != "running":
            reasons.append("%s is %s" % (name, now["state"] or "not running"))
        elif now["health"] == "unhealthy":
            reasons.append("%s is unhealthy" % name)
    for name in sorted(set(containers) - set(recorded)):
        if containers[name]["state"] == "running":
            reasons.append("%s runs, but no deploy left it running" % name)
    if list(guards) != list(record.get("guards") or []):
        reasons.append("the port guard rules differ from those the last deploy left")
    for path, value in sorted(trees.items()):
        if (record.get("trees") or {}).get(path) != value:
            reasons.append("%s differs from what the last deploy left" % path)
    return reasons
