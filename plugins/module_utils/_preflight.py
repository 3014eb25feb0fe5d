# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every rule that relates a role's variables to one another, to the fleet or to the
controller's files, checked before any host changes (the preflight action).

A rule is a function of ``v``, the role's variables after templating plus the host's place
in the fleet (``inventory_hostname``, ``ansible_host``, ``pyfleet_fleet``), and returns the
message that refuses them, or None. A message names the variable, the value given and what
to do. The types come from the role's argument spec and the grammars from ``SHAPES``; a rule
runs only once every variable it reads has its shape, so it never sees a value of the wrong
kind.

The values the roles also render from (the TLS mode, the app's host names, whether the pool is
published, the address it binds) are worked out here once, for the rules and for the roles'
filters alike.
"""
from __future__ import annotations

import ipaddress
import os
import re

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _fleet, _processes, _shapes
from ansible_collections.pyfleet.wsgi.plugins.module_utils._shapes import show

# The grammar of each variable whose argument spec type says too little (a str that reaches a
# shell, a Dockerfile, a proxy config or a path). Types are the argument specs'.
SHAPES = {
    # The app
    "pyfleet_app_src": "text",
    "pyfleet_app_static_dir": "text",
    "pyfleet_app_image": "opt_image",
    "pyfleet_app_health_path": "url_path",
    "pyfleet_app_health_host": "opt_hostname",
    "pyfleet_app_static_url": "url_path",
    "pyfleet_app_path_prefix": "url_path",
    "pyfleet_app_env_file": "text",
    "pyfleet_release_commands": "commands",
    # The image
    "pyfleet_image_builder_base": "image",
    "pyfleet_image_runtime_base": "image",
    "pyfleet_image_build_packages": "deb_packages",
    "pyfleet_image_runtime_packages": "deb_packages",
    "pyfleet_image_pip_index_url": "opt_url",
    "pyfleet_image_pip_extra_index_urls": "urls",
    "pyfleet_image_extra_ca_bundle": "opt_abs_path",
    "pyfleet_image_uwsgi_requirement": "pip_requirement",
    "pyfleet_image_build_commands": "commands",
    "pyfleet_image_build_env": "env",
    # The frontend
    "pyfleet_domain": "opt_hostname",
    "pyfleet_frontend_image": "image",
    "pyfleet_frontend_large_header_buffer": "size",
    "pyfleet_frontend_fail_timeout": "duration",
    "pyfleet_frontend_tls_cert": "opt_abs_path",
    "pyfleet_frontend_tls_key": "opt_abs_path",
    "pyfleet_frontend_retry_duration": "duration",
    "pyfleet_frontend_health_interval": "duration",
    "pyfleet_frontend_config_dir": "abs_path",
    "pyfleet_frontend_memory": "size",
    "pyfleet_frontend_log_max_size": "size",
    "pyfleet_frontend_ingress": "text",
    "pyfleet_frontend_maintenance_page": "text",
    # The pool
    "pyfleet_pool_config_dir": "abs_path",
    "pyfleet_pool_memory": "size",
    "pyfleet_pool_tmpfs": "tmpfs",
    "pyfleet_pool_cap_drop": "capabilities",
    "pyfleet_pool_log_max_size": "size",
    "pyfleet_pool_healthcheck_interval": "duration",
    "pyfleet_pool_health_start_period": "duration",
}

RULES = []


def rule(role, *reads):
    """Register a rule of `role` that reads the variables `reads`."""
    def register(function):
        function.role, function.reads = role, reads
        RULES.append(function)
        return function
    return register


def rules(role):
    return [r for r in RULES if r.role == role]


def _int(value, default=None):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _is_file(path):
    return bool(path) and os.path.isfile(os.path.expanduser(str(path)))


def _is_dir(path):
    return bool(path) and os.path.isdir(os.path.expanduser(str(path)))


def _group(v, name):
    """The hosts of the fleet's `name` (pool, frontends, accessories)."""
    return list((v.get("pyfleet_fleet") or {}).get(name) or [])


# --- What the rules and the roles both work out ------------------------------------------------

def tls_mode(kind, tls, domain):
    """TLS as the proxy applies it: "auto" is acme on Caddy with a domain, else off."""
    if tls != "auto":
        return tls
    return "acme" if kind == "caddy" and domain else "off"


def app_hosts(hosts, domain, server_name):
    """The host names the app answers: pyfleet_app_hosts, else pyfleet_domain, else the
    plain names of pyfleet_frontend_server_name."""
    if hosts:
        return list(hosts)
    if domain:
        return [domain]
    return [n for n in str(server_name or "").split() if n != "_"]


def published(host, frontends):
    """Whether a pool host publishes its members: a frontend runs on another host."""
    return any(f != host for f in frontends)


def is_address(value):
    try:
        ipaddress.ip_address(str(value).strip("[]"))
        return True
    except ValueError:
        return False


_ADDRESS_LIKE = re.compile(r"^[0-9.]+$|:")


def address_like(value):
    """Whether Ansible reaches a host at an address (dotted digits, or anything with a colon:
    IPv6) rather than at a name."""
    return bool(_ADDRESS_LIKE.search(str(value or "")))


def bind_address(explicit, ansible_host, default_ipv4=""):
    """Where the members listen for frontends on other hosts: pyfleet_pool_bind_address, else
    the address Ansible reaches the host at, else its default IPv4 address, else loopback."""
    if explicit:
        return explicit
    if ansible_host and address_like(ansible_host):
        return str(ansible_host)
    return default_ipv4 or "127.0.0.1"


def pool_protocol(setting, frontend_kinds):
    """The protocol between frontends and pool: ``setting`` when given, else http when any
    frontend is Caddy (it has no uwsgi transport), else uwsgi."""
    if setting:
        return setting
    return "http" if "caddy" in list(frontend_kinds or []) else "uwsgi"


_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def valid_name(value):
    """True for names usable in container, network and image names."""
    return isinstance(value, str) and bool(_NAME.match(value))


# The files each explicit pyfleet_app_dependencies needs in the app directory.
DEPENDENCY_FILES = {
    "uv": ["pyproject.toml", "uv.lock"],
    "poetry": ["pyproject.toml", "poetry.lock"],
    "pipfile": ["Pipfile.lock"],
    "requirements": ["requirements.txt"],
    "pyproject": ["pyproject.toml"],
    "none": [],
}


# --- The fleet (once) ----------------------------------------------------------------------------

@rule("preflight", "pyfleet_fleet")
def inventory_groups(v):
    pool, frontends = _group(v, "pool"), _group(v, "frontends")
    if pool and frontends:
        return None
    return ("The inventory needs hosts in both groups pyfleet_pool (uWSGI containers) and pyfleet_frontends (nginx or "
            "Caddy); it has pyfleet_pool=%s and pyfleet_frontends=%s." % (show(pool), show(frontends)))


@rule("preflight", "pyfleet_fleet", "pyfleet_rollout_batch")
def rollout_batch(v):
    try:
        _fleet.rollout_batches(_group(v, "pool"), v["pyfleet_rollout_batch"])
    except ValueError as exc:
        return "%s." % exc
    return None


# --- The image (on the controller) ------------------------------------------------------------

@rule("image", "pyfleet_app_static_dir")
def static_dir_inside_app(v):
    value = v["pyfleet_app_static_dir"]
    if re.match(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$", value) and ".." not in value:
        return None
    return "pyfleet_app_static_dir is %s: use a directory inside the app, like static or assets/public." % show(value)


@rule("image", "pyfleet_app_dependencies", "pyfleet_app_src")
def dependency_files_present(v):
    src, deps = v["pyfleet_app_src"], v["pyfleet_app_dependencies"]
    missing = [f for f in DEPENDENCY_FILES.get(deps, []) if not _is_file(os.path.join(str(src), f))]
    if not src or not missing:
        return None
    return "pyfleet_app_dependencies is %s, but %s lacks %s; use auto to pick from the files present." % (
        show(deps), src, " and ".join(missing))


@rule("image", "pyfleet_app_name")
def app_name_usable(v):
    if valid_name(v["pyfleet_app_name"]):
        return None
    return ("pyfleet_app_name is %s: use 1-63 characters, lower-case letters, digits, dot, dash or underscore, "
            "starting with a letter or digit." % show(v["pyfleet_app_name"]))


@rule("image", "pyfleet_image_repository")
def repository_name(v):
    if re.match(r"^[a-z0-9][a-z0-9._/:-]*$", str(v["pyfleet_image_repository"])):
        return None
    return "pyfleet_image_repository is %s: use a lower-case Docker repository name." % show(v["pyfleet_image_repository"])


@rule("image", "pyfleet_app_src", "pyfleet_app_image")
def app_source_or_image(v):
    src = v["pyfleet_app_src"]
    if v["pyfleet_app_image"]:
        return None
    if not src:
        return ("pyfleet_app_src is empty: set it to the directory of the app on the controller, or "
                "pyfleet_app_image to an image built elsewhere.")
    if not _is_dir(src):
        return "pyfleet_app_src is %s, which is not a directory on the controller." % show(src)
    return None


_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_.]*)?$")


@rule("image", "pyfleet_app_module")
def module_grammar(v):
    if isinstance(v["pyfleet_app_module"], str) and _MODULE.match(v["pyfleet_app_module"]):
        return None
    return "pyfleet_app_module is %s: use module:callable, e.g. webapp:app." % show(v["pyfleet_app_module"])


@rule("image", "pyfleet_app_module", "pyfleet_app_src", "pyfleet_app_image")
def module_in_source(v):
    src, module = v["pyfleet_app_src"], str(v["pyfleet_app_module"])
    if v["pyfleet_app_image"] or not _is_dir(src) or not _MODULE.match(module):
        return None
    path = module.split(":", maxsplit=1)[0].replace(".", "/")
    if _is_file(os.path.join(src, path + ".py")) or _is_file(os.path.join(src, path, "__init__.py")):
        return None
    return "pyfleet_app_module is %s, but neither %s.py nor %s/__init__.py exists in %s." % (show(module), path, path, src)


@rule("image", "pyfleet_app_version")
def version_is_a_tag(v):
    value = v["pyfleet_app_version"]
    if not value or re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", str(value)):
        return None
    return "pyfleet_app_version is %s: use a Docker tag (letters, digits, _ . -; at most 128)." % show(value)


@rule("image", "pyfleet_image_extra_ca_bundle")
def ca_bundle_exists(v):
    value = v["pyfleet_image_extra_ca_bundle"]
    if not value or _is_file(value):
        return None
    return "pyfleet_image_extra_ca_bundle is %s, which does not exist on the controller." % show(value)


@rule("image", "pyfleet_image_build_env", "pyfleet_app_env")
def build_env_holds_no_secret(v):
    """A build setting that carries a value of the app's environment (a real secret copied into
    the build, where `docker history` shows it). The values themselves are never named."""
    build_env, app_env = v["pyfleet_image_build_env"], v.get("pyfleet_app_env") or {}
    if not isinstance(app_env, dict):
        return None
    secrets = {str(val): k for k, val in app_env.items() if len(str(val)) >= 8}
    clashes = ["pyfleet_image_build_env.%s holds the value of pyfleet_app_env.%s" % (k, secrets[str(val)])
               for k, val in sorted(build_env.items()) if str(val) in secrets]
    if not clashes:
        return None
    return ("%s: build settings show in the image's history (docker history), so give the build a dummy value "
            "and the app its real one at run time." % "; ".join(clashes))


@rule("image", "pyfleet_image_uid")
def uid_not_root(v):
    if _int(v["pyfleet_image_uid"], 0) > 0:
        return None
    return "pyfleet_image_uid is %s: use a uid above 0 (the app never runs as root)." % v["pyfleet_image_uid"]


# --- The frontend (on each frontend host) -----------------------------------------------------

_SERVER_NAMES = re.compile(r"^[A-Za-z0-9_.*~^$-]+( [A-Za-z0-9_.*~^$-]+)*$")


@rule("frontend", "pyfleet_frontend_server_name")
def server_names(v):
    if isinstance(v["pyfleet_frontend_server_name"], str) and _SERVER_NAMES.match(v["pyfleet_frontend_server_name"]):
        return None
    return ('pyfleet_frontend_server_name is %s: use nginx server names separated by spaces, like '
            '"shop.example.com www.shop.example.com", or _.' % show(v["pyfleet_frontend_server_name"]))


@rule("frontend", "pyfleet_http_port")
def http_port(v):
    if 1 <= _int(v["pyfleet_http_port"], 0) <= 65535:
        return None
    return "pyfleet_http_port is %s: use a TCP port number from 1 to 65535." % show(v["pyfleet_http_port"])


@rule("frontend", "pyfleet_https_port", "pyfleet_http_port")
def https_port(v):
    port = _int(v["pyfleet_https_port"], 0)
    if 1 <= port <= 65535 and port != _int(v["pyfleet_http_port"]):
        return None
    return "pyfleet_https_port is %s: use a TCP port number from 1 to 65535 other than pyfleet_http_port." % show(
        v["pyfleet_https_port"])


@rule("frontend", "pyfleet_frontend_read_timeout")
def read_timeout(v):
    if re.match(r"^[0-9]+$", str(v["pyfleet_frontend_read_timeout"])) and _int(v["pyfleet_frontend_read_timeout"]) >= 2:
        return None
    return "pyfleet_frontend_read_timeout is %s: use whole seconds, at least 2." % show(v["pyfleet_frontend_read_timeout"])


@rule("frontend", "pyfleet_frontend_connect_timeout")
def connect_timeout(v):
    if 10 <= _shapes.milliseconds(v["pyfleet_frontend_connect_timeout"]) <= 60000:
        return None
    return ("pyfleet_frontend_connect_timeout is %s: use a duration from 10ms to 60s, like 300ms, 2s or 2 (seconds)."
            % show(v["pyfleet_frontend_connect_timeout"]))


@rule("frontend", "pyfleet_frontend_client_max_body_size")
def body_size(v):
    if re.match(r"^[0-9]+[kKmMgG]?$", str(v["pyfleet_frontend_client_max_body_size"])):
        return None
    return "pyfleet_frontend_client_max_body_size is %s: use a size like 10m, 512k or 0 (no limit)." % show(
        v["pyfleet_frontend_client_max_body_size"])


@rule("frontend", "pyfleet_app_static_url")
def static_url(v):
    if re.match(r"^/.*/$", v["pyfleet_app_static_url"]):
        return None
    return "pyfleet_app_static_url is %s: use a path that starts and ends with /, e.g. /static/." % show(
        v["pyfleet_app_static_url"])


@rule("frontend", "pyfleet_frontend_kind", "pyfleet_pool_protocol")
def caddy_speaks_http(v):
    if v["pyfleet_frontend_kind"] != "caddy" or pool_protocol(v.get("pyfleet_pool_protocol"), ["caddy"]) == "http":
        return None
    return ("pyfleet_pool_protocol is %s, but the Caddy frontend has no uwsgi transport and needs the pool to speak "
            "http: set it to http or leave it empty." % show(v.get("pyfleet_pool_protocol")))


@rule("frontend", "pyfleet_frontend_kind", "pyfleet_frontend_tls")
def nginx_tls_from_files(v):
    if v["pyfleet_frontend_kind"] == "caddy" or v["pyfleet_frontend_tls"] in ("auto", "off", "custom"):
        return None
    return ("pyfleet_frontend_tls is %s with pyfleet_frontend_kind nginx, which takes certificates from files only: "
            "use custom (pyfleet_frontend_tls_cert and pyfleet_frontend_tls_key), off, or pyfleet_frontend_kind caddy "
            "for certificates by ACME or an internal CA." % show(v["pyfleet_frontend_tls"]))


@rule("frontend", "pyfleet_frontend_ingress")
def ingress_name(v):
    name = v["pyfleet_frontend_ingress"]
    if not name or valid_name(name):
        return None
    return ("pyfleet_frontend_ingress is %s: name the shared ingress with lower-case letters, digits, dots, dashes "
            "and underscores, like main, or leave it empty for a frontend of the app own." % show(name))


@rule("frontend", "pyfleet_frontend_ingress", "pyfleet_app_hosts", "pyfleet_domain", "pyfleet_frontend_server_name")
def ingress_needs_hosts(v):
    if not v["pyfleet_frontend_ingress"] or app_hosts(
            v["pyfleet_app_hosts"], v["pyfleet_domain"], v["pyfleet_frontend_server_name"]):
        return None
    return ("pyfleet_frontend_ingress is %s, but pyfleet_app_hosts is empty: list the host names the app answers on "
            "the shared ingress, like [shop.example.com, www.shop.example.com]." % show(v["pyfleet_frontend_ingress"]))


_APP_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$")


@rule("frontend", "pyfleet_app_hosts", "pyfleet_domain", "pyfleet_frontend_server_name")
def app_host_names(v):
    hosts = app_hosts(v["pyfleet_app_hosts"], v["pyfleet_domain"], v["pyfleet_frontend_server_name"])
    if all(_APP_HOST.match(str(h)) for h in hosts):
        return None
    return ("pyfleet_app_hosts is %s: use host names like shop.example.com or *.shop.example.com, without scheme, "
            "port or path." % show(v["pyfleet_app_hosts"]))


@rule("frontend", "pyfleet_app_path_prefix")
def path_prefix(v):
    if re.match(r"^/([A-Za-z0-9._~-]+/)*$", v["pyfleet_app_path_prefix"]):
        return None
    return "pyfleet_app_path_prefix is %s: use / or a path that starts and ends with /, like /api/." % show(
        v["pyfleet_app_path_prefix"])


@rule("frontend", "pyfleet_frontend_ingress", "pyfleet_app_health_path", "pyfleet_app_path_prefix")
def health_path_under_prefix(v):
    if not v["pyfleet_frontend_ingress"] or v["pyfleet_app_health_path"].startswith(v["pyfleet_app_path_prefix"]):
        return None
    return ("pyfleet_app_health_path is %s, outside the app path prefix %s (pyfleet_app_path_prefix): the checks "
            "through the ingress must reach the app, so use a path under the prefix." % (
                show(v["pyfleet_app_health_path"]), show(v["pyfleet_app_path_prefix"])))


@rule("frontend", "pyfleet_frontend_error_pages")
def error_page_codes(v):
    pages = v["pyfleet_frontend_error_pages"]
    if all(str(code) in ("500", "502", "503", "504") for code in pages):
        return None
    return ("pyfleet_frontend_error_pages has %s: map the status codes 500, 502, 503 or 504 to HTML files on the "
            "controller." % show([str(c) for c in pages]))


@rule("frontend", "pyfleet_frontend_error_pages")
def error_page_files(v):
    missing = [p for p in v["pyfleet_frontend_error_pages"].values() if not _is_file(p)]
    if not missing:
        return None
    return "pyfleet_frontend_error_pages names %s, which is not a file on the controller: give paths of HTML files." % (
        show(missing))


@rule("frontend", "pyfleet_frontend_maintenance_page")
def maintenance_page_file(v):
    page = v["pyfleet_frontend_maintenance_page"]
    if not page or _is_file(page):
        return None
    return ("pyfleet_frontend_maintenance_page is %s, which is not a file on the controller: give the path of an "
            "HTML file, or leave it empty for the default page." % show(page))


@rule("frontend", "pyfleet_frontend_kind", "pyfleet_frontend_tls", "pyfleet_domain")
def acme_needs_domain(v):
    if tls_mode(v["pyfleet_frontend_kind"], v["pyfleet_frontend_tls"], v["pyfleet_domain"]) != "acme" or v["pyfleet_domain"]:
        return None
    return "pyfleet_frontend_tls is acme, but pyfleet_domain is empty: set the public domain the certificate is for."


@rule("frontend", "pyfleet_frontend_kind", "pyfleet_frontend_tls", "pyfleet_domain", "pyfleet_frontend_tls_cert",
      "pyfleet_frontend_tls_key")
def custom_tls_names_files(v):
    if tls_mode(v["pyfleet_frontend_kind"], v["pyfleet_frontend_tls"], v["pyfleet_domain"]) != "custom":
        return None
    cert, key = v["pyfleet_frontend_tls_cert"], v["pyfleet_frontend_tls_key"]
    if not cert or not key:
        return ("pyfleet_frontend_tls is custom, but pyfleet_frontend_tls_cert is %s and pyfleet_frontend_tls_key is "
                "%s: give the paths of the PEM certificate chain and key on the controller." % (show(cert), show(key)))
    if not _is_file(cert) or not _is_file(key):
        return ("pyfleet_frontend_tls_cert (%s) or pyfleet_frontend_tls_key (%s) is not a file on the controller: give "
                "the paths of the PEM certificate chain and key." % (cert, key))
    return None


@rule("frontend", "pyfleet_frontend_retry_duration", "pyfleet_frontend_health_interval")
def caddy_durations(v):
    """Caddy reads these two without the hour unit the duration grammar allows."""
    durations = [v["pyfleet_frontend_retry_duration"], v["pyfleet_frontend_health_interval"]]
    if all(re.match(r"^[0-9]+(ms|s|m)$", d) for d in durations):
        return None
    return ("pyfleet_frontend_retry_duration and pyfleet_frontend_health_interval are %s and %s: use durations like "
            "250ms, 5s or 1m." % (show(durations[0]), show(durations[1])))


@rule("frontend", "pyfleet_fleet")
def pool_not_empty(v):
    if _group(v, "pool"):
        return None
    return "The inventory group pyfleet_pool is empty: list at least one host to run the uWSGI pool on."


# --- The pool (on each pool host) -------------------------------------------------------------

@rule("pool", "pyfleet_app_processes", "pyfleet_fleet", "pyfleet_accessories")
def processes(v):
    groups = (v.get("pyfleet_fleet") or {}).get("groups") or {}
    errors = _processes.process_errors(v["pyfleet_app_processes"], groups, v["pyfleet_accessories"])
    return " ".join(errors) or None


@rule("pool", "pyfleet_pool_size")
def pool_size(v):
    if 1 <= _int(v["pyfleet_pool_size"], 0) <= 64:
        return None
    return "pyfleet_pool_size is %s: use 1 to 64 containers per host." % v["pyfleet_pool_size"]


@rule("pool", "pyfleet_pool_port_base", "pyfleet_pool_size")
def port_base(v):
    base, size = _int(v["pyfleet_pool_port_base"], 0), _int(v["pyfleet_pool_size"], 0)
    if base >= 1024 and base + 100 + size - 1 <= 65535:
        return None
    return ("pyfleet_pool_port_base is %s: its ports up to base + 100 + pyfleet_pool_size - 1 (the second slot, where "
            "a new version starts) must lie in 1024..65535." % v["pyfleet_pool_port_base"])


@rule("pool", "pyfleet_pool_bind_address", "ansible_host", "default_ipv4")
def bind_not_everywhere(v):
    address = bind_address(v["pyfleet_pool_bind_address"], v.get("ansible_host"), v.get("default_ipv4"))
    if address not in ("0.0.0.0", "::", "[::]"):
        return None
    return ("pyfleet_pool_bind_address is %s: the uwsgi protocol can run code, so bind the pool to the address the "
            "frontends use, never to every address." % show(address))


@rule("pool", "pyfleet_pool_allow_from", "pyfleet_fleet", "inventory_hostname")
def allow_list(v):
    allowed = v["pyfleet_pool_allow_from"]
    if not published(v["inventory_hostname"], _group(v, "frontends")):
        return None
    if allowed and all(_shapes.address_or_network(a) and not str(a).startswith("127.") for a in allowed):
        return None
    return ("pyfleet_pool_allow_from is %s: the members of %s are published for frontends on other hosts, and only "
            "these sources may connect. Each must be an IPv4 address or network of the hosts, not loopback; set "
            "pyfleet_source_address on a frontend known by a name that does not resolve or by a loopback address."
            % (show(allowed), v["inventory_hostname"]))


@rule("pool", "pyfleet_pool_processes", "pyfleet_pool_threads")
def worker_counts(v):
    if _int(v["pyfleet_pool_processes"]) >= 0 and _int(v["pyfleet_pool_threads"]) >= 0:
        return None
    return ("pyfleet_pool_processes and pyfleet_pool_threads are %s and %s: use 0 (size from the CPUs) or a positive "
            "number." % (v["pyfleet_pool_processes"], v["pyfleet_pool_threads"]))


@rule("pool", "pyfleet_pool_harakiri", "pyfleet_frontend_read_timeout")
def harakiri_below_read_timeout(v):
    read_timeout_ = _int(v.get("pyfleet_frontend_read_timeout"), 60)
    if 1 <= _int(v["pyfleet_pool_harakiri"]) < read_timeout_:
        return None
    return ("pyfleet_pool_harakiri is %s: use at least 1 and less than pyfleet_frontend_read_timeout (%s), so uWSGI "
            "ends a stuck request before the frontend gives up on it." % (v["pyfleet_pool_harakiri"], read_timeout_))


@rule("pool", "pyfleet_app_env")
def env_names(v):
    bad = [k for k in v["pyfleet_app_env"] if not _shapes.ENV_NAME.match(str(k))]
    if not bad:
        return None
    return "pyfleet_app_env has invalid names %s: use letters, digits and underscores, not starting with a digit." % (
        show(bad))


@rule("pool", "pyfleet_app_wait_for")
def wait_for_targets(v):
    bad = [t for t in v["pyfleet_app_wait_for"] if not re.match(r"^([A-Za-z0-9_.-]+=)?[^=:\s]+:[0-9]{1,5}$", t)]
    if not bad:
        return None
    return "pyfleet_app_wait_for has %s: give each service as host:port or name=host:port." % show(bad)


@rule("pool", "pyfleet_app_wait_timeout")
def wait_timeout(v):
    if _int(v["pyfleet_app_wait_timeout"]) >= 1:
        return None
    return "pyfleet_app_wait_timeout is %s: use 1 or more seconds." % v["pyfleet_app_wait_timeout"]


# --- Running them ------------------------------------------------------------------------------

def check(role, values, spec):
    """The messages that refuse `values` for `role`: first every value without its shape (its
    type in `spec`, the role's argument spec options, or its grammar in SHAPES), then every
    rule whose variables all have theirs."""
    bad, errors = set(), []
    for name in sorted(spec):
        if name not in values:
            continue
        kind = SHAPES.get(name) or _shapes.spec_kind(spec[name])
        message = _shapes.check(name, values[name], kind) if kind else None
        if message:
            bad.add(name)
            errors.append(message)
    for function in rules(role):
        if bad.intersection(function.reads):
            continue
        message = function(values)
        if message:
            errors.append(message)
    return errors


def reads(role):
    """Every variable the rules of `role` read."""
    return sorted({name for function in rules(role) for name in function.reads})
