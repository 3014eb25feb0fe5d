# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a container is on its way to serve, serves, or never will (for the actions that wait for it)."""

from __future__ import annotations


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
