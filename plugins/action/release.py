# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release record of a run (documented in plugins/modules/release.py).

``step: choose`` picks the version of a rollback or a scale from what the first pool host
showed (module_utils/_release.py) and publishes it as pyfleet_image_ref; ``step: record``
builds the record every step of the rollout reads, from the version the image step,
rollback.yml or scale.yml published on the controller, and publishes it as pyfleet_release.
Both decide from data they are given and change nothing.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _release


def _tags(images):
    """The references of docker_host_info's images, newest first."""
    def created(image):
        try:
            return float(image.get("Created") or 0)
        except (TypeError, ValueError):
            return 0.0
    ordered = sorted(images or [], key=created, reverse=True)
    return [tag for image in ordered for tag in image.get("RepoTags") or []]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("step", "action", "app", "repository", "named", "engine", "history", "fleet", "batch"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args, task_vars = self._task.args, task_vars or {}
        step = args.get("step", "record")
        action = args.get("action") or "deploy"
        try:
            if step == "choose":
                engine = args.get("engine") or {}
                running = [c.get("Image", "") for c in engine.get("containers") or []]
                image = _release.choose(action, task_vars.get("inventory_hostname"), args["repository"],
                                        str(args.get("named") or ""), running, _tags(engine.get("images")),
                                        list(args.get("history") or []))
                facts = {"pyfleet_image_ref": image, "pyfleet_image_context": "", "pyfleet_image_bases": []}
                result.update(changed=False, image=image, msg="%s to %s" % (action, image), ansible_facts=facts)
                return result
            if step != "record":
                raise AnsibleActionFail("step is %r; use choose or record" % (step,))
            # What the image step, rollback.yml or scale.yml published on the controller.
            controller = (task_vars.get("hostvars") or {}).get("localhost") or {}
            release = _release.record(
                args.get("app") or "", action, str(controller.get("pyfleet_image_ref") or ""),
                controller.get("pyfleet_image_context") or "", controller.get("pyfleet_image_bases") or [],
                (args.get("fleet") or {}).get("pool") or [], args.get("batch") or "50%")
        except ValueError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result.update(changed=False, release=release, ansible_facts={"pyfleet_release": release},
                      msg="%s of %s: %s in %d batch(es)" % (action, release["app"], release["image"],
                                                            len(release["batches"])))
        return result
