# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release record: what one run of deploy, rollback or scale rolls out, built once on
the controller and read by every step of the rollout (playbooks/rollout.yml).

``choose`` picks the version a rollback or a scale rolls out from what the first pool host
shows; ``record`` gathers the version, the image's build context and bases, and the hosts of
each batch, in one dict.
"""

from __future__ import annotations

from ansible_collections.pyfleet.wsgi.plugins.module_utils import _fleet
from ansible_collections.pyfleet.wsgi.plugins.module_utils._shapes import show

ACTIONS = ("deploy", "rollback", "scale")


def _ref(repository, named):
    return named if ":" in named else "%s:%s" % (repository, named)


def choose(action, host, repository, named, running, images, history):
    """The image reference a rollback or a scale rolls out, from the first pool host.

    ``running``: the images its members run; ``images``: the versions on it, newest first;
    ``history``: the versions rolled out there, oldest first (only successful rollouts).
    - rollback to ``named`` (a tag or a full reference) when it is on the host;
    - rollback without a name: the newest version of the history that is on the host and does
      not run, else the newest other version there;
    - scale: the last version of the history that runs (a rollout stopped half-way can leave
      two), else the newest running one.
    Raises ValueError with the message that says what to do.
    """
    on_host = list(images)
    shown = "Versions there: %s; running: %s." % (", ".join(on_host) or "none",
                                                  ", ".join(sorted(set(running))) or "nothing")
    if action == "scale":
        if not running:
            raise ValueError("No member of %s runs on %s: deploy it first (deploy.yml), then scale." % (
                repository, host))
        deployed = [v for v in history if v in running]
        return deployed[-1] if deployed else sorted(running)[-1]
    if action != "rollback":
        raise ValueError("action is %s: a version is chosen for rollback or scale" % show(action))
    if named:
        ref = _ref(repository, named)
        if ref not in on_host:
            raise ValueError("pyfleet_rollback_to is %s, but %s is not on %s. %s Name one of the versions with "
                             "pyfleet_rollback_to." % (show(named), ref, host, shown))
        return ref
    deployed = [v for v in history if v not in running and v in on_host]
    if deployed:
        return deployed[-1]
    built = [v for v in on_host if v.startswith(repository + ":") and v not in running]
    if built:
        return built[0]
    raise ValueError("No earlier version of %s is on %s. %s Name one of the versions with pyfleet_rollback_to."
                     % (repository, host, shown))


def version_of(image):
    """The tag of an image reference ("latest" without one; a registry's port is no tag)."""
    return image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else "latest"


def record(app, action, image, context, bases, pool, batch):
    """The release record of one run: what rolls out, from which build, in which batches.

    ``direction``, ``static``, ``specs``, ``stopped_by`` and ``rolled_out`` give it the shape
    of the previous record the way back runs under (module_utils/_batch.py): forward, the
    frontends serve the new version's static files and every host starts from today's
    settings (no earlier spec to restore)."""
    if action not in ACTIONS:
        raise ValueError("pyfleet_rollout_action is %s: use one of %s" % (show(action), ", ".join(ACTIONS)))
    if not image:
        raise ValueError("no version to roll out: the image step, rollback.yml or scale.yml names it "
                         "(pyfleet_image_ref on the controller)")
    return {
        "app": app,
        "action": action,
        "image": image,
        "version": version_of(image),
        "context": context or "",
        "bases": list(bases or []),
        "batches": _fleet.rollout_batches(pool, batch),
        # The way forward; the way back is a record of the same shape (module_utils/_batch.py).
        "direction": "forward",
        "static": image,
        "specs": {},
        "stopped_by": [],
        "rolled_out": image,
    }
