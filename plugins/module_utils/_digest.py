# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Content digests of directory trees (private helper of the pyfleet.wsgi collection)."""

from __future__ import annotations

import fnmatch
import hashlib
import os

# Paths that never belong in an image: VCS data, caches, local virtualenvs, env files.
DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    "*.pyc",
    "*.pyo",
    ".venv",
    "venv",
    ".env",
    ".env.*",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    ".DS_Store",
)


def build_excludes(extra=None):
    """Patterns kept out of every build context: the defaults plus ``extra``."""
    result = list(DEFAULT_EXCLUDES)
    for pattern in extra or []:
        if pattern not in result:
            result.append(str(pattern))
    return result


def is_excluded(relpath, excludes):
    """True when any component of ``relpath`` matches one of the ``excludes`` patterns."""
    parts = relpath.replace(os.sep, "/").split("/")
    return any(fnmatch.fnmatchcase(part, pattern) for part in parts for pattern in excludes)


def tree_digest(root, excludes=DEFAULT_EXCLUDES):
    """SHA-256 over every file below ``root``: its relative path, executable bit and content.

    The walk order is sorted, so the digest depends on content only, never on the
    filesystem's order, timestamps or ownership.  Symlinks are hashed by their target text.
    """
    if not os.path.isdir(root):
        raise ValueError("%s is not a directory" % root)
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(
            d for d in dirnames
            if not is_excluded(os.path.normpath(os.path.join(rel_dir, d)), excludes)
        )
        for name in sorted(filenames):
            rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
            if is_excluded(rel, excludes):
                continue
            path = os.path.join(dirpath, name)
            digest.update(b"P" + rel.encode("utf-8") + b"\0")
            if os.path.islink(path):
                digest.update(b"L" + os.readlink(path).encode("utf-8") + b"\0")
                continue
            digest.update(b"X" if os.access(path, os.X_OK) else b"-")
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 16), b""):
                    digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()


def content_version(parts, length=12):
    """A short immutable version from content digests (order-sensitive)."""
    if isinstance(parts, str):
        parts = [parts]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[: int(length)]
