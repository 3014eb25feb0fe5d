"""The collection as users get it: a tarball without the project's own tooling, installed
into a fresh collections path, deploying the demo from outside the repository."""
import os
import subprocess
import tarfile

import yaml

from conftest import ROOT, docker, http

APP = "ittar"
PORT = 29280
VENV = ROOT / ".venv" / "bin"


def run(*cmd, cwd, env=None, timeout=900):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc


def test_tarball_installs_and_deploys_from_outside_the_repo(tmp_path):
    # a user's shell: none of the repository's Ansible settings (ANSIBLE_CONFIG points at the
    # repository's collections path, where this collection is already "installed" as a link)
    collections = tmp_path / "collections"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1", PATH=f"{VENV}:{env['PATH']}")
    run(str(VENV / "ansible-galaxy"), "collection", "build", str(ROOT), "--output-path", str(tmp_path), cwd=tmp_path,
        env=env)
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    tarball = tmp_path / f"pyfleet-wsgi-{version}.tar.gz"
    names = tarfile.open(tarball).getnames()
    for unwanted in ("tests/", "molecule/", "bench/", ".ci/", "scripts/", ".venv", ".collections", ".ansible/",
                     "Makefile"):
        assert not any(n.startswith(unwanted) for n in names), unwanted
    for wanted in ("playbooks/deploy.yml", "roles/pool/tasks/main.yml", "templates/Caddyfile.j2",
                   "plugins/action/image_ship.py", "meta/runtime.yml"):
        assert wanted in names, wanted

    install = run(str(VENV / "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(collections),
                  str(tarball), cwd=tmp_path, env=env)
    assert (collections / "ansible_collections" / "pyfleet" / "wsgi" / "MANIFEST.json").is_file(), install.stdout
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "children": {"pyfleet_pool": {"hosts": {"localhost": {}}}, "pyfleet_frontends": {"hosts": {"localhost": {}}}},
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "pyfleet_app_name": APP,
            "pyfleet_app_src": str(ROOT / "examples" / "hello"),
            "pyfleet_app_module": "webapp:app",
            "pyfleet_app_health_path": "/healthz",
            "pyfleet_pool_port_base": 29300,
            "pyfleet_http_port": PORT,
            "pyfleet_image_builder_base": "pyfleet/python-builder:bookworm",
            "pyfleet_image_runtime_base": "pyfleet/python-runtime:bookworm",
            "pyfleet_frontend_image": "pyfleet/nginx:bookworm",
            "pyfleet_image_extra_ca_bundle": "/etc/ssl/certs/ca-certificates.crt",
        }}}))
    try:
        run(str(VENV / "ansible-playbook"), "-i", str(inventory), "pyfleet.wsgi.deploy", cwd=tmp_path, env=env)
        status, _, body = http(f"http://127.0.0.1:{PORT}/")
        assert status == 200 and f"This is {APP}-" in body
        # the installed copy, not the repository, ran
        assert not (tmp_path / "roles").exists()
    finally:
        run(str(VENV / "ansible-playbook"), "-i", str(inventory), "pyfleet.wsgi.teardown", cwd=tmp_path, env=env)
    assert docker("ps", "-aq", "--filter", f"label=pyfleet.app={APP}").stdout.strip() == ""
