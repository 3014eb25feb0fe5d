"""Debian trixie's Python 3.13 without a registry: its base images built from Debian's archive
(pyfleet_base_images_suite: trixie), then an app built and served on them."""
import json
import os
import subprocess

from conftest import ANSIBLE_PLAYBOOK, ROOT, docker, http

APP = "itpy313"
PORT = 28480


def test_an_app_builds_and_serves_on_python_3_13(deploy, tmp_path):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    bases = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", "localhost,", str(ROOT / "playbooks" / "base_images.yml"), "-e",
         json.dumps({"pyfleet_base_images_suite": "trixie", "pyfleet_base_images_build": ["python-runtime", "python-builder"]})],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert bases.returncode == 0, (bases.stdout + bases.stderr)[-4000:]
    runtime = docker("run", "--rm", "pyfleet/python-runtime:trixie", "python3", "--version").stdout
    assert runtime.startswith("Python 3.13."), runtime

    result = deploy(tmp_path, {
        "pyfleet_app_name": APP,
        "pyfleet_app_src": str(ROOT / "tests" / "apps" / "pyversion"),
        "pyfleet_app_module": "app:application",
        "pyfleet_app_dependencies": "none",
        "pyfleet_app_health_path": "/",
        "pyfleet_pool_size": 1,
        "pyfleet_pool_port_base": 28400,
        "pyfleet_http_port": PORT,
        "pyfleet_image_builder_base": "pyfleet/python-builder:trixie",
        "pyfleet_image_runtime_base": "pyfleet/python-runtime:trixie",
    })
    assert result.rc == 0, result.output[-4000:]
    status, _, body = http(f"http://127.0.0.1:{PORT}/")
    assert status == 200 and body.startswith("Python 3.13."), body
