"""Which status ansible-playbook ends with (plugins/callback/exit_status.py)."""
import pytest

from ansible_collections.pyfleet.wsgi.plugins.callback import exit_status as e


def test_a_commands_failure_status_is_the_runs():
    assert e.exit_status({"_run": {"pyfleet_exit_status": 3}}) == 3
    assert e.exit_status({"_run": {"pyfleet_exit_status": "137"}}) == 137
    assert e.exit_status({"web1": {"pyfleet_exit_status": 1}}) == 1


def test_success_no_stat_and_junk_keep_ansibles_own_code():
    for custom in ({}, None, {"_run": {}}, {"_run": {"pyfleet_exit_status": 0}}, {"_run": {"other": 5}},
                   {"_run": {"pyfleet_exit_status": "x"}}, {"_run": {"pyfleet_exit_status": 300}},
                   {"_run": {"pyfleet_exit_status": -1}}, {"_run": "not a dict"}):
        assert e.exit_status(custom) is None


def test_the_run_wide_stat_wins_over_a_hosts():
    assert e.exit_status({"web1": {"pyfleet_exit_status": 1}, "_run": {"pyfleet_exit_status": 4}}) == 4


class _Stats:
    def __init__(self, custom):
        self.custom = custom


def test_the_callback_exits_only_with_a_failure_status():
    callback = e.CallbackModule()
    callback.v2_playbook_on_stats(_Stats({"_run": {"pyfleet_exit_status": 0}}))
    with pytest.raises(SystemExit) as ended:
        callback.v2_playbook_on_stats(_Stats({"_run": {"pyfleet_exit_status": 42}}))
    assert ended.value.code == 42
