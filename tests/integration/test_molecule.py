"""Molecule scenarios, each the full sequence: create, converge, idempotence, verify, destroy."""
import os
import subprocess

import pytest

from conftest import ROOT


@pytest.mark.parametrize("scenario", ["default", "caddy", "django", "ingress"])
def test_molecule_scenario(scenario):
    env = dict(os.environ, PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), NO_COLOR="1", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "molecule"), "test", "-s", scenario],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=2400)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert "idempotence" in output.lower()
