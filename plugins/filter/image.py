# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image's filters: its version from content, what the build context leaves out, its registry."""

from __future__ import annotations

from ansible_collections.pyfleet.wsgi.plugins.module_utils._context import registry_of
from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import build_excludes, content_version


class FilterModule:
    def filters(self):
        return {
            "image_registry": registry_of,
            "content_version": content_version,
            "build_excludes": build_excludes,
        }
