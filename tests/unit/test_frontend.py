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
