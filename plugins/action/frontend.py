# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A frontend's config and container in one step (documented in plugins/modules/frontend.py).

A frontend serves one app (its own container) or every app that joined a shared ingress on
the host. Each app's part (module_utils/_ingress.py) is kept on the host; the config is
rendered on the controller from all of them, and only when it differs from the live one it
is validated in a throwaway container of the proxy's image, installed and reloaded
gracefully; nginx then confirms that new connections get the new config. A shared ingress
is changed by one app at a time (a lock in its directory).
"""

from __future__ import annotations

import difflib
import os
import socket
import time

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _frontend, _ingress
from ansible_collections.pyfleet.wsgi.plugins.plugin_utils._action import PyfleetAction


def _alive(pid):
    """Whether a process with this pid runs on the controller."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it runs, as another user
    return True


class ActionModule(PyfleetAction):
    _VALID_ARGS = frozenset((
        "host", "kind", "dir", "mount", "file", "template", "template_vars", "check", "reload",
        "container", "go_max_procs", "runs_pool", "tls_files", "pages", "maintenance_page", "confirm_url", "confirm_timeout", "reach",
        "ingress", "state", "part", "maintenance", "static_dir", "replaces", "lock_timeout", "claims_only",
    ))

    def _fail(self, result, msg):
        result.update(failed=True, msg=msg)
        return result

    def _controller_files(self, app, args):
        """The app's files from the controller, by path in the frontend's directory: (plain,
        secret, pages). Keys are never shown in a diff."""
        plain, secret, pages = {}, {}, {}
        wanted = [(e["src"], e["dest"], bool(e.get("secret"))) for e in args.get("tls_files") or []]
        wanted += [(src, "%s.html" % code, False) for code, src in sorted((args.get("pages") or {}).items()) if src]
        for src, dest, is_secret in wanted:
            try:
                with open(os.path.expanduser(src), encoding="utf-8") as handle:
                    (secret if is_secret else plain)["apps/%s/%s" % (app, dest)] = handle.read()
            except OSError as exc:
                raise AnsibleActionFail("reading %s on the controller failed: %s" % (src, exc))
        for code, src in (args.get("pages") or {}).items():
            if src:
                pages[str(code)] = "apps/%s/%s.html" % (app, code)
        return plain, secret, pages

    def _lock(self, folder, app, timeout):
        """Take the shared ingress's lock: one app changes it at a time. Returns the token and
        the holder of a lock it took over. A lock left by a process of this controller that no
        longer runs is taken over at once."""
        deadline = time.monotonic() + timeout
        controller = socket.gethostname()
        stale = ""
        while True:
            taken = self._module("pyfleet.wsgi.deploy_lock", dict(
                path=os.path.join(folder, "ingress.lock"), holder=_frontend.lock_holder(app, controller, os.getpid()),
                expiry=300, app="the ingress", stale_holder=stale))
            if not taken.get("failed"):
                return taken.get("token", ""), taken.get("taken_over", "")
            if _frontend.holder_gone(taken.get("holder"), controller, _alive) and taken.get("holder") != stale:
                stale = taken["holder"]
                continue
            if time.monotonic() > deadline:
                raise AnsibleActionFail("another app has been changing the ingress in %s for %d s: %s" % (
                    folder, timeout, taken.get("msg", "")))
            time.sleep(0.5)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self._vars = task_vars
        args = self._task.args
        needed = ("host", "dir", "part") if args.get("claims_only") else (
            "host", "kind", "dir", "mount", "file", "template", "check", "reload", "container", "part")
        for required in needed:
            if not args.get(required):
                raise AnsibleActionFail("%s is required" % required)
        app = args["part"]["name"]
        folder = args["dir"]
        if args.get("claims_only"):
            return self._claims(result, args, app)
        token = ""
        if args.get("ingress") and not self._task.check_mode:
            token, taken_over = self._lock(folder, app, float(args.get("lock_timeout", 120)))
            if taken_over:
                result.setdefault("warnings", []).append("%s took over the ingress lock in %s of %s." % (app, folder, taken_over))
        try:
            return self._run(result, args, app)
        finally:
            if token:
                self._module("pyfleet.wsgi.deploy_lock", dict(
                    path=os.path.join(folder, "ingress.lock"), state="absent", token=token, app="the ingress"))

    def _container(self, args):
        """The container's parameters, with GOMAXPROCS for Caddy when _frontend.go_max_procs
        sets one."""
        params = dict(args["container"])
        procs = _frontend.go_max_procs(args["kind"], args.get("go_max_procs"), boolean(args.get("runs_pool", False)),
                                       self._engine_cpus)
        if procs:
            params["env"] = dict(params.get("env") or {}, GOMAXPROCS=str(procs))
        return params

    def _engine_cpus(self):
        info = self._module("community.docker.docker_host_info", {})
        return (info.get("host_info") or {}).get("NCPU", 1)

    def _run(self, result, args, app):
        host, kind, folder, name = args["host"], args["kind"], args["dir"], args["file"]
        shared, present = bool(args.get("ingress")), args.get("state", "present") != "absent"
        plain, secret, pages = self._controller_files(app, args) if present else ({}, {}, {})
        page = args.get("maintenance_page") or ""
        if present and page:
            plain.update(self._controller_files(app, {"pages": {"maintenance": page}})[0])
        state = self._module("pyfleet.wsgi.app_state", dict(path=folder, read=[name], read_glob=["apps/*/part.json"]))
        if state.get("failed"):
            return self._fail(result, state.get("msg", "the frontend's directory cannot be used"))
        stored = _ingress.decode_parts(state.get("contents"))
        live = (state.get("contents") or {}).get(name)
        before = stored.pop(app, None)
        mine = None
        if present:
            if args["part"].get("members") is None:
                # Only the maintenance mode changes: the rest as the app's last deploy left it.
                if before is None:
                    return self._fail(result, "%s has no part on the frontend of %s yet: deploy it first." % (app, host))
                mine = dict(before, maintenance=_ingress.maintenance(args.get("maintenance", "keep"), before))
            else:
                mine = dict(args["part"], maintenance=_ingress.maintenance(args.get("maintenance", "keep"), before),
                            statics=_ingress.statics(args["part"].get("static", ""), before), pages=pages)
                if not page:
                    plain["apps/%s/maintenance.html" % app] = _ingress.DEFAULT_MAINTENANCE_PAGE
            problems = _ingress.refusals(stored.values(), mine, args.get("ingress", ""))
            if problems:
                return self._fail(result, " ".join(problems) + " Nothing was changed on %s." % host)
        parts = list(stored.values()) + ([mine] if mine else [])
        settings = dict(args.get("template_vars") or {})
        result.update(changed=False, installed=False, reloaded=False, apps=sorted(p["name"] for p in parts),
                      ansible_facts={"pyfleet_frontend_check": dict(args.get("reach") or {})})
        if not parts:
            return self._empty(result, args)
        values = dict(settings, apps={p["name"]: p for p in parts}, sites=_ingress.sites(parts, shared), shared=shared,
                      mount=args["mount"])
        values["config_id"] = _ingress.config_id(settings, parts)
        result["config_id"] = values["config_id"]
        candidate = self._render(args["template"], values)

        # The candidate and the app's files beside the live config (the key never in a diff).
        written = self._module("pyfleet.wsgi.app_state", dict(path=folder, files=dict(plain, **{name + ".candidate": candidate}),
                                                              secret_files=secret))
        if written.get("failed"):
            return self._fail(result, written.get("msg", "the frontend's directory cannot be used"))
        files_changed = any(not w.endswith(".candidate") for w in written.get("written") or [])
        install = _frontend.must_install(candidate, live)
        record = {} if mine is None else {"apps/%s/part.json" % app: _ingress.encode_part(mine)}
        part_changed = any(text != (state.get("contents") or {}).get(path) for path, text in record.items())
        result["changed"] = install or files_changed or part_changed or (not present and before is not None)
        if install:
            result["diff"] = {"before": live or "", "after": candidate,
                              "before_header": "%s:%s/%s" % (host, folder, name), "after_header": "candidate"}
            result["lines_changed"] = sum(1 for line in difflib.unified_diff((live or "").splitlines(), candidate.splitlines())
                                          if line[:1] in "+-" and line[:3] not in ("+++", "---"))
        if self._task.check_mode:
            return result

        if install:
            checked = self._module("community.docker.docker_container", dict(
                name="%s-check" % args["container"]["name"], image=args["container"]["image"], command=args["check"],
                env={"XDG_DATA_HOME": "/tmp/caddy-data", "XDG_CONFIG_HOME": "/tmp/caddy-config"},
                mounts=[{"type": "bind", "source": folder, "target": args["mount"], "read_only": True}],
                network_mode="none", detach=False, cleanup=True))
            if checked.get("failed") or checked.get("status", 1) != 0:
                said = (checked.get("container") or {}).get("Output") or checked.get("msg", "")
                return self._fail(result, "%s rejected the rendered config %s/%s.candidate on %s; the running frontend "
                                          "keeps its current config. %s said: %s" % (kind, folder, name, host, kind, str(said).strip()))
        # The part is recorded with the config it went live in; a removed app's files go.
        installed = self._module("pyfleet.wsgi.app_state", dict(
            path=folder, files=dict(record, **({name: candidate} if install else {})),
            prune={} if present else {"apps": sorted(stored)}))
        if installed.get("failed"):
            return self._fail(result, installed.get("msg", "installing the config failed"))
        result["installed"] = install

        # A frontend this app used before (its own, when it moves to the shared ingress) stops
        # first when it holds the same port, else once the new config serves.
        replaced = self._replaced(args)
        if replaced is not None and _ingress.ports_overlap(replaced, _ingress.ports(settings, parts)):
            if not self._remove(result, args["replaces"]["container"]):
                return result
            replaced = None

        container = self._module("community.docker.docker_container", dict(self._container(args), state="started"))
        if container.get("failed"):
            return self._fail(result, "the frontend container on %s: %s" % (host, container.get("msg", "")))
        result["changed"] = result["changed"] or bool(container.get("changed"))
        if _frontend.must_reload(install, files_changed, container.get("changed")):
            reloaded = self._module("community.docker.docker_container_exec",
                                    dict(container=args["container"]["name"], argv=args["reload"]))
            if reloaded.get("failed") or reloaded.get("rc", 0) != 0:
                return self._fail(result, "reloading %s on %s failed: %s" % (
                    kind, host, reloaded.get("stderr") or reloaded.get("msg", "")))
            result["reloaded"] = True
        if install and args.get("confirm_url") and not self._confirmed(result, args, kind, host, values["config_id"]):
            return result
        if replaced is not None and not self._remove(result, args["replaces"]["container"]):
            return result
        if present and args.get("static_dir"):
            self._prune_statics(result, args["static_dir"], mine.get("statics") or [])
        return result

    def _claims(self, result, args, app):
        """Preflight: whether this app's names, paths and listeners agree with the other apps
        on the ingress. Reads only."""
        state = self._module("pyfleet.wsgi.app_state", dict(path=args["dir"], read_glob=["apps/*/part.json"]))
        if state.get("failed"):
            return self._fail(result, state.get("msg", "the frontend's directory cannot be read"))
        others = _ingress.decode_parts(state.get("contents"))
        others.pop(app, None)
        mine = dict(args["part"], statics=[args["part"].get("static")] if args["part"].get("static") else [])
        problems = _ingress.refusals(others.values(), mine, args.get("ingress", ""))
        result.update(changed=False, apps=sorted(others))
        if problems:
            return self._fail(result, " ".join(problems) + " Nothing was changed on %s." % args["host"])
        return result

    def _confirmed(self, result, args, kind, host, config_id):
        """A reload is graceful: old workers finish their connections. The step is done when a
        new connection gets the new config's id."""
        deadline = time.monotonic() + float(args.get("confirm_timeout", 60))
        while True:
            seen = self._module("ansible.legacy.uri", dict(url=args["confirm_url"], return_content=True,
                                                           status_code=[200, 404], validate_certs=False))
            said = (seen.get("content") or "").strip()
            if _frontend.serves(seen.get("status"), said, config_id):
                return True
            if time.monotonic() > deadline:
                self._fail(result, "%s on %s still serves config %r, not %r, %s s after the reload" % (
                    kind, host, said, config_id, args.get("confirm_timeout", 60)))
                return False
            time.sleep(0.2)

    def _replaced(self, args):
        """The live config of the frontend this app used before, when that container still exists."""
        replaces = args.get("replaces") or {}
        if not replaces.get("container"):
            return None
        found = self._module("community.docker.docker_container_info", dict(name=replaces["container"]))
        if not found.get("exists"):
            return None
        config = self._module("pyfleet.wsgi.app_state", dict(
            path=os.path.dirname(replaces["config"]), read=[os.path.basename(replaces["config"])]))
        return (config.get("contents") or {}).get(os.path.basename(replaces["config"])) or ""

    def _remove(self, result, name):
        removed = self._module("community.docker.docker_container", dict(name=name, state="absent"))
        if removed.get("failed"):
            self._fail(result, "removing the frontend %s failed: %s" % (name, removed.get("msg", "")))
            return False
        result["changed"] = True
        result["replaced"] = name
        return True

    def _prune_statics(self, result, static_dir, keep):
        """Only the static files the frontend serves stay: the new version's and the previous one's."""
        pruned = self._module("pyfleet.wsgi.app_state", dict(path=os.path.dirname(static_dir.rstrip("/")),
                                                             prune={os.path.basename(static_dir.rstrip("/")): keep}))
        result["static_removed"] = pruned.get("removed") or []

    def _empty(self, result, args):
        """The last app left a shared ingress: its container goes; the directory stays for the lock."""
        if self._task.check_mode:
            result["changed"] = True
            return result
        removed = self._module("community.docker.docker_container", dict(name=args["container"]["name"], state="absent"))
        if removed.get("failed"):
            return self._fail(result, "removing the ingress %s failed: %s" % (args["container"]["name"], removed.get("msg", "")))
        cleared = self._module("pyfleet.wsgi.app_state", dict(path=args["dir"], prune={"apps": []}))
        result["changed"] = bool(removed.get("changed") or cleared.get("changed"))
        return result
