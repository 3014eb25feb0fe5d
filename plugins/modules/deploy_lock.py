#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Take or give back an app's deploy lock: a directory on one host, taken atomically."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: deploy_lock
short_description: Take or give back an app's deploy lock on one host
description:
  - The lock is the directory O(path) with a C(holder) file (who, what, since when) and a C(token)
    file. Taking it creates the directory; of two runs, exactly one succeeds.
  - Every step runs under an exclusive C(flock) on C(<path>.mutex), so two runs that both find an
    expired lock cannot both take it over; the second finds the first one's fresh lock and stops,
    naming its holder.
  - Giving the lock back removes it only when it holds O(token), so a run never frees a lock that
    another run took over.
  - Taking and giving back the lock are bookkeeping, not changes of the host, and report
    C(changed=false).
version_added: 0.4.0
author: pyfleet maintainers (@pyfleet)
options:
  path:
    description: The lock directory.
    type: path
    required: true
  state:
    description: C(present) takes the lock, C(absent) gives it back.
    type: str
    choices: [present, absent]
    default: present
  holder:
    description: Who takes the lock and for what, shown to a run that finds it held.
    type: str
    default: ""
  expiry:
    description: Seconds after which a lock left behind is taken over; 0 takes it over at once.
    type: int
    default: 3600
  token:
    description: With O(state=absent), the token the lock was taken with.
    type: str
    default: ""
  stale_holder:
    description:
      - A holder whose lock counts as expired whatever its age, for a caller that knows it was
        left behind (the frontend action, for a process of its own controller that no longer
        runs). Compared under the mutex, so a lock another run took in between is never taken.
    type: str
    default: ""
  app:
    description: The app's name, for messages.
    type: str
    default: app
attributes:
  check_mode:
    support: full
    description: Reports whether the lock could be taken, and takes nothing.
  diff_mode:
    support: none
    description: The lock is bookkeeping, not configuration.
"""

EXAMPLES = r"""
- name: Take the deploy lock
  pyfleet.wsgi.deploy_lock:
    path: /etc/pyfleet/shop/deploy.lock
    holder: ops@laptop, rolling out shop:0123456789ab
  register: lock

- name: Give it back
  pyfleet.wsgi.deploy_lock:
    path: /etc/pyfleet/shop/deploy.lock
    state: absent
    token: "{{ lock.token }}"
"""

RETURN = r"""
holder:
  description: When the lock is held by another run, its holder.
  type: str
  returned: failure
token:
  description: The token of the lock this run holds (empty when it holds none).
  type: str
  returned: always
taken_over:
  description: The holder of an expired lock this run took over, else empty.
  type: str
  returned: always
released:
  description: Whether the lock was given back.
  type: bool
  returned: always
"""

import fcntl
import os
import shutil
import time
import uuid

from ansible.module_utils.basic import AnsibleModule


def _read(path, name):
    try:
        with open(os.path.join(path, name)) as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _age(path, now):
    try:
        return now - os.stat(path).st_mtime
    except OSError:
        return None


def take(path, holder, expiry, now=None, token=None, check=False, stale_holder=""):
    """Take the lock at `path`; return (token, taken_over) or raise LockHeld. Call under the mutex.
    A lock held by exactly `stale_holder` counts as expired, whatever its age."""
    now = time.time() if now is None else now
    token = token or uuid.uuid4().hex
    taken_over = ""
    age = _age(path, now)
    if age is not None:
        current = _read(path, "holder") or "holder unknown"
        if age < expiry and not (stale_holder and current == stale_holder):
            raise LockHeld(current, age)
        taken_over = current
        if not check:
            shutil.rmtree(path, ignore_errors=True)
    if check:
        return "", taken_over
    os.mkdir(path, 0o755)
    for name, text in (("holder", holder), ("token", token)):
        with open(os.path.join(path, name), "w") as handle:
            handle.write(text + "\n")
    return token, taken_over


def release(path, token):
    """Remove the lock if it holds `token`; return whether it did. Call under the mutex."""
    if not os.path.isdir(path):
        return False
    if _read(path, "token") != token:
        return False
    shutil.rmtree(path, ignore_errors=True)
    return True


class LockHeld(Exception):
    def __init__(self, holder, age):
        Exception.__init__(self, holder)
        self.holder = holder
        self.age = age


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            holder=dict(type="str", default=""),
            expiry=dict(type="int", default=3600),
            token=dict(type="str", default="", no_log=False),
            stale_holder=dict(type="str", default=""),
            app=dict(type="str", default="app"),
        ),
        required_if=[("state", "absent", ("token",))],
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"].rstrip("/")
    parent = os.path.dirname(path)
    result = dict(changed=False, token="", taken_over="", released=False)
    if not os.path.isdir(parent):
        if params["state"] == "absent" or module.check_mode:
            module.exit_json(**result)
        os.makedirs(parent, 0o755)
    with open(path + ".mutex", "a") as mutex:
        fcntl.flock(mutex, fcntl.LOCK_EX)
        try:
            if params["state"] == "absent":
                if not module.check_mode:
                    result["released"] = release(path, params["token"])
                module.exit_json(**result)
            try:
                token, taken_over = take(path, params["holder"], params["expiry"], check=module.check_mode,
                                         stale_holder=params["stale_holder"])
            except LockHeld as held:
                module.fail_json(
                    msg="Another rollout of %s holds the deploy lock %s (%s, %d s ago); nothing was changed. "
                        "Wait until it ends. A lock left behind by an interrupted run expires after "
                        "pyfleet_pool_lock_expiry (%d s); to take it over now, run again with -e pyfleet_pool_lock_expiry=0."
                        % (params["app"], path, held.holder, int(held.age), params["expiry"]),
                    holder=held.holder, **result)
            result.update(token=token, taken_over=taken_over)
        finally:
            fcntl.flock(mutex, fcntl.LOCK_UN)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
