# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A role's inputs checked before any host changes (documented in plugins/modules/preflight.py).

The role's argument spec names its variables and their types; module_utils/_preflight.py
holds their grammars and every rule that relates them. This reads each variable once, as the
role sees it, and returns the messages as data: ``errors``, and ``failed`` when there is any.
It runs on the controller (the rules that look at files look at the controller's) and changes
nothing.
"""

from __future__ import annotations

import os

import yaml
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _preflight

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = ("preflight", "image", "frontend", "pool")
# What the rules read of the host itself, beside the role's variables.
HOST_VARS = ("inventory_hostname", "ansible_host")


def role_spec(role):
    """The options of `role`'s preflight entry point (its whole set of variables)."""
    path = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
    # libyaml's loader where it is built in: the specs of a role with many entry points are
    # thousands of lines, which the pure-Python loader takes a tenth of a second per host to read.
    with open(path, encoding="utf-8") as handle:
        specs = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["argument_specs"]
    return (specs.get("preflight") or specs["main"]).get("options") or {}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("role", "fleet"))

    def _values(self, role, spec, task_vars):
        """Each variable the role's spec or rules name, as the role sees it; absent ones are None."""
        values = {}
        for name in sorted(set(spec) | set(_preflight.reads(role)) | set(HOST_VARS)):
            if name in task_vars:
                try:
                    values[name] = self._templar.template(task_vars[name])
                except Exception as exc:  # pylint: disable=broad-except
                    # A template that fails is named, with Ansible's reason.
                    raise AnsibleActionFail("%s cannot be read: %s" % (name, exc))
            elif name in spec:
                values[name] = spec[name].get("default")
            else:
                values[name] = None
        facts = task_vars.get("ansible_facts") or {}
        values["default_ipv4"] = (facts.get("default_ipv4") or {}).get("address", "")
        values["ansible_host"] = values.get("ansible_host") or values.get("inventory_hostname")
        return values

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        role = self._task.args.get("role")
        if role not in ROLES:
            raise AnsibleActionFail("role is %r; use one of %s" % (role, ", ".join(ROLES)))
        spec = role_spec(role)
        values = self._values(role, spec, task_vars or {})
        if self._task.args.get("fleet") is not None:
            values["pyfleet_fleet"] = self._task.args["fleet"]
        errors = _preflight.check(role, values, spec)
        result.update(changed=False, errors=errors)
        if errors:
            result.update(failed=True, msg=" ".join(errors))
        else:
            result["msg"] = "the %s variables of %s are valid" % (role, values["inventory_hostname"])
        return result
