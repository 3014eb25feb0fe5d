"""Container health check: one request for the app's health path on the local uWSGI socket.

Speaks the uwsgi protocol or HTTP, as the pool configured the socket, so it checks the very
socket the frontends use.  Exit 0 when the app answers below 400, 1 otherwise.
The request names the site's real host (PYFLEET_HEALTH_HOST), so apps with a host allowlist
(Django's ALLOWED_HOSTS, Flask's TRUSTED_HOSTS) answer it as they answer their visitors.
Environment: PYFLEET_PROTOCOL (uwsgi|http), PYFLEET_PORT, PYFLEET_HEALTH_PATH,
PYFLEET_HEALTH_HOST (default localhost), PYFLEET_HEALTH_TIMEOUT.
"""
import os
import socket
import struct
import sys


def uwsgi_packet(path, port, host="localhost"):
    path_info, _, query = path.partition("?")
    env = {
        "REQUEST_METHOD": "GET",
        "REQUEST_URI": path,
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": host,
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "HTTP_USER_AGENT": "pyfleet-healthcheck",
        "REQUEST_SCHEME": "http",
    }
    body = b"".join(
        struct.pack("<H", len(k)) + k.encode() + struct.pack("<H", len(v)) + v.encode()
        for k, v in env.items()
    )
    return struct.pack("<BHB", 0, len(body), 0) + body


def http_request(path, host="localhost"):
    return (
        "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: pyfleet-healthcheck\r\n\r\n" % (path, host)
    ).encode()


def main():
    protocol = os.environ.get("PYFLEET_PROTOCOL", "uwsgi")
    port = int(os.environ.get("PYFLEET_PORT", "3031"))
    path = os.environ.get("PYFLEET_HEALTH_PATH", "/")
    host = os.environ.get("PYFLEET_HEALTH_HOST") or "localhost"
    timeout = float(os.environ.get("PYFLEET_HEALTH_TIMEOUT", "3"))
    request = uwsgi_packet(path, port, host) if protocol == "uwsgi" else http_request(path, host)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(request)
            answer = b""
            while len(answer) < 4096:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
                if b"\r\n\r\n" in answer and len(answer.split(b"\r\n\r\n", 1)[1]) >= 200:
                    break
    except OSError as exc:
        print("unhealthy: %s" % exc)
        return 1
    head = answer.split(b"\r\n", 1)[0].decode("latin-1")
    fields = head.split()
    if len(fields) < 2 or not fields[1].isdigit():
        print("unhealthy: unexpected answer %r" % head)
        return 1
    status = int(fields[1])
    # An unhealthy answer's body usually says why; it shows in `docker inspect` and in the
    # deploy's failure message.
    body = answer.partition(b"\r\n\r\n")[2][:200].decode("utf-8", "replace").strip()
    print("%s %s -> %d%s" % (protocol, path, status, (" " + " ".join(body.split())) if status >= 400 and body else ""))
    return 0 if status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
