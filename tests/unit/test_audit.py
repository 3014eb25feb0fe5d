"""The audit trail's decisions (plugins/module_utils/_audit.py)."""
import json

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _audit as a


def test_git_state_of_a_checkout_and_of_none():
    assert a.git_state("3f2a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f70\n", "") == {
        "commit": "3f2a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f70", "dirty": False}
    assert a.git_state("3f2a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f70\n", " M app.py\n")["dirty"] is True
    assert a.git_state("", "") == {"commit": None, "dirty": None}
    assert a.git_state("fatal: not a git repository\n", "") == {"commit": None, "dirty": None}


def test_append_keeps_the_newest_and_skips_junk():
    text = "not json\n" + "".join(json.dumps({"n": n}) + "\n" for n in range(5))
    out = a.append(text, {"n": 5}, keep=3)
    assert [e["n"] for e in a.parse(out)] == [3, 4, 5]


def test_last_reads_newest_first_for_a_person():
    git = {"commit": "3f2a9c1b7d0e4f5a", "dirty": True}
    text = a.append("", a.record("2026-11-26T10:00:00Z", "ann@ctl", "deploy", "shop:aaa", "ok", git))
    text = a.append(text, a.record("2026-11-26T11:00:00Z", "bob@ctl", "rollback", "shop:bbb", "failed: x", {}))
    assert a.last(text, 10) == [
        "2026-11-26T11:00:00Z rollback shop:bbb by bob@ctl (no git): failed: x",
        "2026-11-26T10:00:00Z deploy shop:aaa by ann@ctl (3f2a9c1b7d0e+dirty): ok",
    ]
    assert len(a.last(text, 1)) == 1


def test_a_record_without_outcome_is_ok():
    assert a.record("t", "w", "scale", "v", "", {})["outcome"] == "ok"
