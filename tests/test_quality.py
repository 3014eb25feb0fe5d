"""Quality gates: generated docs and specs in sync, yamllint, ansible-lint (production) and
ansible-test sanity clean."""
import os
import subprocess
import sys


from conftest import ROOT

BIN = ROOT / ".venv" / "bin"


def run(*cmd):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), NO_COLOR="1")
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


def test_argument_specs_and_role_docs_match_the_defaults():
    proc = run(sys.executable, "scripts/specgen.py", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_role_entry_point_has_an_argument_spec():
    """main, preflight and every task file a playbook, role or scenario includes with
    tasks_from, found here independently of the generator."""
    import re

    import yaml

    included = set()
    for folder in ("playbooks", "roles", "molecule"):
        for path in (ROOT / folder).rglob("*.yml"):
            for block in re.split(r"\n\s*-\s", path.read_text()):
                role = re.search(r"name:\s*pyfleet\.wsgi\.(\w+)", block)
                entry = re.search(r"tasks_from:\s*(\w+)", block)
                if role and entry:
                    included.add((role.group(1), entry.group(1)))
    assert len(included) >= 14, included
    for role in sorted((ROOT / "roles").iterdir()):
        specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
        defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
        entries = {"main"} | ({"preflight"} if (role / "tasks" / "preflight.yml").exists() else set())
        entries |= {entry for name, entry in included if name == role.name}
        for entry in sorted(entries):
            assert entry in specs, f"{role.name}: no spec for {entry}"
            options = specs[entry].get("options", {})
            assert set(options) == set(defaults), f"{role.name}/{entry}: spec and defaults differ"
            for name, spec in options.items():
                assert spec["default"] == defaults[name], f"{role.name}: {name} default differs"


def test_yamllint():
    proc = run(str(BIN / "yamllint"), "-s", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ansible_lint_production_profile():
    proc = run(str(BIN / "ansible-lint"), "--profile", "production", "--nocolor")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    assert "Profile 'production' was required, and it passed" in proc.stdout + proc.stderr


def test_ansible_test_sanity_on_the_plugins():
    proc = run(str(ROOT / "scripts" / "sanity"))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert 'Running sanity test "validate-modules"' in out and 'Running sanity test "pylint"' in out


def test_benchmark_charts_are_redrawn_from_the_committed_csv(tmp_path):
    proc = run(str(BIN / "python"), str(ROOT / "bench" / "plot.py"), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("stack.png", "scale.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10000, name
        # the committed chart is what the committed CSV draws (same size within a few %)
        committed = (ROOT / "docs" / "bench" / name).stat().st_size
        assert abs(len(data) - committed) / committed < 0.05, name


def test_changelog_fragments_are_valid():
    proc = run(str(BIN / "antsibull-changelog"), "lint")
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout + proc.stderr
