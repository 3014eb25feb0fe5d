# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout's decisions between hosts (playbooks/deploy.yml, playbooks/rollout.yml): is
there anything to do, may the batch go on, and which hosts go back to what when it may not."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def _get(host, name, default):
    # hostvars of a host are a Mapping (HostVarsVars), not a dict.
    value = host.get(name, default) if isinstance(host, Mapping) else default
    return default if value is None else value


def deploy_needed(hosts):
    """False only when every host of ``hosts`` (hostvars of the fleet) checked that it runs what
    the last finished deploy of the same inputs left (pyfleet_converged, the converged action).

    A host that did not check (rollback.yml and scale.yml do not), or any host with a reason,
    means the whole deploy runs: preflight, image, rollout.
    """
    hosts = list(hosts)
    if not hosts:
        return True
    for host in hosts:
        said = _get(host, "pyfleet_converged", {})
        if not (isinstance(said, Mapping) and said.get("converged") is True):
            return True
    return False


def batch_gate(hosts):
    """The failures recorded on ``hosts`` (hostvars of every host of the rollout), in words.

    A pool host records a start that failed as pyfleet_pool_failure; any host records a step
    that failed on it (a frontend that did not move, requests that failed through it) as
    pyfleet_rollout_step_failure. The batch goes on to its next step only while this is empty.
    """
    failures = []
    for host in hosts:
        for name in ("pyfleet_pool_failure", "pyfleet_rollout_step_failure"):
            said = str(_get(host, name, "") or "").strip()
            if said and said not in failures:
                failures.append(said)
    return failures


def revert_plan(pool_hosts, fallback_image):
    """Which pool hosts go back, and to what, after a failed batch.

    ``pool_hosts`` are the hostvars of the pool group. A host whose members the rollout changed
    (pyfleet_pool_moved) goes back to the spec that served before the rollout
    (pyfleet_pool_serving_digest, restored exactly from the copy kept on the host), or, for members
    made before specs were kept, to the image it ran before (pyfleet_pool_previous_image) with
    today's settings. ``static`` is the version whose static files the frontends serve again.
    """
    if not isinstance(pool_hosts, (list, tuple)):
        raise AnsibleFilterError("revert_plan needs the pool hosts' hostvars as a list")
    moved = [h for h in pool_hosts if _get(h, "pyfleet_pool_moved", False)]
    images = [str(_get(h, "pyfleet_pool_previous_image", "")) for h in moved]
    previous = next((i for i in images if i), "")
    return {
        "hosts": [str(_get(h, "inventory_hostname", "?")) for h in moved],
        "specs": {str(_get(h, "inventory_hostname", "?")): str(_get(h, "pyfleet_pool_serving_digest", "")) for h in moved},
        "image": previous or fallback_image,
        "static": previous or fallback_image,
    }


class FilterModule:
    def filters(self):
        return {"batch_gate": batch_gate, "revert_plan": revert_plan, "deploy_needed": deploy_needed}
