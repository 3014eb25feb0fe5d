# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accessories (databases, caches) from pyfleet_accessories: where each runs, how the app
reaches it, and what is wrong with the list."""

from __future__ import annotations

import re
from urllib.parse import quote

from ansible.errors import AnsibleFilterError

from ansible_collections.pyfleet.wsgi.plugins.module_utils._preflight import is_address

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
GROUP = "pyfleet_accessories"
KINDS = ("postgres", "custom")


def _db_name(app_name):
    return re.sub(r"[^a-z0-9_]", "_", app_name.lower())


def _host_of(item, groups):
    if item.get("host"):
        return item["host"]
    members = list(groups.get(GROUP, []))
    return members[0] if members else ""


def accessory_errors(items, groups):
    """Messages naming what is wrong with pyfleet_accessories ([] when all is well)."""
    if not isinstance(items, list):
        return ["pyfleet_accessories is %r: give a list of accessories (each a dict with a name)." % (items,)]
    errors, seen = [], set()
    for index, item in enumerate(items):
        where = "pyfleet_accessories[%d]" % index
        if not isinstance(item, dict):
            errors.append("%s is %r: each accessory is a dict (name, kind, ...)." % (where, item))
            continue
        name = str(item.get("name", ""))
        if not _NAME_RE.match(name):
            errors.append("%s.name is %r: use 1-31 lower-case letters, digits or dashes, starting with a letter "
                          "or digit." % (where, item.get("name")))
        elif name in seen:
            errors.append("%s.name %r is used twice: each accessory needs its own name." % (where, name))
        seen.add(name)
        kind = item.get("kind", "postgres")
        if kind not in KINDS:
            errors.append("%s.kind is %r: use one of %s." % (where, kind, ", ".join(KINDS)))
        if kind == "postgres" and not str(item.get("password", "")):
            errors.append("%s (postgres) has no password: set password (from Ansible Vault)." % where)
        if kind == "custom":
            if not item.get("image"):
                errors.append("%s (custom) has no image: name the image to run." % where)
            if not item.get("port"):
                errors.append("%s (custom) has no port: give the port the service listens on." % where)
        for key in ("port", "host_port"):
            if key in item:
                try:
                    ok = 1 <= int(item[key]) <= 65535
                except (TypeError, ValueError):
                    ok = False
                if not ok:
                    errors.append("%s.%s is %r: use a port in 1..65535." % (where, key, item[key]))
        host = _host_of(item, groups)
        if not host:
            errors.append("%s has no host: add a host to the inventory group %s or set host." % (where, GROUP))
        elif host not in groups.get(GROUP, []):
            errors.append("%s.host is %r, which is not in the inventory group %s: add it there (the accessory "
                          "plays run on that group)." % (where, host, GROUP))
        for key in ("env", "app_env"):
            if key in item and not isinstance(item[key], dict):
                errors.append("%s.%s is %r: give a dict of variable names to values." % (where, key, item[key]))
    return errors


def host_address(host):
    """Where an accessory host is reached, from its hostvars: pyfleet_accessory_address, else
    pyfleet_pool_bind_address, else ansible_host, else its inventory name."""
    for name in ("pyfleet_accessory_address", "pyfleet_pool_bind_address", "ansible_host", "inventory_hostname"):
        value = host.get(name) if hasattr(host, "get") else None
        if value not in (None, ""):
            return str(value)
    return ""


def accessories(items, app_name, groups, hostvars, postgres_image="postgres:16"):
    """Each accessory as the roles use it.

    ``hostvars`` maps each accessory host to its address (as playbooks/vars/access.yml
    hands it to the roles, from host_address) or to its variables.

    ``host`` runs it; the app reaches it at ``target``:``target_port``: on the app network
    by container name when the only pool host is that host, else at the host's address on
    its published port (bound to that address only). ``app_env`` is what the app's
    containers get; ``wait`` is its PYFLEET_WAIT_FOR entry.
    """
    pool_hosts = set(groups.get("pyfleet_pool", []))
    specs = []
    for item in items or []:
        kind = item.get("kind", "postgres")
        name = item["name"]
        host = _host_of(item, groups)
        known = hostvars.get(host) if hasattr(hostvars, "get") else None
        address = str(item.get("address") or (known if isinstance(known, str) else host_address(known or {})) or host)
        container = "%s-%s" % (app_name, name)
        local = pool_hosts == {host}
        spec = {
            "name": name,
            "kind": kind,
            "host": host,
            "container": container,
            "address": address,
            "address_is_ip": is_address(address),
            "local": local,
            "volume": "pyfleet-%s-%s" % (app_name, name),
            "memory": item.get("memory", "1g"),
            "wait": item.get("wait", True),
        }
        if kind == "postgres":
            user = item.get("user") or _db_name(app_name)
            database = item.get("database") or user
            password = str(item.get("password", ""))
            spec.update({
                "image": item.get("image") or postgres_image,
                "container_port": 5432,
                "data_path": item.get("data_path", "/var/lib/postgresql/data"),
                "env": dict({"POSTGRES_USER": user, "POSTGRES_PASSWORD": password, "POSTGRES_DB": database},
                            **item.get("env", {})),
                "healthcheck": ["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-U", user, "-d", database],
                "stop_signal": "SIGINT",
            })
            fields = {"user": user, "password": password, "database": database}
            default_app_env = {
                "DATABASE_URL": "postgresql://{user_q}:{password_q}@{host}:{port}/{database}",
                "PGHOST": "{host}", "PGPORT": "{port}", "PGUSER": "{user}", "PGPASSWORD": "{password}",
                "PGDATABASE": "{database}",
            }
        else:
            spec.update({
                "image": item.get("image", ""),
                "container_port": int(item.get("port") or 0),
                "data_path": item.get("data_path", ""),
                "env": dict(item.get("env", {})),
                "healthcheck": item.get("healthcheck", []),
                "stop_signal": item.get("stop_signal", ""),
            })
            fields, default_app_env = {}, {}
        spec["port"] = int(item.get("host_port") or spec["container_port"])
        target, target_port = (container, spec["container_port"]) if local else (address, spec["port"])
        fields.update(host=target, port=target_port)
        fields.update({k + "_q": quote(str(v), safe="") for k, v in list(fields.items())})
        spec["app_env"] = {k: str(v).format(**fields) for k, v in item.get("app_env", default_app_env).items()}
        spec["target"] = target
        spec["target_port"] = target_port
        spec["wait_target"] = "%s=%s:%d" % (name, target, target_port)
        spec["env"] = {k: str(v) for k, v in spec["env"].items()}
        specs.append(spec)
    return specs


def accessory_env(specs):
    """The environment every accessory gives the app, merged in list order."""
    env = {}
    for spec in specs:
        env.update(spec["app_env"])
    return env


def dotenv(text, source="env file"):
    """KEY=VALUE lines (an .env file) as a dict: comments, blank lines, "export " and
    matching quotes are handled; values are not expanded."""
    env = {}
    for number, raw in enumerate(str(text).splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            raise AnsibleFilterError("%s line %d is not KEY=VALUE: %r" % (source, number, raw[:40]))
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
            if raw.strip().split("=", 1)[1].strip()[0] == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"')
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        env[key] = value
    return env


class FilterModule:
    def filters(self):
        return {
            "accessories": accessories,
            "accessory_errors": accessory_errors,
            "accessory_env": accessory_env,
            "accessory_host_address": host_address,
            "dotenv": dotenv,
        }
