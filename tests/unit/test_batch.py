"""One batch of a rollout and the way back (plugins/module_utils/_batch.py, plugins/action/batch.py)."""

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _batch, _release

ROOT = Path(__file__).resolve().parents[2]
RELEASE = _release.record("shop", "deploy", "shop:2", "/ctx", [], ["web1", "web2", "web3"], "2")


class HostVars(Mapping):
    """What hostvars hands an action for a host: a Mapping, not a dict."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def _pool(name, moved=False, image="", spec="", members=None, failure=""):
    return {"inventory_hostname": name, "pyfleet_pool_moved": moved, "pyfleet_pool_previous_image": image,
            "pyfleet_pool_serving_digest": spec, "pyfleet_pool_failure": failure,
            "pyfleet_pool_members": members if members is not None else [{"name": name + "-1"}]}


def test_the_release_record_runs_forward_with_nothing_to_restore():
    assert RELEASE["direction"] == "forward" and RELEASE["specs"] == {} and RELEASE["stopped_by"] == []
    assert RELEASE["static"] == RELEASE["rolled_out"] == "shop:2"


def test_the_gate_opens_while_no_host_reported_a_failure_and_hands_on_the_members():
    hosts = {"web1": _pool("web1"), "web2": _pool("web2", members=[]), "lb1": {"pyfleet_batch_failure": " "}}
    verdict = _batch.gate("started", hosts, ["web1", "web2", "web3"], RELEASE)
    assert verdict["ok"] and verdict["failures"] == []
    # web2 serves nothing yet (a first deploy); web3 published nothing
    assert verdict["upstreams"] == {"web1": [{"name": "web1-1"}], "web2": [], "web3": None}
    assert verdict["members"] == [[{"name": "web1-1"}]]
    assert verdict["record"] == RELEASE
    assert verdict["msg"] == "started: 1 member(s) serve on web1"


def test_the_gate_closes_with_every_failure_once_in_host_order():
    hosts = {"web1": _pool("web1", failure="web1: members unhealthy"),
             "lb1": HostVars({"pyfleet_batch_failure": " lb1: frontend\n did not move "}),
             "web2": _pool("web2", failure="web1: members unhealthy")}
    verdict = _batch.gate("moved", hosts, ["web1", "web2"], RELEASE)
    assert not verdict["ok"]
    assert verdict["failures"] == ["web1: members unhealthy", "lb1: frontend did not move"]
    assert verdict["msg"] == "web1: members unhealthy lb1: frontend did not move"
    assert verdict["outcome"] == "failed: web1: members unhealthy lb1: frontend did not move"


def test_an_unknown_step_is_refused():
    with pytest.raises(ValueError, match=r'^step is "retired": use one of started, moved, verified$'):
        _batch.gate("retired", {}, [], RELEASE)


def test_only_hosts_whose_members_changed_go_back_each_to_its_own_spec():
    hosts = {"web1": _pool("web1", True, "shop:1", "aaaa"), "web2": _pool("web2"),
             "web3": _pool("web3", True, "shop:1", "bbbb"), "lb1": {}}
    record = _batch.back(hosts, ["web1", "web2", "web3"], RELEASE, ["web3: members unhealthy", "web3: members unhealthy"])
    assert record["direction"] == "back" and record["hosts"] == ["web1", "web3"] and record["batches"] == [["web1", "web3"]]
    assert record["specs"] == {"web1": "aaaa", "web3": "bbbb"}
    assert record["image"] == record["static"] == "shop:1" and record["version"] == "1"
    assert record["stopped_by"] == ["web3: members unhealthy"] and record["rolled_out"] == "shop:2"


def test_a_settings_only_rollout_goes_back_on_the_same_image():
    record = _batch.back({"web1": _pool("web1", True, "", "aaaa")}, ["web1"], RELEASE, ["x"])
    assert record["hosts"] == ["web1"] and record["image"] == "shop:2" and record["specs"] == {"web1": "aaaa"}


def test_nothing_moved_nothing_goes_back_and_the_end_says_so():
    record = _batch.back({"web1": _pool("web1"), "web2": {}}, ["web1", "web2"], RELEASE, [])
    assert record["hosts"] == [] and record["stopped_by"] == ["a step failed, see the output of the run."]
    end = _batch.end(record)
    assert end["failed"] is True
    assert end["msg"] == ("The rollout of shop:2 stopped: a step failed, see the output of the run. "
                          "No host had moved: every one runs what it ran before.")


def test_on_the_way_back_the_failures_that_stopped_the_rollout_do_not_count_again():
    record = _batch.back({"web1": _pool("web1", True, "shop:1", "aaaa")}, ["web1"], RELEASE, ["web2: members unhealthy"])
    hosts = {"web1": _pool("web1"), "web2": _pool("web2", failure="web2:  members unhealthy")}
    verdict = _batch.gate("started", hosts, ["web1", "web2"], record)
    assert verdict["ok"] and verdict["outcome"] == "failed: web2: members unhealthy Going back did not finish."
    hosts["lb1"] = {"pyfleet_batch_failure": "lb1: frontend did not move"}
    verdict = _batch.gate("moved", hosts, ["web1", "web2"], record)
    assert not verdict["ok"]
    assert verdict["msg"] == ("The rollout of shop:2 stopped: web2: members unhealthy Putting the moved hosts back "
                              "failed too: lb1: frontend did not move")
    assert verdict["outcome"] == "failed: web2: members unhealthy Going back failed too."


def test_the_end_of_a_rollout_that_went_back_names_the_hosts():
    record = _batch.back({"web1": _pool("web1", True, "shop:1", "aaaa")}, ["web1"], RELEASE, ["web2: unhealthy"])
    end = _batch.end(record)
    assert end["failed"] and end["outcome"] == "failed: web2: unhealthy The moved hosts went back."
    assert end["msg"] == ("The rollout of shop:2 stopped: web2: unhealthy The hosts it had moved (web1) are back "
                          "on their previous version.")
    assert _batch.end(RELEASE) == {"failed": False, "outcome": "ok", "record": RELEASE,
                                   "msg": "deploy of shop:2 finished"}


def test_what_stopped_the_rollout_is_read_from_every_failed_step():
    hosts = {"web1": {"ansible_failed_result": {"failed": True, "failures": ["a", "b"], "msg": "a b"}},
             "web2": HostVars({"ansible_failed_result": {"msg": "distribute failed\n on web2"}}),
             "lb1": {"ansible_failed_result": {"failures": ["b"]}}, "lb2": {"ansible_failed_result": "odd"}}
    assert _batch.stopped_by(hosts) == (["a", "b", "distribute failed on web2"], True)
    assert _batch.stopped_by({"web2": hosts["web2"], "lb1": {}}) == (["distribute failed on web2"], False)


def test_a_step_outside_the_batches_that_failed_is_only_stopped_in_the_trail():
    # a release command's output may say anything: it stays in the run's output
    record = _batch.back({"web1": _pool("web1")}, ["web1"], RELEASE, ["The release commands of shop:2 failed"], False)
    end = _batch.end(record)
    assert end["failed"] and end["outcome"] == _batch.STOPPED
    assert end["msg"] == ("The rollout of shop:2 stopped: The release commands of shop:2 failed No host had moved: "
                          "every one runs what it ran before.")
    assert _batch.going_back(record) == _batch.STOPPED + " Going back did not finish."


PLAYBOOK = textwrap.dedent("""\
    - hosts: all
      gather_facts: false
      any_errors_fatal: true
      tasks:
        - name: Roll out
          block:
            - name: Start
              ansible.builtin.set_fact:
                pyfleet_pool_moved: "{{ inventory_hostname in ['web1', 'web2'] }}"
                pyfleet_pool_previous_image: shop:1
                pyfleet_pool_serving_digest: "spec-{{ inventory_hostname }}"
                pyfleet_pool_members: [{name: "{{ inventory_hostname }}-1"}]
                pyfleet_pool_failure: "{{ 'On web2, the new members did not get healthy' if inventory_hostname == 'web2' else '' }}"
              when: inventory_hostname != 'lb1'
            - name: Gate
              pyfleet.wsgi.batch: {step: gate, after: started, record: "{{ release }}", pool: [web1, web2]}
              register: __rollout
            - name: Never reached
              ansible.builtin.debug: {msg: reached}
          rescue:
            - name: Back
              pyfleet.wsgi.batch: {step: back, record: "{{ release }}", pool: [web1, web2]}
              register: __rollout
            - name: Gate on the way back
              pyfleet.wsgi.batch: {step: gate, after: started, record: "{{ __rollout.record }}", pool: [web1, web2]}
              register: __rollout
            - name: End
              pyfleet.wsgi.batch: {step: end, record: "{{ __rollout.record }}"}
              register: __rollout
          always:
            - name: Outcome
              ansible.builtin.copy:
                dest: "{{ out }}/{{ inventory_hostname }}.json"
                content: "{{ {'outcome': __rollout.outcome, 'hosts': __rollout.record.hosts} | to_json }}"
              delegate_to: localhost
    """)


def test_a_failed_gate_sends_every_host_the_same_way_back(tmp_path):
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    (tmp_path / "inventory.yml").write_text(json.dumps({"all": {"hosts": {
        name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        for name in ("web1", "web2", "lb1")}}}))
    release = _release.record("shop", "deploy", "shop:2", "", [], ["web1", "web2"], "2")
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"))
    run = subprocess.run(["ansible-playbook", "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml"),
                          "-e", json.dumps({"release": release, "out": str(tmp_path)})],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert run.returncode == 2, run.stdout[-3000:]
    assert "reached" not in run.stdout
    said = {name: json.loads((tmp_path / ("%s.json" % name)).read_text()) for name in ("web1", "web2", "lb1")}
    assert all(s == {"outcome": "failed: On web2, the new members did not get healthy The moved hosts went back.",
                     "hosts": ["web1", "web2"]} for s in said.values()), said
    assert ("The rollout of shop:2 stopped: On web2, the new members did not get healthy The hosts it had moved "
            "(web1, web2) are back on their previous version.") in run.stdout
    recap = [line.split() for line in run.stdout.splitlines() if line.split()[:1] in (["web1"], ["web2"], ["lb1"])]
    assert len(recap) == 3 and all("failed=1" in line and "rescued=1" in line for line in recap), recap
