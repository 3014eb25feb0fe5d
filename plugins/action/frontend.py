# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A frontend's config and container in one step (documented in plugins/modules/frontend.py).

Renders the config on the controller, reads the live one once, and only when they differ
validates the candidate in a throwaway container of the proxy's image, installs it and
reloads gracefully; nginx then confirms that new connections get the new config.
"""

from __future__ import annotations

import difflib
import os
import time

from ansible.errors import AnsibleActionFail

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _frontend
from ansible_collections.pyfleet.wsgi.plugins.plugin_utils._action import PyfleetAction


class ActionModule(PyfleetAction):
    _VALID_ARGS = frozenset((
        "host", "kind", "dir", "mount", "file", "template", "template_vars", "check", "reload",
        "container", "tls_files", "confirm_url", "config_id", "confirm_timeout", "reach",
    ))

    def _fail(self, result, msg):
        result.update(failed=True, msg=msg)
        return result

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self._vars = task_vars
        args = self._task.args
        for required in ("host", "kind", "dir", "mount", "file", "template", "check", "reload", "container"):
            if not args.get(required):
                raise AnsibleActionFail("%s is required" % required)
        host, kind, folder, name = args["host"], args["kind"], args["dir"], args["file"]
        candidate = self._render(args["template"], dict(args.get("template_vars") or {}))

        # TLS files from the controller (the key never in a diff), the candidate, the live config.
        files, secret = {name + ".candidate": candidate}, {}
        for entry in args.get("tls_files") or []:
            try:
                with open(os.path.expanduser(entry["src"]), encoding="utf-8") as handle:
                    (secret if entry.get("secret") else files)[entry["dest"]] = handle.read()
            except OSError as exc:
                raise AnsibleActionFail("reading %s on the controller failed: %s" % (entry["src"], exc))
        state = self._module("pyfleet.wsgi.app_state", dict(path=folder, files=files, secret_files=secret, read=[name]))
        if state.get("failed"):
            return self._fail(result, state.get("msg", "the frontend's directory cannot be used"))
        live = (state.get("contents") or {}).get(name)
        tls_changed = any(not w.endswith(".candidate") for w in state.get("written") or [])
        install = _frontend.must_install(candidate, live)
        result.update(changed=install or tls_changed, installed=False, reloaded=False, config_id=args.get("config_id", ""),
                      ansible_facts={"pyfleet_frontend_check": dict(args.get("reach") or {})})
        if install:
            result["diff"] = {"before": live or "", "after": candidate,
                              "before_header": "%s:%s/%s" % (host, folder, name), "after_header": "candidate"}
            result["lines_changed"] = sum(1 for line in difflib.unified_diff((live or "").splitlines(), candidate.splitlines())
                                          if line[:1] in "+-" and line[:3] not in ("+++", "---"))

        if install and not self._task.check_mode:
            checked = self._module("community.docker.docker_container", dict(
                name="%s-check" % args["container"]["name"], image=args["container"]["image"], command=args["check"],
                env={"XDG_DATA_HOME": "/tmp/caddy-data", "XDG_CONFIG_HOME": "/tmp/caddy-config"},
                mounts=[{"type": "bind", "source": folder, "target": args["mount"], "read_only": True}],
                network_mode="none", detach=False, cleanup=True))
            if checked.get("failed") or checked.get("status", 1) != 0:
                said = (checked.get("container") or {}).get("Output") or checked.get("msg", "")
                return self._fail(result, "%s rejected the rendered config %s/%s.candidate on %s; the running frontend "
                                          "keeps its current config. %s said: %s" % (kind, folder, name, host, kind, str(said).strip()))
            installed = self._module("pyfleet.wsgi.app_state", dict(path=folder, files={name: candidate}))
            if installed.get("failed"):
                return self._fail(result, installed.get("msg", "installing the config failed"))
            result["installed"] = True

        container = self._module("community.docker.docker_container", dict(args["container"], state="started"))
        if container.get("failed"):
            return self._fail(result, "the frontend container on %s: %s" % (host, container.get("msg", "")))
        result["changed"] = result["changed"] or bool(container.get("changed"))
        if self._task.check_mode:
            return result
        if _frontend.must_reload(result["installed"], tls_changed, container.get("changed")):
            reloaded = self._module("community.docker.docker_container_exec",
                                    dict(container=args["container"]["name"], argv=args["reload"]))
            if reloaded.get("failed") or reloaded.get("rc", 0) != 0:
                return self._fail(result, "reloading %s on %s failed: %s" % (
                    kind, host, reloaded.get("stderr") or reloaded.get("msg", "")))
            result["reloaded"] = True
        if result["installed"] and args.get("confirm_url"):
            # A reload is graceful: old workers finish their connections. The step is done
            # when a new connection gets the new config's id.
            deadline = time.monotonic() + float(args.get("confirm_timeout", 60))
            while True:
                seen = self._module("ansible.legacy.uri", dict(url=args["confirm_url"], return_content=True,
                                                               status_code=[200, 404], validate_certs=False))
                said = (seen.get("content") or "").strip()
                if _frontend.serves(seen.get("status"), said, args.get("config_id")):
                    break
                if time.monotonic() > deadline:
                    return self._fail(result, "%s on %s still serves config %r, not %r, %s s after the reload" % (
                        kind, host, said, args.get("config_id"), args.get("confirm_timeout", 60)))
                time.sleep(0.2)
        return result
