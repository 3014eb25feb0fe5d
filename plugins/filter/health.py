# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health probe's filters (plugins/module_utils/_health.py): the host it sends, the probe, the members' environment and the check through a frontend."""

from __future__ import annotations

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _health


class FilterModule:
    def filters(self):
        return {
            "health_host": _health.health_host,
            "health_probe": _health.probe,
            "health_env": _health.environment,
            "health_verify": _health.verify,
        }
