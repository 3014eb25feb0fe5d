"""A different WSGI app deploys by setting only the documented variables."""
import json
import pathlib
import re
import shutil

import pytest

from conftest import ROOT, docker, http

APP = "itplain"
PORT = 28090
BASE = f"http://127.0.0.1:{PORT}"
SECRET = "pyfleet-planted-secret-5f3a9c"
VERSIONS = []  # the versions test_code_change... deployed, for the rollback test


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("plain") / "src"
    shutil.copytree(ROOT / "tests" / "apps" / "plainwsgi", path)
    return path


@pytest.fixture(scope="module")
def app_vars(app_dir):
    return {
        "pyfleet_app_name": APP,
        "pyfleet_app_src": str(app_dir),
        "pyfleet_app_module": "service.main:application",
        "pyfleet_app_health_path": "/ping",
        "pyfleet_pool_size": 3,
        # nginx in front of uWSGI's own http11-socket (proxy_pass), as a mixed fleet runs it
        "pyfleet_pool_protocol": "http",
        "pyfleet_pool_port_base": 28200,
        "pyfleet_http_port": PORT,
        "pyfleet_app_env": {"GREETING": "hi", "DEBUG": False, "API_TOKEN": SECRET},
    }


@pytest.fixture(scope="module")
def first(deploy, tmp_path_factory, app_vars):
    tmp = tmp_path_factory.mktemp("plainrun")
    result = deploy(tmp, app_vars)
    assert result.rc == 0, result.output[-4000:]
    return tmp, result


def current_image():
    images = docker("ps", "--format", "{{.Image}}", "--filter", f"label=pyfleet.app={APP}",
                    "--filter", "label=pyfleet.member=1").stdout.split()
    assert len(images) == 1, images
    return images[0]


def test_pyproject_app_serves_from_three_members(first):
    names = set()
    for _ in range(30):
        status, _, body = http(BASE + "/")
        assert status == 200
        names.add(re.search(r"from (\S+)</p>", body).group(1))
    assert names == {f"{APP}-{n}.localhost" for n in (1, 2, 3)}


def test_app_env_reaches_the_containers(first):
    env = docker("inspect", "-f", "{{json .Config.Env}}", f"{APP}-2").stdout
    assert "GREETING=hi" in env and "DEBUG=false" in env


def test_app_secret_stays_out_of_image_and_output(first, tmp_path):
    _, result = first
    assert SECRET not in result.output
    image = current_image()
    assert SECRET not in docker("history", "--no-trunc", image).stdout
    assert SECRET not in docker("image", "inspect", image).stdout
    archive = tmp_path / "image.tar"
    docker("image", "save", "-o", str(archive), image)
    assert SECRET.encode() not in archive.read_bytes()
    # the running container has it: that is where the app reads it
    assert SECRET in docker("inspect", "-f", "{{json .Config.Env}}", f"{APP}-2").stdout


def test_proxy_headers_reach_the_app(first):
    status, _, body = http(BASE + "/headers", headers={"Host": "shop.example", "X-Forwarded-For": "203.0.113.9"})
    seen = json.loads(body)
    assert status == 200
    assert seen["HTTP_HOST"] == "shop.example"
    assert seen["HTTP_X_FORWARDED_HOST"] == "shop.example"
    assert seen["HTTP_X_REAL_IP"] == "127.0.0.1"
    assert seen["HTTP_X_FORWARDED_FOR"] == "203.0.113.9, 127.0.0.1"
    assert seen["HTTP_X_FORWARDED_PROTO"] == "http"


def test_code_change_gives_a_new_version_and_reuses_the_dependency_layer(deploy, first, app_dir, app_vars):
    tmp, _ = first
    old = current_image()
    main = app_dir / "service" / "main.py"
    main.write_text(main.read_text().replace('VERSION = "one"', 'VERSION = "two"'))
    result = deploy(tmp, app_vars)
    assert result.rc == 0, result.output[-4000:]
    new = current_image()
    assert new != old and new.split(":")[0] == old.split(":")[0] == APP
    for _ in range(6):
        assert "two from" in http(BASE + "/")[2]
    old_layers = json.loads(docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", old).stdout)
    new_layers = json.loads(docker("image", "inspect", "-f", "{{json .RootFS.Layers}}", new).stdout)
    # Only the layer holding the code differs; the virtualenv with the dependencies is reused.
    assert len(old_layers) == len(new_layers)
    differing = [i for i, (a, b) in enumerate(zip(old_layers, new_layers)) if a != b]
    assert differing == [len(new_layers) - 1], differing
    again = deploy(tmp, app_vars)
    assert again.rc == 0 and again.recap()["changed"] == 0, again.output[-3000:]
    VERSIONS.extend([old, new])


def test_rollback_returns_to_the_previous_version_and_back(first, app_vars, tmp_path):
    from conftest import run_playbook

    old, new = VERSIONS
    back = run_playbook(tmp_path, "playbooks/rollback.yml", app_vars)
    assert back.rc == 0, back.output[-4000:]
    assert current_image() == old
    assert all("one from" in http(BASE + "/")[2] for _ in range(6))
    named = run_playbook(tmp_path, "playbooks/rollback.yml", app_vars, {"pyfleet_rollback_to": new.split(":")[1]})
    assert named.rc == 0, named.output[-4000:]
    assert current_image() == new
    assert all("two from" in http(BASE + "/")[2] for _ in range(6))
    missing = run_playbook(tmp_path, "playbooks/rollback.yml", app_vars, {"pyfleet_rollback_to": "000000000000"})
    assert missing.rc != 0
    assert f"pyfleet_rollback_to is \"000000000000\", but {APP}:000000000000 is not on localhost" in missing.output
    assert current_image() == new


def test_rollback_skips_a_version_whose_rollout_failed(deploy, first, app_dir, app_vars, tmp_path):
    from conftest import run_playbook

    old, new = VERSIONS
    broken = tmp_path / "broken"
    shutil.copytree(app_dir, broken)
    main = broken / "service" / "main.py"
    main.write_text(main.read_text() + "\nraise RuntimeError('this version cannot start')\n")
    failed = deploy(tmp_path, dict(app_vars, pyfleet_app_src=str(broken)))
    assert failed.rc != 0 and "this version cannot start" in failed.output, failed.output[-3000:]
    assert current_image() == new
    built = docker("images", "--format", "{{.Repository}}:{{.Tag}}", APP).stdout.split()
    assert len(set(built) - {old, new}) == 1, built  # the failed version's image is on the host
    # The newest build is the failed one; the version deployed before the running one is old.
    back = run_playbook(tmp_path, "playbooks/rollback.yml", app_vars)
    assert back.rc == 0, back.output[-4000:]
    assert current_image() == old
    assert all("one from" in http(BASE + "/")[2] for _ in range(6))
    # the audit trail holds the failed rollout, with the way back, then the rollback
    trail = [json.loads(line) for line in (pathlib.Path("/etc/pyfleet") / APP / "audit.jsonl").read_text().splitlines()]
    assert [(r["action"], r["outcome"].split(":")[0]) for r in trail[-2:]] == [("deploy", "failed"), ("rollback", "ok")], trail[-2:]
    assert "went back" in trail[-2]["outcome"] and trail[-2]["version"] != trail[-1]["version"] == old, trail[-2:]


def test_a_rollout_waits_for_the_deploy_lock_another_holds(deploy, first, app_vars, tmp_path):
    old, new = VERSIONS
    assert current_image() == old  # after the rollback above; a deploy would move to new
    lock = pathlib.Path("/etc/pyfleet") / APP / "deploy.lock"
    lock.mkdir()
    (lock / "holder").write_text("ops@elsewhere, rolling out itplain:0123456789ab since 2026-01-01T00:00:00Z\n")
    refused = deploy(tmp_path, app_vars)
    assert refused.rc != 0
    assert f"Another rollout of {APP} holds the deploy lock" in refused.output, refused.output[-3000:]
    assert "ops@elsewhere, rolling out itplain:0123456789ab" in refused.output
    assert "pyfleet_pool_lock_expiry=0" in refused.output
    assert current_image() == old and lock.is_dir()
    # A lock left behind by an interrupted run is taken over once expired (0: at once).
    taken = deploy(tmp_path, app_vars, extra_vars={"pyfleet_pool_lock_expiry": 0})
    assert taken.rc == 0, taken.output[-3000:]
    assert current_image() == new
    assert not lock.exists()


def test_two_deploys_against_an_expired_lock_exactly_one_proceeds(deploy, first, app_vars, tmp_path):
    import concurrent.futures
    import os
    import time

    lock = pathlib.Path("/etc/pyfleet") / APP / "deploy.lock"
    lock.mkdir()
    (lock / "holder").write_text("ops@crashed, rolling out itplain:0123456789ab since 2026-01-01T00:00:00Z\n")
    os.utime(lock, (time.time() - 7200, time.time() - 7200))  # older than pyfleet_pool_lock_expiry
    dirs = [tmp_path / "a", tmp_path / "b"]
    for path in dirs:
        path.mkdir()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda path: deploy(path, app_vars), dirs))
    winners = [r for r in runs if r.rc == 0]
    losers = [r for r in runs if r.rc != 0]
    assert len(winners) == 1 and len(losers) == 1, [r.output[-2000:] for r in runs]
    assert "Took over the expired deploy lock of ops@crashed" in winners[0].output
    refused = losers[0].output
    assert f"Another rollout of {APP} holds the deploy lock" in refused, refused[-3000:]
    assert "ops@crashed" not in refused.split("holds the deploy lock", 1)[1][:400]
    assert not lock.exists()
    assert all(http(BASE + "/")[0] == 200 for _ in range(4))


def test_a_second_app_on_this_apps_frontend_port_is_told_whose_it_is(first, tmp_path):
    """A new app that names the port this app's own frontend serves is refused before any
    change, and the message names this app and the shared ingress that would let both serve."""
    from conftest import app_leftovers, run_playbook

    other = {"pyfleet_app_name": "itport", "pyfleet_app_src": str(ROOT / "examples" / "hello"),
             "pyfleet_app_module": "webapp:app", "pyfleet_pool_port_base": 28300, "pyfleet_http_port": PORT,
             "pyfleet_app_hosts": ["other.example.com"]}
    result = run_playbook(tmp_path, "deploy.yml", other)
    assert result.rc != 0
    assert (f"pyfleet_http_port is {PORT}, but the frontend of the app {APP} already listens on that port on localhost"
            in result.output), result.output[-3000:]
    assert "give both the same pyfleet_frontend_ingress" in result.output
    assert result.recap()["changed"] == 0
    assert app_leftovers("itport") == []
