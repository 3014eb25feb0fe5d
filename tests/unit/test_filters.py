import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.filter import fleet as fleet_filters, frontend as frontend_filters, image as image_filters, pool as pool_filters


def _members(address, size, host):
    settings = {"app": "shop", "size": size, "port_base": 8100, "bind_address": address,
                "subnet": "172.30.100.0/24", "protocol": "uwsgi"}
    return pool_filters.pool_members_in_slot(0, settings, host)


def test_upstream_uses_network_address_on_own_host_and_published_port_elsewhere():
    a = _members("10.0.0.5", 2, "web1")
    b = _members("10.0.0.6", 2, "web2")
    seen_from_web1 = [m["endpoint"] for m in frontend_filters.upstream_servers([b, a], "web1")]
    assert seen_from_web1 == ["172.30.100.11:3031", "172.30.100.12:3031", "10.0.0.6:8100", "10.0.0.6:8101"]
    seen_from_lb = [m["endpoint"] for m in frontend_filters.upstream_servers([a, b], "lb")]
    assert seen_from_lb == ["10.0.0.5:8100", "10.0.0.5:8101", "10.0.0.6:8100", "10.0.0.6:8101"]


def test_upstream_refuses_two_hosts_on_one_endpoint():
    a = _members("10.0.0.5", 1, "web1")
    b = _members("10.0.0.5", 1, "web2")
    with pytest.raises(AnsibleFilterError, match="both listen on 10.0.0.5:8100"):
        frontend_filters.upstream_servers([a, b], "lb")


def test_endpoint_brackets_ipv6():
    assert frontend_filters._endpoint("fd00::5", 8100) == "[fd00::5]:8100"
    assert frontend_filters._endpoint("10.0.0.5", 80) == "10.0.0.5:80"
    assert frontend_filters._endpoint("web1.example", 80) == "web1.example:80"


def test_content_version_is_stable_and_sensitive():
    v1 = image_filters.content_version(["a", "b"])
    assert v1 == image_filters.content_version(["a", "b"])
    assert len(v1) == 12 and int(v1, 16) >= 0
    assert v1 != image_filters.content_version(["b", "a"])
    assert image_filters.content_version("a") == image_filters.content_version(["a"])


@pytest.mark.parametrize("name,ok", [("hello", True), ("my-app_2", True), ("", False),
                                     ("Hello", False), ("-x", False), ("a" * 64, False), (5, False)])
def test_valid_name(name, ok):
    assert fleet_filters.valid_name(name) is ok


def test_env_strings():
    assert pool_filters.env_strings({"A": 1, "B": True, "C": None, "D": "x"}) == {"A": "1", "B": "true", "C": "", "D": "x"}
    with pytest.raises(AnsibleFilterError):
        pool_filters.env_strings(["A=1"])


def test_member_shares_reports_missing_and_deviation():
    result = frontend_filters.member_shares({"a:1": 60, "b:1": 40}, ["a:1", "b:1", "c:1"])
    assert result["missing"] == ["c:1"]
    assert result["total"] == 100
    assert result["max_deviation"] == pytest.approx(1.0)
    even = frontend_filters.member_shares({"a:1": 50, "b:1": 50}, ["a:1", "b:1"])
    assert even["missing"] == [] and even["max_deviation"] == 0
    assert frontend_filters.member_shares({"x:9": 3}, ["a:1"])["unexpected"] == ["x:9"]


def test_member_hostnames_are_the_names_the_members_report():
    assert pool_filters.member_hostnames(["web1", "web2"], "shop", 2) == ["shop-1.web1", "shop-2.web1", "shop-1.web2", "shop-2.web2"]
    assert pool_filters.member_hostnames([], "shop", 2) == []
    assert pool_filters.member_hostnames(["web1"], "shop", "1") == ["shop-1.web1"]


def test_build_excludes_adds_without_duplicates():
    excludes = image_filters.build_excludes(["node_modules", ".git"])
    assert excludes.count(".git") == 1
    assert excludes[-1] == "node_modules"


@pytest.mark.parametrize("batch,sizes", [("100%", [5]), ("50%", [3, 2]), (1, [1, 1, 1, 1, 1]), ("2", [2, 2, 1]), ("1%", [1] * 5)])
def test_rollout_batches(batch, sizes):
    hosts = ["h%d" % i for i in range(5)]
    batches = fleet_filters.rollout_batches(hosts, batch)
    assert [len(b) for b in batches] == sizes and sum(batches, []) == hosts


@pytest.mark.parametrize("batch", [0, "0%", "150%", "half", -1])
def test_rollout_batches_refuses_nonsense(batch):
    with pytest.raises(AnsibleFilterError, match="pyfleet_rollout_batch"):
        fleet_filters.rollout_batches(["a"], batch)


def test_pool_protocol_follows_the_frontends_unless_set():
    assert pool_filters.pool_protocol("", ["nginx", "nginx"]) == "uwsgi"
    assert pool_filters.pool_protocol("", ["nginx", "caddy"]) == "http"
    assert pool_filters.pool_protocol("uwsgi", ["caddy"]) == "uwsgi"


def test_port_range_spans_a_slot():
    assert pool_filters.port_range(8100, 3) == "8100:8102"
    assert pool_filters.port_range(8200, 1) == "8200"


def test_build_env_takes_variable_names_and_one_line_values():
    from ansible_collections.pyfleet.wsgi.plugins.module_utils._shapes import errors as shape_errors

    assert shape_errors([["pyfleet_image_build_env", {"SETTINGS": "a.b", "N": 2, "ON": True}, "env"]]) == []
    for bad in ({"BAD-NAME": "x"}, {"A": "two\nlines"}, {"A": {"nested": 1}}, ["A=1"]):
        assert shape_errors([["pyfleet_image_build_env", bad, "env"]]), bad


GROUPS = {"pyfleet_pool": ["web1", "web2"], "workers": ["web2"], "pyfleet_frontends": ["lb1"], "all": ["web1", "web2", "lb1"]}


def test_each_pool_host_runs_its_process_types_and_a_singleton_runs_on_one_host():
    from ansible_collections.pyfleet.wsgi.plugins.filter.processes import host_processes

    processes = {"worker": "celery -A proj worker", "beat": {"command": "celery -A proj beat", "singleton": True},
                 "mailer": {"command": "rq worker mail", "count": 2, "group": "workers", "stop_timeout": "90"}}
    web1 = host_processes(processes, "web1", GROUPS)
    web2 = host_processes(processes, "web2", GROUPS)
    assert [(p["name"], p["count"]) for p in web1] == [("beat", 1), ("worker", 1)]
    assert [(p["name"], p["count"]) for p in web2] == [("mailer", 2), ("worker", 1)]
    assert web2[0]["stop_timeout"] == 90 and web2[0]["stop_signal"] == "SIGTERM" and "group" not in web2[0]
    assert host_processes({}, "web1", GROUPS) == [] and host_processes(None, "web1", GROUPS) == []


@pytest.mark.parametrize("processes,expected", [
    ("celery worker", "use a mapping of process names"),
    ({"Worker": "x"}, "the name 'Worker' is not usable"),
    ({"frontend": "x"}, "the name 'frontend' is not usable"),
    ({"db": "x"}, "the name 'db' is not usable"),
    ({"worker": ""}, "pyfleet_app_processes.worker is empty"),
    ({"worker": {"cmd": "x"}}, "pyfleet_app_processes.worker has cmd: the settings are command"),
    ({"worker": {"command": "x", "count": 65}}, "pyfleet_app_processes.worker.count is 65"),
    ({"beat": {"command": "x", "singleton": True, "count": 2}}, "a singleton runs once across the fleet"),
    ({"worker": {"command": "x", "stop_signal": "TERM; rm"}}, "stop_signal is 'TERM; rm'"),
    ({"worker": {"command": "x", "stop_timeout": 0}}, "stop_timeout is 0: use 1 to 3600"),
    ({"worker": {"command": "x", "memory": "lots"}}, "memory is 'lots'"),
    ({"worker": {"command": "x", "group": "nope"}}, "group is 'nope', which is no group"),
    ({"worker": {"command": "x", "group": "all"}}, "holds lb1, which are not pool hosts"),
])
def test_bad_process_settings_are_named(processes, expected):
    from ansible_collections.pyfleet.wsgi.plugins.module_utils._processes import process_errors

    errors = process_errors(processes, GROUPS, [{"name": "db"}])
    assert any(expected in e for e in errors), errors


def test_good_process_settings_pass():
    from ansible_collections.pyfleet.wsgi.plugins.module_utils._processes import process_errors

    assert process_errors({"worker": "celery -A proj worker", "beat": {"command": "celery beat", "singleton": "yes",
                                                                       "healthcheck": "true", "memory": "256m"}},
                          GROUPS) == []
    assert process_errors({}, GROUPS) == [] and process_errors(None, GROUPS) == []


def test_static_files_come_from_the_source_the_build_or_an_image_built_elsewhere(tmp_path):
    (tmp_path / "static").mkdir()
    assert frontend_filters.has_static("static", str(tmp_path)) is True
    assert frontend_filters.has_static("assets", str(tmp_path)) is False  # not in the source, nothing builds it
    assert frontend_filters.has_static("staticfiles", str(tmp_path), ["python manage.py collectstatic --noinput"]) is True
    assert frontend_filters.has_static("static", "", [], "registry.example.com/shop:1") is True
    assert frontend_filters.has_static("", str(tmp_path), ["make assets"], "shop:1") is False  # the app serves its own
