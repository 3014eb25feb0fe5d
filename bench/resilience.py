#!/usr/bin/env python3
"""How fast a broken version is refused, and what a dead pool host costs, on the test fleet.

Brings up a test fleet (scripts/fleet: frontend pfh1, pool hosts pfh2-pfh4), deploys the demo
app, then measures, each against a baseline from the same run:

  refusal   wall time of a deploy whose version never becomes healthy (its health path
            answers 503), from start to the failed play, the way back included; baseline:
            a healthy deploy of a code change on the same fleet
  stall     the slowest GET through the frontend while one pool host's network is cut under
            steady load (the host end of its veth is set down for --cut seconds), with the
            default connect timeout and with the 5 s one this collection had before;
            baseline: the slowest GET of the same load with every host up

  bench/resilience.py [--cut 8] [--keep]

Writes bench/results/resilience.json and prints a table.
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
APP = "resbench"
FRONTEND = "http://10.88.0.11:8080"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from load import Load  # noqa: E402 - the tests' load generator
import scale  # noqa: E402 - the fleet inventory of the scale benchmark


def inventory(path, app_src, extra=None):
    return scale.inventory(path, 3, app_src, app=APP, extra={"pyfleet_http_port": 8080, **(extra or {})})


def deploy(inv):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    started = time.monotonic()
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", str(inv), str(ROOT / "deploy.yml")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    return round(time.monotonic() - started, 1), proc


def version(tmp, greeting, healthz_status=None):
    app = tmp / (greeting.replace(" ", "-").strip("!,") + ("-%d" % healthz_status if healthz_status else ""))
    if app.exists():
        return app
    shutil.copytree(ROOT / "examples" / "hello", app)
    source = (app / "webapp.py").read_text().replace("Hello, World!", greeting)
    if healthz_status:
        source = source.replace('@app.get("/healthz")\ndef healthz():', '@app.get("/healthz-old")\ndef healthz():')
        source += ("\n\n@app.get('/healthz')\ndef healthz_broken():\n"
                   "    return {'status': 'database unreachable'}, %d\n" % healthz_status)
    (app / "webapp.py").write_text(source)
    return app


def slowest_get(seconds, cut=None):
    """The slowest GET and the failures of a steady load; `cut` (host, seconds) cuts its link."""
    with Load(FRONTEND, threads=4, post="", limit=200000, deadline=seconds + 30, pause=0.01, timeout=30) as load:
        time.sleep(2)
        if cut:
            link = "v" + cut[0]
            subprocess.run(["ip", "link", "set", link, "down"], check=True)
            try:
                time.sleep(cut[1])
            finally:
                subprocess.run(["ip", "link", "set", link, "up"], check=True)
            time.sleep(max(seconds - cut[1] - 2, 1))
        else:
            time.sleep(seconds - 2)
    return {"slowest_s": round(load.slowest, 3), "p99_s": round(load.percentile(0.99), 4),
            "sent": load.sent, "failures": load.failures()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cut", type=float, default=8, help="seconds one pool host's network is down")
    parser.add_argument("--keep", action="store_true", help="leave the fleet up")
    args = parser.parse_args()
    up = subprocess.run([str(ROOT / "scripts" / "fleet"), "up", "4", "--frontends", "1"],
                        capture_output=True, text=True, timeout=1800)
    if up.returncode != 0:
        sys.exit(up.stdout + up.stderr)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="pyfleet-resilience-"))
    results = {}
    try:
        took, proc = deploy(inventory(tmp / "v1.json", version(tmp, "Hello, one!")))
        if proc.returncode != 0:
            sys.exit("first deploy failed:\n" + proc.stdout[-4000:])
        took, proc = deploy(inventory(tmp / "v2.json", version(tmp, "Hello, two!")))
        if proc.returncode != 0:
            sys.exit("second deploy failed:\n" + proc.stdout[-4000:])
        results["healthy_deploy_s"] = took
        took, proc = deploy(inventory(tmp / "v3.json", version(tmp, "Hello, broken!", healthz_status=503)))
        if proc.returncode == 0:
            sys.exit("the never-healthy version was not refused")
        results["refusal_s"] = took
        results["refusal_vs_healthy"] = round(took / results["healthy_deploy_s"], 2)
        print(json.dumps(results), flush=True)
        results["refusal_message"] = next((line.strip() for line in proc.stdout.splitlines()
                                           if "The rollout of" in line and "stopped" in line), "")[:400]
        results["baseline"] = slowest_get(args.cut + 6)
        results["cut_default"] = slowest_get(args.cut + 6, cut=("pfh3", args.cut))
        took, proc = deploy(inventory(tmp / "v2-5s.json", version(tmp, "Hello, two!"),
                                      {"pyfleet_frontend_connect_timeout": 5}))
        if proc.returncode != 0:
            sys.exit("deploy with the old connect timeout failed:\n" + proc.stdout[-4000:])
        results["cut_connect_5s"] = slowest_get(args.cut + 6, cut=("pfh3", args.cut))
    finally:
        if not args.keep:
            subprocess.run([str(ROOT / "scripts" / "fleet"), "down"], capture_output=True, timeout=900)
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "resilience.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| measure | value | baseline (same run) | ratio |")
    print("|---|---:|---:|---:|")
    print("| never-healthy deploy refused, way back included | %.1f s | healthy deploy %.1f s | %.2f |"
          % (results["refusal_s"], results["healthy_deploy_s"], results["refusal_vs_healthy"]))
    for key, label in (("cut_default", "slowest GET, pfh3 cut, connect timeout 300ms"),
                       ("cut_connect_5s", "slowest GET, pfh3 cut, connect timeout 5s")):
        print("| %s | %.3f s (%d sent, failures %s) | all up %.3f s | %.1f |" % (
            label, results[key]["slowest_s"], results[key]["sent"], results[key]["failures"] or "none",
            results["baseline"]["slowest_s"], results[key]["slowest_s"] / max(results["baseline"]["slowest_s"], 0.001)))


if __name__ == "__main__":
    main()
