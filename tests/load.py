#!/usr/bin/env python3
"""Steady, bounded request load through a frontend, for the integration tests, the Molecule
scenarios and the benchmarks.

Threads send GET / (and, with a POST path, every other thread POSTs there) until stopped, at
most `limit` requests or `deadline` seconds in all, and every outcome is counted as
"GET 200", "POST 502", "GET ConnectionResetError" and so on.

As a library:

    with Load("http://10.88.0.11:8080") as load:
        ...                       # roll out
    load.failures()               # {"POST 502": 3}: every outcome that is not 2xx

As a command, until STOP_FILE appears (or a bound is hit); prints one JSON summary with the
outcomes, the failures, the JSON "id" of each POST answer and what stopped it:

    load.py URL STOP_FILE [--threads 4] [--post /notes] [--pause 0.01]
            [--max-requests 100000] [--max-seconds 600] [--host NAME]

--host sends that Host header (a site that answers only its own name, like Django's
ALLOWED_HOSTS).
"""
import argparse
import collections
import http.client
import json
import os
import threading
import time
import urllib.parse


class Load:
    def __init__(self, base, threads=4, post="/echo", limit=20000, deadline=600, pause=0.0, timeout=15, host=None, get="/"):
        parts = urllib.parse.urlsplit(base)
        self.host_header, self.get = host, get
        self.host, self.port = parts.hostname, parts.port or 80
        self.post, self.limit, self.deadline, self.pause, self.timeout = post, limit, deadline, pause, timeout
        self.outcomes = collections.Counter()
        self.bodies = []          # the bodies of successful GETs
        self.post_replies = []    # the bodies of successful POSTs
        self.stopped_by = ""
        self.slowest = 0.0        # seconds of the slowest request
        self.latencies = []       # (start offset, seconds) of every request
        self.lock, self.stop_event = threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]
        self.started = None

    def _request(self, method, body):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            headers = {"Content-Type": "text/plain"} if body is not None else {}
            if self.host_header:
                headers["Host"] = self.host_header
            conn.request(method, self.post if method == "POST" else self.get, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:  # a dropped connection is an outcome too
            return type(error).__name__, ""
        finally:
            conn.close()

    def _run(self, number):
        post = bool(self.post) and number % 2 == 1
        sent = 0
        while not self.stop_event.is_set():
            if time.monotonic() - self.started > self.deadline:
                self._stop("time cap")
                return
            sent += 1
            began = time.monotonic()
            status, body = self._request("POST" if post else "GET", ("load %d-%d" % (number, sent)).encode() if post else None)
            took = time.monotonic() - began
            with self.lock:
                self.slowest = max(self.slowest, took)
                self.latencies.append((round(began - self.started, 3), round(took, 4)))
                self.outcomes["%s %s" % ("POST" if post else "GET", status)] += 1
                if isinstance(status, int) and 200 <= status < 300:
                    (self.post_replies if post else self.bodies).append(body)
                if sum(self.outcomes.values()) >= self.limit:
                    self._stop("request cap")
            if self.pause:
                time.sleep(self.pause)

    def _stop(self, reason):
        if not self.stop_event.is_set():
            self.stopped_by = self.stopped_by or reason
            self.stop_event.set()

    def start(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def stop(self, reason="stopped"):
        self._stop(reason)
        for thread in self.threads:
            thread.join(timeout=60)
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def sent(self):
        return sum(self.outcomes.values())

    def percentile(self, fraction):
        """Latency in seconds below which `fraction` of the requests finished."""
        ordered = sorted(took for _, took in self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0

    def failures(self):
        return {key: count for key, count in self.outcomes.items() if not key.split()[1].startswith("2")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("stop_file")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--post", default="", help="path every other thread POSTs to (none: GETs only)")
    parser.add_argument("--pause", type=float, default=0.01, help="seconds between a thread's requests")
    parser.add_argument("--max-requests", type=int, default=100000)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--host", default=None, help="the Host header to send")
    args = parser.parse_args()
    load = Load(args.url, threads=args.threads, post=args.post, limit=args.max_requests,
                deadline=args.max_seconds, pause=args.pause, timeout=30, host=args.host).start()
    while not load.stop_event.is_set() and not os.path.exists(args.stop_file):
        time.sleep(0.2)
    load.stop("stop file")
    failures = load.failures()
    print(json.dumps({
        "sent": load.sent,
        "seconds": round(time.monotonic() - load.started, 1),
        "statuses": _statuses(load),
        "outcomes": dict(load.outcomes),
        "failed": sum(failures.values()),
        "failures": sorted(failures),
        "post_ids": [json.loads(body)["id"] for body in load.post_replies if body.lstrip().startswith("{")],
        "stopped_by": load.stopped_by,
    }))


def _statuses(load):
    """Outcomes by status alone: {"200": 16431, "201": 16425}."""
    counts = collections.Counter()
    for key, count in load.outcomes.items():
        counts[key.split()[1]] += count
    return dict(counts)


if __name__ == "__main__":
    main()
