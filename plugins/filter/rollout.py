# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is there anything to deploy (playbooks/deploy.yml)? The batches themselves decide in the
batch action (plugins/module_utils/_batch.py)."""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.pyfleet.wsgi.plugins.module_utils._batch import host_value


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
        said = host_value(host, "pyfleet_converged", {})
        if not (isinstance(said, Mapping) and said.get("converged") is True):
            return True
    return False


class FilterModule:
    def filters(self):
        return {"deploy_needed": deploy_needed}
