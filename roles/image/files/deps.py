"""Turn an app's dependency file into a pip requirements file, in the builder stage.

    deps.py KIND DIR > requirements.txt

KIND is what the app declares its dependencies in:
  pyproject   [project].dependencies (PEP 621), else [tool.poetry.dependencies]: ranges,
              resolved by pip at build time
  pipfile     Pipfile.lock's "default" packages, checked against the Pipfile
  poetry      poetry.lock, checked against pyproject.toml
  uv          uv.lock, checked against pyproject.toml

For a lock, the output pins every package the app needs on this platform at its locked
version with its locked hashes (pip then runs with --require-hashes --no-deps, so nothing
unlocked gets in). The lock is out of date when a dependency the manifest declares is missing
from it or its locked version does not satisfy the declared range: then this exits 1 with a
message naming the lock, the dependency and what to run.
"""
import json
import os
import re
import sys
import tomllib

try:
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name
except ImportError:  # pip always carries a copy
    from pip._vendor.packaging.markers import Marker
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.specifiers import SpecifierSet
    from pip._vendor.packaging.utils import canonicalize_name

RELOCK = {
    "pipfile": "pipenv lock",
    "poetry": "poetry lock",
    "uv": "uv lock",
}
LOCK_FILES = {"pipfile": "Pipfile.lock", "poetry": "poetry.lock", "uv": "uv.lock"}


class Stale(Exception):
    """The lock does not match the manifest."""


def marker_ok(marker):
    if not marker:
        return True
    return Marker(marker).evaluate({"extra": ""})


def load_toml(path):
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def poetry_range(spec):
    """A Poetry constraint ("^1.2", "~1.2", "1.2.*", ">=1,<2") as a PEP 440 specifier."""
    spec = str(spec).strip()
    if spec in ("", "*"):
        return ""
    parts = []
    for piece in spec.split(","):
        piece = piece.strip()
        if piece[:1] in "^~" and not piece.startswith("~="):
            base = piece.lstrip("^~")
            numbers = [int(n) for n in re.findall(r"\d+", base)[:3]]
            if piece[0] == "^":
                first = next((i for i, n in enumerate(numbers) if n != 0), len(numbers) - 1)
                upper = numbers[:first] + [numbers[first] + 1]
            else:
                upper = [numbers[0] + 1] if len(numbers) == 1 else [numbers[0], numbers[1] + 1]
            parts += [">=" + base, "<" + ".".join(map(str, upper))]
        elif piece[:1].isdigit():
            parts.append("==" + piece)
        else:
            parts.append(piece)
    return ",".join(parts)


def declared_pyproject(app_dir):
    """The app's direct dependencies from pyproject.toml, as (name, specifier) pairs."""
    data = load_toml(os.path.join(app_dir, "pyproject.toml"))
    deps = data.get("project", {}).get("dependencies")
    if deps is not None:
        return [(canonicalize_name(r.name), str(r.specifier)) for r in map(Requirement, deps)
                if marker_ok(str(r.marker) if r.marker else "")]
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    out = []
    for name, spec in poetry.items():
        if name.lower() == "python":
            continue
        if isinstance(spec, dict):
            if spec.get("optional") or not marker_ok(spec.get("markers", "")):
                continue
            spec = spec.get("version", "*")
        out.append((canonicalize_name(name), poetry_range(spec)))
    return out


def pyproject_requirements(app_dir):
    """No lock: the declared ranges, for pip to resolve."""
    data = load_toml(os.path.join(app_dir, "pyproject.toml"))
    deps = data.get("project", {}).get("dependencies")
    if deps is not None:
        return list(deps), False
    return [name + spec for name, spec in declared_pyproject(app_dir)], False


def check(lock_name, kind, declared, locked):
    """Every declared dependency is locked, at a version inside its declared range."""
    for name, spec in declared:
        if name not in locked:
            raise Stale("%s does not lock %s, which the app declares; the lock is out of date: run `%s`."
                        % (lock_name, name, RELOCK[kind]))
        if spec and not SpecifierSet(spec).contains(locked[name]["version"], prereleases=True):
            raise Stale("%s locks %s %s, outside the declared %s; the lock is out of date: run `%s`."
                        % (lock_name, name, locked[name]["version"], spec, RELOCK[kind]))


def reachable(roots, locked):
    """Names of the locked packages the roots need on this platform (markers evaluated)."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in locked:
            continue
        seen.add(name)
        todo.extend(dep for dep, marker in locked[name]["deps"] if marker_ok(marker))
    return seen


def pins(names, locked):
    lines = []
    for name in sorted(names):
        entry = locked[name]
        hashes = sorted(set(entry["hashes"]))
        if not hashes:
            raise Stale("the lock has no hashes for %s %s: relock it with hashes." % (name, entry["version"]))
        lines.append("%s==%s %s" % (name, entry["version"], " ".join("--hash=" + h for h in hashes)))
    return lines


def pipfile(app_dir):
    with open(os.path.join(app_dir, "Pipfile.lock"), encoding="utf-8") as handle:
        lock = json.load(handle)
    locked = {}
    for name, entry in lock.get("default", {}).items():
        if "version" not in entry:
            raise Stale("Pipfile.lock pins %s by path or VCS, which cannot be hash-checked." % name)
        if not marker_ok(entry.get("markers", "")):
            continue
        locked[canonicalize_name(name)] = {"version": entry["version"].lstrip("="), "hashes": entry.get("hashes", []),
                                           "deps": []}
    pipfile_path = os.path.join(app_dir, "Pipfile")
    if os.path.exists(pipfile_path):
        packages = load_toml(pipfile_path).get("packages", {})
        declared = []
        for name, spec in packages.items():
            if isinstance(spec, dict):
                if not marker_ok(spec.get("markers", "")):
                    continue
                spec = spec.get("version", "*")
            declared.append((canonicalize_name(name), "" if spec in ("*", "") else spec))
        check("Pipfile.lock", "pipfile", declared, locked)
    # Pipfile.lock lists the whole resolved set, already filtered by markers above.
    return pins(locked, locked)


def poetry(app_dir):
    lock = load_toml(os.path.join(app_dir, "poetry.lock"))
    locked = {}
    for package in lock.get("package", []):
        name = canonicalize_name(package["name"])
        if package.get("source", {}).get("type") in ("directory", "git", "file", "url"):
            raise Stale("poetry.lock pins %s from a %s source, which cannot be hash-checked."
                        % (name, package["source"]["type"]))
        deps = []
        for dep, spec in package.get("dependencies", {}).items():
            specs = spec if isinstance(spec, list) else [spec]
            for item in specs:
                marker = item.get("markers", "") if isinstance(item, dict) else ""
                optional = isinstance(item, dict) and item.get("optional", False)
                if not optional:
                    deps.append((canonicalize_name(dep), marker))
        locked[name] = {"version": package["version"], "hashes": [f["hash"] for f in package.get("files", [])],
                        "deps": deps}
    declared = declared_pyproject(app_dir)
    check("poetry.lock", "poetry", declared, locked)
    return pins(reachable([name for name, _ in declared], locked), locked)


def uv(app_dir):
    lock = load_toml(os.path.join(app_dir, "uv.lock"))
    project = load_toml(os.path.join(app_dir, "pyproject.toml")).get("project", {})
    root_name = canonicalize_name(project.get("name", ""))
    locked, roots = {}, []
    for package in lock.get("package", []):
        name = canonicalize_name(package["name"])
        deps = [(canonicalize_name(d["name"]), d.get("marker", "")) for d in package.get("dependencies", [])]
        source = package.get("source", {})
        if name == root_name or "editable" in source or "virtual" in source:
            roots.extend(dep for dep, marker in deps if marker_ok(marker))
            continue
        hashes = [w["hash"] for w in package.get("wheels", []) if "hash" in w]
        if "sdist" in package and "hash" in package["sdist"]:
            hashes.append(package["sdist"]["hash"])
        locked[name] = {"version": package["version"], "hashes": hashes, "deps": deps}
    check("uv.lock", "uv", declared_pyproject(app_dir), locked)
    return pins(reachable(roots, locked), locked)


def main(kind, app_dir):
    try:
        if kind == "pyproject":
            lines, _ = pyproject_requirements(app_dir)
        else:
            lines = {"pipfile": pipfile, "poetry": poetry, "uv": uv}[kind](app_dir)
    except Stale as error:
        print("pyfleet: %s" % error, file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
