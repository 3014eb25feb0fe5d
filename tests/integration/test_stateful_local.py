"""The notes example (PostgreSQL accessory, release commands, env file) on this machine's
engine: the failure paths of a stateful deploy. A release command that fails, or a service
the new version waits for in vain, stops the deploy with a message naming it, and the
running version keeps serving with its data. Then the day-2 commands on the same deploy: a
command in the running version, a backup restored after a table was dropped, logs, and the
audit trail."""
import json
import pathlib
import re
import shutil
import time

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


def test_exec_runs_a_command_in_the_running_version_with_its_env(notes, tmp_path):
    script = "import os, sys; print('db at', os.environ['PGHOST'], 'version', os.environ.get('NOTES_VERSION')); sys.exit(3)"
    result = run_playbook(tmp_path, "playbooks/exec.yml", VARS, {"pyfleet_exec": "python -c \"%s\"" % script},
                          groups=["pyfleet_accessories"])
    # ansible-playbook ends with the command's own status (the exit_status callback), not its 2
    assert result.rc == 3, result.output[-3000:]
    assert f"db at {APP}-db version" in result.output, result.output[-3000:]
    assert "The command exited with status 3" in result.output
    assert "pw-5be01c7d" not in result.output and "tok-91f3e2a7" not in result.output
    # the database answers from it too (the app network), and nothing is left behind
    ok = run_playbook(tmp_path, "playbooks/exec.yml", VARS,
                      {"pyfleet_exec": "python -c \"from notes.db import engine; from sqlalchemy import text; "
                                       "print('notes:', engine().connect().execute(text('SELECT count(*) FROM notes')).scalar_one())\""},
                      groups=["pyfleet_accessories"])
    assert ok.rc == 0 and "notes: " in ok.output, ok.output[-3000:]
    assert docker("ps", "-aq", "--filter", "label=pyfleet.role=exec", "--filter", f"label=pyfleet.app={APP}").stdout.strip() == ""


def test_backup_then_restore_brings_dropped_rows_back(notes, tmp_path):
    for body in (b"backed up 1", b"backed up 2"):
        assert http(f"http://127.0.0.1:{PORT}/notes", method="POST", data=body)[0] == 201
    rows = json.loads(get("/notes")[1])
    backups = tmp_path / "backups"
    extra = {"pyfleet_backup_dir": str(backups), "pyfleet_backup_keep": 2}
    for _ in range(3):
        result = run_playbook(tmp_path, "playbooks/backup.yml", VARS, extra, groups=["pyfleet_accessories"])
        assert result.rc == 0, result.output[-3000:]
        time.sleep(1.1)
    dumps = sorted(backups.glob(f"{APP}-db-*.dump"))
    assert len(dumps) == 2 and dumps[-1].read_bytes().startswith(b"PGDMP")
    assert oct(backups.stat().st_mode & 0o777) == "0o700"
    assert "pw-5be01c7d" not in result.output

    docker("exec", f"{APP}-db", "psql", "-U", "itnotes", "-d", "itnotes", "-c", "DROP TABLE notes")
    assert get("/notes")[0] == 500
    refused = run_playbook(tmp_path, "playbooks/restore.yml", VARS, {"pyfleet_restore_file": str(dumps[-1])},
                           groups=["pyfleet_accessories"])
    assert refused.rc != 0 and "pyfleet_restore_confirm=itnotes" in refused.output and "Nothing was changed" in refused.output
    assert get("/notes")[0] == 500
    restored = run_playbook(tmp_path, "playbooks/restore.yml", VARS,
                            {"pyfleet_restore_file": str(dumps[-1]), "pyfleet_restore_confirm": APP},
                            groups=["pyfleet_accessories"])
    assert restored.rc == 0, restored.output[-3000:]
    status, body = get("/notes")
    assert status == 200 and json.loads(body) == rows


def test_logs_since_grep_and_the_audit_trail(notes, tmp_path):
    saved = tmp_path / "logs"
    saved.mkdir()
    logs = run_playbook(tmp_path, "playbooks/logs.yml", VARS, {"pyfleet_logs_since": "30m", "pyfleet_logs_grep": "GET /healthz",
                                                               "pyfleet_logs_lines": 0, "pyfleet_logs_dir": str(saved)},
                        groups=["pyfleet_accessories"])
    assert logs.rc == 0, logs.output[-3000:]
    lines = (saved / "localhost.log").read_text().splitlines()
    assert lines and all(re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z localhost %s-(frontend|\d+(-b)?) .*GET /healthz" % APP, line)
                         for line in lines), lines[:5]
    db = run_playbook(tmp_path, "playbooks/logs.yml", VARS, {"pyfleet_logs_filter": "db", "pyfleet_logs_lines": 5,
                                                             "pyfleet_logs_dir": str(saved)}, groups=["pyfleet_accessories"])
    assert db.rc == 0, db.output[-3000:]
    lines = (saved / "localhost.log").read_text().splitlines()
    assert 0 < len(lines) <= 5 and all(f" localhost {APP}-db " in line for line in lines), lines

    # every rollout of this module, newest last: the first deploy, then two that stopped in
    # their release commands (one failing, one waiting for a service in vain); the re-run
    # with nothing to do left none
    trail = pathlib.Path(VARS["pyfleet_pool_config_dir"], APP, "audit.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in trail]
    assert [r["outcome"].split(":")[0] for r in records] == ["ok", "stopped", "stopped"], records
    assert all(r["action"] == "deploy" and r["version"].startswith(APP + ":") and "@" in r["who"] for r in records)
    assert re.match(r"[0-9a-f]{40}$", records[0]["commit"]) and records[1]["commit"] is None  # a copy outside git
    status = run_playbook(tmp_path, "playbooks/status.yml", VARS, groups=["pyfleet_accessories"])
    assert status.rc == 0, status.output[-3000:]
    shown = re.sub(r"\s+", " ", status.output)
    assert shown.index(records[2]["when"] + " deploy") < shown.index(records[0]["when"] + " deploy"), shown[-3000:]
    assert "(%s%s): ok" % (records[0]["commit"][:12], "+dirty" if records[0]["dirty"] else "") in shown
