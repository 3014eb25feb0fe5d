"""The app's state directory on a host (plugins/modules/app_state.py), run as Ansible runs it."""

import json
import subprocess
import sys

from conftest import ROOT

MODULE = ROOT / "plugins" / "modules" / "app_state.py"


def run(args, check=False):
    payload = {"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check, _ansible_diff=True)}
    proc = subprocess.run([sys.executable, str(MODULE)], input=json.dumps(payload), capture_output=True, text=True,
                          cwd=ROOT / "tests", env={"PYTHONPATH": str(ROOT / ".collections")})
    return json.loads(proc.stdout)


def test_writes_what_differs_reads_back_and_prunes(tmp_path):
    base = tmp_path / "shop"
    first = run({"path": str(base), "files": {"uwsgi/abc/uwsgi.ini": "[uwsgi]\n"},
                 "secret_files": {"specs/d1.json": "{\"env\": {\"K\": \"secret\"}}"}, "read": ["pool.json"]})
    assert first["changed"] and sorted(first["written"]) == ["specs/d1.json", "uwsgi/abc/uwsgi.ini"]
    assert first["contents"] == {"pool.json": None}
    assert "secret" not in json.dumps(first["diff"])
    assert (base / "specs" / "d1.json").stat().st_mode & 0o777 == 0o600
    again = run({"path": str(base), "files": {"uwsgi/abc/uwsgi.ini": "[uwsgi]\n"}, "read": ["uwsgi/abc/uwsgi.ini"]})
    assert not again["changed"] and again["contents"]["uwsgi/abc/uwsgi.ini"] == "[uwsgi]\n"
    (base / "specs" / "d0.json").write_text("{}")
    pruned = run({"path": str(base), "prune": {"specs": ["d1.json"], "missing": []}})
    assert pruned["removed"] == ["specs/d0.json"] and not (base / "specs" / "d0.json").exists()


def test_check_mode_writes_nothing_and_paths_stay_inside(tmp_path):
    base = tmp_path / "shop"
    dry = run({"path": str(base), "files": {"pool.json": "{}"}}, check=True)
    assert dry["changed"] and not base.exists()
    escape = run({"path": str(base), "files": {"../outside": "x"}})
    assert escape["failed"] and "not a path inside" in escape["msg"] and not (tmp_path / "outside").exists()
