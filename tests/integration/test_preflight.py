"""Bad input is refused before any host changes, with a message naming the variable."""
import pytest

from conftest import ROOT, app_leftovers, run_playbook

APP = "itbad"
GOOD = {
    "pyfleet_app_name": APP,
    "pyfleet_app_src": str(ROOT / "examples" / "hello"),
    "pyfleet_app_module": "webapp:app",
    "pyfleet_pool_port_base": 29100,
    "pyfleet_http_port": 29080,
}

CASES = [
    ({"pyfleet_pool_size": 0}, ["pyfleet_pool_size is 0", "1 to 64"]),
    ({"pyfleet_pool_size": "many"}, ["pyfleet_pool_size", "many"]),
    ({"pyfleet_app_module": "nothere:app"}, ["pyfleet_app_module is \"nothere:app\"", "neither nothere.py nor nothere/__init__.py"]),
    ({"pyfleet_app_src": "/nonexistent/app"}, ["pyfleet_app_src is \"/nonexistent/app\"", "not a directory"]),
    ({"pyfleet_app_name": "Bad Name"}, ["pyfleet_app_name is \"Bad Name\"", "lower-case"]),
    ({"pyfleet_http_port": 70000}, ["pyfleet_http_port is 70000", "1 to 65535"]),
    ({"pyfleet_pool_harakiri": 90}, ["pyfleet_pool_harakiri is 90", "less than pyfleet_frontend_read_timeout (60)"]),
    ({"pyfleet_pool_bind_address": "0.0.0.0"}, ["pyfleet_pool_bind_address is \"0.0.0.0\"", "never to every address"]),
    ({"pyfleet_pool_protocol": "fastcgi"}, ["pyfleet_pool_protocol", "fastcgi", "uwsgi, http"]),
    ({"pyfleet_frontend_kind": "haproxy"}, ["pyfleet_frontend_kind", "haproxy", "nginx"]),
    ({"pyfleet_frontend_kind": "caddy", "pyfleet_pool_protocol": "uwsgi"},
     ["pyfleet_pool_protocol is \"uwsgi\"", "Caddy frontend has no uwsgi transport"]),
    ({"pyfleet_frontend_kind": "caddy", "pyfleet_frontend_tls": "custom"},
     ["pyfleet_frontend_tls is custom, but pyfleet_frontend_tls_cert is \"\""]),
    ({"pyfleet_frontend_kind": "caddy", "pyfleet_frontend_tls": "acme"}, ["pyfleet_frontend_tls is acme, but pyfleet_domain is empty"]),
    ({"pyfleet_frontend_tls": "internal"}, ["pyfleet_frontend_tls is \"internal\" with pyfleet_frontend_kind nginx"]),
    ({"pyfleet_frontend_kind": "caddy", "pyfleet_https_port": 29080}, ["pyfleet_https_port is 29080", "other than pyfleet_http_port"]),
    ({"pyfleet_app_env": {"1BAD": "x"}}, ["pyfleet_app_env has invalid names", "1BAD"]),
    ({"pyfleet_frontend_client_max_body_size": "lots"}, ["pyfleet_frontend_client_max_body_size is \"lots\"", "10m"]),
    ({"pyfleet_app_version": "v 1"}, ["pyfleet_app_version is \"v 1\"", "Docker tag"]),
    ({"pyfleet_image_extra_ca_bundle": "/nonexistent.pem"}, ["pyfleet_image_extra_ca_bundle is \"/nonexistent.pem\""]),
    ({"pyfleet_accessories": [{"name": "db"}]},
     ["pyfleet_accessories[0] (postgres) has no password", "add a host to the inventory group pyfleet_accessories"]),
    ({"pyfleet_accessories": [{"name": "db", "kind": "mongo", "password": "x"}]}, ["pyfleet_accessories[0].kind is 'mongo'"]),
    ({"pyfleet_app_env_file": "/nonexistent/prod.env"}, ["pyfleet_app_env_file is \"/nonexistent/prod.env\", which is not a file"]),
    ({"pyfleet_app_env_file": str(ROOT / "tests" / "apps" / "bad.env")}, ["bad.env line 2 is not KEY=VALUE"]),
    ({"pyfleet_app_wait_for": ["db.internal"]}, ["pyfleet_app_wait_for has [\"db.internal\"]", "host:port"]),
    ({"pyfleet_app_dependencies": "poetry"}, ["pyfleet_app_dependencies is \"poetry\"", "lacks pyproject.toml and poetry.lock"]),
    ({"pyfleet_app_dependencies": "conda"}, ["pyfleet_app_dependencies", "conda", "uv, poetry, pipfile"]),
    # Every kind of public variable: paths, sizes, durations, lists, grammars.
    ({"pyfleet_app_health_path": "healthz"}, ['pyfleet_app_health_path is "healthz"', "starting with /"]),
    ({"pyfleet_release_commands": "python manage.py migrate"},
     ['pyfleet_release_commands is "python manage.py migrate"', "a list of shell commands", "put it in [ ]"]),
    ({"pyfleet_pool_memory": "lots"}, ['pyfleet_pool_memory is "lots"', "512m"]),
    ({"pyfleet_image_build_packages": ["gcc; curl evil"]}, ['pyfleet_image_build_packages is ["gcc; curl evil"]', "Debian package names"]),
    ({"pyfleet_image_build_commands": "python manage.py collectstatic"},
     ['pyfleet_image_build_commands is "python manage.py collectstatic"', "put it in [ ]"]),
    ({"pyfleet_image_build_env": {"SECRET-KEY": "x"}}, ['pyfleet_image_build_env is {"SECRET-KEY": "x"}', "variable names"]),
    # A real secret copied into the build would show in `docker history`; the value is never printed.
    ({"pyfleet_app_env": {"SECRET_KEY": "s3cr3t-real-key"}, "pyfleet_image_build_env": {"SECRET_KEY": "s3cr3t-real-key"}},
     ["pyfleet_image_build_env.SECRET_KEY holds the value of pyfleet_app_env.SECRET_KEY", "dummy value"]),
    ({"pyfleet_image_runtime_packages": "libpq5"}, ['pyfleet_image_runtime_packages is "libpq5"', "not a list"]),
    ({"pyfleet_image_uwsgi_requirement": "uwsgi; curl evil"}, ['pyfleet_image_uwsgi_requirement is "uwsgi; curl evil"', "uwsgi==2.0.31"]),
    ({"pyfleet_image_pip_index_url": "ftp://pypi.internal"}, ['pyfleet_image_pip_index_url is "ftp://pypi.internal"', "https://"]),
    ({"pyfleet_image_runtime_base": "Debian Slim"}, ['pyfleet_image_runtime_base is "Debian Slim"', "image reference"]),
    ({"pyfleet_frontend_image": "nginx:1.25; rm"}, ['pyfleet_frontend_image is "nginx:1.25; rm"', "image reference"]),
    ({"pyfleet_frontend_connect_timeout": "soon"}, ['pyfleet_frontend_connect_timeout is "soon"', "300ms"]),
    ({"pyfleet_pool_healthcheck_interval": "5"}, ['pyfleet_pool_healthcheck_interval is "5"', "a duration like"]),
    ({"pyfleet_pool_health_start_period": 30}, ["pyfleet_pool_health_start_period is 30", "a duration like"]),
    ({"pyfleet_domain": "shop example.com"}, ['pyfleet_domain is "shop example.com"', "host name"]),
    ({"pyfleet_app_health_host": "shop.example.com/x"}, ['pyfleet_app_health_host is "shop.example.com/x"', "host name"]),
    ({"pyfleet_frontend_server_name": "shop.example.com; return 200"},
     ['pyfleet_frontend_server_name is "shop.example.com; return 200"', "server names"]),
    ({"pyfleet_pool_tmpfs": ["/tmp:size=64m;rm -rf /"]}, ["pyfleet_pool_tmpfs is", "/tmp:size=64m,mode=1777"]),
    ({"pyfleet_pool_cap_drop": "ALL"}, ['pyfleet_pool_cap_drop is "ALL"', "capability names"]),
    ({"pyfleet_pool_read_only": "maybe"}, ["pyfleet_pool_read_only", "'maybe' is not a valid boolean"]),
    ({"pyfleet_pool_config_dir": "etc/pyfleet"}, ['pyfleet_pool_config_dir is "etc/pyfleet"', "absolute path"]),
    ({"pyfleet_app_static_dir": "../etc"}, ['pyfleet_app_static_dir is "../etc"', "inside the app"]),
    ({"pyfleet_pool_health_retries": "few"}, ["pyfleet_pool_health_retries", "few", "int"]),
    ({"pyfleet_app_wait_for": "db:5432"}, ['pyfleet_app_wait_for is "db:5432"', "a list of strings"]),
]


@pytest.mark.parametrize("bad,expected", CASES, ids=[list(c[0])[-1] + "=" + str(list(c[0].values())[-1])[:12] for c in CASES])
def test_bad_variable_is_refused_before_any_change(tmp_path, bad, expected):
    result = run_playbook(tmp_path, "deploy.yml", {**GOOD, **bad})
    assert result.rc != 0
    assert "s3cr3t-real-key" not in result.output
    for text in expected:
        assert text in result.output, result.output[-3000:]
    assert "TASK [pyfleet.wsgi.image : Stage the app source" not in result.output
    assert result.recap()["changed"] == 0, result.output[-3000:]
    assert app_leftovers(APP) == []


def test_port_held_by_another_program_is_refused(tmp_path):
    import socket

    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("0.0.0.0", GOOD["pyfleet_http_port"]))
    holder.listen(1)
    try:
        result = run_playbook(tmp_path, "deploy.yml", GOOD)
    finally:
        holder.close()
    assert result.rc != 0
    assert "pyfleet_http_port is 29080, but another program already listens" in result.output
    assert app_leftovers(APP) == []
