#!/usr/bin/env python3
"""Throughput and tail latency: the stacks pyfleet.wsgi deploys vs the seeds' hand-made stack.

The stacks run the same app (examples/hello, same uWSGI build) on this machine's engine, one
after the other, measured with wrk from the host in the same run:
  pyfleet  nginx (host network) --uwsgi protocol--> 2 uWSGI containers, master + sized workers
  caddy    Caddy (host network) --HTTP, kept alive--> 2 uWSGI containers, each its HTTP router in
           front of the same sizing of workers
  nginx-http  nginx (host network) --HTTP, kept alive--> 2 uWSGI containers (pyfleet_pool_protocol http)
  direct   the nginx-http stack's members hit by wrk without any proxy, one wrk per member at
           the same time, added up: what the members can do, the ceiling of every stack
  seeds    nginx (published port) --proxy_pass HTTP--> 2 uWSGI containers in `http =` router
           mode, one process each (the blog posts' setup)
Each stack is measured `--rounds` times, alternating, each round starting one row later than the
last; the median round is reported, with the CPU the proxy and the members used during it
(their cgroups' cpuacct), in cores.

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
HTTP_PORT = 38083
HTTP_APP = "benchhttp"
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
    return parse_wrk(sh("wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url, timeout=duration + 60).stdout)


def parse_wrk(out):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockerr = re.search(r"Socket errors: (.*)", out)
    # Thread Stats: Latency avg, stdev, max
    stats = re.search(r"Latency\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)", out)
    return {"rps": rps, "p50_ms": _ms(*p50.groups()), "p99_ms": _ms(*p99.groups()),
            "avg_ms": round(_ms(*stats.groups()[0:2]), 2), "max_ms": round(_ms(*stats.groups()[4:6]), 2),
            "non_2xx": int(errors.group(1)) if errors else 0, "socket_errors": sockerr.group(1) if sockerr else ""}


def cpu_ns(names):
    """CPU time (ns) the containers used so far, from their cgroups (v1 cpuacct or v2 cpu.stat)."""
    total = 0
    for name in names:
        cid = sh("docker", "inspect", "-f", "{{.Id}}", name).stdout.strip()
        for path in (f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage", f"/sys/fs/cgroup/docker/{cid}/cpu.stat",
                     f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/cpu.stat"):
            try:
                text = pathlib.Path(path).read_text()
            except OSError:
                continue
            found = re.search(r"usage_usec (\d+)", text)
            total += int(found.group(1)) * 1000 if found else int(text.split()[0])
            break
    return total


def containers(app, role):
    return sorted(sh("docker", "ps", "--format", "{{.Names}}", "--filter", f"label=pyfleet.app={app}",
                     "--filter", f"label=pyfleet.role={role}").stdout.split())


def members_of(app):
    """The members' endpoints in the app's live nginx config."""
    text = pathlib.Path("/etc/pyfleet", app, "frontend", "nginx.conf").read_text()
    return re.findall(r"^\s*server (\S+) max_fails", text, re.M)


def measure(url, duration, connections, proxy, members):
    """One wrk round through a stack, with the CPU its proxy and members used (cores)."""
    before = (cpu_ns(proxy), cpu_ns(members))
    result = wrk(url, duration, connections)
    after = (cpu_ns(proxy), cpu_ns(members))
    result["proxy_cores"] = round((after[0] - before[0]) / 1e9 / duration, 2)
    result["member_cores"] = round((after[1] - before[1]) / 1e9 / duration, 2)
    return result


def direct(endpoints, duration, connections, members):
    """wrk against every member at once, the connections split between them, added up."""
    before = cpu_ns(members)
    share = max(1, connections // len(endpoints))
    procs = [subprocess.Popen(["wrk", "-t1", f"-c{share}", f"-d{duration}s", "--latency", f"http://{endpoint}/"],
                              stdout=subprocess.PIPE, text=True) for endpoint in endpoints]
    outs = [proc.communicate(timeout=duration + 60)[0] for proc in procs]
    parts = [parse_wrk(out) for out in outs]
    used = cpu_ns(members) - before
    return {"rps": round(sum(p["rps"] for p in parts), 2), "p50_ms": max(p["p50_ms"] for p in parts),
            "p99_ms": max(p["p99_ms"] for p in parts), "non_2xx": sum(p["non_2xx"] for p in parts),
            "avg_ms": max(p["avg_ms"] for p in parts), "max_ms": max(p["max_ms"] for p in parts),
            "socket_errors": "; ".join(p["socket_errors"] for p in parts if p["socket_errors"]),
            "proxy_cores": 0.0, "member_cores": round(used / 1e9 / duration, 2)}


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
        http_pool = inventory(tmp, HTTP_APP, HTTP_PORT, 38400, pyfleet_pool_protocol="http")
        try:
            playbook(inv, "deploy.yml")
            playbook(caddy, "deploy.yml")
            playbook(http_pool, "deploy.yml")
            image = sh("docker", "ps", "--format", "{{.Image}}", "--filter", f"label=pyfleet.app={APP}",
                       "--filter", "label=pyfleet.member=1").stdout.split()[0]
            start_seeds(image, tmp)
            urls = {"pyfleet": f"http://127.0.0.1:{PYFLEET_PORT}/", "caddy": f"http://127.0.0.1:{CADDY_PORT}/",
                    "nginx-http": f"http://127.0.0.1:{HTTP_PORT}/", "seeds": f"http://127.0.0.1:{SEEDS_PORT}/"}
            cpu = {"pyfleet": ([f"{APP}-frontend"], containers(APP, "pool")),
                   "caddy": (["benchcaddy-frontend"], containers("benchcaddy", "pool")),
                   "nginx-http": ([f"{HTTP_APP}-frontend"], containers(HTTP_APP, "pool")),
                   "seeds": (["bench-seeds-nginx"], ["uwsgi-1", "uwsgi-2"])}
            endpoints = members_of(HTTP_APP)
            for url in urls.values():
                wrk(url, 2, args.connections)  # warm up
            rounds = {name: [] for name in [*urls, "direct"]}
            names = list(rounds)
            for n in range(args.rounds):
                # Each round starts one row later, so no row always follows the same one (a row
                # inherits the kernel's state, e.g. connections in TIME_WAIT, from the last).
                for name in names[n % len(names):] + names[:n % len(names)]:
                    if name == "direct":
                        rounds[name].append(direct(endpoints, args.duration, args.connections, cpu["nginx-http"][1]))
                    else:
                        rounds[name].append(measure(urls[name], args.duration, args.connections, *cpu[name]))
        finally:
            stop_seeds()
            playbook(inv, "playbooks/teardown.yml")
            playbook(caddy, "playbooks/teardown.yml")
            playbook(http_pool, "playbooks/teardown.yml")
    summary = {}
    for name, runs in rounds.items():
        median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        summary[name] = {**median, "rps_all": [r["rps"] for r in runs]}
    ratio = {"throughput_x": round(summary["pyfleet"]["rps"] / summary["seeds"]["rps"], 2),
             "p99_x": round(summary["pyfleet"]["p99_ms"] / summary["seeds"]["p99_ms"], 2),
             "caddy_throughput_x": round(summary["caddy"]["rps"] / summary["seeds"]["rps"], 2),
             "caddy_p99_x": round(summary["caddy"]["p99_ms"] / summary["seeds"]["p99_ms"], 2),
             "nginx_http_vs_uwsgi": round(summary["nginx-http"]["rps"] / summary["pyfleet"]["rps"], 2),
             "of_direct": {name: round(row["rps"] / summary["direct"]["rps"], 2) for name, row in summary.items()},
             "rounds_nginx_x": [round(a / b, 2) for a, b in zip(summary["pyfleet"]["rps_all"], summary["seeds"]["rps_all"])]}
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
              "wrk": f"-t2 -c{args.connections} -d{args.duration}s", "stacks": summary, "ratio": ratio}
    (RESULTS / "stack.json").write_text(json.dumps(report, indent=2))
    DOCS.mkdir(parents=True, exist_ok=True)
    with open(DOCS / "stack.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["stack", "rps", "p50_ms", "p99_ms", "avg_ms", "max_ms", "non_2xx", "proxy_cores", "member_cores"])
        for name, row in summary.items():
            writer.writerow([name, row["rps"], row["p50_ms"], row["p99_ms"], row["avg_ms"], row["max_ms"], row["non_2xx"],
                             row["proxy_cores"], row["member_cores"]])
    print("| stack | req/s | of direct | p50 ms | p99 ms | avg ms | max ms | non-2xx | proxy cores | member cores |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, row in summary.items():
        print(f"| {name} | {row['rps']:.0f} | {ratio['of_direct'][name]:.2f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
              f"{row['avg_ms']:.2f} | {row['max_ms']:.0f} | {row['non_2xx']} | {row['proxy_cores']:.2f} | {row['member_cores']:.2f} |")
    print(f"\nnginx stack: throughput {ratio['throughput_x']}x the seeds', p99 {ratio['p99_x']}x theirs")
    print(f"caddy stack: throughput {ratio['caddy_throughput_x']}x the seeds', p99 {ratio['caddy_p99_x']}x theirs")
    print(f"nginx stack per round: {ratio['rounds_nginx_x']}x the seeds'; nginx over HTTP: {ratio['nginx_http_vs_uwsgi']}x nginx over uwsgi")
    subprocess.run([sys.executable, str(ROOT / "bench" / "plot.py")], check=True)


if __name__ == "__main__":
    main()
