"""Two apps behind one shared nginx ingress on this machine's engine: routing by host name on
one port, TLS from files with a certificate per app, claims refused in preflight, maintenance
mode, error pages, assets across a rollout, an app moved from its own frontend, and one app's
rollouts, failed rollout and teardown under load on the other.

The tests run in order and share the deploys."""
import hashlib
import http.client as httpclient
import pathlib
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.pyfleet.wsgi.plugins.modules import deploy_lock
from conftest import ROOT, docker, http, run_playbook

sys.path.insert(0, str(ROOT / "tests"))
from load import Load  # noqa: E402

INGRESS = "itshared"
PORT, TLS_PORT = 28300, 28343
A, B, MOVER = "itinga", "itingb", "itingmove"
A_HOST, B_HOST, MOVER_HOST = "shop.ingress.test", "blog.ingress.test", "old.ingress.test"
CONFIG = pathlib.Path("/etc/pyfleet/.ingress", INGRESS, "nginx.conf")
CONTAINER = "pyfleet-ingress-" + INGRESS


def outside_address():
    """An address of this machine that is not loopback: requests to it come from "the world"
    as the frontend sees it (not from a client on the frontend host's loopback)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    for address in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", out):
        if not address.startswith("127."):
            return address
    pytest.skip("this machine has no non-loopback IPv4 address")


def make_app(base, name, version, statics):
    src = base / name
    shutil.copytree(ROOT / "tests" / "apps" / "plainwsgi", src)
    main = src / "service" / "main.py"
    main.write_text(main.read_text().replace('VERSION = "one"', 'VERSION = "%s"' % version))
    (src / "static").mkdir()
    for file_name in statics:
        (src / "static" / file_name).write_text("/* %s of %s */\n" % (file_name, version))
    return src


def certificate(base, host):
    cert, key = base / (host + ".crt"), base / (host + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + host,
                    "-addext", "subjectAltName=DNS:" + host, "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def _ask(conn, host, path):
    """(status, headers, body) of one GET for ``host`` on ``conn``; redirects are not followed."""
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def https_get(host, path, cafile):
    """GET over TLS with SNI ``host``, trusting only ``cafile``: it fails unless the ingress
    presents that app's own certificate."""
    context = ssl.create_default_context(cafile=str(cafile))
    conn = httpclient.HTTPSConnection("127.0.0.1", TLS_PORT, context=context, timeout=10)
    conn.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", TLS_PORT), timeout=10), server_hostname=host)
    return _ask(conn, host, path)


def get(host, path="/", address="127.0.0.1"):
    """A plain GET for ``host`` at ``address``."""
    return _ask(httpclient.HTTPConnection(address, PORT, timeout=10), host, path)


def container_ids(app):
    return sorted(docker("ps", "-q", "--filter", "label=pyfleet.app=" + app).stdout.split())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("ingress")
    a_cert, a_key = certificate(base, A_HOST)
    page = base / "502.html"
    page.write_text("<h1>The shop is having a moment</h1>\n")
    sources = {
        "one": make_app(base / "v1", A, "one", ["app.css", "v1only.css"]),
        "two": make_app(base / "v2", A, "two", ["app.css", "v2only.css"]),
        "three": make_app(base / "v3", A, "three", ["app.css", "v3only.css"]),
        "broken": make_app(base / "vb", A, "broken", ["app.css"]),
    }
    (sources["broken"] / "service" / "main.py").write_text("raise RuntimeError('this version cannot start')\n")
    common = {
        "pyfleet_frontend_ingress": INGRESS,
        "pyfleet_http_port": PORT,
        "pyfleet_https_port": TLS_PORT,
        "pyfleet_app_module": "service.main:application",
        "pyfleet_app_health_path": "/ping",
        "pyfleet_pool_size": 2,
        "pyfleet_app_wait_timeout": 60,
    }
    a_vars = dict(common, pyfleet_app_name=A, pyfleet_app_hosts=[A_HOST], pyfleet_app_src=str(sources["one"]),
                  pyfleet_pool_port_base=28310, pyfleet_frontend_tls="custom", pyfleet_frontend_tls_cert=str(a_cert),
                  pyfleet_frontend_tls_key=str(a_key), pyfleet_frontend_error_pages={502: str(page), 504: str(page)})
    b_src = make_app(base / "b", B, "blog", ["blog.css"])
    b_vars = dict(common, pyfleet_app_name=B, pyfleet_app_hosts=[B_HOST], pyfleet_app_src=str(b_src),
                  pyfleet_pool_port_base=28320, pyfleet_pool_protocol="http")
    yield {"base": base, "a": a_vars, "b": b_vars, "src": sources, "cert": a_cert, "page": page}
    for app_vars in (a_vars, b_vars, dict(b_vars, pyfleet_app_name=MOVER, pyfleet_app_hosts=[MOVER_HOST])):
        run_playbook(base, "playbooks/teardown.yml", app_vars, {"pyfleet_teardown_images": True})


@pytest.fixture(scope="module")
def both(site):
    for key in ("a", "b"):
        result = run_playbook(site["base"], "deploy.yml", site[key])
        assert result.rc == 0, result.output[-4000:]
    return site


def test_two_apps_share_one_port_by_host_name(both):
    status, _, body = get(B_HOST)
    assert status == 200 and "blog from" in body
    status, _, body = https_get(A_HOST, "/", both["cert"])
    assert status == 200 and "one from" in body
    # plain HTTP of the TLS app goes to HTTPS; a name nobody claims gets 404
    status, headers, _ = get(A_HOST)
    assert status == 308 and headers["Location"] == "https://%s:%d/" % (A_HOST, TLS_PORT)
    assert get("nobody.ingress.test")[0] == 404
    assert get(B_HOST, "/static/blog.css")[0] == 200
    assert https_get(A_HOST, "/static/v1only.css", both["cert"])[0] == 200
    # one ingress container, the apps' own frontends never created
    assert docker("ps", "-q", "--filter", "name=^" + CONTAINER + "$").stdout.strip()
    for app in (A, B):
        assert docker("ps", "-aq", "--filter", "name=^%s-frontend$" % app).stdout.strip() == ""


def test_a_name_claimed_twice_is_refused_in_preflight(both):
    before = hashlib.sha256(CONFIG.read_bytes()).hexdigest()
    thief = dict(both["b"], pyfleet_app_name="itingthief", pyfleet_pool_port_base=28330)
    result = run_playbook(both["base"], "deploy.yml", thief)
    assert result.rc != 0
    assert re.search(r"apps itingb and itingthief both claim http://%s/" % re.escape(B_HOST), result.output), result.output[-3000:]
    assert "Nothing was changed" in result.output
    assert hashlib.sha256(CONFIG.read_bytes()).hexdigest() == before
    assert container_ids("itingthief") == []
    assert docker("image", "ls", "-q", "itingthief").stdout.strip() == ""


def test_a_different_port_for_the_same_ingress_is_refused(both):
    other = dict(both["b"], pyfleet_app_name="itingport", pyfleet_app_hosts=["port.ingress.test"], pyfleet_http_port=28399)
    result = run_playbook(both["base"], "deploy.yml", other)
    assert result.rc != 0
    assert "pyfleet_http_port is \"28399\" for itingport, but the ingress itshared runs with \"%d\"" % PORT in result.output
    assert container_ids("itingport") == []


def test_rollouts_of_one_app_lose_nothing_of_the_other_and_keep_old_assets(both):
    """B under load while A rolls out v2, fails to roll out a broken version, then rolls out v3;
    a page of v1 keeps loading its v1-only asset through the v2 rollout."""
    v1_asset = {"statuses": [], "stop": threading.Event()}

    def poll():
        while not v1_asset["stop"].is_set():
            try:
                v1_asset["statuses"].append(https_get(A_HOST, "/static/v1only.css", both["cert"])[0])
            except OSError as error:
                v1_asset["statuses"].append(type(error).__name__)
            time.sleep(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    with Load("http://127.0.0.1:%d" % PORT, threads=4, post="", host=B_HOST, limit=200000, deadline=900, pause=0.01) as load:
        poller.start()
        result = run_playbook(both["base"], "deploy.yml", dict(both["a"], pyfleet_app_src=str(both["src"]["two"])))
        assert result.rc == 0, result.output[-4000:]
        v1_asset["stop"].set()
        poller.join()
        assert https_get(A_HOST, "/", both["cert"])[2].startswith("<p>two from")
        # v2's files and, for pages v1 rendered, v1's
        assert https_get(A_HOST, "/static/v2only.css", both["cert"])[0] == 200
        assert https_get(A_HOST, "/static/v1only.css", both["cert"])[0] == 200
        assert "of two" in https_get(A_HOST, "/static/app.css", both["cert"])[2]

        broken = run_playbook(both["base"], "deploy.yml", dict(both["a"], pyfleet_app_src=str(both["src"]["broken"])))
        assert broken.rc != 0
        assert https_get(A_HOST, "/", both["cert"])[2].startswith("<p>two from")

        result = run_playbook(both["base"], "deploy.yml", dict(both["a"], pyfleet_app_src=str(both["src"]["three"])))
        assert result.rc == 0, result.output[-4000:]
    assert v1_asset["statuses"] and set(v1_asset["statuses"]) == {200}, v1_asset["statuses"]
    assert load.sent > 200 and load.failures() == {}, (load.outcomes, load.stopped_by)
    assert all("blog from" in body for body in load.bodies)
    # the version before is kept, the one before it dropped
    assert https_get(A_HOST, "/static/v3only.css", both["cert"])[0] == 200
    assert https_get(A_HOST, "/static/v2only.css", both["cert"])[0] == 200
    assert https_get(A_HOST, "/static/v1only.css", both["cert"])[0] == 404


def test_maintenance_mode_answers_503_and_leaves_the_other_app(both):
    outside = outside_address()
    members = container_ids(B)
    result = run_playbook(both["base"], "playbooks/maintenance.yml", both["b"], {"pyfleet_maintenance": "on"})
    assert result.rc == 0, result.output[-3000:]
    status, headers, body = get(B_HOST, "/", outside)
    assert status == 503 and headers["Retry-After"] == "300" and "Down for maintenance" in body
    assert get(B_HOST, "/static/blog.css", outside)[0] == 200
    # the host's own clients still reach the app, the other app is untouched
    assert get(B_HOST)[0] == 200
    assert get(A_HOST, "/", outside)[0] == 308
    # a deploy keeps the mode; the ingress lock a killed run of this controller left behind (its
    # process gone) does not make it wait for the lock's expiry
    gone = subprocess.Popen(["true"])
    gone.wait()
    holder = f"the frontend step of {A} (pid {gone.pid} on {socket.gethostname()})"
    lock = CONFIG.parent / "ingress.lock"
    deploy_lock.take(str(lock), holder, 300)
    result = run_playbook(both["base"], "deploy.yml", both["b"])
    assert result.rc == 0, result.output[-3000:]
    assert f"took over the ingress lock in {CONFIG.parent} of {holder}" in " ".join(result.output.split()), result.output[-3000:]
    assert not lock.exists()
    assert get(B_HOST, "/", outside)[0] == 503

    result = run_playbook(both["base"], "playbooks/maintenance.yml", both["b"], {"pyfleet_maintenance": "off"})
    assert result.rc == 0, result.output[-3000:]
    status, _, body = get(B_HOST, "/", outside)
    assert status == 200 and "blog from" in body
    assert container_ids(B) == members


def test_error_page_of_the_app_when_its_members_are_down(both):
    members = docker("ps", "--format", "{{.Names}}", "--filter", "label=pyfleet.app=" + A,
                     "--filter", "label=pyfleet.role=pool").stdout.split()
    assert len(members) == 2
    docker("stop", "-t", "1", *members)
    try:
        status, _, body = https_get(A_HOST, "/", both["cert"])
        # stopped members: their addresses time out (504) or refuse (502)
        assert status in (502, 504) and "The shop is having a moment" in body, (status, body)
        assert get(B_HOST)[0] == 200
    finally:
        docker("start", *members)
    deadline = time.monotonic() + 60
    while https_get(A_HOST, "/", both["cert"])[0] != 200 and time.monotonic() < deadline:
        time.sleep(1)


def test_an_app_moves_from_its_own_frontend_to_the_ingress(both):
    own = dict(both["b"], pyfleet_app_name=MOVER, pyfleet_app_hosts=[], pyfleet_frontend_ingress="",
               pyfleet_http_port=28305, pyfleet_pool_port_base=28340)
    result = run_playbook(both["base"], "deploy.yml", own)
    assert result.rc == 0, result.output[-3000:]
    assert http("http://127.0.0.1:28305/")[0] == 200
    moved = dict(own, pyfleet_app_hosts=[MOVER_HOST], pyfleet_frontend_ingress=INGRESS, pyfleet_http_port=PORT)
    result = run_playbook(both["base"], "deploy.yml", moved)
    assert result.rc == 0, result.output[-3000:]
    status, _, body = get(MOVER_HOST)
    assert status == 200 and "blog from" in body
    assert docker("ps", "-aq", "--filter", "name=^%s-frontend$" % MOVER).stdout.strip() == ""
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 28305), timeout=2).close()
    again = run_playbook(both["base"], "deploy.yml", moved)
    assert again.rc == 0 and again.recap()["changed"] == 0, again.output[-2000:]
    result = run_playbook(both["base"], "playbooks/teardown.yml", moved)
    assert result.rc == 0, result.output[-3000:]


def test_teardown_of_one_app_under_load_on_the_other(both):
    with Load("http://127.0.0.1:%d" % PORT, threads=4, post="", host=B_HOST, limit=100000, deadline=600, pause=0.01) as load:
        result = run_playbook(both["base"], "playbooks/teardown.yml", both["a"])
        assert result.rc == 0, result.output[-3000:]
        time.sleep(1)
    assert load.sent > 100 and load.failures() == {}, load.outcomes
    assert get(A_HOST)[0] == 404
    assert container_ids(A) == []
    assert not pathlib.Path("/etc/pyfleet/.ingress", INGRESS, "apps", A).exists()
    assert A_HOST not in CONFIG.read_text()
    # the last app takes the ingress with it
    result = run_playbook(both["base"], "playbooks/teardown.yml", both["b"])
    assert result.rc == 0, result.output[-3000:]
    assert docker("ps", "-aq", "--filter", "name=^" + CONTAINER + "$").stdout.strip() == ""
    assert not CONFIG.parent.exists()
    assert docker("volume", "ls", "-q", "--filter", "name=pyfleet-ingress-" + INGRESS).stdout.strip() == ""
