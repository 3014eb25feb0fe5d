# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: tree_digest
author: pyfleet maintainers (@pyfleet)
short_description: SHA-256 digest of a directory tree's content on the controller
description:
  - Hashes every file below each given directory (relative path, executable bit, content), in
    sorted order, skipping VCS data, caches, virtualenvs and env files.
  - The result depends on content only, so it serves as an immutable version of a build context.
options:
  _terms:
    description: Directories on the controller.
    required: true
    type: list
    elements: path
  excludes:
    description: Glob patterns matched against each path component; replaces the defaults.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Version an app by its content
  ansible.builtin.set_fact:
    app_version: "{{ lookup('pyfleet.wsgi.tree_digest', '/srv/src/myapp')[:12] }}"
"""

RETURN = r"""
_raw:
  description: One hex SHA-256 digest per directory given.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import DEFAULT_EXCLUDES, tree_digest


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        excludes = self.get_option("excludes")
        if excludes is None:
            excludes = DEFAULT_EXCLUDES
        results = []
        for term in terms:
            try:
                results.append(tree_digest(term, excludes))
            except (OSError, ValueError) as exc:
                raise AnsibleLookupError("cannot digest %s: %s" % (term, exc)) from exc
        return results
