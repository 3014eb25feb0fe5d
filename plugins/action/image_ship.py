# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy an image archive from the controller to the host and load it into the host's engine.

The archive goes over the connection's own file transfer (no checksums before and after,
unlike ansible.builtin.copy, which doubles the cost for large archives), into the task's
remote temporary directory, is loaded by community.docker.docker_image_load and is removed
with that directory whatever happens.
"""

from __future__ import annotations

import os
import shlex

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

_DOCKER_ARGS = frozenset((
    "docker_host", "tls_hostname", "api_version", "timeout", "ca_path", "client_cert",
    "client_key", "tls", "use_ssh_client", "validate_certs",
))


class ActionModule(ActionBase):
    TRANSFERS_FILES = True
    _VALID_ARGS = frozenset(("src", "ssh_compression")) | _DOCKER_ARGS

    def _uncompressed_ssh(self):
        """Make the ssh connection copy on a fresh, uncompressed channel; return the old args.

        Ansible's default ssh_args carry -C, and a multiplexed copy inherits the master
        connection's compression: zlib then caps the copy at a few tens of MB/s. Options given
        first win in ssh, so multiplexing is switched off ahead of the user's own arguments.
        """
        if self._connection.transport not in ("ssh", "ansible.builtin.ssh"):
            return None
        try:
            original = self._connection.get_option("ssh_args") or ""
        except KeyError:
            return None
        kept = [arg for arg in shlex.split(original) if arg != "-C"]
        self._connection.set_option(
            "ssh_args", shlex.join(["-o", "ControlMaster=no", "-o", "ControlPath=none", "-o", "Compression=no"] + kept)
        )
        return original

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        src = self._task.args.get("src")
        if not src:
            raise AnsibleActionFail("src is required: the path of an image archive on the controller")
        src = os.path.expanduser(src)
        if not os.path.isfile(src):
            raise AnsibleActionFail("src %s is not a file on the controller" % src)
        result["src"] = src
        if self._task.check_mode:
            result.update(changed=True, msg="would copy and load %s" % src)
            return result

        if not self._connection._shell.tmpdir:
            self._make_tmp_path()
        try:
            remote = self._connection._shell.join_path(self._connection._shell.tmpdir, os.path.basename(src))
            original = None if self._task.args.get("ssh_compression") else self._uncompressed_ssh()
            try:
                self._transfer_file(src, remote)
            finally:
                if original is not None:
                    self._connection.set_option("ssh_args", original)
            self._fixup_perms2((self._connection._shell.tmpdir, remote))
            args = {key: value for key, value in self._task.args.items() if key in _DOCKER_ARGS}
            args["path"] = remote
            loaded = self._execute_module(
                module_name="community.docker.docker_image_load", module_args=args,
                task_vars=task_vars,
            )
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        if loaded.get("failed"):
            loaded.setdefault("msg", "loading %s failed" % src)
            return dict(result, **loaded)
        result.update(
            changed=bool(loaded.get("changed")),
            image_names=loaded.get("image_names", []),
            msg=to_text(loaded.get("msg", "")) or "loaded %s" % src,
        )
        return result
