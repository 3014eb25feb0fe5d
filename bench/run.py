#!/usr/bin/env python3
"""Throughput and tail latency: the stacks pyfleet.wsgi deploys vs the seeds' hand-made stack.

The stacks run the same app (examples/hello, same uWSGI build) on this machine's engine, one
after the other, measured with wrk from the host in the same run:
  pyfleet  nginx (host network) --uwsgi protocol--> 2 uWSGI containers, master + sized workers
  caddy    Caddy (host network) --HTTP (http11-socket)--> 2 uWSGI containers, same sizing
  seeds    nginx (published port) --proxy_pass HTTP--> 2 uWSGI containers in `http =` router
           mode, one process each (the blog posts' setup)
Each stack is measured `--rounds` times, alternating; the median round is reported.

  bench/run.py [--duration 10] [--connections 32] [--rounds 3]

Writes bench/results/stack.json and docs/bench/stack.csv, redraws docs/bench/*.png (bench/plot.py)
and prints a table with the ratios.
"""
import argparse
import csv
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "bench"
APP = "benchhello"
PYFLEET_PORT = 38080
SEEDS_PORT = 38081
CADDY_PORT = 38082
SEEDS_NET = "bench-seeds"

SEEDS_NGINX = """
events { worker_connections 1024; }
http {
    upstream uwsgi_app { server uwsgi-1:8000; server uwsgi-2:8000; }
    server {
        listen 80;
        location / {
            proxy_pass http://uwsgi_app;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Host $host;
        }
    }
}
"""


def sh(*cmd, check=True, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (" ".join(cmd), proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc


def inventory(tmp, app=APP, port=PYFLEET_PORT, port_base=38100, **extra):
    path = pathlib.Path(tmp) / f"inventory-{app}.yml"
    path.write_text(json.dumps({"all": {
        "children": {"pyfleet_pool": {"hosts": {"localhost": {}}},
                     "pyfleet_frontends": {"hosts": {"localhost": {}}}},
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "pyfleet_app_name": app,
            "pyfleet_app_src": str(ROOT / "examples" / "hello"),
            "pyfleet_app_module": "webapp:app",
            "pyfleet_app_health_path": "/healthz",
            "pyfleet_pool_size": 2,
            "pyfleet_pool_port_base": port_base,
            "pyfleet_http_port": port,
            "pyfleet_image_builder_base": "pyfleet/python-builder:bookworm",
            "pyfleet_image_runtime_base": "pyfleet/python-runtime:bookworm",
            "pyfleet_frontend_image": "pyfleet/nginx:bookworm",
            "pyfleet_image_extra_ca_bundle": "/etc/ssl/certs/ca-certificates.crt",
            **extra,
        }}}))
    return str(path)


def playbook(inv, name, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    return sh(str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", inv, str(ROOT / name), *extra,
              cwd=ROOT, env=env)


def start_seeds(image, tmp):
    stop_seeds()
    sh("docker", "network", "create", SEEDS_NET)
    for n in (1, 2):
        sh("docker", "run", "-d", "--name", f"uwsgi-{n}", "--network", SEEDS_NET,
           "--entrypoint", "/opt/venv/bin/uwsgi", image,
           "--http", "0.0.0.0:8000", "--module", "webapp:app", "--chdir", "/app")
    conf = pathlib.Path(tmp) / "seeds-nginx.conf"
    conf.write_text(SEEDS_NGINX)
    sh("docker", "run", "-d", "--name", "bench-seeds-nginx", "--network", SEEDS_NET,
       "-p", f"{SEEDS_PORT}:80", "-v", f"{conf}:/etc/pyfleet-seeds.conf:ro",
       "pyfleet/nginx:bookworm", "nginx", "-c", "/etc/pyfleet-seeds.conf", "-g", "daemon off;")
    wait_ok(f"http://127.0.0.1:{SEEDS_PORT}/")


def stop_seeds():
    for name in ("bench-seeds-nginx", "uwsgi-1", "uwsgi-2"):
        sh("docker", "rm", "-f", name, check=False)
    sh("docker", "network", "rm", SEEDS_NET, check=False)


def wait_ok(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit("no answer from " + url)


def _ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, duration, connections):
    out = sh("wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url,
             timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockerr = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": _ms(*p50.groups()), "p99_ms": _ms(*p99.groups()),
            "non_2xx": int(errors.group(1)) if errors else 0, "socket_errors": sockerr.group(1) if sockerr else ""}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        inv = inventory(tmp)
        caddy = inventory(tmp, "benchcaddy", CADDY_PORT, 38300, pyfleet_frontend_kind="caddy",
                          pyfleet_frontend_image="pyfleet/caddy:bookworm")
        try:
            playbook(inv, "deploy.yml")
            playbook(caddy, "deploy.yml")
            image = sh("docker", "ps", "--format", "{{.Image}}", "--filter", f"label=pyfleet.app={APP}",
                       "--filter", "label=pyfleet.member=1").stdout.split()[0]
            start_seeds(image, tmp)
            urls = {"pyfleet": f"http://127.0.0.1:{PYFLEET_PORT}/", "caddy": f"http://127.0.0.1:{CADDY_PORT}/",
                    "seeds": f"http://127.0.0.1:{SEEDS_PORT}/"}
            for url in urls.values():
                wrk(url, 2, args.connections)  # warm up
            rounds = {name: [] for name in urls}
            for _ in range(args.rounds):
                for name, url in urls.items():
                    rounds[name].append(wrk(url, args.duration, args.connections))
        finally:
            stop_seeds()
            playbook(inv, "playbooks/teardown.yml")
            playbook(caddy, "playbooks/teardown.yml")
    summary = {}
    for name, runs in rounds.items():
        median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        summary[name] = {**median, "rps_all": [r["rps"] for r in runs]}
    ratio = {"throughput_x": round(summary["pyfleet"]["rps"] / summary["seeds"]["rps"], 2),
             "p99_x": round(summary["pyfleet"]["p99_ms"] / summary["seeds"]["p99_ms"], 2),
             "caddy_throughput_x": round(summary["caddy"]["rps"] / summary["seeds"]["rps"], 2),
             "caddy_p99_x": round(summary["caddy"]["p99_ms"] / summary["seeds"]["p99_ms"], 2)}
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
              "wrk": f"-t2 -c{args.connections} -d{args.duration}s", "stacks": summary, "ratio": ratio}
    (RESULTS / "stack.json").write_text(json.dumps(report, indent=2))
    DOCS.mkdir(parents=True, exist_ok=True)
    with open(DOCS / "stack.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["stack", "rps", "p50_ms", "p99_ms", "non_2xx"])
        for name, row in summary.items():
            writer.writerow([name, row["rps"], row["p50_ms"], row["p99_ms"], row["non_2xx"]])
    print("| stack | req/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|")
    for name, row in summary.items():
        print(f"| {name} | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['non_2xx']} |")
    print(f"\nnginx stack: throughput {ratio['throughput_x']}x the seeds', p99 {ratio['p99_x']}x theirs")
    print(f"caddy stack: throughput {ratio['caddy_throughput_x']}x the seeds', p99 {ratio['caddy_p99_x']}x theirs")
    subprocess.run([sys.executable, str(ROOT / "bench" / "plot.py")], check=True)


if __name__ == "__main__":
    main()
