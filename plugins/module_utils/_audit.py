# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit trail's decisions, as pure functions the audit action (plugins/action/audit.py)
calls: what one record holds and how the trail on a host grows.

Each pool host keeps ``audit.jsonl`` in the app's state directory, one JSON record per line,
oldest first: every deploy, rollback and scale, and every rollout that failed.
"""

from __future__ import annotations

import json

KEEP = 500


def git_state(commit_out, status_out):
    """The commit and dirty flag of a git checkout from ``git rev-parse HEAD`` and ``git status
    --porcelain`` outputs (None when the source is not a git checkout)."""
    commit = (commit_out or "").strip()
    if len(commit) < 7 or any(c not in "0123456789abcdef" for c in commit):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool((status_out or "").strip())}


def record(when, who, action, version, outcome, git):
    """One line of the trail."""
    return {"when": when, "who": who, "action": action, "version": version,
            "commit": git.get("commit"), "dirty": git.get("dirty"), "outcome": outcome or "ok"}


def parse(text):
    """The records of a trail, oldest first; lines that are not records are skipped."""
    found = []
    for line in (text or "").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            found.append(entry)
    return found


def append(text, entry, keep=KEEP):
    """The trail with ``entry`` added, the oldest records beyond ``keep`` dropped."""
    entries = parse(text) + [entry]
    return "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries[-keep:])


def last(text, count=10):
    """The newest ``count`` records, newest first, as one line each for a person."""
    lines = []
    for entry in reversed(parse(text)[-count:]):
        commit = entry.get("commit")
        source = ("%s%s" % (commit[:12], "+dirty" if entry.get("dirty") else "")) if commit else "no git"
        lines.append("%s %s %s by %s (%s): %s" % (entry.get("when", "?"), entry.get("action", "?"), entry.get("version", "?"),
                                                  entry.get("who", "?"), source, entry.get("outcome", "?")))
    return lines
