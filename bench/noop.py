#!/usr/bin/env python3
"""What a deploy costs when there is little or nothing to do, against a floor in the same run.

  demo     `ansible-playbook deploy.yml` on the demo inventory (this machine's engine, local
           connection) with nothing to change: wall time, controller CPU and tasks run.
  floor    a playbook doing one community.docker.docker_host_info per host against the same
           inventory: the least any deploy that looks at the engine can cost.
  rollout  a code change rolled out on the one pool host, its image already built (two
           versions deployed in turn, both on the engine).
  fleet    the no-op and the floor on the test fleet (scripts/fleet) with 1 and with 6 pool
           hosts: wall time and controller CPU (ansible-playbook and its workers and ssh clients).

With --baseline REF the demo, floor and rollout rows are also measured for that git revision
(checked out into a temporary worktree), in the same run, under another app name.

  bench/noop.py [--rounds 3] [--baseline REF] [--fleet 1,6] [--no-fleet]

Writes bench/results/noop.json and prints a table.
"""
import argparse
import json
import os
import pathlib
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PLAYBOOK = ROOT / ".venv" / "bin" / "ansible-playbook"
FLOOR = """
- name: Floor - one engine lookup per host
  hosts: all
  gather_facts: false
  tasks:
    - name: Look at the engine
      community.docker.docker_host_info:
"""


def sh(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def play(tree, inventory, playbook, extra=None):
    """(wall s, controller CPU s, tasks run, changed) of one ansible-playbook run in `tree`."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(tree / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    cmd = [str(PLAYBOOK), "-i", str(inventory), str(playbook)]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    proc = sh(*cmd, cwd=tree, env=env, timeout=3600)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit("%s failed in %s:\n%s" % (playbook, tree, proc.stdout[-5000:]))
    recap = proc.stdout.split("PLAY RECAP")[-1]
    ok = sum(int(n) for n in re.findall(r"\bok=(\d+)", recap))
    changed = sum(int(n) for n in re.findall(r"\bchanged=(\d+)", recap))
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return round(wall, 2), round(cpu, 2), ok, changed


def median_of(runs):
    return {"wall_s": statistics.median(r[0] for r in runs), "cpu_s": statistics.median(r[1] for r in runs),
            "tasks": max(r[2] for r in runs), "changed": max(r[3] for r in runs)}


def demo(tree, app, port, rounds, tmp):
    """The demo's no-op, its floor and a rollout of a built version, for the checkout `tree`."""
    src = pathlib.Path(tmp) / app
    shutil.copytree(ROOT / "examples" / "hello", src)
    extra = {"pyfleet_app_name": app, "pyfleet_app_src": str(src), "pyfleet_http_port": port,
             "pyfleet_pool_port_base": 29000 + 200 * (port - 28780)}
    inventory = tree / "inventory" / "local.yml"
    floor_book = pathlib.Path(tmp) / "floor.yml"
    floor_book.write_text(FLOOR)
    webapp = src / "webapp.py"
    original = webapp.read_text()
    versions = [original, original.replace("Hello", "Howdy", 1)]
    for text in versions:  # both versions built and deployed once
        webapp.write_text(text)
        play(tree, inventory, tree / "deploy.yml", extra)
    noop = [play(tree, inventory, tree / "deploy.yml", extra) for _ in range(rounds)]
    floor = [play(tree, inventory, floor_book) for _ in range(rounds)]
    rollout = []
    for number in range(rounds):
        webapp.write_text(versions[number % 2])
        rollout.append(play(tree, inventory, tree / "deploy.yml", extra))
    sh(str(PLAYBOOK), "-i", str(inventory), str(tree / "playbooks" / "teardown.yml"), "-e", json.dumps(extra),
       cwd=tree, env=dict(os.environ, ANSIBLE_CONFIG=str(tree / "ansible.cfg")))
    return {"noop": median_of(noop), "floor": median_of(floor), "rollout": median_of(rollout)}


def fleet(pool, rounds, tmp):
    """The no-op on the test fleet: one frontend host and `pool` pool hosts."""
    sys.path.insert(0, str(ROOT / "bench"))
    from scale import inventory as fleet_inventory  # noqa: E402 - the scale benchmark's fleet inventory

    if sh(str(ROOT / "scripts" / "fleet"), "up", str(pool + 1), "--frontends", "1", timeout=1200).returncode:
        sys.exit("fleet up failed")
    try:
        src = pathlib.Path(tmp) / ("fleet%d" % pool)
        shutil.copytree(ROOT / "examples" / "hello", src)
        inv = fleet_inventory(pathlib.Path(tmp) / ("fleet%d.json" % pool), pool, src, app="noopfleet")
        floor_book = pathlib.Path(tmp) / "floor.yml"
        floor_book.write_text(FLOOR)
        play(ROOT, inv, ROOT / "deploy.yml")
        return {"noop": median_of([play(ROOT, inv, ROOT / "deploy.yml") for _ in range(rounds)]),
                "floor": median_of([play(ROOT, inv, floor_book) for _ in range(rounds)])}
    finally:
        sh(str(ROOT / "scripts" / "fleet"), "down", timeout=900)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default="", help="a git revision to measure beside this checkout")
    parser.add_argument("--fleet", default="1,6", help="pool host counts of the fleet rows")
    parser.add_argument("--no-fleet", action="store_true")
    args = parser.parse_args()
    results = {"rounds": args.rounds}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this": ROOT}
        if args.baseline:
            base = pathlib.Path(tmp) / "baseline"
            if sh("git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.baseline).returncode:
                sys.exit("cannot check out %s" % args.baseline)
            (base / ".venv").symlink_to(ROOT / ".venv")
            (base / ".collections" / "ansible_collections" / "pyfleet").mkdir(parents=True)
            (base / ".collections" / "ansible_collections" / "pyfleet" / "wsgi").symlink_to("../../..")
            trees[args.baseline] = base
        try:
            for number, (name, tree) in enumerate(trees.items()):
                results[name] = demo(tree, "noopbench%d" % number, 28780 + number, args.rounds, tmp)
        finally:
            if args.baseline:
                sh("git", "-C", str(ROOT), "worktree", "remove", "--force", str(trees[args.baseline]))
        if not args.no_fleet:
            results["fleet"] = {int(n): fleet(int(n), args.rounds, tmp) for n in args.fleet.split(",")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "noop.json").write_text(json.dumps(results, indent=2) + "\n")

    print("%-12s %-8s %8s %8s %6s %8s" % ("tree", "row", "wall s", "cpu s", "tasks", "x floor"))
    for name in trees:
        row = results[name]
        for kind in ("floor", "noop", "rollout"):
            print("%-12s %-8s %8.2f %8.2f %6d %8.2f" % (name, kind, row[kind]["wall_s"], row[kind]["cpu_s"],
                                                       row[kind]["tasks"], row[kind]["wall_s"] / row["floor"]["wall_s"]))
    for pool, rows in results.get("fleet", {}).items():
        for kind in ("floor", "noop"):
            row = rows[kind]
            print("%-12s %-8s %8.2f %8.2f %6d %8.2f" % ("fleet %d pool" % pool, kind, row["wall_s"], row["cpu_s"], row["tasks"],
                                                       row["wall_s"] / rows["floor"]["wall_s"]))
    if len(results.get("fleet", {})) > 1:
        counts = sorted(results["fleet"])
        for kind in ("floor", "noop"):
            print("fleet %s CPU growth %d -> %d pool hosts: %.2fx" % (
                kind, counts[0], counts[-1],
                results["fleet"][counts[-1]][kind]["cpu_s"] / results["fleet"][counts[0]][kind]["cpu_s"]))


if __name__ == "__main__":
    main()
