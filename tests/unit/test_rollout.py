"""The rollout's decisions between hosts (plugins/filter/rollout.py): the batch gate and the way back."""

from collections.abc import Mapping

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.filter import rollout


def test_the_gate_is_open_while_no_host_recorded_a_failure():
    assert rollout.batch_gate([{"inventory_hostname": "a"}, {"pyfleet_pool_failure": ""},
                               {"pyfleet_rollout_step_failure": None}]) == []


def test_the_gate_closes_with_every_failure_once_in_host_order():
    hosts = [{"pyfleet_pool_failure": "web2: members unhealthy"},
             {"pyfleet_rollout_step_failure": " lb1: frontend did not move "},
             {"pyfleet_pool_failure": "web2: members unhealthy", "pyfleet_rollout_step_failure": ""}]
    assert rollout.batch_gate(hosts) == ["web2: members unhealthy", "lb1: frontend did not move"]


def _host(name, moved=False, image="", spec=""):
    return {"inventory_hostname": name, "pyfleet_pool_moved": moved, "pyfleet_pool_previous_image": image,
            "pyfleet_pool_serving_digest": spec}


def test_only_hosts_whose_members_changed_go_back_each_to_its_own_spec():
    plan = rollout.revert_plan([_host("web1", True, "shop:1", "aaaa"), _host("web2"), _host("web3", True, "shop:1", "bbbb")],
                               "shop:2")
    assert plan["hosts"] == ["web1", "web3"]
    assert plan["specs"] == {"web1": "aaaa", "web3": "bbbb"}
    assert plan["image"] == plan["static"] == "shop:1"


def test_a_settings_only_rollout_goes_back_on_the_same_image():
    plan = rollout.revert_plan([_host("web1", True, "", "aaaa")], "shop:2")
    assert plan["hosts"] == ["web1"] and plan["image"] == "shop:2" and plan["specs"]["web1"] == "aaaa"


def test_nothing_moved_nothing_goes_back():
    assert rollout.revert_plan([_host("web1"), {"inventory_hostname": "web2"}], "shop:2")["hosts"] == []


def test_revert_plan_needs_a_list():
    with pytest.raises(AnsibleFilterError):
        rollout.revert_plan("web1", "shop:2")


class HostVars(Mapping):
    """What map('extract', hostvars) hands a filter: a Mapping, not a dict."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def test_gate_and_plan_read_hostvars_mappings():
    hosts = [HostVars({"pyfleet_rollout_step_failure": "lb1: frontend did not move"}),
             HostVars(_host("web1", True, "shop:1", "aaaa"))]
    assert rollout.batch_gate(hosts) == ["lb1: frontend did not move"]
    assert rollout.revert_plan(hosts, "shop:2")["hosts"] == ["web1"]
