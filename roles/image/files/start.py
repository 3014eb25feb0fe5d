"""Entry point of the app image: wait for the TCP services the app needs, then run the command.

PYFLEET_WAIT_FOR lists them as "name=host:port" separated by spaces or commas (the name is for
the log). Each must accept a TCP connection within PYFLEET_WAIT_TIMEOUT seconds (default 60),
counted from the start; otherwise this exits 1 naming the one that did not answer, and the
container never becomes healthy. With nothing to wait for it runs the command at once.
"""
import os
import re
import socket
import sys
import time


def targets(spec):
    for item in filter(None, re.split(r"[\s,]+", spec)):
        name, _, address = item.rpartition("=")
        host, _, port = address.rpartition(":")
        yield name or address, host.strip("[]"), int(port)


def wait(spec, timeout):
    started = time.monotonic()
    for name, host, port in targets(spec):
        said = False
        while True:
            try:
                with socket.create_connection((host, port), timeout=2):
                    break
            except OSError as error:
                waited = time.monotonic() - started
                if waited >= timeout:
                    print("pyfleet: %s at %s:%d did not answer within %d s (%s); not starting"
                          % (name, host, port, timeout, error), file=sys.stderr, flush=True)
                    return False
                if not said:
                    print("pyfleet: waiting for %s at %s:%d" % (name, host, port), file=sys.stderr, flush=True)
                    said = True
                time.sleep(0.5)
        print("pyfleet: %s at %s:%d answers (after %.1f s)" % (name, host, port, time.monotonic() - started),
              file=sys.stderr, flush=True)
    return True


def main(argv):
    spec = os.environ.get("PYFLEET_WAIT_FOR", "")
    if spec and not wait(spec, float(os.environ.get("PYFLEET_WAIT_TIMEOUT", "60"))):
        return 1
    os.execvp(argv[0], argv)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["/opt/venv/bin/uwsgi", "--ini", "/etc/pyfleet/uwsgi.ini"]))
