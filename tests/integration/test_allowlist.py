"""An app that answers only its own host name (Django's ALLOWED_HOSTS with DEBUG off) deploys:
the members' health check, the check through each frontend (with SNI over HTTPS) and Caddy's
active health checks all send the site's name."""
import http.client
import socket
import ssl

import pytest

from conftest import ROOT

DOMAIN = "shop.example.test"
KINDS = {
    "nginx": {"pyfleet_app_name": "itallow", "pyfleet_pool_port_base": 28500, "pyfleet_http_port": 28085,
              "pyfleet_frontend_server_name": f"{DOMAIN} www.{DOMAIN}"},
    "caddy": {"pyfleet_app_name": "itallowc", "pyfleet_pool_port_base": 28600, "pyfleet_http_port": 28086,
              "pyfleet_https_port": 28446, "pyfleet_frontend_kind": "caddy", "pyfleet_frontend_tls": "internal",
              "pyfleet_domain": DOMAIN, "pyfleet_frontend_image": "pyfleet/caddy:bookworm"},
}


@pytest.fixture(scope="module", params=sorted(KINDS))
def site(request, deploy, tmp_path_factory):
    kind = request.param
    tmp = tmp_path_factory.mktemp("allow-" + kind)
    app_vars = {
        "pyfleet_app_src": str(ROOT / "tests" / "apps" / "allowlist"),
        "pyfleet_app_module": "shopsite:application",
        "pyfleet_app_health_path": "/",
        "pyfleet_pool_size": 2,
        "pyfleet_app_env": {"ALLOWED_HOST": DOMAIN},
        "pyfleet_frontend_ca_dir": str(tmp / "ca"),
        **KINDS[kind],
    }
    result = deploy(tmp, app_vars)
    return {"kind": kind, "vars": app_vars, "result": result, "tmp": tmp}


def ask(site, host):
    """GET / with Host `host`; over HTTPS (Caddy) with the site's name in SNI, as browsers send it."""
    if site["kind"] == "caddy":
        (ca,) = (site["tmp"] / "ca").glob("*.crt")
        context = ssl.create_default_context(cafile=str(ca))
        with socket.create_connection(("127.0.0.1", site["vars"]["pyfleet_https_port"]), timeout=10) as plain:
            with context.wrap_socket(plain, server_hostname=DOMAIN) as conn:
                conn.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
                with conn.makefile("rb") as stream:
                    answer = stream.read()
        return int(answer.split(b" ", 2)[1]), answer.partition(b"\r\n\r\n")[2].decode()
    conn = http.client.HTTPConnection("127.0.0.1", site["vars"]["pyfleet_http_port"], timeout=10)
    conn.request("GET", "/", headers={"Host": host})
    resp = conn.getresponse()
    return resp.status, resp.read().decode()


def test_an_app_with_a_host_allowlist_deploys_and_serves_its_name(site):
    assert site["result"].rc == 0, site["result"].output[-5000:]
    names = set()
    for _ in range(8):
        status, body = ask(site, DOMAIN)
        assert status == 200, body
        names.add(body.split("This is ")[1].strip())
    assert len(names) == 2, names
    # The allowlist is real: any other name is refused by the app itself.
    status, body = ask(site, "localhost")
    assert status == 400 and "invalid HTTP_HOST" in body
