import http.server
import threading

import pytest

from ansible_collections.pyfleet.wsgi.plugins.modules.http_probe import probe


class Handler(http.server.BaseHTTPRequestHandler):
    counter = 0

    def do_GET(self):
        Handler.counter += 1
        status = 500 if self.path == "/fail" else 200
        self.send_response(status)
        self.send_header("X-Pyfleet-Member", "10.0.0.1:1, 10.0.0.%d:1" % (Handler.counter % 2 + 1))
        body = b"served by m%d" % (Handler.counter % 3)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()


def test_probe_counts_members_by_last_hop(server):
    result = probe(server + "/", 10)
    assert result["sent"] == 10
    assert result["statuses"] == {"200": 10}
    assert result["members"] == {"10.0.0.1:1": 5, "10.0.0.2:1": 5}
    assert result["failed_requests"] == 0


def test_probe_counts_failures(server):
    result = probe(server + "/fail", 3)
    assert result["statuses"] == {"500": 3}
    assert result["failed_requests"] == 3


def test_probe_reports_connection_errors():
    result = probe("http://127.0.0.1:9/", 2, timeout=1)
    assert result["statuses"] == {"error": 2}
    assert result["failed_requests"] == 2
    assert result["errors"]


def test_probe_stops_at_deadline(server):
    result = probe(server + "/", 100000, deadline=0.2)
    assert 0 < result["sent"] < 100000


def test_probe_reads_the_member_from_the_body(server):
    result = probe(server + "/", 9, member_regex=r"served by (m\d)")
    assert result["members"] == {"m0": 3, "m1": 3, "m2": 3}
