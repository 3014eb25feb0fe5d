"""The day after the deploy, on this machine's engine: a dry run (--check --diff) shows what
a changed variable would do and changes nothing; status shows every container with its
version, health and uWSGI counters and the frontend's upstreams; scale changes the pool size
under load without a failed request; logs shows a member's recent lines, each with its time,
host and container."""
import pathlib
import re

import pytest

from conftest import ROOT, docker, http, run_playbook
from load import Load

APP = "itday2"
PORT = 29580
VARS = {
    "pyfleet_app_name": APP,
    "pyfleet_app_src": str(ROOT / "examples" / "hello"),
    "pyfleet_app_module": "webapp:app",
    "pyfleet_app_health_path": "/healthz",
    "pyfleet_pool_size": 2,
    "pyfleet_pool_port_base": 29600,
    "pyfleet_http_port": PORT,
}
NGINX_CONF = pathlib.Path("/etc/pyfleet", APP, "frontend", "nginx.conf")


@pytest.fixture(scope="module")
def stack(deploy, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("day2")
    result = deploy(tmp, VARS)
    assert result.rc == 0, result.output[-4000:]
    return tmp


def containers():
    return sorted(docker("ps", "-a", "--filter", f"label=pyfleet.app={APP}",
                         "--format", "{{.Names}} {{.Image}} {{.ID}}").stdout.split("\n"))


def members(count=60):
    seen = {}
    for _ in range(count):
        status, _, body = http(f"http://127.0.0.1:{PORT}/")
        assert status == 200
        name = re.search(r"This is (\S+)", body).group(1)
        seen[name] = seen.get(name, 0) + 1
    return seen


def test_check_diff_shows_the_change_and_changes_nothing(stack):
    before_conf, before = NGINX_CONF.read_text(), containers()
    result = run_playbook(stack, "deploy.yml", VARS, {"pyfleet_frontend_client_max_body_size": "20m",
                                                      "pyfleet_pool_size": 3}, check_diff=True)
    assert result.rc == 0, result.output[-4000:]
    assert re.search(r"-\s+client_max_body_size 10m;", result.output) and re.search(r"\+\s+client_max_body_size 20m;", result.output)
    assert f"would start {APP}-3 from" in result.output
    assert re.search(r"\+\s+server \S+ .*# " + APP + "-3 on localhost", result.output)
    assert NGINX_CONF.read_text() == before_conf
    assert containers() == before
    assert f"{APP}-3" not in members()


def test_status_shows_containers_versions_counters_and_upstreams(stack):
    members(40)
    result = run_playbook(stack, "playbooks/status.yml", VARS)
    assert result.rc == 0 and result.recap()["changed"] == 0, result.output[-4000:]
    for index in (1, 2):
        # (the YAML callback may fold a long row onto the next line)
        line = re.search(rf"{APP}-{index}\s+pool\s+(\S+)\s+.*healthy\)\s+requests=(\d+)\s+busy=\d+/(\d+)", result.output)
        assert line, result.output[-3000:]
        assert int(line.group(2)) > 0 and int(line.group(3)) >= 2
        assert line.group(1) in docker("inspect", "-f", "{{.Config.Image}}", f"{APP}-{index}").stdout
    assert re.search(rf"{APP}-frontend\s+frontend", result.output)
    assert len(re.findall(r"upstream \S+:3031\s+up", result.output)) == 2


def test_scale_up_and_down_under_load_drops_nothing(stack):
    with Load(f"http://127.0.0.1:{PORT}", threads=2, post=None, deadline=300) as load:
        up = run_playbook(stack, "playbooks/scale.yml", VARS, {"pyfleet_pool_size": 3})
        assert up.rc == 0, up.output[-4000:]
        assert set(members()) == {f"{APP}-{i}.localhost" for i in (1, 2, 3)}
        down = run_playbook(stack, "playbooks/scale.yml", VARS, {"pyfleet_pool_size": 2})
        assert down.rc == 0, down.output[-4000:]
    assert load.sent > 50 and load.failures() == {}, load.outcomes
    assert set(members()) == {f"{APP}-{i}.localhost" for i in (1, 2)}
    assert f"{APP}-3 " not in " ".join(containers())


def test_logs_shows_one_members_recent_lines(stack):
    saved = stack / "logs"
    saved.mkdir(exist_ok=True)
    result = run_playbook(stack, "playbooks/logs.yml", VARS, {"pyfleet_logs_filter": f"{APP}-1", "pyfleet_logs_lines": 20,
                                                              "pyfleet_logs_dir": str(saved)})
    assert result.rc == 0 and result.recap()["changed"] == 0, result.output[-3000:]
    lines = (saved / "localhost.log").read_text().splitlines()
    assert 0 < len(lines) <= 20 and any("uWSGI" in line for line in lines), lines
    assert all(re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z localhost %s-1(-b)? " % APP, line) for line in lines), lines[:5]
