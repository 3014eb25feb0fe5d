#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait until containers are healthy; fail at once when one is known to be broken."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: await_healthy
short_description: Wait until containers are healthy, and fail at once when one cannot become so
description:
  - Polls the containers' state and health together, every O(poll) seconds.
  - Succeeds when every container is running and healthy (or running with no health check).
  - Fails at once, with the health check's last output, when a container is C(unhealthy) (its
    health check's retries are used up), has exited, is restarting or was restarted, since none of those
    becomes a serving member by waiting. Fails when O(timeout) passes first.
version_added: 0.4.0
author: pyfleet.wsgi contributors
extends_documentation_fragment:
  - community.docker.docker.api_documentation
options:
  names:
    description: The containers to wait for.
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for all of them together.
    type: float
    default: 120
  poll:
    description: Seconds between two looks.
    type: float
    default: 0.5
attributes:
  check_mode:
    support: full
    description: Nothing was started in a dry run, so it returns at once.
  diff_mode:
    support: none
    description: It changes nothing.
"""

EXAMPLES = r"""
- name: Wait for the new members
  pyfleet.wsgi.await_healthy:
    names: [shop-1-b, shop-2-b]
    timeout: 120
"""

RETURN = r"""
states:
  description: Per container, its last state (C(healthy), C(starting), C(unhealthy), C(exited), ...) and health output.
  type: dict
  returned: always
elapsed:
  description: Seconds waited.
  type: float
  returned: always
"""

import time

from ansible_collections.community.docker.plugins.module_utils.common_api import AnsibleDockerClient


def judge(inspect):
    """(verdict, state, output) for one container's inspect data; verdict is ok, wait or broken."""
    if inspect is None:
        return "broken", "missing", "the container is gone"
    state = inspect.get("State") or {}
    status = state.get("Status")
    health = state.get("Health") or {}
    log = health.get("Log") or []
    output = " ".join(str((log[-1] or {}).get("Output", "")).split()) if log else ""
    if status in ("exited", "dead") or (status == "restarting"):
        return "broken", status, "exit code %s%s" % (state.get("ExitCode"), ("; " + output) if output else "")
    if int(inspect.get("RestartCount") or 0) > 0:
        return "broken", "restarted", "restarted %s times (exit code %s)%s" % (
            inspect.get("RestartCount"), state.get("ExitCode"), ("; " + output) if output else "")
    if status != "running":
        return "wait", status or "unknown", output
    if not health:
        return "ok", "running", ""
    if health.get("Status") == "healthy":
        return "ok", "healthy", output
    if health.get("Status") == "unhealthy":
        return "broken", "unhealthy", output
    return "wait", health.get("Status") or "starting", output


def main():
    client = AnsibleDockerClient(
        argument_spec=dict(
            names=dict(type="list", elements="str", required=True),
            timeout=dict(type="float", default=120),
            poll=dict(type="float", default=0.5),
        ),
        supports_check_mode=True,
    )
    params = client.module.params
    started = time.monotonic()
    states = {}
    if client.check_mode:
        client.module.exit_json(changed=False, states=states, elapsed=0.0)
    while True:
        broken, waiting = [], []
        for name in params["names"]:
            verdict, state, output = judge(client.get_container(name))
            states[name] = {"state": state, "output": output}
            if verdict == "broken":
                broken.append(name)
            elif verdict == "wait":
                waiting.append(name)
        elapsed = round(time.monotonic() - started, 2)
        if broken:
            client.module.fail_json(
                msg="; ".join("%s (%s): %s" % (n, states[n]["state"], states[n]["output"] or "no output") for n in broken),
                states=states, elapsed=elapsed, broken=broken)
        if not waiting:
            client.module.exit_json(changed=False, states=states, elapsed=elapsed)
        if elapsed > params["timeout"]:
            client.module.fail_json(
                msg="not healthy after %d s: %s" % (params["timeout"], "; ".join(
                    "%s (%s): %s" % (n, states[n]["state"], states[n]["output"] or "no output") for n in waiting)),
                states=states, elapsed=elapsed, broken=waiting)
        time.sleep(params["poll"])


if __name__ == "__main__":
    main()
