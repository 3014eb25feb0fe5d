# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One pool host's members, per step of a rollout (documented in plugins/modules/pool.py).

Reads the engine and the app's state directory once, decides with module_utils/_pool.py,
then acts through community.docker's modules unless in check mode. Failures the rollout
expects (an app that does not import, members never healthy, a failed release command)
are returned as data in ``failure``; the task fails on them only with ``on_failure=fail``.
"""

from __future__ import annotations

import hashlib
import json
import time

from ansible.errors import AnsibleActionFail

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _pool
from ansible_collections.pyfleet.wsgi.plugins.plugin_utils._action import PyfleetAction, describe

_STEPS = ("current", "start", "retire", "release", "exec")
RECORD = "pool.json"
# Specs kept on each host for a rollback to an exact earlier set of members.
KEEP_SPECS = 5


def _names(members):
    return [m["name"] for m in members]


def _public(member):
    """A member as the frontends and the output see it (no env, no spec)."""
    keys = ("host", "name", "hostname", "index", "slot", "address", "port", "ip", "container_port",
            "protocol", "image", "digest")
    return {k: member[k] for k in keys if k in member}


class ActionModule(PyfleetAction):
    _VALID_ARGS = frozenset((
        "step", "host", "settings", "config_template", "config_vars", "state_dir", "restore", "healthy_timeout", "poll",
        "retire", "serving", "digest", "drain", "keep_images", "repository", "commands", "timeout", "on_failure",
        "settle", "command",
    ))

    # -- what the engine and the state directory say --------------------------------------

    def _engine(self, settings, images=None):
        args = dict(containers=True, containers_all=True, verbose_output=True,
                    containers_filters={"label": ["pyfleet.app=%s" % settings["app"]]},
                    networks=True, networks_filters={"name": settings["network"]})
        if images:
            args.update(images=True, images_filters={"reference": images})
        info = self._module("community.docker.docker_host_info", args)
        if info.get("failed"):
            raise AnsibleActionFail("reading the Docker engine failed: %s" % info.get("msg", ""))
        return info

    def _state(self, files=None, secret_files=None, read=(RECORD,), prune=None):
        args = dict(path=self._args["state_dir"], files=files or {}, secret_files=secret_files or {},
                    read=list(read), prune=prune or {})
        out = self._module("pyfleet.wsgi.app_state", args)
        if out.get("failed"):
            raise AnsibleActionFail(out.get("msg", "the app's state directory cannot be used"))
        return out

    @staticmethod
    def _states(engine, role):
        """container_states of the app's containers of one role (pool or process)."""
        states = _pool.container_states(engine.get("containers"))
        return {n: st for n, st in states.items() if st["labels"].get("pyfleet.role") == role}

    @staticmethod
    def _record(state):
        text = (state.get("contents") or {}).get(RECORD)
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError:
            return {}

    def _config(self, settings, engine):
        """uWSGI's config for this host, its workers sized from the engine's CPUs."""
        if not self._args.get("config_template"):
            return ""
        values = dict(self._args.get("config_vars") or {})
        values.update(_pool.sizing((engine.get("host_info") or {}).get("NCPU", 1), settings["size"],
                                   values.get("processes", 0), values.get("threads", 0)))
        return self._render(self._args["config_template"], values)

    def _spec(self, settings, engine, config=""):
        """The wanted spec: the settings, the config's place and the image's content id."""
        spec = dict(settings)
        spec["config_dir"] = "%s/uwsgi/%s" % (self._args["state_dir"], hashlib.sha256(config.encode()).hexdigest()[:12])
        images = engine.get("images") or []
        spec["image_id"] = images[0].get("Id", "") if images else ""
        return spec

    def _network(self, settings, engine):
        # Docker's name filter matches parts of names: pyfleet-shop finds pyfleet-shop2 too.
        if any(n.get("Name") == settings["network"] for n in engine.get("networks") or []):
            return False
        if self._task.check_mode:
            return True
        out = self._module("community.docker.docker_network", dict(
            name=settings["network"], driver="bridge", ipam_config=[{"subnet": settings["subnet"]}],
            labels={"pyfleet.app": settings["app"]}))
        if out.get("failed"):
            raise AnsibleActionFail("creating the network %s failed: %s" % (settings["network"], out.get("msg", "")))
        return True

    def _container(self, params, what):
        out = self._module("community.docker.docker_container", params)
        if out.get("failed"):
            raise AnsibleActionFail("%s failed: %s" % (what, out.get("msg", "")))
        return out

    def _remove(self, names, stop_timeout):
        for name in names:
            self._container(dict(name=name, state="absent", stop_timeout=int(stop_timeout)), "removing %s" % name)

    # -- waiting and reporting ----------------------------------------------------------------

    def _entry_point_words(self, names):
        """The entry point's own lines (``pyfleet: ...``): a service it waited for, a crash."""
        lines = []
        for name in names:
            out = self._module("ansible.legacy.command", dict(argv=["docker", "logs", "--tail", "5", name]))
            for line in (out.get("stdout_lines") or []) + (out.get("stderr_lines") or []):
                if line.startswith("pyfleet: ") and line not in lines:
                    lines.append(line)
        return " ".join(lines)

    # -- the steps ------------------------------------------------------------------------------

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self._vars = task_vars
        self._args = args = self._task.args
        step = args.get("step", "start")
        if step not in _STEPS:
            raise AnsibleActionFail("step is %r: use one of %s" % (step, ", ".join(_STEPS)))
        for required in ("host", "settings", "state_dir"):
            if not args.get(required):
                raise AnsibleActionFail("%s is required" % required)
        if args.get("on_failure", "fail") not in ("fail", "report"):
            raise AnsibleActionFail("on_failure is %r: use fail or report" % (args.get("on_failure"),))
        result.update(changed=False, failure="")
        try:
            getattr(self, "_" + step)(result, dict(args["settings"]))
        except _pool.PlanError as exc:
            result["failure"] = str(exc)
        if result["failure"] and args.get("on_failure", "fail") == "fail":
            result.update(failed=True, msg=result["failure"])
        return result

    def _current(self, result, settings):
        """What serves now, for the frontends, and the spec to return to."""
        engine = self._engine(settings)
        state = self._state(read=(RECORD, "history"))
        record = self._record(state)
        history = [line for line in ((state.get("contents") or {}).get("history") or "").splitlines() if line]
        spec = self._spec(settings, {})
        plan = _pool.plan(spec, self._args["host"], self._states(engine, "pool"), record.get("serving"))
        current = [_public(m) for m in plan["current"]]
        # The whole spec the last finished batch left (members and processes), else the
        # members' own (records written before processes existed).
        previous = record.get("spec") or plan["previous"]
        result.update(current=current, previous=previous, history=history, ansible_facts={
            "pyfleet_pool_members": current,
            "pyfleet_pool_serving_digest": previous,
            "pyfleet_pool_history": history,
            "pyfleet_pool_failure": "",
        })

    def _restore(self, settings):
        """The settings of an earlier spec recorded on the host (for the way back), or None."""
        digest = self._args.get("restore")
        if not digest:
            return None
        text = self._state(read=("specs/%s.json" % digest,))["contents"].get("specs/%s.json" % digest)
        return json.loads(text) if text else None

    def _start(self, result, settings):
        """Start the members the plan lacks beside the serving ones, and wait until healthy."""
        restored = self._restore(settings)
        wanted_image = (restored or settings)["image"]
        engine = self._engine(settings, images=wanted_image)
        files = {}
        if restored:
            spec = restored
        else:
            config = self._config(settings, engine)
            spec = self._spec(settings, engine, config)
            files[spec["config_dir"][len(self._args["state_dir"]) + 1:] + "/uwsgi.ini"] = config
        digest = _pool.digest(spec)
        state = self._state(files=files, secret_files={"specs/%s.json" % digest: json.dumps(spec, sort_keys=True)})
        record = self._record(state)
        plan = _pool.plan(spec, self._args["host"], self._states(engine, "pool"), record.get("serving"))
        processes = _pool.process_plan(spec, self._args["host"], self._states(engine, "process"))
        changed = bool(state.get("changed")) | self._network(settings, engine)
        current = [_public(m) for m in plan["current"]]
        members = [_public(m) for m in plan["members"]]
        previous_images = sorted({m["image"] for m in plan["current"]} - {spec["image"]})
        kept = [n for n in _names(plan["members"]) if n not in _names(plan["start"])]
        started = [_pool.process_name(spec["app"], p["name"], p["index"]) for p in processes["start"]]
        result.update(
            plan={"start": _names(plan["start"]), "retire": plan["retire"], "stale": plan["stale"], "keep": kept,
                  "processes": {"start": started, "remove": processes["remove"], "keep": processes["keep"]}},
            digest=digest, previous=plan["previous"], current=current, members=members,
            diff={"before": "".join("%s %s\n" % (m["name"], m.get("image", "")) for m in current),
                  "after": "".join("%s %s\n" % (m["name"], m.get("image", "")) for m in members),
                  "before_header": "%s members" % self._args["host"], "after_header": "%s members" % self._args["host"]},
        )
        result["msg"] = "%s %s from %s, then retire %s; keeping %s" % (
            "would start" if self._task.check_mode else "starting", ", ".join(_names(plan["start"])) or "nothing",
            spec["image"], ", ".join(plan["retire"]) or "nothing", ", ".join(kept) or "nothing")
        if started or processes["remove"]:
            result["msg"] += "; processes: %s %s, removing %s" % (
                "would start" if self._task.check_mode else "starting", ", ".join(started) or "nothing",
                ", ".join(processes["remove"]) or "nothing")
        moved = bool(plan["start"] or plan["retire"] or started or processes["remove"])
        facts = {"pyfleet_pool_members": members, "pyfleet_pool_retire": plan["retire"],
                 "pyfleet_pool_failure": "", "pyfleet_pool_previous_image": previous_images[0] if previous_images else "",
                 "pyfleet_pool_digest": digest, "pyfleet_pool_moved": moved}
        result["ansible_facts"] = facts
        changed = changed or bool(plan["start"] or plan["stale"] or started or processes["remove"])
        result["changed"] = changed
        if not engine.get("images") and not self._task.check_mode:
            raise _pool.PlanError(
                "The image %s (pyfleet_pool_image) is not on the Docker engine of %s: build it with "
                "pyfleet.wsgi.image and distribute it first." % (wanted_image, self._args["host"]))
        if self._task.check_mode:
            return
        self._remove(plan["stale"], spec["stop_timeout"])
        failure = self._start_members(spec, plan) if plan["start"] else None
        if failure:
            result["failure"] = failure
            facts.update(pyfleet_pool_members=current, pyfleet_pool_retire=[], pyfleet_pool_failure=failure,
                         pyfleet_pool_moved=False)
            return
        failure = self._run_processes(spec, processes)
        if failure:
            # The new members (if any) never served: the way back retires them and puts the
            # processes back.
            result["failure"] = failure
            facts.update(pyfleet_pool_members=current, pyfleet_pool_retire=[], pyfleet_pool_failure=failure)

    def _run_processes(self, spec, processes):
        """Replace the processes the plan names one container at a time (the old one stops with
        its own signal and timeout first), then wait until the new ones are well."""
        started = []
        replaced = {_pool.process_name(spec["app"], p["name"], p["index"]) for p in processes["start"]}
        for name in processes["remove"]:
            if name not in replaced:
                self._remove([name], processes["stop_timeout"][name])
        try:
            for process in processes["start"]:
                name = _pool.process_name(spec["app"], process["name"], process["index"])
                if name in processes["remove"]:
                    self._remove([name], processes["stop_timeout"][name])
                self._container(_pool.container_params("process", spec, process), "starting %s" % name)
                started.append(name)
            if not started:
                return None
            # Without a health check of its own, a process must at least stay up a while.
            failure = self._not_well(started, "no output", "not well",
                                     settle=any(not p.get("healthcheck") for p in processes["start"]))
        except AnsibleActionFail as exc:
            failure = str(exc)
        return self._give_up(started, spec, "processes", "did not keep running", failure)

    def _start_members(self, spec, plan):
        host = self._args["host"]
        # A version that cannot import the app fails here, before any member starts.
        if not plan["current"] or any(m["image"] != spec["image"] for m in plan["current"]):
            out = self._module("community.docker.docker_container", _pool.container_params("import_check", spec))
            if out.get("failed") or out.get("status", 0) != 0:
                said = (out.get("container") or {}).get("Output") or out.get("msg", "")
                return ("%s cannot load %s (pyfleet_app_module) on %s; the running members are left as they are. "
                        "Output: %s" % (spec["image"], spec["module"], host, str(said).strip()))
        names = _names(plan["start"])
        try:
            for member in plan["start"]:
                self._container(_pool.container_params("member", spec, member), "starting %s" % member["name"])
            # All at once; one that is unhealthy, exits or restarts fails the batch at once.
            failure = self._not_well(names, "no health check output", "not healthy")
        except AnsibleActionFail as exc:
            failure = str(exc)
        return self._give_up(names, spec, "members", "did not get healthy", failure)

    def _not_well(self, names, silent, late_words, settle=False):
        """None when the new containers got well within healthy_timeout (and, with ``settle``,
        still are ``settle`` seconds later), else what the broken or late ones said."""
        timeout = float(self._args.get("healthy_timeout", 120))
        verdict, late, states, _elapsed = self._await_healthy(names, timeout, float(self._args.get("poll", 1)))
        if verdict == "ok" and settle:
            time.sleep(float(self._args.get("settle", 3)))
            verdict, late, states, _elapsed = self._await_healthy(names, 0, 1)
        said = describe(states, late, silent=silent)
        return {"ok": None, "broken": said, "timeout": "%s after %d s: %s" % (late_words, timeout, said)}[verdict]

    def _give_up(self, names, spec, what, verb, failure):
        """None without a failure; else the new containers are removed and the failure told,
        with what their entry point said."""
        if not failure:
            return None
        words = self._entry_point_words(names)
        self._remove(names, 1)
        return "On %s, the new %s of %s %s: %s%s" % (
            self._args["host"], what, spec["image"], verb, failure, (" " + words) if words else "")

    def _retire(self, result, settings):
        """After the frontends moved: record what serves, stop the old members, prune."""
        serving = list(self._args.get("serving") or [])
        retire = [n for n in self._args.get("retire") or [] if n not in serving]
        record = self._record(self._state())
        digest = self._args.get("digest") or ""
        kept = [d for d in record.get("specs", []) if d != digest][-(KEEP_SPECS - 1):] + ([digest] if digest else [])
        new_record = {"serving": sorted(serving), "specs": kept, "spec": digest}
        changed = bool(retire) or new_record != {k: record.get(k) for k in ("serving", "specs", "spec")}
        result.update(changed=changed, retired=retire, serving=sorted(serving),
                      ansible_facts={"pyfleet_pool_retire": []})
        if self._task.check_mode or not changed:
            return
        if retire:
            time.sleep(float(self._args.get("drain", 2)))
            self._remove(retire, settings.get("stop_timeout", 30))
        configs = []
        if kept:
            texts = self._state(read=["specs/%s.json" % d for d in kept])["contents"]
            configs = [json.loads(t)["config_dir"].rsplit("/", 1)[-1] for t in texts.values() if t]
        self._state(files={RECORD: json.dumps(new_record, sort_keys=True) + "\n"}, read=(),
                    prune={"specs": ["%s.json" % d for d in kept], "uwsgi": configs})
        if retire:
            result["removed_images"] = self._prune_images(settings)

    def _prune_images(self, settings):
        """The newest keep_images versions stay for a rollback, and any a container uses."""
        repository = self._args.get("repository") or settings["image"].rsplit(":", 1)[0]
        info = self._module("community.docker.docker_host_info", dict(
            images=True, images_filters={"reference": repository}, containers=True, containers_all=True,
            verbose_output=True))
        used = {c.get("Image") for c in info.get("containers") or []}
        keep = int(self._args.get("keep_images", 3))
        images = sorted(info.get("images") or [], key=lambda i: i.get("Created", 0), reverse=True)
        removed = []
        for image in images[keep:]:
            for tag in image.get("RepoTags") or []:
                if tag.startswith(repository + ":") and tag not in used:
                    out = self._module("community.docker.docker_image_remove", dict(name=tag))
                    if not out.get("failed"):
                        removed.append(tag)
        return removed

    def _release(self, result, settings):
        """The version's release commands, once, in a container of the app's spec; a version
        whose record (releases/<version>) is on the host has run them already."""
        version = settings["image"].rsplit(":", 1)[-1]
        record = "releases/%s" % version
        if self._state(read=(record,))["contents"].get(record) is not None:
            result.update(released=True, msg="%s ran its release commands before" % settings["image"])
            return
        result["released"] = False
        engine = self._engine(settings, images=settings["image"])
        spec = self._spec(settings, engine)
        result["changed"] = self._network(settings, engine) or True
        if self._task.check_mode:
            return
        params = _pool.container_params("release", spec, commands=self._args.get("commands") or [],
                                        timeout=self._args.get("timeout", 600))
        out = self._module("community.docker.docker_container", params)
        status = out.get("status")
        output = str((out.get("container") or {}).get("Output") or out.get("msg", "")).strip()
        result.update(status=status, output=output)
        if out.get("failed") or status != 0:
            result["failure"] = (
                "The release commands of %s failed on %s (exit %s%s); no traffic moved to this version. Output: %s"
                % (settings["image"], self._args["host"], status if status is not None else "none",
                   ", timed out after %s s" % self._args.get("timeout", 600) if status == 124 else "", output))

    def _exec(self, result, settings):
        """A one-off command in a new container of the version serving on this host: its
        image, env and network as the last finished rollout left them (the recorded spec)."""
        record = self._record(self._state())
        digest = record.get("spec")
        text = self._state(read=("specs/%s.json" % digest,))["contents"].get("specs/%s.json" % digest) if digest else None
        if not text:
            result["failure"] = "Nothing of %s serves on %s yet: deploy it before running a command in it." % (
                settings.get("app", "the app"), self._args["host"])
            return
        running = json.loads(text)
        engine = self._engine(running, images=running["image"])
        spec = self._spec(running, engine)
        name = "%s-exec-%s" % (spec["app"], _pool.short_id())
        result.update(image=spec["image"], container=name, changed=True)
        if self._task.check_mode:
            return
        out = self._module("community.docker.docker_container",
                           _pool.container_params("exec", spec, member=name, commands=[self._args.get("command") or ""]))
        status = out.get("status")
        output = str((out.get("container") or {}).get("Output") or out.get("msg", ""))
        result.update(status=status if status is not None else -1, output=output)
        if out.get("failed") and status is None:
            result["failure"] = "The command could not run in %s on %s: %s" % (spec["image"], self._args["host"], output.strip())
