# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image's build context on the controller: staged like rsync --checksum --delete, written
only where content differs, so an unchanged app leaves every file (and the version) as it was."""

from __future__ import annotations

import os
import shutil
import stat

from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import is_excluded

# Files looked for in the app directory, in this order; the first present picks how the
# dependencies are installed (a lock wins over the manifest beside it).
DEPENDENCY_FILES = ("uv.lock", "poetry.lock", "Pipfile.lock", "requirements.txt", "pyproject.toml")
KIND_OF = {"uv.lock": "uv", "poetry.lock": "poetry", "Pipfile.lock": "pipfile",
           "requirements.txt": "requirements", "pyproject.toml": "pyproject"}
# The files of each kind copied before the code (the dependency layer).
LAYER_FILES = {"uv": ("pyproject.toml", "uv.lock"), "poetry": ("pyproject.toml", "poetry.lock"),
               "pipfile": ("Pipfile", "Pipfile.lock")}


def dependencies(present, setting="auto"):
    """How the dependencies are installed, and the files of the dependency layer.

    ``present`` are the app's files among DEPENDENCY_FILES, Pipfile; ``setting`` is
    pyfleet_app_dependencies (``auto`` picks from the files present, first match wins).
    """
    kind = setting
    if setting == "auto":
        kind = next((KIND_OF[name] for name in DEPENDENCY_FILES if name in present), "none")
    return kind, [name for name in LAYER_FILES.get(kind, ()) if name in present]


def _same(src, dest):
    """True when ``dest`` already is a copy of ``src`` (link target, or mode and content)."""
    try:
        dest_stat = os.lstat(dest)
    except FileNotFoundError:
        return False
    if os.path.islink(src):
        return stat.S_ISLNK(dest_stat.st_mode) and os.readlink(dest) == os.readlink(src)
    src_stat = os.stat(src)
    if not stat.S_ISREG(dest_stat.st_mode) or src_stat.st_size != dest_stat.st_size:
        return False
    if stat.S_IMODE(src_stat.st_mode) != stat.S_IMODE(dest_stat.st_mode):
        return False
    with open(src, "rb") as one, open(dest, "rb") as other:
        while True:
            a, b = one.read(1 << 16), other.read(1 << 16)
            if a != b:
                return False
            if not a:
                return True


def _clear(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def stage_tree(src, dest, excludes):
    """Make ``dest`` a copy of ``src`` without the excluded paths; return what changed.

    Symlinks are copied as links, modes are kept, files are compared by content; anything
    in ``dest`` that ``src`` lacks is removed.
    """
    changed = []
    wanted = {"."}
    os.makedirs(dest, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(src):
        rel_dir = os.path.relpath(dirpath, src)
        entries = []
        for name in sorted(dirnames + filenames):
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if not is_excluded(rel, excludes):
                entries.append((name, rel))
        dirnames[:] = [n for n, _rel in entries if n in dirnames and not os.path.islink(os.path.join(dirpath, n))]
        for name, rel in entries:
            wanted.add(rel)
            source, target = os.path.join(dirpath, name), os.path.join(dest, rel)
            if name in dirnames:
                if not os.path.isdir(target) or os.path.islink(target):
                    _clear(target)
                    os.makedirs(target)
                    changed.append(rel + "/")
                continue
            if _same(source, target):
                continue
            _clear(target)
            if os.path.islink(source):
                os.symlink(os.readlink(source), target)
            else:
                shutil.copy2(source, target)
            changed.append(rel)
    for dirpath, dirnames, filenames in os.walk(dest, topdown=False):
        rel_dir = os.path.relpath(dirpath, dest)
        for name in dirnames + filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel not in wanted:
                _clear(os.path.join(dirpath, name))
                changed.append("-" + rel)
    return changed


def put_file(path, content, mode=0o644):
    """Write ``content`` (bytes) to ``path`` unless it is there already; True when written."""
    try:
        with open(path, "rb") as handle:
            if handle.read() == content and stat.S_IMODE(os.stat(path).st_mode) == mode:
                return False
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp = path + ".pyfleet-tmp"
    with open(temp, "wb") as handle:
        handle.write(content)
    os.chmod(temp, mode)
    os.replace(temp, path)
    return True


def remove_file(path):
    """Remove ``path`` when it exists; True when removed."""
    if os.path.lexists(path):
        os.unlink(path)
        return True
    return False


# What every image the pool runs has, as the collection's Dockerfile makes it: the entry
# point that waits for services, the health check, the app in /app and a user other than root.
ENTRYPOINT = ["/opt/venv/bin/python", "/opt/pyfleet/start.py"]
HEALTHCHECK = "/opt/pyfleet/healthcheck.py"


def contract_gaps(inspect):
    """What an image (docker image inspect) lacks of the contract; empty when it has it all."""
    config = (inspect or {}).get("Config") or {}
    gaps = []
    if list(config.get("Entrypoint") or []) != ENTRYPOINT:
        gaps.append("the entry point is %s, not %s" % (config.get("Entrypoint"), ENTRYPOINT))
    test = " ".join((config.get("Healthcheck") or {}).get("Test") or [])
    if HEALTHCHECK not in test:
        gaps.append("no health check runs %s" % HEALTHCHECK)
    if config.get("WorkingDir") != "/app":
        gaps.append("the working directory is %r, not /app" % (config.get("WorkingDir") or ""))
    user = str(config.get("User") or "")
    if user.split(":", maxsplit=1)[0] in ("", "0", "root"):
        gaps.append("it runs as root")
    return gaps


def registry_of(ref):
    """The registry host of an image reference (Docker Hub when the first part is no host)."""
    first, slash, rest = ref.partition("/")
    if slash and rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def version_of(ref):
    """The version a reference names: its tag, or the first 12 digits of its digest."""
    if "@" in ref:
        return ref.rsplit("@", 1)[1].split(":", 1)[-1][:12]
    name = ref.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[1] if ":" in name else "latest"
