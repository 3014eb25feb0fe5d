"""Print the dependencies declared in a pyproject.toml, one requirement per line.

Reads [project].dependencies (PEP 621) and, failing that, [tool.poetry.dependencies]'s
plain version strings, so the dependency layer can be built before the code is copied.
"""
import sys
import tomllib


def poetry_requirement(name, spec):
    if isinstance(spec, dict):
        spec = spec.get("version", "*")
    spec = str(spec).strip()
    if spec in ("", "*"):
        return name
    if spec[0] == "^" or spec[0] == "~":
        return "%s>=%s" % (name, spec.lstrip("^~="))
    if spec[0].isdigit():
        return "%s==%s" % (name, spec)
    return "%s%s" % (name, spec)


def main(path):
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    deps = data.get("project", {}).get("dependencies")
    if deps is None:
        poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
        deps = [poetry_requirement(n, s) for n, s in poetry.items() if n.lower() != "python"]
    for dep in deps:
        print(dep)


if __name__ == "__main__":
    main(sys.argv[1])
