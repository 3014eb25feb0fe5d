#!/usr/bin/env python3
"""Steady GET and POST load on the notes app until a stop file appears, bounded in requests
and in time either way; prints one JSON summary: statuses, failures, the ids of the notes
the POSTs created.

    load.py URL STOP_FILE [--threads 4] [--pause 0.01] [--max-requests 100000] [--max-seconds 600]

"stopped_by" says which bound ended it: the stop file, the request cap or the time cap.
"""
import argparse
import collections
import http.client
import json
import os
import threading
import time
import urllib.parse


def worker(args, parts, stop, lock, stats, number):
    sent = 0
    while not stop.is_set():
        post = sent % 2 == 1
        sent += 1
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
        try:
            if post:
                conn.request("POST", "/notes", body="load %d-%d" % (number, sent),
                             headers={"Content-Type": "text/plain"})
            else:
                conn.request("GET", "/")
            response = conn.getresponse()
            body = response.read()
            status = response.status
        except OSError as error:
            status, body = "error: %s" % error.__class__.__name__, b""
        finally:
            conn.close()
        with lock:
            stats["statuses"][str(status)] += 1
            stats["sent"] += 1
            if not (isinstance(status, int) and 200 <= status < 300):
                stats["failures"].append("%s %s" % ("POST" if post else "GET", status))
            elif post:
                stats["post_ids"].append(json.loads(body)["id"])
            if stats["sent"] >= args.max_requests and not stop.is_set():
                stats["stopped_by"] = "request cap"
                stop.set()
        time.sleep(args.pause)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("stop_file")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.01, help="seconds between a thread's requests")
    parser.add_argument("--max-requests", type=int, default=100000)
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    parts = urllib.parse.urlsplit(args.url)
    stop, lock = threading.Event(), threading.Lock()
    stats = {"sent": 0, "statuses": collections.Counter(), "failures": [], "post_ids": [], "stopped_by": ""}
    threads = [threading.Thread(target=worker, args=(args, parts, stop, lock, stats, n), daemon=True)
               for n in range(args.threads)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while not stop.is_set():
        if os.path.exists(args.stop_file):
            stats["stopped_by"] = stats["stopped_by"] or "stop file"
            stop.set()
        elif time.monotonic() - started > args.max_seconds:
            stats["stopped_by"] = stats["stopped_by"] or "time cap"
            stop.set()
        time.sleep(0.2)
    for thread in threads:
        thread.join(timeout=60)
    stats["seconds"] = round(time.monotonic() - started, 1)
    stats["failed"] = len(stats["failures"])
    stats["failures"] = stats["failures"][:20]
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
