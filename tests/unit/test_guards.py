"""Decisions of the port guard, the deploy lock, the health wait and the variable shapes."""
import os

import pytest

from ansible_collections.pyfleet.wsgi.plugins.filter import fleet as fleet_filters, pool as pool_filters
from ansible_collections.pyfleet.wsgi.plugins.module_utils._shapes import errors as shape_errors, milliseconds
from ansible_collections.pyfleet.wsgi.plugins.module_utils import _health
from ansible_collections.pyfleet.wsgi.plugins.modules import deploy_lock, port_guard


# --- port guard -----------------------------------------------------------------------------

def test_guard_rules_are_written_as_iptables_prints_them():
    chain, rules, jumps = port_guard.wanted_rules("shop-pool", "10.0.0.12", ["8100:8101", "8200:8201"],
                                                  ["10.0.0.11", "10.0.0.0/24", "10.0.0.11"])
    assert chain == "PYF-shop-pool"
    assert rules == ["-A PYF-shop-pool -s 10.0.0.11/32 -j RETURN", "-A PYF-shop-pool -s 10.0.0.0/24 -j RETURN",
                     "-A PYF-shop-pool -j DROP"]
    assert jumps[0] == ('-A DOCKER-USER -p tcp -m conntrack --ctorigdst 10.0.0.12 --ctorigdstport 8100:8101 '
                        '--ctdir ORIGINAL -m comment --comment "pyfleet shop-pool" -j PYF-shop-pool')
    assert len(jumps) == 2


def test_guard_with_no_source_drops_everything():
    _, rules, _ = port_guard.wanted_rules("x", "10.0.0.12", ["8100"], [])
    assert rules == ["-A PYF-x -j DROP"]


@pytest.mark.parametrize("address,ports,allow,message", [
    ("10.0.0.300", ["8100"], [], "not an IPv4"),
    ("10.0.0.1", ["81x"], [], "not a port"),
    ("10.0.0.1", ["9000:8000"], [], "reversed"),
    ("10.0.0.1", ["8100"], ["fe80::1"], "not IPv4"),
    ("10.0.0.1", ["8100"], ["lb1.example.com"], "not an IPv4"),
])
def test_guard_refuses_bad_input(address, ports, allow, message):
    with pytest.raises(ValueError, match=message):
        port_guard.wanted_rules("x", address, ports, allow)


def test_long_names_fit_an_iptables_chain():
    name = port_guard.chain_name("a-very-long-application-name-pool")
    assert len(name) <= 28 and name.startswith("PYF-a-very-long-appli")
    assert name != port_guard.chain_name("a-very-long-application-name-other")


def test_guard_transaction_replaces_only_what_differs():
    chain, rules, jumps = port_guard.wanted_rules("x", "10.0.0.12", ["8100:8101"], ["10.0.0.11"])
    stale = jumps[0].replace("8100:8101", "8100:8103")
    script = port_guard.restore_script(chain, True, rules, [stale], rules, jumps, True)
    assert "-D" + stale[2:] in script and ":PYF-x" not in script  # chain unchanged: not flushed
    assert "-I DOCKER-USER 1 -p tcp" in script
    same = port_guard.restore_script(chain, True, rules, jumps, rules, jumps, True)
    assert same == "*filter\nCOMMIT\n"
    gone = port_guard.restore_script(chain, True, rules, jumps, [], [], False)
    assert gone.splitlines()[1:] == ["-D" + jumps[0][2:], "-F PYF-x", "-X PYF-x", "COMMIT"]


def test_current_rules_find_the_chain_and_its_jumps():
    lines = ["-N DOCKER-USER", "-N PYF-x", "-A DOCKER-USER -p tcp -j PYF-x", "-A DOCKER-USER -j RETURN",
             "-A PYF-x -j DROP", "-A PYF-xy -j DROP"]
    assert port_guard.current_rules(lines, "PYF-x") == (True, ["-A PYF-x -j DROP"], ["-A DOCKER-USER -p tcp -j PYF-x"])


def test_source_addresses_resolve_and_refuse_loopback():
    hosts = [{"inventory_hostname": "lb1", "ansible_host": "10.0.0.10"},
             {"inventory_hostname": "lb2", "ansible_host": "10.0.0.20", "pyfleet_source_address": "192.168.1.2"},
             {"inventory_hostname": "lb3", "ansible_host": "localhost6.invalid."}]
    assert fleet_filters.source_addresses(hosts) == ["10.0.0.10", "192.168.1.2", "localhost6.invalid."]
    assert fleet_filters.source_addresses([{"inventory_hostname": "me", "ansible_host": "127.0.0.1"}]) == ["127.0.0.1"]


def test_port_span():
    assert pool_filters.port_span([8101, 8100]) == "8100:8101"
    assert pool_filters.port_span([8100]) == "8100"


# --- health host ----------------------------------------------------------------------------

@pytest.mark.parametrize("explicit,domain,server_name,expected", [
    ("", "", "_", ""),
    ("", "shop.example.com", "_", "shop.example.com"),
    ("", "", "www.shop.example.com shop.example.com", "www.shop.example.com"),
    ("", "", "*.shop.example.com api.example.com", "api.example.com"),
    ("health.internal", "shop.example.com", "_", "health.internal"),
])
def test_health_host(explicit, domain, server_name, expected):
    assert _health.health_host(explicit, domain, server_name) == expected


# --- deploy lock ----------------------------------------------------------------------------

def test_lock_is_taken_once_and_given_back_only_by_its_token(tmp_path):
    path = str(tmp_path / "deploy.lock")
    token, over = deploy_lock.take(path, "ops@a", 3600)
    assert token and over == ""
    with pytest.raises(deploy_lock.LockHeld) as held:
        deploy_lock.take(path, "ops@b", 3600)
    assert held.value.holder == "ops@a"
    assert deploy_lock.release(path, "not-mine") is False and os.path.isdir(path)
    assert deploy_lock.release(path, token) is True and not os.path.exists(path)


def test_an_expired_lock_is_taken_over_and_a_fresh_one_is_not(tmp_path):
    path = str(tmp_path / "deploy.lock")
    old, _ = deploy_lock.take(path, "ops@crashed", 3600)
    os.utime(path, (0, 0))
    new, over = deploy_lock.take(path, "ops@b", 3600)
    assert over == "ops@crashed" and new != old
    # A second run that also saw the old lock expired finds the fresh one and stops.
    with pytest.raises(deploy_lock.LockHeld):
        deploy_lock.take(path, "ops@c", 3600)
    assert deploy_lock.release(path, old) is False


def test_a_lock_held_by_the_named_stale_holder_is_taken_over_and_no_other(tmp_path):
    path = str(tmp_path / "ingress.lock")
    left, _ = deploy_lock.take(path, "blog (pid 1 on ctl)", 300)
    # a fresh lock of someone else is not taken, even when a stale holder is named
    with pytest.raises(deploy_lock.LockHeld):
        deploy_lock.take(path, "shop (pid 2 on ctl)", 300, stale_holder="blog (pid 9 on ctl)")
    token, over = deploy_lock.take(path, "shop (pid 2 on ctl)", 300, stale_holder="blog (pid 1 on ctl)")
    assert over == "blog (pid 1 on ctl)" and token != left
    assert deploy_lock.release(path, left) is False and os.path.isdir(path)


def test_lock_in_check_mode_takes_nothing(tmp_path):
    path = str(tmp_path / "deploy.lock")
    assert deploy_lock.take(path, "ops@a", 3600, check=True) == ("", "")
    assert not os.path.exists(path)


# --- health wait ----------------------------------------------------------------------------

def _inspect(status="running", health=None, restarts=0, exit_code=0, output=""):
    state = {"Status": status, "ExitCode": exit_code}
    if health:
        state["Health"] = {"Status": health, "Log": [{"Output": output}]}
    return {"State": state, "RestartCount": restarts}


@pytest.mark.parametrize("inspect,verdict", [
    (_inspect(health="healthy"), "ok"),
    (_inspect(), "ok"),
    (_inspect(health="starting"), "wait"),
    (_inspect(status="created"), "wait"),
    (_inspect(health="unhealthy", output="uwsgi /healthz -> 400 Bad Request"), "broken"),
    (_inspect(status="exited", exit_code=1), "broken"),
    (_inspect(status="restarting", exit_code=1), "broken"),
    (_inspect(health="starting", restarts=1), "broken"),
    (None, "broken"),
])
def test_health_verdicts(inspect, verdict):
    assert _health.judge(inspect)[0] == verdict


def test_unhealthy_verdict_carries_the_check_output():
    assert "400 Bad Request" in _health.judge(_inspect(health="unhealthy", output="uwsgi /healthz -> 400 Bad Request"))[2]


# --- variable shapes ------------------------------------------------------------------------

@pytest.mark.parametrize("value,kind,ok", [
    ("/healthz", "url_path", True), ("healthz", "url_path", False), ("/a b", "url_path", False),
    ("512m", "size", True), (1024, "size", True), ("lots", "size", False),
    ("5s", "duration", True), ("500ms", "duration", True), ("5", "duration", False),
    (["python manage.py migrate"], "commands", True), ("python manage.py migrate", "commands", False),
    ([""], "commands", False),
    (["gcc", "libpq-dev", "python3-dev", "libc6=2.36-9"], "deb_packages", True),
    (["gcc; curl evil"], "deb_packages", False), (["$(id)"], "deb_packages", False),
    ("registry.example.com:5000/shop/web:1.2", "image", True), ("python:3.12-slim", "image", True),
    ("Shop:latest", "image", False), ("shop:tag with space", "image", False),
    ("uwsgi==2.0.31", "pip_requirement", True), ("uwsgi; rm -rf /", "pip_requirement", False),
    ("", "opt_hostname", True), ("shop.example.com", "opt_hostname", True), ("shop example", "opt_hostname", False),
    (["10.0.0.1", "10.0.0.0/24"], "networks", True), (["lb1"], "networks", False),
    (3, "int", True), ("3", "int", True), ("three", "int", False), (True, "int", False),
    (True, "bool", True), ("false", "bool", True), ("maybe", "bool", False),
    ("/etc/pyfleet", "abs_path", True), ("etc/pyfleet", "abs_path", False), ("/etc/$(id)", "abs_path", False),
    (["/tmp:size=64m,mode=1777"], "tmpfs", True), (["/tmp:size=64m;rm"], "tmpfs", False),
])
def test_shapes(value, kind, ok):
    assert (shape_errors([["v", value, kind]]) == []) is ok


def test_shape_message_names_the_variable_value_and_what_is_accepted():
    (message,) = shape_errors([["pyfleet_release_commands", "python manage.py migrate", "commands"]])
    assert message.startswith('pyfleet_release_commands is "python manage.py migrate": use a list of shell commands')
    assert "put it in [ ]" in message


@pytest.mark.parametrize("value,expected", [
    ("300ms", 300), ("2s", 2000), (2, 2000), ("2", 2000), ("soon", -1), ("1.5s", -1), (True, -1), ("", -1),
])
def test_milliseconds(value, expected):
    assert milliseconds(value) == expected


# --- the health probe ---------------------------------------------------------------------

def test_the_probe_defaults_are_the_pool_roles():
    import yaml

    from conftest import ROOT

    defaults = yaml.safe_load((ROOT / "roles" / "pool" / "defaults" / "main.yml").read_text())
    probe = _health.probe()
    assert (probe["path"], probe["interval"], probe["retries"], probe["start_period"]) == (
        defaults["pyfleet_app_health_path"], defaults["pyfleet_pool_healthcheck_interval"],
        defaults["pyfleet_pool_health_retries"], defaults["pyfleet_pool_health_start_period"])


def test_every_check_sends_the_same_probe():
    probe = _health.probe("/healthz", "shop.example.com", "2s", "4", "10s")
    assert probe == {"path": "/healthz", "host": "shop.example.com", "interval": "2s", "retries": 4,
                     "start_period": "10s", "timeout": _health.TIMEOUT}
    check = _health.container_healthcheck(probe)
    assert check == {"test": ["CMD", "/opt/venv/bin/python", "/opt/pyfleet/healthcheck.py"], "interval": "2s",
                     "timeout": "5s", "retries": 4, "start_period": "10s"}
    assert _health.dockerfile_healthcheck(probe) == (
        '--interval=2s --timeout=5s --start-period=10s --retries=4 \\\n'
        '  CMD ["/opt/venv/bin/python", "/opt/pyfleet/healthcheck.py"]')
    assert _health.environment(probe, "http", 3031) == {
        "PYFLEET_PROTOCOL": "http", "PYFLEET_PORT": "3031", "PYFLEET_HEALTH_PATH": "/healthz",
        "PYFLEET_HEALTH_HOST": "shop.example.com"}
    assert "PYFLEET_HEALTH_HOST" not in _health.environment(_health.probe(), "uwsgi", 3031)
    assert _health.verify(probe, "https://127.0.0.1:443/") == {"url": "https://127.0.0.1:443/healthz",
                                                              "host": "shop.example.com"}


def test_a_spec_kept_from_before_the_probe_still_gives_its_health_check():
    old = {"interval": "5s", "retries": 3, "start_period": "30s"}
    assert _health.container_healthcheck(old)["timeout"] == _health.TIMEOUT
