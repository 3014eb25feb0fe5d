#!/usr/bin/env python3
"""How deploy cost grows with hosts, per image distribution strategy.

For each strategy and pool size N it brings up a test fleet (scripts/fleet: 1 frontend host
+ N pool hosts), then times three phases of `ansible-playbook deploy.yml`:
  cold     first deploy (the app image is built; bases and app shipped to every host)
  noop     the same deploy again (must report changed=0)
  rollout  a new version after a code change, under a steady load of GETs and POSTs through
           the frontend (outcomes counted), in batches of pyfleet_rollout_batch (50% and 1)
and counts image builds: on the controller, and on the hosts themselves.

All hosts of the test fleet share this machine's cores, so work done on each host (copying,
unpacking layers, running modules) adds up here where a real fleet does it in parallel. Two
figures separate that from the deployer's own cost:
  controller CPU  seconds of CPU used by ansible-playbook and its children (workers, ssh
                  clients); on a real fleet this is the part that grows with hosts
  floor           the same machine's bare cost of shipping one image to the pool hosts at
                  once (`ssh host docker load < archive` in parallel, no Ansible), measured in
                  the same run before the deploy

  bench/scale.py [--hosts 1,3,6] [--strategies archive,registry,build_on_host]

Writes bench/results/scale.json, docs/bench/scale.csv and rollouts.csv, redraws
docs/bench/*.png (bench/plot.py) and prints a table.
"""
import argparse
import csv
import json
import os
import resource
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "bench"
STATE = pathlib.Path("/var/lib/pyfleet-fleet")
APP = "scalebench"
sys.path.insert(0, str(ROOT / "tests"))
from load import Load  # noqa: E402 - the tests' load generator


def sh(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def inventory(path, pool, app_src, strategy="archive", batch="50%", app=APP, extra=None):
    """A test fleet inventory: frontend pfh1, pool hosts pfh2.. (`pool` of them); `extra` vars win."""
    hosts = {f"pfh{i}": {"ansible_host": f"10.88.0.{10 + i}"} for i in range(1, pool + 2)}
    path.write_text(json.dumps({"all": {
        "hosts": hosts,
        "children": {"pyfleet_frontends": {"hosts": {"pfh1": {}}},
                     "pyfleet_pool": {"hosts": {h: {} for h in hosts if h != "pfh1"}}},
        "vars": {
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(STATE / "id_ed25519"),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            "ansible_python_interpreter": "/usr/bin/python3",
            "pyfleet_app_name": app,
            "pyfleet_app_src": str(app_src),
            "pyfleet_app_module": "webapp:app",
            "pyfleet_app_health_path": "/healthz",
            "pyfleet_pool_size": 2,
            "pyfleet_image_distribution": strategy,
            "pyfleet_registry": "10.88.0.1:5000",
            "pyfleet_image_builder_base": "pyfleet/python-builder:bookworm",
            "pyfleet_image_runtime_base": "pyfleet/python-runtime:bookworm",
            "pyfleet_frontend_image": "pyfleet/nginx:bookworm",
            "pyfleet_image_extra_ca_bundle": "/etc/ssl/certs/ca-certificates.crt",
            "pyfleet_rollout_batch": batch,
            **(extra or {}),
        }}}))
    return path


def deploy(inv):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_roles")
    started, before = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = sh(str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", str(inv), str(ROOT / "deploy.yml"),
              cwd=ROOT, env=env, timeout=3600)
    took = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 1)
    if proc.returncode != 0:
        sys.exit("deploy failed:\n" + proc.stdout[-4000:])
    changed = sum(int(m) for m in re.findall(r"changed=(\d+)", proc.stdout.split("PLAY RECAP")[-1]))
    # profile_roles sums the time each role's tasks took
    found = re.search(r"^distribute\s+-+\s+([\d.]+)s", proc.stdout.split("PLAY RECAP")[-1], re.M)
    return round(took, 1), changed, float(found.group(1)) if found else None, cpu


def images_on(host=None):
    cmd = ["docker"] + (["-H", f"unix://{STATE}/hosts/{host}/docker.sock"] if host else [])
    out = sh(*cmd, "image", "ls", "--no-trunc", "-q", APP).stdout.split()
    return set(out)


def floor(pool, tmp):
    """Seconds to load one base image into every pool host at once over plain ssh."""
    archive = pathlib.Path(tmp) / "floor.tar"
    image = "pyfleet/python-runtime:bookworm"
    sh("docker", "image", "save", "-o", str(archive), image, check=True)
    ssh = ["ssh", "-i", str(STATE / "id_ed25519"), "-o", "StrictHostKeyChecking=no",
           "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=error"]
    hosts = [f"root@10.88.0.{10 + i}" for i in range(2, pool + 2)]
    started = time.monotonic()
    procs = [subprocess.Popen(ssh + [h, "docker", "load", "-q"], stdin=open(archive, "rb"),
                              stdout=subprocess.DEVNULL) for h in hosts]
    if any(p.wait(timeout=600) for p in procs):
        sys.exit("floor: docker load over ssh failed")
    took = time.monotonic() - started
    for h in hosts:
        sh(*ssh, h, "docker", "image", "rm", image)
    archive.unlink()
    return round(took, 1)


def rollout_under_load(inv, app, marker):
    (app / "webapp.py").write_text((app / "webapp.py").read_text().replace("Hello", marker, 1))
    with Load("http://10.88.0.11:8080", limit=50000, deadline=900) as load:
        took, _, _, cpu = deploy(inv)
    failed = sum(load.failures().values())
    ok = load.sent - failed
    return took, cpu, ok, failed


def one(strategy, pool, batches):
    sh("docker", "image", "rm", "-f", *sorted(images_on()))
    if sh(str(ROOT / "scripts" / "fleet"), "up", str(pool + 1), "--frontends", "1", timeout=900).returncode:
        sys.exit("fleet up failed")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = pathlib.Path(tmp) / "app"
            shutil.copytree(ROOT / "examples" / "hello", app)
            inv = pathlib.Path(tmp) / "inventory.json"
            inventory(inv, pool, app, strategy, batches[0])
            floor_s = floor(pool, tmp)
            cold, _, distribute, cold_cpu = deploy(inv)
            noop, noop_changed, _, noop_cpu = deploy(inv)
            rollouts = {}
            for number, batch in enumerate(batches):
                inventory(inv, pool, app, strategy, batch)
                rollouts[batch] = rollout_under_load(inv, app, f"Hi{number}")
            rollout, rollout_cpu, _, _ = rollouts[batches[0]]
            controller = images_on()
            host_builds = sum(len(images_on(f"pfh{i}") - controller) for i in range(2, pool + 2))
            return {"strategy": strategy, "pool_hosts": pool, "floor_s": floor_s,
                    "cold_s": cold, "cold_cpu_s": cold_cpu, "distribute_s": distribute,
                    "noop_s": noop, "noop_cpu_s": noop_cpu,
                    "noop_changed": noop_changed, "rollout_s": rollout, "rollout_cpu_s": rollout_cpu,
                    "controller_builds": len(controller), "host_builds": host_builds,
                    "rollouts": {b: {"s": r[0], "ok_requests": r[2], "failed_requests": r[3]} for b, r in rollouts.items()}}
    finally:
        sh(str(ROOT / "scripts" / "fleet"), "down", timeout=900)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", default="1,3,6")
    parser.add_argument("--strategies", default="archive,registry,build_on_host")
    parser.add_argument("--batches", default="50%,1", help="rollout batch sizes; the first is the table's rollout")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    for strategy in args.strategies.split(","):
        for pool in [int(h) for h in args.hosts.split(",")]:
            row = one(strategy, pool, args.batches.split(","))
            rows.append(row)
            print(json.dumps(row), flush=True)
    (RESULTS / "scale.json").write_text(json.dumps(rows, indent=2))
    DOCS.mkdir(parents=True, exist_ok=True)
    with open(DOCS / "scale.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[k for k in rows[0] if k != "rollouts"])
        writer.writeheader()
        writer.writerows({k: v for k, v in r.items() if k != "rollouts"} for r in rows)
    with open(DOCS / "rollouts.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["strategy", "pool_hosts", "batch", "rollout_s", "ok_requests", "failed_requests"])
        for r in rows:
            for batch, o in r["rollouts"].items():
                writer.writerow([r["strategy"], r["pool_hosts"], batch, o["s"], o["ok_requests"], o["failed_requests"]])
    subprocess.run([sys.executable, str(ROOT / "bench" / "plot.py")], check=True)
    print("| strategy | pool hosts | floor s | cold s | of which distribute s | no-op s (controller CPU s) "
          "| no-op changed | rollout s | builds (controller / hosts) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['strategy']} | {r['pool_hosts']} | {r['floor_s']} | {r['cold_s']} | {r['distribute_s']} | "
              f"{r['noop_s']} ({r['noop_cpu_s']}) | {r['noop_changed']} | "
              f"{r['rollout_s']} | {r['controller_builds']} / {r['host_builds']} |")
    print()
    print("| strategy | pool hosts | batch | rollout s | requests ok | requests failed |")
    print("|---|---:|---|---:|---:|---:|")
    for r in rows:
        for batch, o in r["rollouts"].items():
            print(f"| {r['strategy']} | {r['pool_hosts']} | {batch} | {o['s']} | {o['ok_requests']} | {o['failed_requests']} |")


if __name__ == "__main__":
    main()
