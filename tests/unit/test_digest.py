import os

import pytest

from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import is_excluded, tree_digest


@pytest.fixture
def app(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("x = 1\n")
    (tmp_path / "wsgi.py").write_text("app = None\n")
    return tmp_path


def test_digest_ignores_timestamps_and_caches(app):
    before = tree_digest(str(app))
    os.utime(app / "wsgi.py", (1, 1))
    (app / "__pycache__").mkdir()
    (app / "__pycache__" / "wsgi.cpython-311.pyc").write_bytes(b"\0")
    (app / ".git").mkdir()
    (app / ".git" / "HEAD").write_text("ref")
    (app / ".env").write_text("SECRET=1")
    assert tree_digest(str(app)) == before


def test_digest_changes_with_content_names_and_exec_bit(app):
    base = tree_digest(str(app))
    (app / "wsgi.py").write_text("app = 1\n")
    changed = tree_digest(str(app))
    assert changed != base
    (app / "wsgi.py").rename(app / "main.py")
    renamed = tree_digest(str(app))
    assert renamed != changed
    (app / "main.py").chmod(0o755)
    assert tree_digest(str(app)) != renamed


def test_digest_refuses_missing_directory(tmp_path):
    with pytest.raises(ValueError):
        tree_digest(str(tmp_path / "nope"))


def test_is_excluded_matches_any_component():
    assert is_excluded("a/__pycache__/b.pyc", ["__pycache__"])
    assert is_excluded("x.pyc", ["*.pyc"])
    assert not is_excluded("static/site.css", ["*.pyc", ".git"])
