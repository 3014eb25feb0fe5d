# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage the build context, derive the version, build only when it is missing (documented in
plugins/modules/image.py). Runs on the controller, where the context lives."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _context, _health
from ansible_collections.pyfleet.wsgi.plugins.module_utils._digest import build_excludes, content_version, tree_digest
from ansible_collections.pyfleet.wsgi.plugins.plugin_utils._action import PyfleetAction

HELPERS = ("healthcheck.py", "start.py", "deps.py")
LISTEN_PORT = 3031


class ActionModule(PyfleetAction):
    _VALID_ARGS = frozenset((
        "src", "context", "repository", "version", "build", "builder_base", "runtime_base",
        "dependencies", "dockerignore_extra", "extra_ca_bundle", "helpers", "dockerfile_template",
        "dockerignore_template", "template_vars", "app_name", "prebuilt", "registry_username", "registry_password",
    ))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        self._vars = task_vars
        args = self._task.args
        if args.get("prebuilt"):
            return self._prebuilt(result, args)
        for required in ("src", "context", "repository", "helpers", "dockerfile_template", "dockerignore_template"):
            if not args.get(required):
                raise AnsibleActionFail("%s is required" % required)
        src, context = os.path.expanduser(args["src"]), os.path.expanduser(args["context"])
        if not os.path.isdir(src):
            raise AnsibleActionFail("pyfleet_app_src is %r, which is not a directory on the controller" % src)
        builder, runtime = args.get("builder_base", ""), args.get("runtime_base", "")

        # The context: the app without what never belongs in an image, the helpers, the
        # build files. Only what differs is written, so the version only moves with content.
        present = [n for n in _context.DEPENDENCY_FILES + ("Pipfile", ".dockerignore")
                   if os.path.isfile(os.path.join(src, n))]
        kind, layer = _context.dependencies(present, args.get("dependencies", "auto"))
        excludes = build_excludes(args.get("dockerignore_extra"))
        app_patterns = []
        if ".dockerignore" in present:
            with open(os.path.join(src, ".dockerignore"), encoding="utf-8") as handle:
                app_patterns = [line.strip() for line in handle if line.strip() and not line.strip().startswith("#")]
        try:
            staged = _context.stage_tree(src, os.path.join(context, "app"), excludes)
            for name in HELPERS:
                with open(os.path.join(args["helpers"], name), "rb") as handle:
                    if _context.put_file(os.path.join(context, "pyfleet", name), handle.read()):
                        staged.append("pyfleet/" + name)
            ca = os.path.join(context, "pyfleet", "extra-ca.pem")
            if args.get("extra_ca_bundle"):
                with open(os.path.expanduser(args["extra_ca_bundle"]), "rb") as handle:
                    if _context.put_file(ca, handle.read()):
                        staged.append("pyfleet/extra-ca.pem")
            elif _context.remove_file(ca):
                staged.append("-pyfleet/extra-ca.pem")
            values = dict(args.get("template_vars") or {})
            values.update(builder_image=builder, runtime_image=runtime, extra_ca_bundle=bool(args.get("extra_ca_bundle")),
                          deps_kind=kind, deps_files=layer, listen_port=LISTEN_PORT,
                          healthcheck=_health.dockerfile_healthcheck(_health.probe()),
                          health_path=_health.DEFAULTS["path"])
            for name, template, extra in ((".dockerignore", args["dockerignore_template"],
                                           {"excludes": excludes, "app_patterns": app_patterns}),
                                          ("Dockerfile", args["dockerfile_template"], {})):
                if _context.put_file(os.path.join(context, name), to_bytes(self._render(template, dict(values, **extra)))):
                    staged.append(name)
            version = args.get("version") or content_version(tree_digest(context))
        except OSError as exc:
            raise AnsibleActionFail("staging the build context in %s failed: %s" % (context, exc))

        ref = "%s:%s" % (args["repository"], version)
        bases = [builder] if builder == runtime else [builder, runtime]
        result.update(changed=False, version=version, ref=ref, context=context, staged=staged,
                      dependencies=kind, built=False, ansible_facts={
                          "pyfleet_image_version": version, "pyfleet_image_ref": ref,
                          "pyfleet_image_context": context, "pyfleet_image_bases": bases})
        if not args.get("build", True):
            result["changed"] = bool(staged) and not self._task.check_mode
            return result

        info = self._module("community.docker.docker_image_info", {"name": [ref] + bases})
        if info.get("failed"):
            raise AnsibleActionFail("reading the build engine failed: %s" % info.get("msg", ""))
        have = {tag for image in info.get("images") or [] for tag in image.get("RepoTags") or []}
        if ref in have:
            return result
        result.update(changed=True, built=True)
        result["diff"] = {"before": "", "after": "%s\n" % ref, "after_header": "images on the build engine"}
        if self._task.check_mode:
            return result
        for base in [b for b in bases if b not in have]:
            pulled = self._module("community.docker.docker_image_pull", {"name": base})
            if pulled.get("failed"):
                result.update(failed=True, msg=(
                    "The base image %s is not on the build engine and cannot be pulled (pyfleet_image_builder_base=%s, "
                    "pyfleet_image_runtime_base=%s): %s. Without a registry, set pyfleet_base_images_enabled=true and "
                    "point both variables at the pyfleet base images (pyfleet/python-builder:bookworm and "
                    "pyfleet/python-runtime:bookworm)." % (base, builder, runtime, pulled.get("msg", ""))))
                return result
        built = self._module("community.docker.docker_image", {
            "name": args["repository"], "tag": version, "source": "build",
            "build": {"path": context, "pull": False, "rm": True}})
        if built.get("failed"):
            result.update(failed=True, msg="building %s failed: %s" % (ref, built.get("msg", "")))
            return result
        # A new image must start uWSGI before anything uses it.
        checked = self._module("community.docker.docker_container", {
            "name": "%s-image-check" % args.get("app_name", args["repository"].rsplit("/", 1)[-1]),
            "image": ref, "entrypoint": ["/opt/venv/bin/uwsgi", "--version"], "command": [],
            "detach": False, "cleanup": True, "network_mode": "none"})
        if checked.get("failed") or checked.get("status", 0) != 0:
            # Removed, so that the next run builds it again instead of finding it.
            self._module("community.docker.docker_image_remove", {"name": ref})
            result.update(failed=True, msg="%s was built, but uWSGI does not start in it: %s" % (
                ref, (checked.get("container") or {}).get("Output") or checked.get("msg", "")))
        return result

    def _prebuilt(self, result, args):
        """An image built elsewhere (CI): pulled to the controller unless it is there, and held
        to the contract of the images this collection builds (module_utils/_context.py)."""
        ref = args["prebuilt"]
        if args.get("registry_username") and not self._task.check_mode:
            logged = self._module("community.docker.docker_login", {
                "registry_url": _context.registry_of(ref), "username": args["registry_username"],
                "password": args.get("registry_password") or ""})
            if logged.get("failed"):
                raise AnsibleActionFail("logging in to %s as %s failed: %s" % (
                    _context.registry_of(ref), args["registry_username"], logged.get("msg", "")))
        info = self._module("community.docker.docker_image_info", {"name": [ref]})
        images = info.get("images") or []
        pulled = False
        if not images:
            if self._task.check_mode:
                result.update(changed=True, msg="would pull %s" % ref)
            else:
                out = self._module("community.docker.docker_image_pull", {"name": ref})
                if out.get("failed"):
                    raise AnsibleActionFail(
                        "pyfleet_app_image is %s, which is not on the controller's engine and cannot be pulled: %s. "
                        "Push it first, or set pyfleet_registry_username and pyfleet_registry_password for a private "
                        "registry." % (ref, out.get("msg", "")))
                images, pulled = [out.get("image") or {}], True
        if images:
            missing = _context.contract_gaps(images[0])
            if missing:
                raise AnsibleActionFail(
                    "pyfleet_app_image %s lacks what the pool needs: %s. Build it with this collection "
                    "(playbooks/build.yml), or see the guide's contract for images built elsewhere." % (
                        ref, "; ".join(missing)))
        version = _context.version_of(ref)
        result.update(changed=pulled, version=version, ref=ref, context="", staged=[], built=False, pulled=pulled,
                      ansible_facts={"pyfleet_image_version": version, "pyfleet_image_ref": ref,
                                     "pyfleet_image_context": "", "pyfleet_image_bases": []})
        return result
