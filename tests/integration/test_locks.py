"""Every dependency format builds with what it declares: locks with their locked versions and
hashes, a lock that no longer matches its manifest fails the build with a clear message; and
every Dockerfile the image role renders passes hadolint."""
import shutil
import subprocess

import pytest

from conftest import ROOT, docker, run_playbook

LOCKS = ROOT / "tests" / "apps" / "locks"
HADOLINT = ROOT / ".venv" / "bin" / "hadolint"

BUILD = """
- name: Build the app image only
  hosts: localhost
  gather_facts: false
  roles:
    - role: pyfleet.wsgi.image
"""


def app_with(tmp_path, kind):
    app = tmp_path / "app"
    shutil.copytree(LOCKS / kind, app)
    shutil.copy(LOCKS / "lockedapp.py", app / "lockedapp.py")
    return app


def build(tmp_path, app, name, **extra):
    playbook = tmp_path / "build.yml"
    playbook.write_text(BUILD)
    app_vars = {"pyfleet_app_name": name, "pyfleet_app_src": str(app), "pyfleet_app_module": "lockedapp:app",
                "pyfleet_app_version": "t1", "pyfleet_image_build_dir": str(tmp_path / "build"), **extra}
    return run_playbook(tmp_path, playbook, app_vars)


@pytest.mark.parametrize("kind", ["pipfile", "poetry", "uv"])
def test_a_lock_installs_its_locked_versions(tmp_path, kind):
    name = f"itlock-{kind}"
    docker("rmi", "-f", f"{name}:t1", check=False)
    try:
        result = build(tmp_path, app_with(tmp_path, kind), name)
        assert result.rc == 0, result.output[-4000:]
        dockerfile = (tmp_path / "build" / name / "Dockerfile").read_text()
        assert f"deps.py {kind} " in dockerfile and "--require-hashes --no-deps" in dockerfile
        # the lock goes in before the code, so a code change reuses the dependency layer
        assert dockerfile.index("uv.lock" if kind == "uv" else "poetry.lock" if kind == "poetry" else "Pipfile.lock") \
            < dockerfile.index("COPY app/ /app/")
        # the manifests allow newer releases; the lock's older ones are what got installed
        out = docker("run", "--rm", "--entrypoint", "/opt/venv/bin/python", f"{name}:t1", "-c",
                     "from importlib.metadata import version as v; print(v('python-dateutil'), v('six'))").stdout
        assert out.split() == ["2.8.2", "1.16.0"]
    finally:
        docker("rmi", "-f", f"{name}:t1", check=False)


@pytest.mark.parametrize("kind,manifest,edit", [
    ("uv", "pyproject.toml", ('"python-dateutil>=2.8"', '"python-dateutil>=2.8", "idna>=3"')),
    ("poetry", "pyproject.toml", ('python-dateutil = "^2.8"', 'python-dateutil = "^2.9"')),
    ("pipfile", "Pipfile", ('python-dateutil = ">=2.8"', 'python-dateutil = ">=2.8"\nidna = "*"')),
])
def test_a_stale_lock_fails_the_build_and_says_why(tmp_path, kind, manifest, edit):
    app = app_with(tmp_path, kind)
    text = (app / manifest).read_text()
    assert edit[0] in text
    (app / manifest).write_text(text.replace(edit[0], edit[1]))
    name = f"itstale-{kind}"
    docker("rmi", "-f", f"{name}:t1", check=False)
    result = build(tmp_path, app, name)
    assert result.rc != 0
    assert "the lock is out of date" in result.output
    assert ("idna" if kind != "poetry" else "python-dateutil 2.8.2, outside the declared") in result.output
    assert docker("image", "inspect", f"{name}:t1", check=False).returncode != 0


RENDERINGS = {
    "requirements": (ROOT / "examples" / "hello", "webapp:app", {}),
    "pyproject": (ROOT / "tests" / "apps" / "plainwsgi", "service.main:application", {}),
    "pipfile": (LOCKS / "pipfile", "lockedapp:app", {}),
    "poetry": (LOCKS / "poetry", "lockedapp:app", {}),
    "uv": (LOCKS / "uv", "lockedapp:app", {}),
    "packages-and-indexes": (ROOT / "examples" / "hello", "webapp:app", {
        "pyfleet_image_build_packages": ["libpq-dev", "gcc"], "pyfleet_image_runtime_packages": ["libpq5"],
        "pyfleet_image_pip_index_url": "https://pypi.example.org/simple",
        "pyfleet_image_pip_extra_index_urls": ["https://extra.example.org/simple"]}),
}


def test_every_rendered_dockerfile_passes_hadolint(tmp_path):
    playbook = tmp_path / "render.yml"
    playbook.write_text(BUILD)
    rendered = []
    for label, (src, module, extra) in RENDERINGS.items():
        app = tmp_path / label
        shutil.copytree(src, app)
        if src.parent == LOCKS:
            shutil.copy(LOCKS / "lockedapp.py", app / "lockedapp.py")
        result = run_playbook(tmp_path, playbook, {
            "pyfleet_app_name": f"lint-{label}", "pyfleet_app_src": str(app), "pyfleet_app_module": module,
            "pyfleet_image_build": False, "pyfleet_image_build_dir": str(tmp_path / "build"), **extra})
        assert result.rc == 0, result.output[-3000:]
        rendered.append(tmp_path / "build" / f"lint-{label}" / "Dockerfile")
    for dockerfile in rendered:
        proc = subprocess.run([str(HADOLINT), "--config", str(ROOT / ".hadolint.yaml"), str(dockerfile)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{dockerfile}:\n{proc.stdout}{proc.stderr}"
