# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of a frontend that serves one or several apps, as pure functions the frontend
action (plugins/action/frontend.py) calls.

Each app on a frontend host has a *part*: the values its server blocks render (host names,
path prefix, members, static files, TLS, maintenance, error pages), kept on the host as
``apps/<app>/part.json``. A frontend's config is rendered from every part it holds, so a
deploy of one app keeps the others' parts exactly as their own last deploy left them.
"""

from __future__ import annotations

import hashlib
import re
import json

# What decides where and how a shared ingress listens: every app on it must agree.
LISTEN_KEYS = ("kind", "http_port", "https_port", "listen_address")

# The page served in maintenance mode when the app gives none.
DEFAULT_MAINTENANCE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Down for maintenance</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em">
<h1>Down for maintenance</h1>
<p>This site is being updated and will be back shortly. Please try again in a few minutes.</p>
</body>
</html>
"""


def _path_claims(part):
    """The URL paths an app claims on each of its host names: its prefix and, when the
    frontend serves its static files, their URL."""
    paths = [part.get("prefix") or "/"]
    if (part.get("statics") or part.get("serves_static")) and part.get("static_url") and part["static_url"] not in paths:
        paths.append(part["static_url"])
    return paths


def conflicts(parts, ingress=""):
    """Messages for every host name and path that two apps claim; empty when none.

    Each message names both apps, the host name and the path."""
    seen, found = {}, []
    for part in sorted(parts, key=lambda p: p["name"]):
        for host in part.get("hosts") or []:
            for path in _path_claims(part):
                key = (str(host).lower(), path)
                other = seen.setdefault(key, part["name"])
                if other != part["name"]:
                    found.append(
                        "The apps %s and %s both claim http://%s%s on the ingress %s: give each app its own host names "
                        "(pyfleet_app_hosts) or path prefix (pyfleet_app_path_prefix, pyfleet_app_static_url)."
                        % (other, part["name"], host, path, ingress or "of this host"))
    return found


def listen_clashes(parts, mine, ingress=""):
    """Messages for every listening setting (LISTEN_KEYS) in which ``mine`` differs from an
    app already on the ingress; empty when it agrees with all of them."""
    found = []
    names = {"kind": "pyfleet_frontend_kind", "http_port": "pyfleet_http_port", "https_port": "pyfleet_https_port",
             "listen_address": "pyfleet_frontend_listen_address"}
    for part in sorted(parts, key=lambda p: p["name"]):
        theirs = part.get("listen") or {}
        for key in LISTEN_KEYS:
            if part["name"] != mine["name"] and str(theirs.get(key, "")) != str((mine.get("listen") or {}).get(key, "")):
                wanted = json.dumps((mine.get("listen") or {}).get(key))
                found.append("%s is %s for %s, but the ingress %s runs with %s, which the app %s deployed: every app on one "
                             "ingress sets it alike." % (names[key], wanted, mine["name"], ingress, json.dumps(theirs.get(key)),
                                                         part["name"]))
    return found


def refusals(others, mine, ingress=""):
    """Why ``mine`` cannot join the frontend beside the ``others`` parts: claims two apps share
    and, on a shared ingress (``ingress`` named), listeners that differ; empty when it can."""
    others = list(others)
    return (listen_clashes(others, mine, ingress) if ingress else []) + conflicts(others + [mine], ingress)


def statics(new, stored):
    """The static file versions the frontend serves for an app: the new one first, then the
    one its last deploy served, so pages rendered by the previous version keep loading their
    assets during the rollout and after it. Older versions are dropped; a deploy of the
    version already served keeps both."""
    before = (stored or {}).get("statics") or []
    if new and before and before[0] == new:
        return before[:2]  # the same version again: nothing is dropped
    kept = [new] if new else []
    if before and before[0] and before[0] != new:
        kept.append(before[0])
    return kept


def maintenance(wanted, stored):
    """Whether the app is in maintenance mode: ``on`` or ``off`` set it, ``keep`` keeps what
    the last deploy or maintenance run left."""
    if wanted in ("on", "off"):
        return wanted == "on"
    return bool((stored or {}).get("maintenance", False))


def sites(parts, shared):
    """The server blocks (sites) of a frontend: each host name's apps, longest path prefix first.

    Host names with the same apps share a site. A site's TLS comes from the app that claims
    its root ("/"), else from the first. Without ``shared`` there is one part and one site,
    the default for any host name it does not list."""
    by_host = {}
    for part in sorted(parts, key=lambda p: p["name"]):
        for host in part.get("hosts") or ["_"]:
            by_host.setdefault(str(host).lower(), []).append(part)
    grouped = {}
    for host, apps in by_host.items():
        apps = sorted(apps, key=lambda p: (-len(p.get("prefix") or "/"), p["name"]))
        key = tuple(p["name"] for p in apps)
        grouped.setdefault(key, []).append(host)
    result = []
    for key, hosts in sorted(grouped.items(), key=lambda item: item[1][0]):
        owner = next((p for p in parts if p["name"] in key and (p.get("prefix") or "/") == "/"),
                     next(p for p in parts if p["name"] == key[0]))
        names = sorted(hosts) if shared else [str(h) for h in (owner.get("hosts") or ["_"])]
        result.append({"names": names, "apps": list(key), "tls": owner.get("tls") or {"mode": "off"},
                       "owner": owner["name"], "default": not shared})
    return result


def config_id(settings, parts):
    """A short id of everything a frontend's config is rendered from; nginx answers it on
    /.pyfleet/config so the caller can tell when new connections get the new config."""
    text = json.dumps({"settings": settings, "parts": sorted(parts, key=lambda p: p["name"])}, sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def decode_parts(contents):
    """Parts by app name from the files read on the host (``apps/<app>/part.json``: text);
    a file that is not a part is skipped."""
    found = {}
    for path, text in sorted((contents or {}).items()):
        if not text or not path.endswith("/part.json"):
            continue
        try:
            part = json.loads(text)
        except ValueError:
            continue
        if isinstance(part, dict) and part.get("name"):
            found[part["name"]] = part
    return found


def encode_part(part):
    """A part as it is stored on the host."""
    return json.dumps(part, indent=1, sort_keys=True) + "\n"


def listening_ports(config):
    """The ports a live nginx config or Caddyfile listens on, as strings."""
    ports = set(re.findall(r"^\s*listen\s+(?:\S*:)?(\d+)", config or "", re.M))
    ports.update(re.findall(r"^\s*https?_port\s+(\d+)", config or "", re.M))
    ports.update(re.findall(r"^(?:https?://)?[^\s{]*:(\d+)\s.*\{\s*$", config or "", re.M))
    return ports


def ports_overlap(config, ports):
    """Whether the frontend a config belongs to holds one of ``ports``, which the new one needs:
    then it must stop before the new one starts (a short gap), else it stops once the new one
    serves."""
    return bool(listening_ports(config) & {str(p) for p in ports})


def ports(settings, parts):
    """The ports a frontend listens on: HTTP, and HTTPS when any app on it has TLS."""
    found = [settings.get("http_port")]
    if any((p.get("tls") or {}).get("mode", "off") != "off" for p in parts):
        found.append(settings.get("https_port"))
    return [str(p) for p in found if p not in (None, "")]
