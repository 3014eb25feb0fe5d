"""The notes example (PostgreSQL accessory, release commands, env file) on this machine's
engine: the failure paths of a stateful deploy. A release command that fails, or a service
the new version waits for in vain, stops the deploy with a message naming it, and the
running version keeps serving with its data."""
import json
import pathlib
import shutil

import pytest

from conftest import ROOT, app_leftovers, docker, http, run_playbook

APP = "itnotes"
PORT = 29480
VARS = {
    "pyfleet_app_name": APP,
    "pyfleet_app_src": str(ROOT / "examples" / "notes"),
    "pyfleet_app_module": "notes:app",
    "pyfleet_app_health_path": "/healthz",
    "pyfleet_app_env_file": str(ROOT / "examples" / "notes" / ".env.example"),
    "pyfleet_app_env": {"NOTES_SECRET_TOKEN": "tok-91f3e2a7"},
    "pyfleet_http_port": PORT,
    "pyfleet_pool_port_base": 29500,
    "pyfleet_pool_healthy_timeout": 25,
    "pyfleet_accessory_postgres_image": "pyfleet/postgres:bookworm",
    "pyfleet_accessories": [{"name": "db", "password": "pw-5be01c7d"}],
    "pyfleet_release_commands": ["python -m notes.migrate"],
    # Not the default: teardown must clean the directories the roles really used.
    "pyfleet_pool_config_dir": "/etc/pyfleet-itnotes-pool",
}


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notes")
    result = run_playbook(tmp, "deploy.yml", VARS, groups=["pyfleet_accessories"])
    assert result.rc == 0, result.output[-4000:]
    yield tmp, result
    # The inventory says keep the data: the database volume stays, everything else goes.
    kept = run_playbook(tmp, "playbooks/teardown.yml", {**VARS, "pyfleet_teardown_keep_data": True},
                        groups=["pyfleet_accessories"])
    assert kept.rc == 0, kept.output[-3000:]
    assert app_leftovers(APP) == ["image", "volumes"], app_leftovers(APP)
    assert docker("volume", "ls", "-q", "--filter", "label=pyfleet.accessory=db").stdout.split() == [f"pyfleet-{APP}-db"]
    assert not pathlib.Path(VARS["pyfleet_pool_config_dir"], APP).exists()
    down = run_playbook(tmp, "playbooks/teardown.yml", VARS, {"pyfleet_teardown_images": True},
                        groups=["pyfleet_accessories"])
    assert down.rc == 0, down.output[-3000:]
    assert app_leftovers(APP) == []


def get(path):
    status, _, body = http(f"http://127.0.0.1:{PORT}{path}")
    return status, body


def serving():
    return sorted(docker("ps", "--filter", f"label=pyfleet.app={APP}", "--filter", "label=pyfleet.role=pool",
                         "--format", "{{.Names}} {{.Image}}").stdout.split("\n"))


def test_deploys_with_the_database_the_env_file_and_one_release(notes):
    tmp, result = notes
    status, body = get("/healthz")
    assert status == 200 and json.loads(body)["database"] == "reachable"
    status, body = get("/releases")
    assert json.loads(body)["migrations"] == ["0001_create_notes.sql"] and len(json.loads(body)["runs"]) == 1
    # the env file's values reach the containers; the secrets stay out of the output
    assert "(1)" in get("/")[1]
    image = docker("inspect", "-f", "{{.Config.Image}}", f"{APP}-1").stdout.strip()
    baked = docker("image", "inspect", image).stdout + docker("history", "--no-trunc", image).stdout
    for secret in ("pw-5be01c7d", "tok-91f3e2a7"):
        assert secret not in result.output and secret not in baked
    # the database is published nowhere: the pool reaches it by name on the app network
    assert docker("port", f"{APP}-db").stdout.strip() == ""
    rerun = run_playbook(tmp, "deploy.yml", VARS, groups=["pyfleet_accessories"])
    assert rerun.rc == 0 and rerun.recap()["changed"] == 0, rerun.output[-3000:]
    assert len(json.loads(get("/releases")[1])["runs"]) == 1


def test_a_failing_release_command_stops_the_deploy_and_the_running_version_serves(notes, tmp_path):
    assert get("/notes")[0] == 200
    status, _, body = http(f"http://127.0.0.1:{PORT}/notes", method="POST", data=b"kept")
    assert status == 201
    before = serving()
    app = tmp_path / "notes"
    shutil.copytree(ROOT / "examples" / "notes", app)
    (app / "migrations" / "0002_broken.sql").write_text("ALTER TABLE no_such_table ADD COLUMN x int;\n")
    result = run_playbook(tmp_path, "deploy.yml", {**VARS, "pyfleet_app_src": str(app)}, groups=["pyfleet_accessories"])
    assert result.rc != 0
    assert "The release commands of" in result.output and "no traffic moved to this version" in result.output
    assert "no_such_table" in result.output  # the command's own output
    assert serving() == before
    assert "kept" in get("/notes")[1]
    assert json.loads(get("/releases")[1])["migrations"] == ["0001_create_notes.sql"]


def test_a_service_that_never_answers_fails_the_rollout_naming_it(notes, tmp_path):
    before = serving()
    app = tmp_path / "notes"
    shutil.copytree(ROOT / "examples" / "notes", app)
    (app / "notes" / "extra.py").write_text("# a code change: a new version\n")
    result = run_playbook(tmp_path, "deploy.yml", {**VARS, "pyfleet_app_src": str(app),
                                                   "pyfleet_app_wait_for": ["cache=127.0.0.1:9"],
                                                   "pyfleet_app_wait_timeout": 3}, groups=["pyfleet_accessories"])
    assert result.rc != 0
    assert "pyfleet: cache at 127.0.0.1:9 did not answer within 3 s" in result.output, result.output[-3000:]
    assert serving() == before
    assert get("/healthz")[0] == 200
