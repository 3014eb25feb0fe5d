"""Whether a deploy has anything to do on a host (plugins/module_utils/_converged.py), the
record the converged module keeps, and the gate over the fleet (deploy_needed)."""

import json
import os
import subprocess
import sys

from conftest import ROOT

from ansible_collections.pyfleet.wsgi.plugins.filter.rollout import deploy_needed
from ansible_collections.pyfleet.wsgi.plugins.module_utils import _converged
from ansible_collections.pyfleet.wsgi.plugins.module_utils._guard import chain_lines, chain_name

RUNNING = {"web-1": {"id": "a1", "state": "running", "health": "healthy"},
           "web-frontend": {"id": "f1", "state": "running", "health": "none"}}
GUARDS = ["-A DOCKER-USER -d 10.0.0.2/32 -j PYF-web-pool", "-N PYF-web-pool"]
TREES = {"/etc/pyfleet/web": "t1"}


def record(**changes):
    snap = _converged.snapshot("d1", RUNNING, GUARDS, TREES)
    snap.update(changes)
    return snap


def test_a_host_that_runs_what_the_record_says_is_converged():
    assert _converged.differences(record(), "d1", RUNNING, GUARDS, TREES) == []
    # A member still starting after the engine restarted it is the same member.
    starting = dict(RUNNING, **{"web-1": dict(RUNNING["web-1"], health="starting")})
    assert _converged.differences(record(), "d1", starting, GUARDS, TREES) == []


def test_no_record_or_other_inputs_mean_the_whole_deploy_runs():
    assert _converged.differences(None, "d1", RUNNING, GUARDS, TREES) == [
        "no deploy has finished on this host since it keeps records"]
    assert _converged.differences(record(), "d2", RUNNING, GUARDS, TREES) == [
        "the inputs differ from those of the last deploy that finished here"]


def test_every_change_to_the_containers_is_a_reason():
    cases = {
        "web-1 is gone": {"web-frontend": RUNNING["web-frontend"]},
        "web-1 was recreated by something else than a deploy": dict(RUNNING, **{"web-1": dict(RUNNING["web-1"], id="b2")}),
        "web-1 is exited": dict(RUNNING, **{"web-1": dict(RUNNING["web-1"], state="exited")}),
        "web-1 is unhealthy": dict(RUNNING, **{"web-1": dict(RUNNING["web-1"], health="unhealthy")}),
        "web-9 runs, but no deploy left it running": dict(RUNNING, **{"web-9": dict(RUNNING["web-1"], id="c3")}),
    }
    for reason, now in cases.items():
        assert _converged.differences(record(), "d1", now, GUARDS, TREES) == [reason]
    # A stopped container the app left behind (a one-off) is no reason.
    stopped = dict(RUNNING, **{"web-release": {"id": "r1", "state": "exited", "health": "none"}})
    assert _converged.differences(record(), "d1", stopped, GUARDS, TREES) == []


def test_guard_rules_gone_after_a_reboot_and_edited_files_are_reasons():
    assert _converged.differences(record(), "d1", RUNNING, [], TREES) == [
        "the port guard rules differ from those the last deploy left"]
    assert _converged.differences(record(), "d1", RUNNING, GUARDS, {"/etc/pyfleet/web": "t2"}) == [
        "/etc/pyfleet/web differs from what the last deploy left"]


def test_a_held_deploy_lock_proves_nothing():
    assert _converged.differences(record(), "d1", RUNNING, GUARDS, TREES, "ops@ci, rolling out web:1\n") == [
        "the deploy lock is held (ops@ci, rolling out web:1)"]
    assert _converged.differences(record(), "d1", RUNNING, GUARDS, TREES, "") == [
        "the deploy lock is held (holder unknown)"]


def test_the_record_keeps_running_containers_by_id_only():
    now = dict(RUNNING, **{"web-release": {"id": "r1", "state": "exited", "health": "none"}})
    assert _converged.snapshot("d1", now, GUARDS, TREES)["containers"] == {"web-1": "a1", "web-frontend": "f1"}


def test_the_engine_list_is_read_by_name_with_health():
    items = [{"Names": ["/web-1"], "Id": "a1", "State": "running", "Status": "Up 2 minutes (healthy)"},
             {"Names": ["/web-2"], "Id": "a2", "State": "running", "Status": "Up 1 second (health: starting)"},
             {"Names": ["/web-3"], "Id": "a3", "State": "running", "Status": "Up 9 minutes (unhealthy)"},
             {"Names": ["/pg"], "Id": "p", "State": "exited", "Status": "Exited (0) 1 hour ago"}, {"Names": []}]
    seen = _converged.observe(items)
    assert {n: s["health"] for n, s in seen.items()} == {"web-1": "healthy", "web-2": "starting", "web-3": "unhealthy",
                                                          "pg": "none"}


def test_guard_lines_are_those_of_the_app_chains_only():
    listing = "\n".join(["-P INPUT ACCEPT", "-N DOCKER-USER", "-N PYF-web-pool", "-N PYF-webshop-pool",
                         "-A DOCKER-USER -d 10.0.0.2/32 -p tcp -m multiport --dports 8100:8101 -j PYF-web-pool",
                         "-A DOCKER-USER -j PYF-webshop-pool", "-A PYF-web-pool -s 10.0.0.9/32 -j RETURN",
                         "-A PYF-web-pool -j DROP", "-A DOCKER-USER -j RETURN"])
    assert chain_lines(listing, [chain_name("web-pool")]) == sorted([
        "-N PYF-web-pool", "-A DOCKER-USER -d 10.0.0.2/32 -p tcp -m multiport --dports 8100:8101 -j PYF-web-pool",
        "-A PYF-web-pool -s 10.0.0.9/32 -j RETURN", "-A PYF-web-pool -j DROP"])


def test_state_directories_digest_without_the_record_the_lock_or_temporary_files(tmp_path):
    base = tmp_path / "web"
    assert _converged.dir_digest(str(base)) is None
    # a directory the record made, on a host where the app keeps nothing else, is no change
    base.mkdir()
    (base / _converged.RECORD).write_text("{}")
    assert _converged.dir_digest(str(base)) is None
    (base / _converged.RECORD).unlink()
    (base / "specs").mkdir(parents=True)
    (base / "pool.json").write_text("{}")
    first = _converged.dir_digest(str(base))
    (base / _converged.RECORD).write_text("{}")
    (base / "deploy.lock").mkdir()
    (base / ".pyfleet-tmp").write_text("x")
    (base / "audit.jsonl").write_text("{}\n")
    assert _converged.dir_digest(str(base)) == first
    (base / "pool.json").write_text('{"members": []}')
    assert _converged.dir_digest(str(base)) != first


def test_the_inputs_digest_ignores_key_order_and_sees_every_value():
    assert _converged.inputs_digest({"a": 1, "b": [1, 2]}) == _converged.inputs_digest({"b": [1, 2], "a": 1})
    assert _converged.inputs_digest({"a": 1, "b": [1, 2]}) != _converged.inputs_digest({"a": 1, "b": [2, 1]})
    assert _converged.code_digest(str(ROOT)) == _converged.code_digest(str(ROOT))


def test_the_deploy_is_needed_unless_every_host_is_converged():
    yes, no = {"pyfleet_converged": {"converged": True, "reasons": []}}, {"pyfleet_converged": {"converged": False}}
    assert deploy_needed([yes, yes]) is False
    assert deploy_needed([yes, no]) is True
    assert deploy_needed([yes, {}]) is True  # a host that did not check (rollback, scale)
    assert deploy_needed([]) is True


def test_the_module_writes_no_record_without_an_engine(tmp_path):
    # Without a reachable engine the module fails; it writes nothing.
    payload = {"ANSIBLE_MODULE_ARGS": {"app": "web", "path": str(tmp_path / "web"), "digest": "d1",
                                       "docker_host": "unix://%s" % (tmp_path / "none.sock"), "state": "present"}}
    proc = subprocess.run([sys.executable, str(ROOT / "plugins" / "modules" / "converged.py")], input=json.dumps(payload),
                          capture_output=True, text=True, cwd=ROOT / "tests",
                          env=dict(os.environ, PYTHONPATH=str(ROOT / ".collections")))
    out = json.loads(proc.stdout)
    assert out["failed"] and not (tmp_path / "web").exists()
