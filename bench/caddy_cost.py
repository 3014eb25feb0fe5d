#!/usr/bin/env python3
"""Where the Caddy stack's CPU goes: Caddy's own CPU profile, and what the members spend per
request behind Caddy and hit directly, process by process.

Deploys the Caddy stack of bench/run.py (deploy.yml, pyfleet_frontend_kind caddy, examples/hello,
2 members) on this machine's engine, then for `--rounds` rounds, alternating:
  caddy   wrk -t2 -c32 through Caddy
  direct  one wrk per member at the same time, the connections split between them (bench/run.py's
          direct row)
and reports, for each, the CPU the members' processes (HTTP router, workers) used per request and
how often a worker went to sleep per request (its voluntary context switches), from /proc. During
one more round through Caddy it takes a CPU profile from Caddy's own /debug/pprof/profile (on its
admin socket, inside the container) and sums it by function. The stack is torn down at the end.

  bench/caddy_cost.py [--duration 10] [--rounds 2] [--top 60]

Writes bench/results/caddy_cost.json and prints the tables.
"""
import argparse
import collections
import gzip
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading
import time

import run as bench

APP = "benchcost"
PORT = 38095
URL = f"http://127.0.0.1:{PORT}/"
CADDY = {"pyfleet_frontend_kind": "caddy", "pyfleet_frontend_image": "pyfleet/caddy:bookworm"}


def _varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(data):
    """(field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, i = _varint(data, i)
        elif kind == 2:
            size, i = _varint(data, i)
            value, i = data[i:i + size], i + size
        elif kind == 1:
            value, i = data[i:i + 8], i + 8
        elif kind == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"protobuf wire type {kind} at byte {i}")
        yield number, kind, value


def _ints(value, kind):
    if kind == 0:
        return [value]
    out, i = [], 0
    while i < len(value):
        item, i = _varint(value, i)
        out.append(item)
    return out


def profile_shares(raw, top):
    """A Go CPU profile (gzipped profile.proto) as the top functions' flat and cumulative shares."""
    data = gzip.decompress(raw)
    samples, locations, functions, strings = [], {}, {}, []
    for number, kind, value in _fields(data):
        if number == 2:  # Sample: location ids, values (count, nanoseconds)
            ids, values = [], []
            for n, k, v in _fields(value):
                if n == 1:
                    ids += _ints(v, k)
                elif n == 2:
                    values += _ints(v, k)
            samples.append((ids, values[-1]))
        elif number == 4:  # Location: id, lines (function ids), innermost first
            fields = list(_fields(value))
            lid = next((v for n, k, v in fields if n == 1), 0)
            locations[lid] = [next((fv for fn, fk, fv in _fields(v) if fn == 1), 0) for n, k, v in fields if n == 4]
        elif number == 5:  # Function: id, name (string index)
            fields = list(_fields(value))
            functions[next((v for n, k, v in fields if n == 1), 0)] = next((v for n, k, v in fields if n == 2), 0)
        elif number == 6:
            strings.append(value.decode())
    flat, cumulative, total = collections.Counter(), collections.Counter(), 0
    for ids, nanoseconds in samples:
        total += nanoseconds
        names = [strings[functions[fid]] for lid in ids for fid in locations.get(lid, [])]
        if names:
            flat[names[0]] += nanoseconds
        for name in set(names):
            cumulative[name] += nanoseconds

    def share(counter):
        return [(name, round(ns / total * 100, 1)) for name, ns in counter.most_common(top)]

    return {"seconds": round(total / 1e9, 2), "flat": share(flat), "cumulative": share(cumulative)}


def caddy_profile(container, seconds):
    """Caddy's CPU profile over `seconds`, from its admin socket inside the container."""
    pid = bench.sh("docker", "inspect", "-f", "{{.State.Pid}}", container).stdout.strip()
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(seconds + 30)
        conn.connect(f"/proc/{pid}/root/tmp/caddy-admin.sock")
        # no Host header: Caddy's admin endpoint on a unix socket accepts requests without one
        conn.sendall(f"GET /debug/pprof/profile?seconds={seconds} HTTP/1.0\r\n\r\n".encode())
        with conn.makefile("rb") as stream:
            answer = stream.read()
    head, _, body = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200"):
        sys.exit("Caddy's profile endpoint answered: " + answer[:300].decode(errors="replace"))
    return body


def processes(members):
    """pid -> (container, role) of every process in the members."""
    found = {}
    for name in members:
        for line in bench.sh("docker", "top", name, "-eo", "pid,args").stdout.splitlines()[1:]:
            pid, args = line.split(None, 1)
            role = "router" if "uWSGI http" in args else "workers" if "uWSGI worker" in args else None
            if role:
                found[pid] = (name, role)
    return found


def counters(pids):
    """pid -> (CPU seconds, voluntary context switches)."""
    hz = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = dict(line.split(":\t", 1) for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines()
                      if ":\t" in line)
        out[pid] = ((int(stat[11]) + int(stat[12])) / hz, int(status["voluntary_ctxt_switches"]))
    return out


def per_request(members, run):
    """Run one round; the members' CPU (us) and worker sleeps per request, by role."""
    procs = processes(members)
    before = counters(procs)
    result = run()
    after = counters(procs)
    requests = result["rps"] * result["duration"]
    cpu, sleeps = collections.Counter(), collections.Counter()
    for pid, (_, role) in procs.items():
        cpu[role] += after[pid][0] - before[pid][0]
        sleeps[role] += after[pid][1] - before[pid][1]
    return {"rps": result["rps"], "p99_ms": result["p99_ms"], "proxy_cores": result.get("proxy_cores", 0.0),
            "router_us": round(cpu["router"] / requests * 1e6, 1), "workers_us": round(cpu["workers"] / requests * 1e6, 1),
            "worker_sleeps": round(sleeps["workers"] / requests, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inventory = bench.inventory(tmp, APP, PORT, 38900, **CADDY)
        bench.playbook(inventory, "deploy.yml")
        try:
            frontend, members = f"{APP}-frontend", bench.containers(APP, "pool")
            caddyfile = pathlib.Path("/etc/pyfleet", APP, "frontend", "Caddyfile").read_text()
            endpoints = caddyfile.split("\tto ", 1)[1].split("\n", 1)[0].split()
            bench.wrk(URL, 2, 32)

            def through():
                return {**bench.measure(URL, args.duration, 32, [frontend], members), "duration": args.duration}

            def around():
                return {**bench.direct(endpoints, args.duration, 32, members), "duration": args.duration}

            rows = {"caddy": [], "direct": []}
            for n in range(args.rounds):
                for name in (("caddy", "direct") if n % 2 == 0 else ("direct", "caddy")):
                    rows[name].append(per_request(members, through if name == "caddy" else around))
                    print(name, rows[name][-1], flush=True)
            measured = {}
            worker = threading.Thread(target=lambda: measured.update(bench.measure(URL, args.duration + 4, 32, [frontend], members)))
            worker.start()
            time.sleep(2)
            profile = profile_shares(caddy_profile(frontend, args.duration), args.top)
            worker.join()
        finally:
            bench.playbook(inventory, "playbooks/teardown.yml")
    profile.update(rps=measured["rps"], proxy_cores=measured["proxy_cores"])
    bench.RESULTS.mkdir(parents=True, exist_ok=True)
    (bench.RESULTS / "caddy_cost.json").write_text(json.dumps({"rounds": rows, "profile": profile}, indent=2) + "\n")
    print("\n| members behind | req/s | workers us/request | router us/request | worker sleeps/request |")
    print("|---|---:|---:|---:|---:|")
    for name, items in rows.items():
        cells = [", ".join(str(item[key]) for item in items) for key in ("rps", "workers_us", "router_us", "worker_sleeps")]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nCaddy's profile: {profile['seconds']} s of CPU in {args.duration} s at {profile['rps']} req/s "
          f"({profile['proxy_cores']} cores)")
    for kind in ("flat", "cumulative"):
        print(f"\n{kind}:")
        for name, share in profile[kind]:
            print(f"  {share:5.1f} %  {name}")


if __name__ == "__main__":
    main()
