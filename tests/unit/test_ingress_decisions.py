"""The shared ingress's decisions (plugins/module_utils/_ingress.py)."""
import json

import pytest

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _ingress as i


def part(name, hosts, prefix="/", static=True, tls="off", port="80", kind="nginx"):
    return {"name": name, "hosts": hosts, "prefix": prefix, "static_url": "/static/",
            "statics": ["v1"] if static else [], "tls": {"mode": tls},
            "listen": {"kind": kind, "http_port": port, "https_port": "443", "listen_address": ""}}


def test_apps_with_their_own_names_do_not_conflict():
    assert i.conflicts([part("shop", ["shop.example.com"]), part("blog", ["blog.example.com"])], "main") == []


def test_the_same_name_and_path_is_refused_naming_both_apps():
    found = i.conflicts([part("shop", ["Shop.example.com"]), part("thief", ["shop.example.com"])], "main")
    assert len(found) == 2  # the root and the static files
    assert found[0].startswith("The apps shop and thief both claim http://shop.example.com/ on the ingress main")


def test_one_name_shared_under_different_prefixes():
    api = part("api", ["shop.example.com"], prefix="/api/", static=False)
    assert i.conflicts([part("shop", ["shop.example.com"]), api], "main") == []


def test_static_url_of_a_prefixed_app_is_a_claim_too():
    api = part("api", ["shop.example.com"], prefix="/api/")
    found = i.conflicts([part("shop", ["shop.example.com"]), api], "main")
    assert found == [next(m for m in found if "http://shop.example.com/static/" in m)]


def test_preflight_counts_static_files_before_the_image_exists():
    api = dict(part("api", ["shop.example.com"], prefix="/api/", static=False), serves_static=True)
    assert len(i.conflicts([part("shop", ["shop.example.com"]), api])) == 1


def test_listen_settings_must_agree():
    found = i.listen_clashes([part("shop", ["a"])], part("blog", ["b"], port="8080", kind="caddy"), "main")
    assert len(found) == 2
    assert found[0].startswith('pyfleet_frontend_kind is "caddy" for blog, but the ingress main runs with "nginx", which the app shop')
    assert i.listen_clashes([part("blog", ["b"], port="8080")], part("blog", ["b"]), "main") == []


@pytest.mark.parametrize("new, stored, expected", [
    ("v2", {"statics": ["v1"]}, ["v2", "v1"]),
    ("v3", {"statics": ["v2", "v1"]}, ["v3", "v2"]),
    ("v2", {"statics": ["v2", "v1"]}, ["v2", "v1"]),
    ("v1", None, ["v1"]),
    ("", {"statics": ["v1"]}, ["v1"]),
])
def test_statics_keep_the_previous_version_once(new, stored, expected):
    assert i.statics(new, stored) == expected


@pytest.mark.parametrize("wanted, stored, expected", [
    ("on", None, True), ("off", {"maintenance": True}, False), ("keep", {"maintenance": True}, True), ("keep", None, False),
])
def test_maintenance(wanted, stored, expected):
    assert i.maintenance(wanted, stored) is expected


def test_sites_group_names_by_the_apps_they_route_to():
    api = part("api", ["shop.example.com"], prefix="/api/", static=False)
    shop = dict(part("shop", ["shop.example.com", "www.shop.example.com"]), tls={"mode": "custom", "cert": "c"})
    found = i.sites([api, shop, part("blog", ["blog.example.com"])], shared=True)
    assert [s["names"] for s in found] == [["blog.example.com"], ["shop.example.com"], ["www.shop.example.com"]]
    assert found[1]["apps"] == ["api", "shop"]  # the longer prefix first
    assert found[1]["tls"]["mode"] == "custom" and found[1]["owner"] == "shop"  # the root's TLS
    assert not any(s["default"] for s in found)


def test_an_own_frontend_is_one_default_site():
    found = i.sites([part("shop", [])], shared=False)
    assert found == [{"names": ["_"], "apps": ["shop"], "tls": {"mode": "off"}, "owner": "shop", "default": True}]


def test_config_id_changes_with_any_part():
    one = i.config_id({"http_port": 80}, [part("a", ["a"])])
    assert one == i.config_id({"http_port": 80}, [part("a", ["a"])])
    assert one != i.config_id({"http_port": 80}, [part("a", ["a"], prefix="/x/")])


def test_parts_round_trip_and_junk_is_skipped():
    stored = {"apps/a/part.json": i.encode_part(part("a", ["a"])), "apps/b/part.json": "{broken", "apps/c/x": "{}"}
    assert i.decode_parts(stored) == {"a": json.loads(stored["apps/a/part.json"])}


def test_ports_and_overlap():
    assert i.ports({"http_port": 80, "https_port": 443}, [part("a", ["a"])]) == ["80"]
    assert i.ports({"http_port": 80, "https_port": 443}, [part("a", ["a"], tls="custom")]) == ["80", "443"]
    nginx = "server {\n    listen 8080 default_server;\n    listen 127.0.0.1:8443 ssl;\n"
    assert i.listening_ports(nginx) == {"8080", "8443"}
    assert i.listening_ports("{\n\thttp_port 8080\n\thttps_port 8443\n}\n") == {"8080", "8443"}
    assert i.ports_overlap(nginx, ["80", "8080"]) and not i.ports_overlap(nginx, ["80"])


def test_refusals_join_claims_and_listeners_only_on_a_shared_ingress():
    mine = part("blog", ["shop.example.com"], port="8080")
    assert len(i.refusals([part("shop", ["shop.example.com"])], mine, "main")) == 3  # port, root, static files
    assert len(i.refusals([part("shop", ["shop.example.com"])], mine, "")) == 2
    assert i.refusals([], mine, "main") == []
