"""Every preflight rule, with one accepted and one refused example and the message it gives;
then the order preflight checks in (shapes before the rules that read them)."""
import pathlib

import pytest
import yaml

from ansible_collections.pyfleet.wsgi.plugins.action.preflight import role_spec
from ansible_collections.pyfleet.wsgi.plugins.module_utils import _preflight

ROOT = pathlib.Path(__file__).resolve().parents[2]
FLEET = {"pool": ["web1", "web2"], "frontends": ["lb1"], "accessories": ["db1"],
         "groups": {"pyfleet_pool": ["web1", "web2"], "pyfleet_frontends": ["lb1"], "pyfleet_accessories": ["db1"],
                    "workers": ["web2"], "all": ["lb1", "web1", "web2", "db1"]}}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """An app directory, a page and a certificate pair on the 'controller'."""
    root = tmp_path_factory.mktemp("controller")
    app = root / "app"
    (app / "pkg").mkdir(parents=True)
    (app / "webapp.py").write_text("def app(environ, start_response): pass\n")
    (app / "pkg" / "__init__.py").write_text("")
    (app / "requirements.txt").write_text("flask\n")
    for name in ("page.html", "cert.pem", "key.pem", "ca.pem"):
        (root / name).write_text("x\n")
    return root


def good(files):
    """Every role's defaults with the values a real deploy templates them to."""
    values = {}
    for role in ("preflight", "image", "frontend", "pool"):
        with open(ROOT / "roles" / role / "defaults" / "main.yml", encoding="utf-8") as handle:
            for key, value in yaml.safe_load(handle).items():
                values.setdefault(key, value)
    values.update({
        "pyfleet_app_name": "shop", "pyfleet_app_src": str(files / "app"), "pyfleet_app_module": "webapp:app",
        "pyfleet_image_repository": "shop", "pyfleet_frontend_image": "nginx:stable", "pyfleet_pool_image": "",
        "pyfleet_frontend_app_image": "", "pyfleet_fleet": FLEET, "inventory_hostname": "web1",
        "ansible_host": "10.0.0.11", "default_ipv4": "", "pyfleet_pool_allow_from": ["10.0.0.10"],
        "pyfleet_pool_protocol": "", "pyfleet_frontend_read_timeout": 60,
    })
    return values


# rule: (accepted changes, refused changes, what the message says). Paths under {files} are
# made by the fixture above.
CASES = {
    "inventory_groups": ({}, {"pyfleet_fleet": dict(FLEET, frontends=[])},
                         'needs hosts in both groups pyfleet_pool (uWSGI containers) and pyfleet_frontends'),
    "rollout_batch": ({"pyfleet_rollout_batch": "1"}, {"pyfleet_rollout_batch": "0%"},
                      "pyfleet_rollout_batch is '0%': use a number of hosts (1 or more) or a percentage like 50%."),
    "static_dir_inside_app": ({"pyfleet_app_static_dir": "assets/public"}, {"pyfleet_app_static_dir": "../etc"},
                              'pyfleet_app_static_dir is "../etc": use a directory inside the app'),
    "dependency_files_present": ({"pyfleet_app_dependencies": "requirements"}, {"pyfleet_app_dependencies": "poetry"},
                                 'pyfleet_app_dependencies is "poetry", but {files}/app lacks pyproject.toml and '
                                 'poetry.lock; use auto'),
    "app_name_usable": ({"pyfleet_app_name": "shop-2.web"}, {"pyfleet_app_name": "Bad Name"},
                        'pyfleet_app_name is "Bad Name": use 1-63 characters, lower-case letters'),
    "repository_name": ({"pyfleet_image_repository": "registry.example.com:5000/shop"},
                        {"pyfleet_image_repository": "Shop Web"},
                        'pyfleet_image_repository is "Shop Web": use a lower-case Docker repository name.'),
    "app_source_or_image": ({"pyfleet_app_src": "", "pyfleet_app_image": "registry.example.com/shop:1"},
                            {"pyfleet_app_src": "{files}/nothere"},
                            'pyfleet_app_src is "{files}/nothere", which is not a directory on the controller.'),
    "module_grammar": ({"pyfleet_app_module": "pkg.wsgi:application"}, {"pyfleet_app_module": "web app"},
                       'pyfleet_app_module is "web app": use module:callable, e.g. webapp:app.'),
    "module_in_source": ({"pyfleet_app_module": "pkg:app"}, {"pyfleet_app_module": "nothere:app"},
                         'pyfleet_app_module is "nothere:app", but neither nothere.py nor nothere/__init__.py '
                         'exists in {files}/app.'),
    "version_is_a_tag": ({"pyfleet_app_version": "v1.2_rc-3"}, {"pyfleet_app_version": "v 1"},
                         'pyfleet_app_version is "v 1": use a Docker tag'),
    "ca_bundle_exists": ({"pyfleet_image_extra_ca_bundle": "{files}/ca.pem"},
                         {"pyfleet_image_extra_ca_bundle": "{files}/none.pem"},
                         'pyfleet_image_extra_ca_bundle is "{files}/none.pem", which does not exist on the controller.'),
    "build_env_holds_no_secret": (
        {"pyfleet_app_env": {"SECRET_KEY": "s3cr3t-real-key"}, "pyfleet_image_build_env": {"SECRET_KEY": "dummy"}},
        {"pyfleet_app_env": {"SECRET_KEY": "s3cr3t-real-key"}, "pyfleet_image_build_env": {"KEY": "s3cr3t-real-key"}},
        "pyfleet_image_build_env.KEY holds the value of pyfleet_app_env.SECRET_KEY: build settings show in the "
        "image's history"),
    "uid_not_root": ({"pyfleet_image_uid": 1000}, {"pyfleet_image_uid": 0},
                     "pyfleet_image_uid is 0: use a uid above 0"),
    "server_names": ({"pyfleet_frontend_server_name": "shop.example.com *.shop.example.com"},
                     {"pyfleet_frontend_server_name": "shop.example.com; return 200"},
                     'pyfleet_frontend_server_name is "shop.example.com; return 200": use nginx server names'),
    "http_port": ({"pyfleet_http_port": 80}, {"pyfleet_http_port": 70000},
                  "pyfleet_http_port is 70000: use a TCP port number from 1 to 65535."),
    "https_port": ({"pyfleet_https_port": 8443}, {"pyfleet_https_port": 8080},
                   "pyfleet_https_port is 8080: use a TCP port number from 1 to 65535 other than pyfleet_http_port."),
    "read_timeout": ({"pyfleet_frontend_read_timeout": 2}, {"pyfleet_frontend_read_timeout": 1},
                     "pyfleet_frontend_read_timeout is 1: use whole seconds, at least 2."),
    "connect_timeout": ({"pyfleet_frontend_connect_timeout": "60s"}, {"pyfleet_frontend_connect_timeout": "5ms"},
                        'pyfleet_frontend_connect_timeout is "5ms": use a duration from 10ms to 60s'),
    "body_size": ({"pyfleet_frontend_client_max_body_size": "0"}, {"pyfleet_frontend_client_max_body_size": "lots"},
                  'pyfleet_frontend_client_max_body_size is "lots": use a size like 10m'),
    "static_url": ({"pyfleet_app_static_url": "/assets/"}, {"pyfleet_app_static_url": "/static"},
                   'pyfleet_app_static_url is "/static": use a path that starts and ends with /'),
    "caddy_speaks_http": ({"pyfleet_frontend_kind": "caddy", "pyfleet_pool_protocol": "http"},
                          {"pyfleet_frontend_kind": "caddy", "pyfleet_pool_protocol": "uwsgi"},
                          'pyfleet_pool_protocol is "uwsgi", but the Caddy frontend has no uwsgi transport'),
    "nginx_tls_from_files": ({"pyfleet_frontend_tls": "internal", "pyfleet_frontend_kind": "caddy"},
                             {"pyfleet_frontend_tls": "internal"},
                             'pyfleet_frontend_tls is "internal" with pyfleet_frontend_kind nginx'),
    "ingress_name": ({"pyfleet_frontend_ingress": "main", "pyfleet_app_hosts": ["shop.example.com"]},
                     {"pyfleet_frontend_ingress": "Main Ingress", "pyfleet_app_hosts": ["shop.example.com"]},
                     'pyfleet_frontend_ingress is "Main Ingress": name the shared ingress with lower-case letters'),
    "ingress_needs_hosts": ({"pyfleet_frontend_ingress": "main", "pyfleet_domain": "shop.example.com"},
                            {"pyfleet_frontend_ingress": "main"},
                            'pyfleet_frontend_ingress is "main", but pyfleet_app_hosts is empty'),
    "app_host_names": ({"pyfleet_app_hosts": ["*.shop.example.com"]}, {"pyfleet_app_hosts": ["https://shop.example.com"]},
                       'pyfleet_app_hosts is ["https://shop.example.com"]: use host names like shop.example.com'),
    "path_prefix": ({"pyfleet_app_path_prefix": "/api/v1/"}, {"pyfleet_app_path_prefix": "/api"},
                    'pyfleet_app_path_prefix is "/api": use / or a path that starts and ends with /'),
    "health_path_under_prefix": (
        {"pyfleet_frontend_ingress": "main", "pyfleet_app_hosts": ["a.example"], "pyfleet_app_path_prefix": "/api/",
         "pyfleet_app_health_path": "/api/health"},
        {"pyfleet_frontend_ingress": "main", "pyfleet_app_hosts": ["a.example"], "pyfleet_app_path_prefix": "/api/",
         "pyfleet_app_health_path": "/health"},
        'pyfleet_app_health_path is "/health", outside the app path prefix "/api/" (pyfleet_app_path_prefix)'),
    "error_page_codes": ({"pyfleet_frontend_error_pages": {502: "{files}/page.html"}},
                         {"pyfleet_frontend_error_pages": {404: "{files}/page.html"}},
                         'pyfleet_frontend_error_pages has ["404"]: map the status codes 500, 502, 503 or 504'),
    "error_page_files": ({"pyfleet_frontend_error_pages": {"503": "{files}/page.html"}},
                         {"pyfleet_frontend_error_pages": {"503": "{files}/gone.html"}},
                         'pyfleet_frontend_error_pages names ["{files}/gone.html"], which is not a file'),
    "maintenance_page_file": ({"pyfleet_frontend_maintenance_page": "{files}/page.html"},
                              {"pyfleet_frontend_maintenance_page": "{files}/gone.html"},
                              'pyfleet_frontend_maintenance_page is "{files}/gone.html", which is not a file'),
    "acme_needs_domain": ({"pyfleet_frontend_kind": "caddy", "pyfleet_frontend_tls": "acme",
                           "pyfleet_domain": "shop.example.com"},
                          {"pyfleet_frontend_kind": "caddy", "pyfleet_frontend_tls": "acme"},
                          "pyfleet_frontend_tls is acme, but pyfleet_domain is empty"),
    "custom_tls_names_files": (
        {"pyfleet_frontend_tls": "custom", "pyfleet_frontend_tls_cert": "{files}/cert.pem",
         "pyfleet_frontend_tls_key": "{files}/key.pem"},
        {"pyfleet_frontend_tls": "custom", "pyfleet_frontend_tls_cert": "{files}/cert.pem"},
        'pyfleet_frontend_tls is custom, but pyfleet_frontend_tls_cert is "{files}/cert.pem" and '
        'pyfleet_frontend_tls_key is ""'),
    "caddy_durations": ({"pyfleet_frontend_retry_duration": "250ms"}, {"pyfleet_frontend_health_interval": "1h"},
                        'pyfleet_frontend_retry_duration and pyfleet_frontend_health_interval are'),
    "pool_not_empty": ({}, {"pyfleet_fleet": dict(FLEET, pool=[])}, "The inventory group pyfleet_pool is empty"),
    "processes": ({"pyfleet_app_processes": {"worker": {"command": "celery worker", "group": "workers"}}},
                  {"pyfleet_app_processes": {"worker": {"command": "celery worker", "group": "nope"}}},
                  "pyfleet_app_processes.worker.group is 'nope', which is no group of the inventory."),
    "pool_size": ({"pyfleet_pool_size": 64}, {"pyfleet_pool_size": 0}, "pyfleet_pool_size is 0: use 1 to 64"),
    "port_base": ({"pyfleet_pool_port_base": 1024}, {"pyfleet_pool_port_base": 65500},
                  "pyfleet_pool_port_base is 65500: its ports up to base + 100 + pyfleet_pool_size - 1"),
    "bind_not_everywhere": ({"pyfleet_pool_bind_address": "10.0.0.11"}, {"pyfleet_pool_bind_address": "0.0.0.0"},
                            'pyfleet_pool_bind_address is "0.0.0.0": the uwsgi protocol can run code'),
    "allow_list": ({"pyfleet_pool_allow_from": ["10.0.0.0/24"]}, {"pyfleet_pool_allow_from": ["127.0.0.1"]},
                   'pyfleet_pool_allow_from is ["127.0.0.1"]: the members of web1 are published'),
    "worker_counts": ({"pyfleet_pool_processes": 0, "pyfleet_pool_threads": 4}, {"pyfleet_pool_threads": -1},
                      "pyfleet_pool_processes and pyfleet_pool_threads are 0 and -1"),
    "harakiri_below_read_timeout": ({"pyfleet_pool_harakiri": 59}, {"pyfleet_pool_harakiri": 90},
                                    "pyfleet_pool_harakiri is 90: use at least 1 and less than "
                                    "pyfleet_frontend_read_timeout (60)"),
    "env_names": ({"pyfleet_app_env": {"_OK1": "x"}}, {"pyfleet_app_env": {"1BAD": "x"}},
                  'pyfleet_app_env has invalid names ["1BAD"]'),
    "wait_for_targets": ({"pyfleet_app_wait_for": ["db=db.internal:5432"]}, {"pyfleet_app_wait_for": ["db.internal"]},
                         'pyfleet_app_wait_for has ["db.internal"]: give each service as host:port'),
    "wait_timeout": ({"pyfleet_app_wait_timeout": 1}, {"pyfleet_app_wait_timeout": 0},
                     "pyfleet_app_wait_timeout is 0: use 1 or more seconds."),
}


def _fill(value, files):
    if isinstance(value, str):
        return value.replace("{files}", str(files))
    if isinstance(value, dict):
        return {k: _fill(v, files) for k, v in value.items()}
    return value


def test_every_rule_has_its_examples():
    assert sorted(CASES) == sorted(r.__name__ for r in _preflight.RULES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_accepts_and_refuses(files, name):
    function = next(r for r in _preflight.RULES if r.__name__ == name)
    accepted, refused, message = CASES[name]
    base = good(files)
    assert function(base) is None, "the defaults are refused"
    assert function(dict(base, **_fill(accepted, files))) is None
    said = function(dict(base, **_fill(refused, files)))
    assert said is not None and _fill(message, files) in said, said
    # A rule's message names what it read, so the reader knows which variable to change.
    assert any(name in said for name in function.reads if name.startswith("pyfleet_") and name != "pyfleet_fleet") \
        or "pyfleet_pool" in said


@pytest.mark.parametrize("role", ["preflight", "image", "frontend", "pool"])
def test_the_defaults_pass_every_role(files, role):
    assert _preflight.check(role, good(files), role_spec(role)) == []


def test_a_value_without_its_shape_is_named_and_its_rules_wait():
    spec = role_spec("pool")
    said = _preflight.check("pool", dict(good(_tmp := pathlib.Path("/nonexistent")), pyfleet_pool_size="many",
                                         pyfleet_app_wait_for="db:5432"), spec)
    assert 'pyfleet_pool_size is "many": use a whole number.' in said
    # Ansible would split a string at its commas; the role reads a list, so a string is refused.
    assert 'pyfleet_app_wait_for is "db:5432": use a list of strings (a single string is not a list: put it in [ ]).' \
        in said
    # pool_size and port_base read pyfleet_pool_size: neither runs on a value of the wrong type.
    assert not [m for m in said if "use 1 to 64" in m or "its ports up to" in m]
    del _tmp


def test_grammars_belong_to_variables_the_roles_declare():
    declared = set()
    for role in ("preflight", "image", "frontend", "pool"):
        declared |= set(role_spec(role))
    assert sorted(set(_preflight.SHAPES) - declared) == []


@pytest.mark.parametrize("kind,tls,domain,expected", [
    ("caddy", "auto", "shop.example.com", "acme"), ("caddy", "auto", "", "off"), ("nginx", "auto", "x.example", "off"),
    ("nginx", "custom", "", "custom"),
])
def test_tls_mode(kind, tls, domain, expected):
    assert _preflight.tls_mode(kind, tls, domain) == expected


@pytest.mark.parametrize("explicit,ansible_host,ipv4,expected", [
    ("10.0.0.5", "10.0.0.11", "", "10.0.0.5"), ("", "10.0.0.11", "", "10.0.0.11"), ("", "fd00::11", "", "fd00::11"),
    ("", "web1.example", "10.0.0.12", "10.0.0.12"), ("", "web1.example", "", "127.0.0.1"),
    ("", "10.0.0.300", "10.0.0.12", "10.0.0.300"),  # dotted digits are taken as given, as Ansible connects to them
])
def test_bind_address(explicit, ansible_host, ipv4, expected):
    assert _preflight.bind_address(explicit, ansible_host, ipv4) == expected
