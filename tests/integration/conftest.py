"""Helpers that deploy real apps on this machine's Docker engine with ansible-playbook."""
import json
import os
import pathlib
import subprocess
import time
import urllib.request

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(ROOT / ".venv" / "bin" / "ansible-playbook")

# Variables every local test deployment shares: this machine's engine, the pyfleet bases.
LOCAL_VARS = {
    "ansible_connection": "local",
    "ansible_python_interpreter": "{{ ansible_playbook_python }}",
    "pyfleet_image_builder_base": "pyfleet/python-builder:bookworm",
    "pyfleet_image_runtime_base": "pyfleet/python-runtime:bookworm",
    "pyfleet_frontend_image": "pyfleet/nginx:bookworm",
    "pyfleet_image_extra_ca_bundle": "/etc/ssl/certs/ca-certificates.crt",
}


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr

    def recap(self):
        """{'changed': n, 'failed': n, ...} from the PLAY RECAP line of localhost."""
        for line in self.output.splitlines():
            if line.startswith("localhost") and "ok=" in line:
                return {k: int(v) for k, v in (p.split("=") for p in line.split(":", 1)[1].split())}
        raise AssertionError("no PLAY RECAP in output:\n" + self.output[-3000:])


# One uwsgi-protocol request carrying `extra` variables, sent from where it runs; prints the
# status line, "refused: ..." when no connection opens, "no answer: ..." when none comes in 3 s.
ATTACK = r"""
import json, socket, struct, sys
env = {"REQUEST_METHOD": "GET", "REQUEST_URI": "/", "PATH_INFO": "/", "QUERY_STRING": "", "SERVER_NAME": "x",
       "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.9.9.9", "HTTP_HOST": "x"}
env.update(json.loads(sys.argv[3]))
body = b"".join(struct.pack("<H", len(k)) + k.encode() + struct.pack("<H", len(v)) + v.encode() for k, v in env.items())
try:
    conn = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
except OSError as exc:
    print("refused:", exc)
    sys.exit(0)
conn.sendall(struct.pack("<BHB", 0, len(body), 0) + body)
try:
    with conn.makefile("rb") as stream:
        answer = stream.read()
except OSError as exc:
    print("no answer:", exc)
    sys.exit(0)
print(answer.split(b"\r\n")[0].decode(errors="replace"))
"""


def run_playbook(tmp_path, playbook, app_vars, extra_vars=None, timeout=900, groups=(), check_diff=False):
    """Run a playbook with localhost in pyfleet_pool, pyfleet_frontends and ``groups``."""
    inventory = {
        "all": {
            "children": {
                group: {"hosts": {"localhost": {}}}
                for group in ("pyfleet_pool", "pyfleet_frontends", *groups)
            },
            "vars": {**LOCAL_VARS, **app_vars},
        }
    }
    inv = tmp_path / ("inventory-%d.yml" % time.monotonic_ns())
    inv.write_text(yaml.safe_dump(inventory))
    cmd = [ANSIBLE_PLAYBOOK, "-i", str(inv), str(ROOT / playbook)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check_diff:
        cmd += ["--check", "--diff"]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return Result(proc)


def docker(*args, check=True):
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError("docker %s failed: %s" % (" ".join(args), proc.stderr))
    return proc


def http(url, method="GET", data=None, headers=None, timeout=10):
    """(status, headers, body) of one request; HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode("utf-8", "replace")


def app_leftovers(app_name):
    """Everything a deploy of app_name would have created on this machine."""
    found = []
    if docker("ps", "-aq", "--filter", "label=pyfleet.app=" + app_name).stdout.strip():
        found.append("containers")
    if docker("network", "inspect", "pyfleet-" + app_name, check=False).returncode == 0:
        found.append("network")
    if docker("image", "ls", "-q", app_name).stdout.strip():
        found.append("image")
    if pathlib.Path("/etc/pyfleet", app_name).exists():
        found.append("config dir")
    if docker("volume", "ls", "-q", "--filter", "label=pyfleet.app=" + app_name).stdout.strip():
        found.append("volumes")
    return found


@pytest.fixture(scope="session")
def deploy():
    """Deploy an app and tear it down at the end of the session: deploy(tmp_path, vars)."""
    deployed = []

    def _deploy(tmp_path, app_vars, playbook="deploy.yml", extra_vars=None):
        deployed.append((tmp_path, app_vars))
        return run_playbook(tmp_path, playbook, app_vars, extra_vars)

    yield _deploy
    for tmp_path, app_vars in deployed:
        run_playbook(tmp_path, "playbooks/teardown.yml", app_vars,
                     {"pyfleet_teardown_images": True})
