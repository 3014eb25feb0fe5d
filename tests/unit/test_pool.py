"""The pool's decisions (plugins/module_utils/_pool.py): where members live, how every app
container is made, and which members to keep, start and retire in every state a host can be in."""

import pytest

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _pool

SETTINGS = {
    "app": "shop", "image": "shop:1", "module": "wsgi:app", "size": 2, "port_base": 8100,
    "bind_address": "10.0.0.5", "subnet": "172.30.100.0/24", "network": "pyfleet-shop",
    "protocol": "uwsgi", "publish": True, "env": {"SECRET_KEY": "s"}, "restart_policy": "unless-stopped",
    "health": {"interval": "5s", "timeout": "5s", "retries": 3, "start_period": "30s"}, "listen": 1024,
    "user": "", "read_only": True, "tmpfs": ["/tmp:size=64m"], "cap_drop": ["ALL"],
    "no_new_privileges": True, "memory": "512m", "pids_limit": 256, "stop_timeout": 30,
    "log_max_size": "10m", "log_max_file": 3, "config_dir": "/etc/pyfleet/shop/uwsgi/abc", "image_id": "sha256:1",
}


def spec(**changes):
    return dict(SETTINGS, **changes)


def running(name, digest="", healthy=True, state="running", labels=None):
    """A container as container_states lists it."""
    return {name: {"image": "shop:0", "running": state == "running", "healthy": healthy and state == "running",
                   "labels": dict({_pool.LABEL: digest}, **(labels or {}))}}


def containers(*entries):
    out = {}
    for entry in entries:
        out.update(entry)
    return out


def names(members):
    return [m["name"] for m in members]


OLD = "0000000000000000"
NEW = _pool.digest(SETTINGS)


# -- where members live -------------------------------------------------------------------------

def test_member_slots_fixed_addresses_ports_and_names():
    a = _pool.member_slots(SETTINGS, "web1", 0)
    b = _pool.member_slots(SETTINGS, "web1", 1)
    assert names(a) == ["shop-1", "shop-2"] and names(b) == ["shop-1-b", "shop-2-b"]
    assert [m["port"] for m in a + b] == [8100, 8101, 8200, 8201]
    assert [m["ip"] for m in a + b] == ["172.30.100.11", "172.30.100.12", "172.30.100.111", "172.30.100.112"]
    assert {m["hostname"] for m in a} == {m["hostname"] for m in b} == {"shop-1.web1", "shop-2.web1"}
    assert {m["address"] for m in a} == {"10.0.0.5"} and {m["protocol"] for m in b} == {"uwsgi"}


@pytest.mark.parametrize("changes,message", [
    ({"size": 0}, "1 to 64"),
    ({"port_base": 65500}, "outside"),
    ({"size": 8, "subnet": "172.30.100.0/29"}, "too small"),
])
def test_member_slots_refuse_bad_input(changes, message):
    with pytest.raises(_pool.PlanError, match=message):
        _pool.member_slots(spec(**changes), "web1", 0)


@pytest.mark.parametrize("cpus,size,expected", [(2, 2, 2), (8, 2, 8), (1, 4, 2), (16, 4, 8), (None, 1, 2)])
def test_sizing_from_cpus(cpus, size, expected):
    assert _pool.sizing(cpus, size) == {"processes": expected, "threads": 1}


def test_sizing_explicit_values_win():
    assert _pool.sizing(8, 2, 3, 4) == {"processes": 3, "threads": 4}


def test_digest_ignores_size_and_key_order_but_nothing_else():
    assert _pool.digest(spec(size=5)) == NEW
    assert _pool.digest(dict(reversed(list(SETTINGS.items())))) == NEW
    for key, value in [("image", "shop:2"), ("env", {"SECRET_KEY": "t"}), ("memory", "1g"), ("image_id", "sha256:2"),
                       ("config_dir", "/x"), ("bind_address", "10.0.0.6")]:
        assert _pool.digest(spec(**{key: value})) != NEW, key


# -- one spec for every container ---------------------------------------------------------------

HARDENING = ("image", "env", "read_only", "tmpfs", "cap_drop", "security_opts", "memory", "pids_limit",
             "init", "network_mode", "log_options")


def test_every_app_container_has_the_same_hardening():
    member = _pool.member_slots(SETTINGS, "web1", 0)[0]
    made = {kind: _pool.container_params(kind, SETTINGS, member=member, commands=["migrate"])
            for kind in ("member", "import_check", "release")}
    for key in HARDENING:
        values = {kind: repr(params.get(key)) for kind, params in made.items()}
        if key == "env":
            values["release"] = repr({k: v for k, v in made["release"]["env"].items() if k != "PYFLEET_RELEASE_VERSION"})
        assert len(set(values.values())) == 1, (key, values)
    assert made["member"]["read_only"] is True and made["member"]["cap_drop"] == ["ALL"]
    assert made["member"]["pids_limit"] == 256 and made["member"]["security_opts"] == ["no-new-privileges:true"]
    assert {p["labels"][_pool.LABEL] for p in made.values()} == {NEW}
    assert {p["labels"]["pyfleet.role"] for p in made.values()} == {"pool", "check", "release"}


def test_member_container_is_published_on_its_own_address_and_labelled_with_it():
    member = _pool.member_slots(SETTINGS, "web1", 1)[1]
    params = _pool.container_params("member", SETTINGS, member=member)
    assert params["name"] == "shop-2-b" and params["published_ports"] == ["10.0.0.5:8201:3031"]
    assert params["networks"] == [{"name": "pyfleet-shop", "ipv4_address": "172.30.100.112"}]
    assert params["labels"]["pyfleet.port"] == "8201" and params["labels"]["pyfleet.slot"] == "1"
    assert params["healthcheck"]["start_period"] == "30s" and params["restart_policy"] == "unless-stopped"
    assert params["mounts"][0]["source"] == "/etc/pyfleet/shop/uwsgi/abc" and params["mounts"][0]["read_only"]
    assert _pool.container_params("member", spec(publish=False), member=member)["published_ports"] == []
    assert "user" not in params and _pool.container_params("member", spec(user="app"), member=member)["user"] == "app"


def test_import_check_and_release_run_once_and_are_removed():
    check = _pool.container_params("import_check", SETTINGS)
    assert check["entrypoint"][-1] == "wsgi:app" and check["detach"] is False and check["cleanup"] is True
    release = _pool.container_params("release", SETTINGS, commands=["a", "b"], timeout=60)
    assert release["command"] == ["timeout", "60", "/bin/sh", "-ec", "a\nb"]
    assert release["env"]["PYFLEET_RELEASE_VERSION"] == "1" and "PYFLEET_RELEASE_VERSION" not in SETTINGS["env"]
    with pytest.raises(ValueError):
        _pool.container_params("sidecar", SETTINGS)


def test_exec_runs_one_command_in_the_app_spec_and_is_removed():
    params = _pool.container_params("exec", SETTINGS, member="shop-exec-1a2b", commands=["python manage.py check"])
    assert params["name"] == "shop-exec-1a2b" and params["command"] == ["/bin/sh", "-c", "python manage.py check"]
    assert params["detach"] is False and params["cleanup"] is True and params["labels"]["pyfleet.role"] == "exec"
    assert params["env"] == SETTINGS["env"] and params["network_mode"] == "pyfleet-shop" and params["read_only"]
    assert _pool.short_id() != _pool.short_id() and len(_pool.short_id()) == 8


# -- the plan ---------------------------------------------------------------------------------


def test_fresh_host_starts_slot_a():
    plan = _pool.plan(SETTINGS, "web1", {}, None)
    assert names(plan["start"]) == names(plan["members"]) == ["shop-1", "shop-2"]
    assert plan["current"] == plan["retire"] == plan["stale"] == [] and plan["previous"] == ""
    assert plan["digest"] == NEW and {m["digest"] for m in plan["start"]} == {NEW}


@pytest.mark.parametrize("record", [None, ["shop-1", "shop-2-b"]])
def test_members_of_the_wanted_spec_are_kept(record):
    state = containers(running("shop-1", NEW), running("shop-2-b", NEW))
    plan = _pool.plan(SETTINGS, "web1", state, record)
    assert plan["start"] == plan["retire"] == plan["stale"] == []
    assert names(plan["members"]) == names(plan["current"]) == ["shop-1", "shop-2-b"]
    assert plan["previous"] == NEW


@pytest.mark.parametrize("serving_slot", ["", "-b"])
def test_a_changed_spec_starts_in_the_other_slot_and_retires_the_serving_one(serving_slot):
    state = containers(running("shop-1" + serving_slot, OLD), running("shop-2" + serving_slot, OLD))
    plan = _pool.plan(SETTINGS, "web1", state, ["shop-1" + serving_slot, "shop-2" + serving_slot])
    other = "-b" if not serving_slot else ""
    assert names(plan["start"]) == ["shop-1" + other, "shop-2" + other]
    assert plan["retire"] == ["shop-1" + serving_slot, "shop-2" + serving_slot] and plan["stale"] == []
    assert names(plan["current"]) == plan["retire"] and plan["previous"] == OLD


def test_the_recorded_slot_serves_when_both_run_never_slot_a_by_default():
    # An interrupted run left both slots running; the record says slot b serves.
    state = containers(running("shop-1", "1111111111111111"), running("shop-1-b", OLD))
    plan = _pool.plan(spec(size=1), "web1", state, ["shop-1-b"])
    assert names(plan["current"]) == ["shop-1-b"]
    assert names(plan["start"]) == ["shop-1"] and plan["stale"] == ["shop-1"] and plan["retire"] == ["shop-1-b"]


def test_both_slots_running_without_a_record_is_refused_not_guessed():
    state = containers(running("shop-1", OLD), running("shop-1-b", "1111111111111111"))
    with pytest.raises(_pool.PlanError, match="shop-1 and shop-1-b both run on web1"):
        _pool.plan(spec(size=1), "web1", state, None)


def test_a_started_member_of_an_interrupted_run_is_kept_and_the_serving_one_retired():
    state = containers(running("shop-1", OLD), running("shop-1-b", NEW))
    plan = _pool.plan(spec(size=1), "web1", state, ["shop-1"])
    assert plan["start"] == [] and names(plan["members"]) == ["shop-1-b"]
    assert names(plan["current"]) == ["shop-1"] and plan["retire"] == ["shop-1"]


def test_going_back_keeps_the_serving_member_and_retires_the_new_one_after_the_frontends_move():
    # The serving members are of the wanted (earlier) spec; new ones still run beside them.
    state = containers(running("shop-1", NEW), running("shop-1-b", OLD))
    plan = _pool.plan(spec(size=1), "web1", state, ["shop-1"])
    assert plan["start"] == [] and plan["stale"] == [] and plan["retire"] == ["shop-1-b"]
    assert names(plan["members"]) == ["shop-1"]


@pytest.mark.parametrize("health", [dict(healthy=False), dict(state="exited")])
def test_a_serving_member_that_is_not_healthy_is_replaced_beside_it(health):
    state = containers(running("shop-1", NEW, **health))
    plan = _pool.plan(spec(size=1), "web1", state, ["shop-1"])
    if health.get("state") == "exited":
        # Nothing serves: the new member takes slot a, where the dead one is removed first.
        assert names(plan["start"]) == ["shop-1"] and plan["stale"] == ["shop-1"] and plan["current"] == []
    else:
        assert names(plan["start"]) == ["shop-1-b"] and plan["retire"] == ["shop-1"]


def test_leftovers_in_the_free_slot_are_removed_first():
    state = containers(running("shop-1", OLD), running("shop-1-b", OLD, state="exited"))
    plan = _pool.plan(spec(size=1), "web1", state, ["shop-1"])
    assert names(plan["start"]) == ["shop-1-b"] and plan["stale"] == ["shop-1-b"] and plan["retire"] == ["shop-1"]


def test_members_beyond_the_size_serve_until_retired():
    labels = {"pyfleet.port": "8102", "pyfleet.address": "10.0.0.5", "pyfleet.ip": "172.30.100.13",
              "pyfleet.member": "3"}
    state = containers(running("shop-1", NEW), running("shop-2", NEW), running("shop-3", NEW, labels=labels))
    plan = _pool.plan(SETTINGS, "web1", state, ["shop-1", "shop-2", "shop-3"])
    assert plan["start"] == [] and plan["retire"] == ["shop-3"]
    assert names(plan["current"]) == ["shop-1", "shop-2", "shop-3"] and names(plan["members"]) == ["shop-1", "shop-2"]
    assert plan["current"][-1]["port"] == 8102


def test_current_members_are_where_their_labels_say():
    labels = {"pyfleet.port": "9100", "pyfleet.address": "10.0.0.9", "pyfleet.ip": "172.30.1.11",
              "pyfleet.protocol": "http"}
    plan = _pool.plan(spec(size=1), "web1", running("shop-1", OLD, labels=labels), ["shop-1"])
    current = plan["current"][0]
    assert (current["address"], current["port"], current["ip"], current["protocol"]) == ("10.0.0.9", 9100, "172.30.1.11", "http")
    # Without those labels (members made before them): where the settings put them.
    plan = _pool.plan(spec(size=1), "web1", running("shop-1", OLD), ["shop-1"])
    assert (plan["current"][0]["address"], plan["current"][0]["port"]) == ("10.0.0.5", 8100)


def test_previous_is_empty_when_the_serving_members_differ():
    state = containers(running("shop-1", OLD), running("shop-2", "1111111111111111"))
    assert _pool.plan(SETTINGS, "web1", state, ["shop-1", "shop-2"])["previous"] == ""


def test_container_states_index_by_name_with_health():
    states = _pool.container_states([
        {"Names": ["/a-1"], "State": "running", "Status": "Up 3 minutes (healthy)", "Labels": {}, "Image": "app:1"},
        {"Names": ["/a-2"], "State": "exited", "Status": "Exited (0)", "Labels": None, "Image": "app:1"},
    ])
    assert states["a-1"] == {"image": "app:1", "running": True, "healthy": True, "labels": {}}
    assert states["a-2"]["running"] is False and states["a-2"]["healthy"] is False


# -- the app's other processes --------------------------------------------------------------------

WORKER = {"name": "worker", "command": "celery -A proj worker", "count": 2, "singleton": False,
          "stop_signal": "SIGTERM", "stop_timeout": 600, "healthcheck": "", "memory": ""}
BEAT = dict(WORKER, name="beat", command="celery -A proj beat", count=1, singleton=True, stop_timeout=30)


def with_processes(*processes, **changes):
    return spec(processes=list(processes), **changes)


def process(name, process_spec, settings, state="running", timeout="600"):
    digest = _pool.process_digest(process_spec, {k: v for k, v in settings.items() if k != "count"})
    return running(name, digest, healthy=False, state=state,
                   labels={"pyfleet.role": "process", "pyfleet.stop_timeout": timeout})


def test_a_changed_worker_leaves_the_members_and_a_changed_member_spec_moves_the_workers():
    base = with_processes(WORKER)
    assert _pool.member_digest(base) == _pool.member_digest(with_processes(dict(WORKER, command="rq worker")))
    assert _pool.digest(base) != _pool.digest(with_processes(dict(WORKER, command="rq worker")))
    # Without processes the digests are those of members made before processes existed.
    assert _pool.digest(SETTINGS) == _pool.member_digest(SETTINGS) == _pool.digest(with_processes())
    moved = with_processes(WORKER, image="shop:2")
    assert _pool.process_digest(base, WORKER) != _pool.process_digest(moved, WORKER)
    # How many run is not how each is made.
    assert _pool.process_digest(base, {k: v for k, v in WORKER.items() if k != "count"}) == \
        _pool.process_digest(with_processes(dict(WORKER, count=5)), {k: v for k, v in WORKER.items() if k != "count"})


def test_process_plan_starts_what_is_missing_keeps_what_matches_and_replaces_the_rest():
    base = with_processes(WORKER, BEAT)
    fresh = _pool.process_plan(base, "web1", {})
    assert [(p["name"], p["index"]) for p in fresh["start"]] == [("beat", 1), ("worker", 1), ("worker", 2)]
    assert fresh["keep"] == [] and fresh["remove"] == []
    states = containers(process("shop-worker-1", base, WORKER), process("shop-worker-2", base, WORKER, state="exited"),
                        process("shop-beat-1", base, dict(BEAT, command="old beat"), timeout="30"),
                        process("shop-mailer-1", base, dict(WORKER, name="mailer"), timeout="90"))
    plan = _pool.process_plan(base, "web1", states)
    assert plan["keep"] == ["shop-worker-1"]
    assert [(p["name"], p["index"]) for p in plan["start"]] == [("beat", 1), ("worker", 2)]
    # The old beat and the stopped worker go before their replacements; the mailer is no longer run.
    assert plan["remove"] == ["shop-beat-1", "shop-mailer-1", "shop-worker-2"]
    assert plan["stop_timeout"] == {"shop-beat-1": 30, "shop-mailer-1": 90, "shop-worker-2": 600}


def test_fewer_workers_remove_the_highest_numbers():
    base = with_processes(dict(WORKER, count=1))
    states = containers(process("shop-worker-1", base, WORKER), process("shop-worker-2", base, WORKER))
    plan = _pool.process_plan(base, "web1", states)
    assert plan["keep"] == ["shop-worker-1"] and plan["remove"] == ["shop-worker-2"] and plan["start"] == []


def test_a_process_container_is_hardened_like_a_member_stops_gracefully_and_has_no_web_health_check():
    base = with_processes(WORKER)
    params = _pool.container_params("process", base, dict(WORKER, index=2, host="web1"))
    member = _pool.container_params("member", base, _pool.member_slots(base, "web1", 0)[0])
    for key in ("image", "read_only", "cap_drop", "security_opts", "pids_limit", "memory", "tmpfs", "user", "init"):
        assert params.get(key) == member.get(key), key
    assert params["name"] == "shop-worker-2" and params["hostname"] == "shop-worker-2.web1"
    assert params["command"] == ["/bin/sh", "-c", "exec celery -A proj worker"]
    assert params["stop_signal"] == "SIGTERM" and params["stop_timeout"] == 600
    assert params["healthcheck"] == {"test": ["NONE"]}
    assert "published_ports" not in params and "mounts" not in params
    assert params["env"] == dict(SETTINGS["env"], PYFLEET_PROCESS="worker")
    assert params["labels"]["pyfleet.role"] == "process" and params["labels"]["pyfleet.stop_timeout"] == "600"
    checked = _pool.container_params("process", base, dict(WORKER, index=1, host="web1", healthcheck="celery inspect ping",
                                                           memory="1g"))
    assert checked["healthcheck"]["test"] == ["CMD-SHELL", "celery inspect ping"] and checked["memory"] == "1g"
