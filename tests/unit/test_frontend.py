"""The frontend's decisions (plugins/module_utils/_frontend.py)."""

import pytest

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _frontend


@pytest.mark.parametrize("candidate,live,expected", [("a", "a", False), ("a", "b", True), ("a", None, True)])
def test_only_a_changed_config_is_installed(candidate, live, expected):
    assert _frontend.must_install(candidate, live) is expected


@pytest.mark.parametrize("installed,tls,container_changed,expected", [
    (False, False, False, False),
    (True, False, False, True),
    (False, True, False, True),
    (True, True, True, False),
    (True, False, True, False),
])
def test_reload_only_a_running_proxy_with_something_new(installed, tls, container_changed, expected):
    assert _frontend.must_reload(installed, tls, container_changed) is expected


@pytest.mark.parametrize("status,content,expected", [
    (200, "abc\n", True), (200, "old\n", False), (404, "", True), (-1, "", False), (200, None, False),
])
def test_the_new_config_serves_when_its_id_answers(status, content, expected):
    assert _frontend.serves(status, content, "abc") is expected


def _never():
    raise AssertionError("the engine's CPUs were read although the answer does not need them")


def test_caddy_on_a_pool_host_gets_half_the_cpus_else_gos_default():
    assert _frontend.go_max_procs("caddy", 0, True, lambda: 2) == 1
    assert _frontend.go_max_procs("caddy", 0, True, lambda: 16) == 8
    assert _frontend.go_max_procs("caddy", 0, True, lambda: 1) == 1
    assert _frontend.go_max_procs("caddy", 0, True, lambda: None) == 1
    assert _frontend.go_max_procs("caddy", 0, False, _never) is None


def test_a_set_go_max_procs_wins_and_nginx_has_none():
    assert _frontend.go_max_procs("caddy", 3, True, _never) == 3
    assert _frontend.go_max_procs("caddy", "2", False, _never) == 2
    assert _frontend.go_max_procs("caddy", -1, True, lambda: 4) == 2
    assert _frontend.go_max_procs("nginx", 3, True, _never) is None
    assert _frontend.go_max_procs("nginx", 0, True, _never) is None


def test_an_ingress_lock_of_a_process_gone_from_this_controller_is_taken_over():
    holder = _frontend.lock_holder("blog", "ctl-1", 4242)
    assert holder == "the frontend step of blog (pid 4242 on ctl-1)"
    assert _frontend.holder_gone(holder, "ctl-1", lambda pid: pid != 4242) is True


def test_an_ingress_lock_of_a_running_process_or_another_controller_is_waited_for():
    holder = _frontend.lock_holder("blog", "ctl-1", 4242)
    assert _frontend.holder_gone(holder, "ctl-1", lambda pid: True) is False
    assert _frontend.holder_gone(holder, "ctl-2", lambda pid: False) is False
    # holders that name no process (older versions, the deploy lock) are never judged gone
    assert _frontend.holder_gone("the frontend step of blog", "ctl-1", lambda pid: False) is False
    assert _frontend.holder_gone("", "ctl-1", lambda pid: False) is False
    assert _frontend.holder_gone(None, "ctl-1", lambda pid: False) is False


# --- who holds a frontend port ------------------------------------------------------------

_FRONTENDS = [
    {"labels": {"pyfleet.app": "blog", "pyfleet.role": "frontend"},
     "parts": [{"name": "blog", "listen": {"http_port": "8080", "https_port": "443"}}]},
    {"labels": {"pyfleet.ingress": "main", "pyfleet.role": "frontend"},
     "parts": [{"name": "shop", "listen": {"http_port": "80", "https_port": "8443"}}]},
]


@pytest.mark.parametrize("port,holder", [
    (8080, ("app", "blog")), ("443", ("app", "blog")), (80, ("ingress", "main")), (8443, ("ingress", "main")),
    (9000, None),
])
def test_port_holder_is_the_frontend_whose_apps_listen_there(port, holder):
    assert _frontend.port_holder(port, _FRONTENDS) == holder


def test_a_port_held_by_another_apps_frontend_names_it_and_the_shared_ingress():
    said = _frontend.port_refusal("pyfleet_http_port", 8080, "lb1", ("app", "blog"))
    assert said.startswith("pyfleet_http_port is 8080, but the frontend of the app blog already listens on that port "
                           "on lb1.")
    assert "give both the same pyfleet_frontend_ingress" in said
    joined = _frontend.port_refusal("pyfleet_http_port", 80, "lb1", ("ingress", "main"))
    assert "the shared ingress main already listens" in joined and "set pyfleet_frontend_ingress to main" in joined
    other = _frontend.port_refusal("pyfleet_http_port", 80, "lb1", ("ingress", "main"), ingress="edge")
    assert "this app joins the ingress edge" in other
    assert _frontend.port_refusal("pyfleet_http_port", 80, "lb1", None) == (
        "pyfleet_http_port is 80, but another program already listens on that port on lb1. Choose a free port or stop "
        "that program.")
