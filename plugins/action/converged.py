# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a deploy has anything to do (documented in plugins/modules/converged.py).

``step: digest`` runs once, on the controller: the digest of everything a deploy reads (the
collection's code, the fleet's groups and every host's ``pyfleet_*`` variables and address,
the app's source tree and the files those variables name). ``step: check`` and
``step: record`` run on each host: they compare that digest and what the host shows now with
the record the last finished deploy left there, or write that record.
"""

from __future__ import annotations

import hashlib
import os

import yaml
from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _converged
from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import tree_digest
from ansible_collections.pyfleet.wsgi.plugins.module_utils._guard import chain_name
from ansible_collections.pyfleet.wsgi.plugins.plugin_utils._action import PyfleetAction

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GROUPS = ("pyfleet_pool", "pyfleet_frontends", "pyfleet_accessories")
# Variables that are no input: what this check itself publishes, and the switch that skips it.
NOT_INPUTS = ("pyfleet_inputs_digest", "pyfleet_converged", "pyfleet_deploy_force")
# Variables that name files on the controller whose content is an input too.
FILE_SUFFIXES = ("_file", "_cert", "_key", "_bundle", "_template", "_page")
# Variables that map names to files on the controller (pyfleet_frontend_error_pages).
FILE_MAP_SUFFIXES = ("_pages",)
FILE_LIMIT = 16 << 20


def role_defaults():
    """Every role's defaults, as the roles declare them (the first role wins a shared name)."""
    merged = {}
    roles = os.path.join(ROOT, "roles")
    for role in sorted(os.listdir(roles)):
        path = os.path.join(roles, role, "defaults", "main.yml")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                for key, value in (yaml.safe_load(handle) or {}).items():
                    merged.setdefault(key, value)
    return merged


def file_digest(value):
    """sha256 of the controller file ``value`` names, or None when it names no readable file."""
    if not isinstance(value, str) or not value or "\n" in value or len(value) > 4096:
        return None
    path = os.path.expanduser(value)
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > FILE_LIMIT:
            return None
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


class ActionModule(PyfleetAction):
    _VALID_ARGS = frozenset(("step", "digest"))

    def _effective(self, name, defaults):
        """A variable as the roles see it: the play's value, else the roles' default."""
        value = self._vars[name] if name in self._vars else defaults.get(name)
        return self._templar.template(value)

    def _facts_of(self, hostvars, host):
        names = set()
        manager = getattr(hostvars, "_variable_manager", None)
        for cache in (getattr(manager, "_fact_cache", None), getattr(manager, "_nonpersistent_fact_cache", None)):
            try:
                names.update(cache[host])
            except (KeyError, TypeError):
                continue
        return names

    def _inputs(self):
        groups, hostvars = self._vars["groups"], self._vars["hostvars"]
        fleet = {g: list(groups.get(g, [])) for g in GROUPS}
        hosts, files = {}, {}
        me = self._vars.get("inventory_hostname")
        for host in sorted({h for members in fleet.values() for h in members}):
            # This host's variables as the play sees them (with the play's own and extra
            # variables, which are the same for every host of the play); the others' as the
            # inventory gives them.
            known = self._vars if host == me else hostvars[host]
            facts, values = self._facts_of(hostvars, host), {}
            for name in sorted(known):
                if name in facts or name in NOT_INPUTS or not (name.startswith("pyfleet_") or name == "ansible_host"):
                    continue
                try:
                    values[name] = self._templar.template(known[name]) if known is self._vars else known[name]
                except Exception as exc:  # pylint: disable=broad-except
                    # Any failure here is preflight's to explain.
                    raise AnsibleActionFail("%s of %s cannot be read yet (%s)" % (name, host, exc))
                if name.endswith(FILE_SUFFIXES):
                    files[values[name]] = file_digest(values[name])
                if name.endswith(FILE_MAP_SUFFIXES) and isinstance(values[name], dict):
                    for path in values[name].values():
                        files[str(path)] = file_digest(str(path))
            hosts[host] = values
        defaults = role_defaults()
        # An image built elsewhere is named by its reference (in the hosts' variables above).
        tree = None
        if not self._effective("pyfleet_app_image", defaults):
            src = self._effective("pyfleet_app_src", defaults)
            if not src or not os.path.isdir(os.path.expanduser(src)):
                raise AnsibleActionFail("pyfleet_app_src is %r, not a directory" % (src,))
            tree = tree_digest(os.path.expanduser(src))
        return {"code": _converged.code_digest(ROOT), "fleet": fleet, "hosts": hosts, "files": files, "src": tree}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self._vars = task_vars
        step = self._task.args.get("step", "check")
        if step == "digest":
            try:
                digest, why = _converged.inputs_digest(self._inputs()), ""
            except (AnsibleActionFail, OSError, ValueError) as exc:
                digest, why = "", str(exc)
            result.update(changed=False, digest=digest, msg=why or "inputs digest %s" % digest[:12],
                          ansible_facts={"pyfleet_inputs_digest": digest})
            return result
        if step not in ("check", "record"):
            raise AnsibleActionFail("step is %r; use digest, check or record" % (step,))

        digest = self._task.args.get("digest") or ""
        force = boolean(self._templar.template(self._vars.get("pyfleet_deploy_force", False)), strict=False)
        if step == "check" and (not digest or force):
            reasons = ["pyfleet_deploy_force is set"] if digest else ["the inputs cannot be read before preflight"]
            result.update(changed=False, converged=False, reasons=reasons,
                          ansible_facts={"pyfleet_converged": {"converged": False, "reasons": reasons}})
            return result
        if not digest:
            raise AnsibleActionFail("step=record needs the digest of the deploy's inputs")
        defaults = role_defaults()
        app = self._effective("pyfleet_app_name", defaults)
        accessories = self._effective("pyfleet_accessories", defaults) or []
        dirs = []
        for name in ("pyfleet_pool_config_dir", "pyfleet_frontend_config_dir"):
            path = os.path.join(self._effective(name, defaults), app)
            if path not in dirs:
                dirs.append(path)
        # On a shared ingress: the app's part there (its maintenance mode, its presence) and the
        # ingress's container.
        ingress = self._effective("pyfleet_frontend_ingress", defaults) or ""
        if ingress:
            dirs.append(os.path.join(self._effective("pyfleet_frontend_config_dir", defaults), ".ingress", ingress, "apps", app))
        guards = [chain_name("%s-%s" % (app, part)) for part in
                  ["pool"] + [a["name"] for a in accessories if isinstance(a, dict) and a.get("name")]]
        out = self._module("pyfleet.wsgi.converged", dict(
            app=app, path=dirs[0], digest=digest, guards=guards, trees=dirs, ingress=ingress,
            state="present" if step == "record" else "check"))
        if out.get("failed"):
            raise AnsibleActionFail(out.get("msg", "the converged module failed"))
        result.update(changed=out["changed"], converged=out["converged"], reasons=out["reasons"])
        if step == "check":
            result["ansible_facts"] = {"pyfleet_converged": {"converged": out["converged"], "reasons": out["reasons"]}}
        return result
