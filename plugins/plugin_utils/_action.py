# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's action plugins share: running a module on the task's host, and
rendering a template with the play's variables on the controller."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class PyfleetAction(ActionBase):
    """An action that decides in Python and acts through modules (community.docker's, mostly)."""

    _vars = None

    def _module(self, name, args):
        """Run module `name` on the task's host; its result, without the echo of its arguments."""
        out = self._execute_module(module_name=name, module_args=args, task_vars=self._vars)
        out.pop("invocation", None)
        return out

    def _render(self, template, values):
        """`template` (a path on the controller) rendered with the task's variables and `values`."""
        lookup = self._shared_loader_obj.lookup_loader.get("ansible.builtin.template", loader=self._loader,
                                                           templar=self._templar)
        return lookup.run([template], variables=self._vars, template_vars=values)[0]
