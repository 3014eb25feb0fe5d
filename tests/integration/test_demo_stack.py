"""The demo stack on this machine's engine, checked the way a user would notice."""
import pathlib
import re
import shutil
import subprocess
import time

import pytest

from conftest import ROOT, docker, http

APP = "itdemo"
PORT = 28080
BASE = f"http://127.0.0.1:{PORT}"
VARS = {
    "pyfleet_app_name": APP,
    "pyfleet_app_src": str(ROOT / "examples" / "hello"),
    "pyfleet_app_module": "webapp:app",
    "pyfleet_app_health_path": "/healthz",
    "pyfleet_pool_size": 2,
    "pyfleet_pool_port_base": 28100,
    "pyfleet_http_port": PORT,
    "pyfleet_frontend_client_max_body_size": "1m",
    # A build step that needs the app's dependencies (Flask) and a setting of its own, and
    # writes a file the frontend then serves, like collectstatic.
    "pyfleet_image_build_commands": [
        "python -c \"import os, pathlib, webapp; pathlib.Path('static/built.txt').write_text("
        "'built with ' + webapp.Flask.__module__ + ' for ' + os.environ['BUILD_TARGET'])\"",
    ],
    "pyfleet_image_build_env": {"BUILD_TARGET": "the demo's frontend"},
}


@pytest.fixture(scope="module")
def stack(deploy, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    first = deploy(tmp, VARS)
    assert first.rc == 0, first.output[-4000:]
    second = deploy(tmp, VARS)
    assert second.rc == 0, second.output[-4000:]
    image = docker("inspect", "-f", "{{.Config.Image}}", f"{APP}-1").stdout.strip()
    return {"tmp": tmp, "first": first, "second": second, "image": image, "deploy": deploy}


def members_answering(count=20):
    names = []
    for _ in range(count):
        status, _, body = http(BASE + "/")
        assert status == 200, body
        names.append(re.search(r"This is (\S+)", body).group(1))
    return names


def test_second_run_changes_nothing(stack):
    assert stack["first"].recap()["changed"] > 0
    assert stack["second"].recap()["changed"] == 0, stack["second"].output[-4000:]


def test_members_answer_in_turn(stack):
    names = members_answering(20)
    assert set(names) == {f"{APP}-1.localhost", f"{APP}-2.localhost"}
    # round robin: consecutive requests never hit the same member twice in a row
    assert all(a != b for a, b in zip(names, names[1:])), names


def test_image_is_tagged_by_content(stack):
    repo, tag = stack["image"].split(":")
    assert repo == APP and re.fullmatch(r"[0-9a-f]{12}", tag)


def test_final_image_runs_as_non_root_without_build_leftovers(stack):
    image = stack["image"]
    user = docker("image", "inspect", "-f", "{{.Config.User}}", image).stdout.strip()
    assert user == "10001:10001"
    env = docker("image", "inspect", "-f", "{{json .Config.Env}}", image).stdout
    assert "PIP_CERT" not in env and "PIP_INDEX_URL" not in env
    uid = docker("run", "--rm", "--entrypoint", "/bin/sh", image, "-c", "id -u").stdout.strip()
    assert uid == "10001"
    # Look at the whole filesystem as root: nothing of the builder stage made it in.
    leftovers = docker(
        "run", "--rm", "--user", "0", "--entrypoint", "/bin/sh", image, "-c",
        "command -v gcc cc make; ls -d /pyfleet-build /root/.cache /var/lib/apt/lists/*_Packages "
        "2>/dev/null; find / -xdev \\( -name extra-ca.pem -o -path '*/.cache/pip' \\) -print",
        check=False,
    ).stdout
    assert leftovers.strip() == "", leftovers
    history = docker("history", "--no-trunc", image).stdout
    assert "PIP_CERT" not in history and "extra-ca" not in history


def test_frontend_hides_version_and_member_from_remote_clients(stack):
    # 127.0.0.1 counts as local (the post-deploy check's view): it sees the member header.
    status, headers, _ = http(BASE + "/")
    assert status == 200 and headers["Server"] == "nginx"
    assert re.fullmatch(r"172\.30\.\d+\.1[12]:3031", headers["X-Pyfleet-Member"])
    # From the host's own external address the header is absent.
    addr = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()[0]
    status, headers, _ = http(f"http://{addr}:{PORT}/")
    assert status == 200 and "X-Pyfleet-Member" not in headers


def test_static_files_come_from_the_frontend(stack):
    status, headers, body = http(BASE + "/static/site.css")
    assert status == 200 and "font-family" in body
    assert "X-Pyfleet-Member" not in headers  # nginx served it, no member was asked
    assert "max-age=3600" in headers.get("Cache-Control", "")


def test_files_written_by_build_commands_are_served_and_their_settings_are_not_kept(stack):
    status, headers, body = http(BASE + "/static/built.txt")
    assert status == 200 and body == "built with flask.app for the demo's frontend", body
    assert "X-Pyfleet-Member" not in headers
    env = docker("inspect", "-f", "{{json .Config.Env}}", stack["image"]).stdout
    assert "BUILD_TARGET" not in env and "/opt/venv/bin" in env
    member_env = docker("exec", f"{APP}-1", "env").stdout
    assert "BUILD_TARGET" not in member_env


def test_large_cookie_is_accepted_and_large_body_refused(stack):
    cookie = "session=" + "a" * 12 * 1024
    status, _, body = http(BASE + "/", headers={"Cookie": cookie})
    assert status == 200, body
    status, _, _ = http(BASE + "/echo", method="POST", data=b"x" * (2 * 1024 * 1024))
    assert status == 413
    status, _, body = http(BASE + "/echo", method="POST", data=b"x" * 1000)
    assert status == 200 and '"bytes":1000' in body.replace(" ", "")


def test_members_run_hardened(stack):
    import json

    for name in (f"{APP}-1", f"{APP}-2"):
        info = json.loads(docker("inspect", name).stdout)[0]
        host = info["HostConfig"]
        assert info["Config"]["User"] not in ("", "0", "root"), info["Config"]["User"]
        assert host["ReadonlyRootfs"] is True
        assert "/tmp" in (host.get("Tmpfs") or {})
        assert host["CapDrop"] == ["ALL"]
        assert "no-new-privileges:true" in (host.get("SecurityOpt") or [])
        assert host["Init"] is True and host["Memory"] > 0 and host["PidsLimit"] > 0
    for cid in docker("ps", "-q", "--filter", f"label=pyfleet.app={APP}").stdout.split():
        mounts = json.loads(docker("inspect", "-f", "{{json .Mounts}}", cid).stdout)
        assert not any("docker.sock" in m.get("Source", "") for m in mounts)


def test_pool_ports_are_not_published(stack):
    ports = docker("port", f"{APP}-1", check=False).stdout.strip()
    assert ports == ""  # the frontend on this host reaches members on the app network


def test_member_stops_promptly_and_the_rest_keep_serving(stack):
    started = time.monotonic()
    docker("stop", "-t", "20", f"{APP}-2")
    took = time.monotonic() - started
    code = int(docker("inspect", "-f", "{{.State.ExitCode}}", f"{APP}-2").stdout)
    try:
        assert took < 10, f"stop took {took:.1f}s"
        assert code != 137, "uWSGI was killed, not stopped"
        statuses = [http(BASE + "/")[0] for _ in range(30)]
        assert statuses == [200] * 30
    finally:
        docker("start", f"{APP}-2")
        for _ in range(60):
            health = docker("inspect", "-f", "{{.State.Health.Status}}", f"{APP}-2").stdout.strip()
            if health == "healthy":
                break
            time.sleep(1)


def test_rejected_frontend_config_leaves_the_running_one(stack, tmp_path):
    broken = tmp_path / "broken-nginx.conf.j2"
    shipped = (ROOT / "templates" / "nginx.conf.j2").read_text()
    broken.write_text(shipped.replace("server_tokens off;", "server_tokens off;\n    no_such_directive on;"))
    live = pathlib.Path(f"/etc/pyfleet/{APP}/frontend/nginx.conf")
    before = live.read_text()
    result = stack["deploy"](stack["tmp"], {**VARS, "pyfleet_frontend_nginx_template": str(broken)})
    assert result.rc != 0
    assert "nginx rejected the rendered config" in result.output
    assert "no_such_directive" in result.output
    assert live.read_text() == before
    assert http(BASE + "/")[0] == 200


def test_version_that_cannot_import_never_replaces_the_running_one(stack, tmp_path):
    app = tmp_path / "app"
    shutil.copytree(ROOT / "examples" / "hello", app)
    (app / "webapp.py").write_text("import no_such_module  # noqa\n" + (app / "webapp.py").read_text())
    # Without the build command (which imports the app and would fail the build first), the
    # pool's import check is what refuses it.
    result = stack["deploy"](stack["tmp"], {**VARS, "pyfleet_app_src": str(app), "pyfleet_image_build_commands": []})
    assert result.rc != 0
    assert "cannot load webapp:app" in result.output and "no_such_module" in result.output
    for member in (f"{APP}-1", f"{APP}-2"):
        assert docker("inspect", "-f", "{{.Config.Image}}", member).stdout.strip() == stack["image"]
    assert set(members_answering(10)) == {f"{APP}-1.localhost", f"{APP}-2.localhost"}


def test_an_image_built_elsewhere_deploys_by_reference_without_a_source(stack, deploy, tmp_path):
    from conftest import app_leftovers

    app_vars = {"pyfleet_app_name": "itprebuilt", "pyfleet_app_image": stack["image"],
                "pyfleet_app_module": "webapp:app", "pyfleet_app_health_path": "/healthz", "pyfleet_pool_size": 1,
                "pyfleet_pool_port_base": 28160, "pyfleet_http_port": 28180}
    result = deploy(tmp_path, app_vars)
    assert result.rc == 0, result.output[-4000:]
    assert docker("inspect", "-f", "{{.Config.Image}}", "itprebuilt-1").stdout.strip() == stack["image"]
    status, _, body = http("http://127.0.0.1:28180/")
    assert status == 200 and "This is itprebuilt-1" in body
    status, _, body = http("http://127.0.0.1:28180/static/built.txt")  # the image's static files
    assert status == 200 and body.startswith("built with"), body
    # An image that does not keep the pool's contract is refused before anything changes.
    refused = deploy(tmp_path, {**app_vars, "pyfleet_app_name": "itprebuilt2", "pyfleet_app_image": "pyfleet/nginx:bookworm",
                                "pyfleet_http_port": 28181, "pyfleet_pool_port_base": 28170})
    assert refused.rc != 0
    assert "pyfleet_app_image pyfleet/nginx:bookworm lacks what the pool needs" in refused.output, refused.output[-3000:]
    assert "no health check runs /opt/pyfleet/healthcheck.py" in refused.output
    assert app_leftovers("itprebuilt2") == []


def test_a_failing_build_command_stops_the_build_and_the_running_version_serves(stack, tmp_path):
    failing = {**VARS, "pyfleet_image_build_commands": ["python -c \"import sys; sys.exit('collect failed: no STATIC_ROOT')\""]}
    result = stack["deploy"](stack["tmp"], failing)
    assert result.rc != 0
    assert "collect failed: no STATIC_ROOT" in result.output, result.output[-3000:]
    for member in (f"{APP}-1", f"{APP}-2"):
        assert docker("inspect", "-f", "{{.Config.Image}}", member).stdout.strip() == stack["image"]
    assert set(members_answering(10)) == {f"{APP}-1.localhost", f"{APP}-2.localhost"}
