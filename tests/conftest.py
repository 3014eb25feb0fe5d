"""Shared test setup: make the collection importable as ansible_collections.pyfleet.wsgi."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".collections"
link = COLLECTIONS / "ansible_collections" / "pyfleet" / "wsgi"
if not link.exists():
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to("../../..")
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


# `make test` runs two pytest workers (pytest-xdist, --dist loadgroup). The test fleet
# (10.88.0.0/24, hosts pfh*) is one machine-wide resource: every test that uses it runs in
# one group, in order, first; every other module is a group of its own (its module-scoped
# deployment stays on one worker) and runs on the other worker against the local engine.
FLEET_TESTS = ("tests/integration/test_fleet.py::", "test_molecule_scenario[fleet]", "test_molecule_scenario[stateful]")


def pytest_collection_modifyitems(config, items):
    import pytest

    def group(item):
        return "fleet" if any(mark in item.nodeid for mark in FLEET_TESTS) else item.nodeid.split("::")[0]

    items.sort(key=lambda item: group(item) != "fleet")
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group(item)))
