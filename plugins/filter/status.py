# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The day-2 status table: rows from the engines and the frontends' configs."""

from __future__ import annotations

import json
import re

_NGINX_SERVER = re.compile(r"^\s*server\s+([^\s;]+:\d+)[\s;]", re.M)
_CADDY_TO = re.compile(r"^\s*to\s+(.+)$", re.M)


def config_upstreams(text):
    """The member endpoints (host:port) of a rendered nginx.conf or Caddyfile, in order."""
    text = str(text or "")
    found = _NGINX_SERVER.findall(text)
    for line in _CADDY_TO.findall(text):
        found.extend(token for token in line.split() if re.match(r"^[^\s{}]+:\d+$", token))
    return list(dict.fromkeys(found))


def running_members(containers):
    """The running pool members among docker_host_info's containers."""
    return [c for c in containers or [] if c.get("State") == "running"
            and (c.get("Labels") or {}).get("pyfleet.role") == "pool"]


def status_rows(containers, stats_results=()):
    """One row per container: name, role, version, state, and uWSGI's counters for members."""
    counters = {}
    for result in stats_results or []:
        try:
            counters[result["item"]["Id"]] = json.loads(result.get("stdout") or "")
        except (KeyError, TypeError, ValueError):
            continue
    rows = []
    for container in containers or []:
        labels = container.get("Labels") or {}
        stats = counters.get(container.get("Id"), {})
        rows.append({
            "name": (container.get("Names") or ["?"])[0].lstrip("/"),
            "role": labels.get("pyfleet.role", "?") + (":" + labels["pyfleet.process"] if labels.get("pyfleet.process") else ""),
            "version": labels.get("pyfleet.version") or (container.get("Image") or "").rpartition(":")[2],
            "state": container.get("Status") or container.get("State") or "",
            "requests": stats.get("requests"),
            "busy": stats.get("busy"),
            "workers": stats.get("workers"),
        })
    return sorted(rows, key=lambda row: (row["role"], row["name"]))


def status_table(host, rows, upstreams=None):
    """Text lines of one host's table."""
    lines = ["%s" % host]
    for row in rows:
        counters = ""
        if row.get("workers") is not None:
            counters = "requests=%s busy=%s/%s" % (row["requests"], row["busy"], row["workers"])
        cells = (row["name"], row["role"], row["version"], row["state"], counters)
        lines.append("  %-22s %-10s %-14s %-28s %s" % cells)
    for endpoint, state in (upstreams or {}).items():
        lines.append("  upstream %-28s %s" % (endpoint, state))
    return lines


class FilterModule:
    def filters(self):
        return {
            "config_upstreams": config_upstreams,
            "status_rows": status_rows,
            "running_members": running_members,
            "status_table": status_table,
        }
