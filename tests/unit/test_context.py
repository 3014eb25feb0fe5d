"""The build context (plugins/module_utils/_context.py): staged like rsync --checksum --delete,
written only where content differs, and the dependency kind picked from the files present."""

import os

import pytest

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _context
from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import DEFAULT_EXCLUDES, tree_digest


def write(path, text="x", mode=0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


@pytest.fixture
def app(tmp_path):
    src = tmp_path / "src"
    write(src / "webapp.py", "app = 1\n")
    write(src / "bin" / "run", "#!/bin/sh\n", 0o755)
    write(src / ".env", "SECRET=1\n")
    write(src / "pkg" / "__pycache__" / "x.pyc", "junk")
    write(src / "node_modules" / "big.js", "junk")
    os.symlink("webapp.py", src / "link.py")
    return src


def test_stages_the_app_without_excluded_paths_keeping_links_and_modes(app, tmp_path):
    dest = tmp_path / "ctx" / "app"
    changed = _context.stage_tree(str(app), str(dest), list(DEFAULT_EXCLUDES) + ["node_modules"])
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == ["bin", "bin/run", "link.py", "pkg", "webapp.py"]
    assert os.readlink(dest / "link.py") == "webapp.py" and os.access(dest / "bin" / "run", os.X_OK)
    assert "webapp.py" in changed and ".env" not in changed


def test_a_second_stage_writes_nothing_and_keeps_the_digest(app, tmp_path):
    dest = tmp_path / "ctx" / "app"
    _context.stage_tree(str(app), str(dest), DEFAULT_EXCLUDES)
    before = tree_digest(str(dest))
    mtime = (dest / "webapp.py").stat().st_mtime_ns
    assert _context.stage_tree(str(app), str(dest), DEFAULT_EXCLUDES) == []
    assert tree_digest(str(dest)) == before and (dest / "webapp.py").stat().st_mtime_ns == mtime


def test_changes_modes_and_removals_reach_the_context(app, tmp_path):
    dest = tmp_path / "ctx" / "app"
    _context.stage_tree(str(app), str(dest), DEFAULT_EXCLUDES)
    (app / "webapp.py").write_text("app = 2\n")
    (app / "bin" / "run").chmod(0o644)
    (app / "link.py").unlink()
    write(dest / "stray" / "left.txt")
    changed = _context.stage_tree(str(app), str(dest), DEFAULT_EXCLUDES)
    assert {"webapp.py", "bin/run", "-link.py", "-stray", "-stray/left.txt"} <= set(changed)
    assert (dest / "webapp.py").read_text() == "app = 2\n" and not os.access(dest / "bin" / "run", os.X_OK)
    assert not (dest / "link.py").exists() and not (dest / "stray").exists()


def test_put_file_writes_only_what_differs(tmp_path):
    target = tmp_path / "a" / "Dockerfile"
    assert _context.put_file(str(target), b"FROM x\n") is True
    assert _context.put_file(str(target), b"FROM x\n") is False
    assert _context.put_file(str(target), b"FROM x\n", 0o600) is True and (target.stat().st_mode & 0o777) == 0o600
    assert _context.remove_file(str(target)) is True and _context.remove_file(str(target)) is False


@pytest.mark.parametrize("present,setting,expected", [
    (["requirements.txt", "pyproject.toml"], "auto", ("requirements", [])),
    (["pyproject.toml", "uv.lock", "requirements.txt"], "auto", ("uv", ["pyproject.toml", "uv.lock"])),
    (["Pipfile", "Pipfile.lock"], "auto", ("pipfile", ["Pipfile", "Pipfile.lock"])),
    (["pyproject.toml", "poetry.lock"], "auto", ("poetry", ["pyproject.toml", "poetry.lock"])),
    ([], "auto", ("none", [])),
    (["requirements.txt", "Pipfile.lock"], "requirements", ("requirements", [])),
])
def test_dependency_kind_from_the_files_present(present, setting, expected):
    assert _context.dependencies(present, setting) == expected


GOOD_IMAGE = {"Config": {"Entrypoint": ["/opt/venv/bin/python", "/opt/pyfleet/start.py"],
                         "Healthcheck": {"Test": ["CMD", "/opt/venv/bin/python", "/opt/pyfleet/healthcheck.py"]},
                         "WorkingDir": "/app", "User": "10001:10001"}}


def test_an_image_built_elsewhere_keeps_the_pools_contract_or_is_told_what_it_lacks():
    assert _context.contract_gaps(GOOD_IMAGE) == []
    plain = {"Config": {"Entrypoint": None, "Cmd": ["gunicorn", "app:app"], "WorkingDir": "/srv", "User": ""}}
    gaps = _context.contract_gaps(plain)
    assert len(gaps) == 4 and "entry point" in gaps[0] and "health check" in gaps[1] and "/app" in gaps[2]
    assert gaps[3] == "it runs as root"
    root = {"Config": dict(GOOD_IMAGE["Config"], User="0")}
    assert _context.contract_gaps(root) == ["it runs as root"]


@pytest.mark.parametrize("ref,registry,version", [
    ("registry.example.com:5000/shop:1.4.2", "registry.example.com:5000", "1.4.2"),
    ("ghcr.io/acme/shop@sha256:" + "ab" * 32, "ghcr.io", "abababababab"),
    ("acme/shop:2", "docker.io", "2"),
    ("localhost/shop", "localhost", "latest"),
    ("shop", "docker.io", "latest"),
])
def test_registry_and_version_of_a_reference(ref, registry, version):
    assert _context.registry_of(ref) == registry and _context.version_of(ref) == version
