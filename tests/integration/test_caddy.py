"""The Caddy frontend on this machine's engine, beyond the Molecule scenario: a Caddyfile Caddy
rejects never goes live, and HTTPS verified with the fetched CA reaches every member."""
import http.client
import json
import pathlib
import re
import ssl
import subprocess
import urllib.request

import pytest

from conftest import ATTACK, ROOT, docker

APP = "itcaddy"
HTTP_PORT, HTTPS_PORT = 28081, 28443
VARS = {
    "pyfleet_app_name": APP,
    "pyfleet_app_src": str(ROOT / "examples" / "hello"),
    "pyfleet_app_module": "webapp:app",
    "pyfleet_app_health_path": "/healthz",
    "pyfleet_pool_size": 2,
    "pyfleet_pool_port_base": 28300,
    "pyfleet_http_port": HTTP_PORT,
    "pyfleet_https_port": HTTPS_PORT,
    "pyfleet_frontend_kind": "caddy",
    "pyfleet_frontend_tls": "internal",
    "pyfleet_frontend_image": "pyfleet/caddy:bookworm",
}


@pytest.fixture(scope="module")
def stack(deploy, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("caddy")
    app_vars = {**VARS, "pyfleet_frontend_ca_dir": str(tmp / "ca")}
    first = deploy(tmp, app_vars)
    assert first.rc == 0, first.output[-4000:]
    return {"tmp": tmp, "vars": app_vars, "deploy": deploy, "ca": tmp / "ca" / "localhost.crt"}


def https_names(ca, count=12):
    context = ssl.create_default_context(cafile=str(ca))
    names = []
    for _ in range(count):
        with urllib.request.urlopen(f"https://127.0.0.1:{HTTPS_PORT}/", context=context, timeout=10) as resp:
            assert resp.status == 200
            names.append(re.search(r"This is (\S+)", resp.read().decode()).group(1))
    return names


def test_https_with_the_fetched_ca_reaches_every_member(stack):
    assert stack["ca"].read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert set(https_names(stack["ca"])) == {f"{APP}-1.localhost", f"{APP}-2.localhost"}
    conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
    conn.request("GET", "/x?y=1")
    resp = conn.getresponse()
    assert resp.status == 308 and resp.getheader("Location") == f"https://127.0.0.1:{HTTPS_PORT}/x?y=1"


def test_caddy_beside_its_pool_runs_on_half_the_cpus(stack):
    # frontend and pool share this host: Go may use half the engine's CPUs, not all of them
    cpus = int(docker("info", "-f", "{{.NCPU}}").stdout.strip())
    env = json.loads(docker("inspect", "-f", "{{json .Config.Env}}", f"{APP}-frontend").stdout)
    assert f"GOMAXPROCS={max(1, cpus // 2)}" in env, env
    # an explicit value wins; the frontend still serves with it
    again = stack["deploy"](stack["tmp"], {**stack["vars"], "pyfleet_frontend_caddy_go_max_procs": 2})
    assert again.rc == 0, again.output[-4000:]
    assert "GOMAXPROCS=2" in json.loads(docker("inspect", "-f", "{{json .Config.Env}}", f"{APP}-frontend").stdout)
    assert set(https_names(stack["ca"], 4)) <= {f"{APP}-1.localhost", f"{APP}-2.localhost"}
    back = stack["deploy"](stack["tmp"], stack["vars"])
    assert back.rc == 0, back.output[-4000:]


def test_a_members_http_router_runs_no_magic_variable(stack):
    # The worst place to attack from: this host is the frontend host, so the member's port lets
    # it in. A uwsgi packet asking to load code, and the same as HTTP headers, reach the
    # member's HTTP router; neither runs anything, and the member keeps serving.
    member = f"{APP}-1"
    address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", member).stdout.strip()
    mark = "/tmp/pyfleet-pwned"
    magic = {"UWSGI_FILE": f"exec://touch {mark}", "UWSGI_APPID": "x"}
    packet = subprocess.run(["python3", "-c", ATTACK, address, "3031", json.dumps(magic)],
                            capture_output=True, text=True, timeout=30)
    assert "200" not in packet.stdout, packet.stdout
    conn = http.client.HTTPConnection(address, 3031, timeout=10)
    conn.request("GET", "/", headers={"UWSGI_FILE": f"exec://touch {mark}", "UWSGI-FILE": f"exec://touch {mark}"})
    answer = conn.getresponse()
    assert answer.status == 200 and f"This is {APP}-1.localhost" in answer.read().decode()
    assert docker("exec", member, "sh", "-c", f"test -e {mark} && echo present || echo absent").stdout.strip() == "absent"


def test_rejected_caddyfile_leaves_the_running_one(stack, tmp_path):
    broken = tmp_path / "Caddyfile.j2"
    shipped = (ROOT / "templates" / "Caddyfile.j2").read_text()
    broken.write_text(shipped.replace("\tlb_try_interval 250ms", "\tlb_try_interval 250ms\n\tno_such_subdirective on"))
    live = pathlib.Path(f"/etc/pyfleet/{APP}/frontend/Caddyfile")
    before = live.read_text()
    result = stack["deploy"](stack["tmp"], {**stack["vars"], "pyfleet_frontend_caddy_template": str(broken)})
    assert result.rc != 0
    assert "caddy rejected the rendered config" in result.output and "no_such_subdirective" in result.output
    assert live.read_text() == before
    assert set(https_names(stack["ca"], 6)) == {f"{APP}-1.localhost", f"{APP}-2.localhost"}
