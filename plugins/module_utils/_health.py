# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A member's health, in one place: the probe every check sends, and how a container's state
is judged.

The probe is one request for the app's health path with the site's host name. Four checks
send it, each built here from ``probe()``:
- the image's HEALTHCHECK (``dockerfile_healthcheck``), for a container run outside the pool;
- each member's health check (``container_healthcheck``, and ``environment`` for the program
  in the image, roles/image/files/healthcheck.py, which speaks the member's protocol);
- Caddy's active checks (the frontend's part takes the probe's path, host and timeout);
- the post-deploy check through each frontend (``verify``).
``judge`` reads what Docker reports of a container while an action waits for it.
"""

from __future__ import annotations

# The program in the image that sends the probe to the member's own socket.
COMMAND = ["/opt/venv/bin/python", "/opt/pyfleet/healthcheck.py"]
# How long one probe may take, in every check that sends it.
TIMEOUT = "5s"
# The defaults of the probe's timings (the pool role's pyfleet_pool_healthcheck_interval,
# pyfleet_pool_health_retries and pyfleet_pool_health_start_period).
DEFAULTS = {"path": "/", "host": "", "interval": "5s", "retries": 3, "start_period": "30s"}


def health_host(explicit="", domain="", server_name="_", hosts=None):
    """The Host the probe sends: the explicit one, else the site's domain, else the first plain
    name of the app's host names (pyfleet_app_hosts) or nginx's server names, else "" (the
    member's own name: localhost)."""
    if explicit:
        return str(explicit)
    if domain:
        return str(domain)
    for name in [str(h) for h in hosts or []] + str(server_name or "").split():
        if name != "_" and not name.startswith(("*", "~", ".")) and not name.endswith(".*"):
            return name
    return ""


def probe(path=None, host=None, interval=None, retries=None, start_period=None):
    """The probe: path, host, timings. Each value left out (None) is its default."""
    given = {"path": path, "host": host, "interval": interval, "retries": retries, "start_period": start_period}
    out = {k: (DEFAULTS[k] if v is None else v) for k, v in given.items()}
    out.update(path=str(out["path"]), host=str(out["host"] or ""), interval=str(out["interval"]),
               retries=int(out["retries"]), start_period=str(out["start_period"]), timeout=TIMEOUT)
    return out


def container_healthcheck(spec):
    """The health check of a member (docker_container's healthcheck)."""
    return {"test": ["CMD"] + COMMAND, "interval": spec["interval"], "timeout": spec.get("timeout") or TIMEOUT,
            "retries": int(spec["retries"]), "start_period": spec["start_period"]}


def dockerfile_healthcheck(spec):
    """The image's HEALTHCHECK instruction (after the word), with the probe's timings."""
    return "--interval=%s --timeout=%s --start-period=%s --retries=%d \\\n  CMD [%s]" % (
        spec["interval"], spec["timeout"], spec["start_period"], int(spec["retries"]),
        ", ".join('"%s"' % c for c in COMMAND))


def environment(spec, protocol, port):
    """What the program in the image reads: the member's protocol and port, the path and host."""
    env = {"PYFLEET_PROTOCOL": protocol, "PYFLEET_PORT": str(port), "PYFLEET_HEALTH_PATH": spec["path"]}
    if spec["host"]:
        env["PYFLEET_HEALTH_HOST"] = spec["host"]
    return env


def verify(spec, url):
    """The post-deploy check through a frontend: the probe's path under the frontend's URL,
    with the probe's host (empty: the URL's)."""
    return {"url": str(url).rstrip("/") + spec["path"], "host": spec["host"]}


def judge(inspect):
    """(verdict, state, output) from one container's inspect data; verdict is ok, wait or broken.

    ok: running and healthy, or running with no health check. broken: gone, exited, dead,
    restarting, restarted at least once, or unhealthy (its health check's retries used up);
    none of those serves by waiting. wait: anything else (created, starting).
    """
    if not inspect:
        return "broken", "missing", "the container is gone"
    state = inspect.get("State") or {}
    status = state.get("Status")
    health = state.get("Health") or {}
    log = health.get("Log") or []
    output = " ".join(str((log[-1] or {}).get("Output", "")).split()) if log else ""
    detail = ("; " + output) if output else ""
    if status in ("exited", "dead", "restarting"):
        return "broken", status, "exit code %s%s" % (state.get("ExitCode"), detail)
    if int(inspect.get("RestartCount") or 0) > 0:
        return "broken", "restarted", "restarted %s times (exit code %s)%s" % (
            inspect.get("RestartCount"), state.get("ExitCode"), detail)
    if status != "running":
        return "wait", status or "unknown", output
    if not health:
        return "ok", "running", ""
    if health.get("Status") == "healthy":
        return "ok", "healthy", output
    if health.get("Status") == "unhealthy":
        return "broken", "unhealthy", output
    return "wait", health.get("Status") or "starting", output
