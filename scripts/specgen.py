#!/usr/bin/env python3
"""Generate each role's meta/argument_specs.yml and README.md from its commented defaults.

The comments above a variable in defaults/main.yml are its description. Tags in those
comments add what a default cannot say:
  # @choices: a, b        allowed values
  # @type: path           type when it cannot be inferred from the default
  # @elements: str        element type of a list
  # @no_log: true          a secret: never logged by the argument validation
Section headers ("# --- Name ---") group variables in the README.

  specgen.py            write the files
  specgen.py --check    exit 1 when a written file differs from what would be generated
"""
from __future__ import annotations

import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
ROLES = ROOT / "roles"
ENTRY_POINTS = {"main": "Run the role.", "preflight": "Validate the role's inputs; change nothing."}
# A role's other entry points are the task files that playbooks, roles and scenarios include
# with tasks_from; each has a spec of its own, described by the comment its file opens with.
TASKS_FROM = re.compile(r"name:\s*pyfleet\.wsgi\.(\w+)\s*\n\s*tasks_from:\s*(\w+)")
HEADER = re.compile(r"^# -+ (.+?) -+\s*$")
TAG = re.compile(r"^#\s*@(\w+):\s*(.*)$")
KEY = re.compile(r"^([a-z_][a-z0-9_]*):")


def parse_defaults(path):
    values = yaml.safe_load(path.read_text()) or {}
    entries, comments, tags, section = [], [], {}, ""
    for line in path.read_text().splitlines():
        header = HEADER.match(line)
        if header:
            section, comments, tags = header.group(1), [], {}
            continue
        tag = TAG.match(line)
        if tag:
            tags[tag.group(1)] = tag.group(2).strip()
            continue
        if line.startswith("#"):
            comments.append(line[1:].strip())
            continue
        key = KEY.match(line)
        if key:
            name = key.group(1)
            entries.append((name, values[name], _description(comments), dict(tags), section))
            comments, tags = [], {}
        elif not line.strip():
            comments, tags = [], {}
    return entries


def _description(comments):
    lines = [c for c in comments if c]
    # Commented examples (indented YAML) are kept out of the one-line description.
    cut = next((i for i, c in enumerate(lines) if c.startswith("Example")), len(lines))
    return " ".join(lines[:cut]).strip()


def infer_type(value, tags):
    if "type" in tags:
        return tags["type"]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return "str"


def option(name, value, description, tags):
    spec = {"type": infer_type(value, tags)}
    if spec["type"] == "list":
        spec["elements"] = tags.get("elements", "str")
    if "choices" in tags:
        spec["choices"] = [_scalar(c.strip()) for c in tags["choices"].split(",")]
    if tags.get("no_log") == "true":
        spec["no_log"] = True
    spec["default"] = value
    spec["description"] = description
    return spec


def _scalar(text):
    if text in ('""', "''"):
        return ""
    return int(text) if text.isdigit() else text


def role_summary(role_dir):
    meta = yaml.safe_load((role_dir / "meta" / "main.yml").read_text())
    return meta["galaxy_info"]["description"]


def tasks_from():
    """Every (role, task file) that a playbook, role or scenario includes with tasks_from."""
    found = set()
    for folder in ("playbooks", "roles", "molecule"):
        for path in sorted((ROOT / folder).rglob("*.yml")):
            found.update(TASKS_FROM.findall(path.read_text()))
    return found


def opening_comment(path):
    """The comment a task file opens with, as one line."""
    lines = []
    for line in path.read_text().splitlines()[1:]:
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    return " ".join(lines).strip()


def entry_points(role_dir):
    """The role's entry points with their descriptions: main, preflight, then the task files
    included with tasks_from."""
    points = {"main": None}
    if (role_dir / "tasks" / "preflight.yml").exists():
        points["preflight"] = ENTRY_POINTS["preflight"]
    for role, name in sorted(tasks_from()):
        if role == role_dir.name and name not in points:
            points[name] = opening_comment(role_dir / "tasks" / f"{name}.yml") or f"The {name} step of {role}."
    return points


def build_specs(role_dir, entries):
    options = {name: option(name, value, desc, tags) for name, value, desc, tags, _ in entries}
    summary = role_summary(role_dir)
    specs = {}
    for entry, text in entry_points(role_dir).items():
        short = summary if entry == "main" else f"{entry.capitalize()} of {role_dir.name}: {text}"
        if entry != "main" and len(short) > 160:
            short = short[:short.rfind(" ", 0, 150)] + " ..."
        specs[entry] = {
            "short_description": short,
            "description": [summary if entry == "main" else text],
            "options": options,
        }
    header = "---\n# Generated by scripts/specgen.py from defaults/main.yml: edit the defaults, then run it.\n"
    return header + yaml.dump({"argument_specs": specs}, Dumper=_NoAliasDumper, sort_keys=False, width=100,
                            default_flow_style=False, indent=2)


def build_readme(role_dir, entries):
    lines = [
        f"# pyfleet.wsgi.{role_dir.name}",
        "",
        role_summary(role_dir),
        "",
        "<!-- Generated by scripts/specgen.py from defaults/main.yml. -->",
        "",
    ]
    section = None
    for name, value, desc, tags, sect in entries:
        if sect != section:
            section = sect
            lines += [f"## {sect or 'Variables'}", "", "| variable | type | default | description |", "|---|---|---|---|"]
        default = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
        default = default.removesuffix("\n...").removesuffix("...").strip().replace("|", "\\|")
        choices = f" Choices: {tags['choices']}." if "choices" in tags else ""
        lines.append(f"| `{name}` | {infer_type(value, tags)} | `{default}` | {desc}{choices} |")
        if _next_section_differs(entries, name, sect):
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _next_section_differs(entries, name, sect):
    names = [e[0] for e in entries]
    index = names.index(name)
    return index + 1 == len(entries) or entries[index + 1][4] != sect


class _NoAliasDumper(yaml.SafeDumper):
    """Plain YAML for humans and yamllint: no anchors, sequences indented under their key."""

    def ignore_aliases(self, data):
        return True

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def main(argv):
    check = "--check" in argv
    stale = []
    undocumented = [
        "%s: %s" % (role_dir.name, name)
        for role_dir in sorted(ROLES.iterdir()) if (role_dir / "defaults" / "main.yml").exists()
        for name, _, desc, _, _ in parse_defaults(role_dir / "defaults" / "main.yml") if not desc
    ]
    if undocumented:
        print("variables without a description comment: " + ", ".join(undocumented))
        return 1
    meanings = {}
    for role_dir in sorted(ROLES.iterdir()):
        if (role_dir / "defaults" / "main.yml").exists():
            for name, value, desc, _, _ in parse_defaults(role_dir / "defaults" / "main.yml"):
                meanings.setdefault(name, {}).setdefault((repr(value), desc), []).append(role_dir.name)
    split = {n: list(v.values()) for n, v in meanings.items() if len(v) > 1}
    if split:
        for name, groups in split.items():
            print("%s has different defaults or descriptions in roles %s" % (name, groups))
        return 1
    for role_dir in sorted(p for p in ROLES.iterdir() if (p / "defaults" / "main.yml").exists()):
        entries = parse_defaults(role_dir / "defaults" / "main.yml")
        outputs = {
            role_dir / "meta" / "argument_specs.yml": build_specs(role_dir, entries),
            role_dir / "README.md": build_readme(role_dir, entries),
        }
        for path, text in outputs.items():
            if check:
                if not path.exists() or path.read_text() != text:
                    stale.append(str(path.relative_to(ROOT)))
            else:
                path.write_text(text)
    if stale:
        print("out of date (run scripts/specgen.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
