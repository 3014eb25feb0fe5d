import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.filter import pyfleet as f


def test_pool_members_fixed_addresses_and_ports():
    members = f.pool_members("10.0.0.5", 3, 8100, "shop", "web1", "172.30.100.0/24")
    assert [m["name"] for m in members] == ["shop-1", "shop-2", "shop-3"]
    assert [m["port"] for m in members] == [8100, 8101, 8102]
    assert [m["ip"] for m in members] == ["172.30.100.11", "172.30.100.12", "172.30.100.13"]
    assert {m["address"] for m in members} == {"10.0.0.5"}
    assert {m["host"] for m in members} == {"web1"}


@pytest.mark.parametrize("size,base,subnet,message", [
    (0, 8100, "172.30.100.0/24", "at least 1"),
    (2, 65535, "172.30.100.0/24", "outside"),
    (2, 8100, "172.30.100.1/24", "not a network"),
    (8, 8100, "172.30.100.0/29", "too few"),
])
def test_pool_members_refuses_bad_input(size, base, subnet, message):
    with pytest.raises(AnsibleFilterError, match=message):
        f.pool_members("10.0.0.5", size, base, "shop", "web1", subnet)


def test_upstream_uses_network_address_on_own_host_and_published_port_elsewhere():
    a = f.pool_members("10.0.0.5", 2, 8100, "shop", "web1", "172.30.100.0/24")
    b = f.pool_members("10.0.0.6", 2, 8100, "shop", "web2", "172.30.100.0/24")
    seen_from_web1 = [m["endpoint"] for m in f.upstream_servers([b, a], "web1")]
    assert seen_from_web1 == ["172.30.100.11:3031", "172.30.100.12:3031", "10.0.0.6:8100", "10.0.0.6:8101"]
    seen_from_lb = [m["endpoint"] for m in f.upstream_servers([a, b], "lb")]
    assert seen_from_lb == ["10.0.0.5:8100", "10.0.0.5:8101", "10.0.0.6:8100", "10.0.0.6:8101"]


def test_upstream_refuses_two_hosts_on_one_endpoint():
    a = f.pool_members("10.0.0.5", 1, 8100, "shop", "web1", "172.30.100.0/24")
    b = f.pool_members("10.0.0.5", 1, 8100, "shop", "web2", "172.30.100.0/24")
    with pytest.raises(AnsibleFilterError, match="both listen on 10.0.0.5:8100"):
        f.upstream_servers([a, b], "lb")


def test_endpoint_brackets_ipv6():
    assert f._endpoint("fd00::5", 8100) == "[fd00::5]:8100"
    assert f._endpoint("10.0.0.5", 80) == "10.0.0.5:80"
    assert f._endpoint("web1.example", 80) == "web1.example:80"


@pytest.mark.parametrize("cpus,size,expected", [(2, 2, 2), (8, 2, 8), (1, 4, 2), (16, 4, 8)])
def test_uwsgi_sizing_from_cpus(cpus, size, expected):
    assert f.uwsgi_sizing(cpus, size) == {"processes": expected, "threads": 1}


def test_uwsgi_sizing_explicit_values_win():
    assert f.uwsgi_sizing(8, 2, 3, 4) == {"processes": 3, "threads": 4}


def test_content_version_is_stable_and_sensitive():
    v1 = f.content_version(["a", "b"])
    assert v1 == f.content_version(["a", "b"])
    assert len(v1) == 12 and int(v1, 16) >= 0
    assert v1 != f.content_version(["b", "a"])
    assert f.content_version("a") == f.content_version(["a"])


@pytest.mark.parametrize("name,ok", [("hello", True), ("my-app_2", True), ("", False),
                                     ("Hello", False), ("-x", False), ("a" * 64, False), (5, False)])
def test_valid_name(name, ok):
    assert f.valid_name(name) is ok


def test_env_strings():
    assert f.env_strings({"A": 1, "B": True, "C": None, "D": "x"}) == {"A": "1", "B": "true", "C": "", "D": "x"}
    with pytest.raises(AnsibleFilterError):
        f.env_strings(["A=1"])


def test_member_shares_reports_missing_and_deviation():
    result = f.member_shares({"a:1": 60, "b:1": 40}, ["a:1", "b:1", "c:1"])
    assert result["missing"] == ["c:1"]
    assert result["total"] == 100
    assert result["max_deviation"] == pytest.approx(1.0)
    even = f.member_shares({"a:1": 50, "b:1": 50}, ["a:1", "b:1"])
    assert even["missing"] == [] and even["max_deviation"] == 0
    assert f.member_shares({"x:9": 3}, ["a:1"])["unexpected"] == ["x:9"]


def test_build_excludes_adds_without_duplicates():
    excludes = f.build_excludes(["node_modules", ".git"])
    assert excludes.count(".git") == 1
    assert excludes[-1] == "node_modules"


def _listed(name, state="running", status="Up 3 minutes (healthy)", labels=None, image="app:1"):
    return {"Names": ["/" + name], "State": state, "Status": status, "Labels": labels or {}, "Image": image}


def test_container_states_index_by_name_with_health():
    states = f.container_states([_listed("a-1"), _listed("a-2", state="exited", status="Exited (0) 1 minute ago")])
    assert states["a-1"] == {"image": "app:1", "running": True, "healthy": True, "labels": {}}
    assert states["a-2"]["running"] is False and states["a-2"]["healthy"] is False


def _slots(size=2):
    a = f.pool_members("10.0.0.5", size, 8100, "shop", "web1", "172.30.100.0/24")
    b = f.pool_members("10.0.0.5", size, 8100, "shop", "web1", "172.30.100.0/24", slot=1)
    return a, b


def test_pool_members_slot_b_sits_beside_slot_a():
    a, b = _slots()
    assert [m["name"] for m in b] == ["shop-1-b", "shop-2-b"]
    assert [m["port"] for m in b] == [8200, 8201] and [m["ip"] for m in b] == ["172.30.100.111", "172.30.100.112"]
    assert [m["hostname"] for m in a] == [m["hostname"] for m in b] == ["shop-1.web1", "shop-2.web1"]


def test_pool_plan_fresh_host_starts_slot_a():
    a, b = _slots()
    plan = f.pool_plan(a, b, {}, {"image": "app:1"})
    assert [m["name"] for m in plan["start"]] == ["shop-1", "shop-2"]
    assert plan["current"] == [] and plan["retire"] == []
    assert plan["members"] == plan["start"]


def test_pool_plan_keeps_current_members_and_rolls_changed_ones_into_the_other_slot():
    a, b = _slots()
    spec = {"image": "app:1"}
    states = f.container_states([
        _listed("shop-1", labels={"pyfleet.spec": f.spec_digest(spec, a[0])}),
        _listed("shop-2-b", labels={"pyfleet.spec": f.spec_digest(spec, b[1])}),
    ])
    plan = f.pool_plan(a, b, states, spec)
    assert plan["start"] == [] and plan["retire"] == []
    assert [m["name"] for m in plan["members"]] == ["shop-1", "shop-2-b"]
    new = f.pool_plan(a, b, states, {"image": "app:2"})
    assert [m["name"] for m in new["start"]] == ["shop-1-b", "shop-2"]
    assert [m["name"] for m in new["current"]] == ["shop-1", "shop-2-b"]
    assert new["retire"] == ["shop-1", "shop-2-b"]


def test_pool_plan_retires_members_beyond_the_size_and_clears_stopped_leftovers():
    a, b = _slots(1)
    spec = {"image": "app:1"}
    states = f.container_states([
        _listed("shop-1", labels={"pyfleet.spec": "old"}),
        _listed("shop-1-b", state="exited", status="Exited (1)"),
        _listed("shop-2"),
    ])
    plan = f.pool_plan(a, b, states, spec)
    assert [m["name"] for m in plan["start"]] == ["shop-1-b"]
    assert plan["retire"] == ["shop-1", "shop-2"]
    assert plan["stale"] == []
    unhealthy = f.container_states([_listed("shop-1", status="Up (unhealthy)"), _listed("shop-1-b", state="exited", status="x")])
    plan = f.pool_plan(a, b, unhealthy, spec)
    assert [m["name"] for m in plan["start"]] == ["shop-1"] and plan["stale"] == ["shop-1-b"]


def test_spec_digest_depends_on_member_and_spec_not_key_order():
    assert f.spec_digest({"a": 1, "b": 2}, {"n": 1}) == f.spec_digest({"b": 2, "a": 1}, {"n": 1})
    assert f.spec_digest({"a": 1}, {"n": 1}) != f.spec_digest({"a": 1}, {"n": 2})
    assert len(f.spec_digest({})) == 16


@pytest.mark.parametrize("batch,sizes", [("100%", [5]), ("50%", [3, 2]), (1, [1, 1, 1, 1, 1]), ("2", [2, 2, 1]), ("1%", [1] * 5)])
def test_rollout_batches(batch, sizes):
    hosts = ["h%d" % i for i in range(5)]
    batches = f.rollout_batches(hosts, batch)
    assert [len(b) for b in batches] == sizes and sum(batches, []) == hosts


@pytest.mark.parametrize("batch", [0, "0%", "150%", "half", -1])
def test_rollout_batches_refuses_nonsense(batch):
    with pytest.raises(AnsibleFilterError, match="pyfleet_rollout_batch"):
        f.rollout_batches(["a"], batch)


def test_pool_protocol_follows_the_frontends_unless_set():
    assert f.pool_protocol("", ["nginx", "nginx"]) == "uwsgi"
    assert f.pool_protocol("", ["nginx", "caddy"]) == "http"
    assert f.pool_protocol("uwsgi", ["caddy"]) == "uwsgi"
