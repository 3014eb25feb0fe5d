# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape of a value: a type from a role's argument spec, or a grammar.

``errors(checks)`` takes ``[(name, value, kind), ...]`` and returns one message per bad value,
naming the variable, the value given and what is accepted. Values that reach a shell, a
Dockerfile or a proxy config are held to a grammar with no room for anything else.
"""
from __future__ import annotations

import ipaddress
import json
import re

_SIZE = re.compile(r"^[0-9]+[bkmgBKMG]?$")
_DURATION = re.compile(r"^[0-9]+(ms|s|m|h)$")
_URL_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")
_ABS_PATH = re.compile(r"^/[^\s\x00'\"`$\\;{}]*$")
_DEB_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$")
_SPECIFIER = r"(==|>=|<=|~=|!=|<|>)[A-Za-z0-9.*+!_-]+"
_PIP_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?(%s(,%s)*)?$" % (_SPECIFIER, _SPECIFIER))
_IMAGE = re.compile(
    r"^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_URL = re.compile(r"^https?://[^\s'\"`\\]+$")
_CAPABILITY = re.compile(r"^[A-Z][A-Z_]*$")
_TMPFS = re.compile(r"^/[A-Za-z0-9._/-]*(:[A-Za-z0-9=,._-]+)?$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MS = re.compile(r"^([0-9]+)(ms|s)?$")


def is_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip()) is not None


def address_or_network(value):
    try:
        ipaddress.ip_network(str(value), strict=False)
        return True
    except ValueError:
        return False


def _text(test):
    """A string that passes `test` (a compiled pattern or a function)."""
    check = test.match if hasattr(test, "match") else test
    return lambda v: isinstance(v, str) and bool(check(v))


def _optional(test):
    """Empty, or a value that passes `test`."""
    return lambda v: v == "" or test(v)


def _env(value):
    """Names of environment variables to one-line values (strings, numbers or booleans)."""
    return isinstance(value, dict) and all(
        isinstance(k, str) and ENV_NAME.match(k) and isinstance(v, (str, int, float, bool)) and "\n" not in str(v)
        and "\x00" not in str(v) for k, v in value.items())


def _list_of(test):
    """A list (not a string) whose every element passes `test`."""
    def check(value):
        return isinstance(value, (list, tuple)) and all(test(v) for v in value)
    check.is_list = True
    return check


def milliseconds(value):
    """A duration given as "300ms", "2s" or whole seconds (2), in milliseconds; -1 when it is none."""
    if isinstance(value, bool):
        return -1
    found = _MS.match(str(value).strip())
    if not found:
        return -1
    return int(found.group(1)) * (1 if found.group(2) == "ms" else 1000)


# kind: (test, what is accepted). The first six are the argument specs' types, held to what
# the role reads (a list is a list, not a string Ansible would split at its commas); the rest
# are grammars.
KINDS = {
    "int": (is_int, "a whole number"),
    "bool": (lambda v: isinstance(v, bool) or str(v).lower() in ("true", "false", "yes", "no"), "true or false"),
    "str": (lambda v: isinstance(v, str) or (isinstance(v, (int, float)) and not isinstance(v, bool)), "a string"),
    "float": (lambda v: not isinstance(v, bool) and isinstance(v, (int, float, str)) and _is_float(v), "a number"),
    "dict": (lambda v: isinstance(v, dict), "a mapping of names to values"),
    "list": (lambda v: isinstance(v, (list, tuple)), "a list"),
    "str_list": (_list_of(_text(lambda v: True)), "a list of strings"),
    "text": (_text(lambda v: True), "a string"),
    "env": (_env, "a mapping of variable names (letters, digits, _) to one-line values"),
    "size": (lambda v: (isinstance(v, str) or is_int(v)) and _SIZE.match(str(v)) is not None,
             "a size like 512m, 64k, 1g or a number of bytes"),
    "duration": (_text(_DURATION), "a duration like 500ms, 5s, 2m or 1h"),
    "url_path": (_text(_URL_PATH), "a URL path starting with /, like /healthz"),
    "abs_path": (_text(_ABS_PATH), "an absolute path starting with /, without spaces or shell characters"),
    "opt_abs_path": (_optional(_text(_ABS_PATH)), "empty or an absolute path starting with /"),
    "commands": (_list_of(_text(str.strip)),
                 "a list of shell commands (strings), like [\"python manage.py migrate --noinput\"]"),
    "deb_packages": (_list_of(_text(_DEB_PACKAGE)),
                     "a list of Debian package names (lower-case letters, digits, + - .), optionally =version"),
    "pip_requirement": (_text(_PIP_REQUIREMENT), "a requirement like uwsgi==2.0.31 or pyuwsgi>=2.0"),
    "image": (_text(_IMAGE), "an image reference like registry.example.com:5000/name:tag"),
    "opt_image": (_optional(_text(_IMAGE)), "empty or an image reference like registry.example.com:5000/name:tag"),
    "opt_hostname": (_optional(_text(HOSTNAME)), "empty or a host name like shop.example.com"),
    "opt_url": (_optional(_text(_URL)), "empty or an http:// or https:// URL"),
    "urls": (_list_of(_text(_URL)), "a list of http:// or https:// URLs"),
    "networks": (_list_of(_text(address_or_network)), "a list of IP addresses or networks like 10.0.0.5 or 10.0.0.0/24"),
    "capabilities": (_list_of(_text(_CAPABILITY)), "a list of capability names like ALL or NET_RAW"),
    "tmpfs": (_list_of(_text(_TMPFS)), "a list of mounts like /tmp:size=64m,mode=1777"),
}


def _is_float(value):
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def show(value):
    """A value as a message shows it: JSON where it can."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def check(name, value, kind):
    """The message for `value` of variable `name` when it lacks the shape of `kind`, else None."""
    test, accepted = KINDS[kind]
    try:
        good = test(value)
    except (TypeError, ValueError, AttributeError):
        good = False
    if good:
        return None
    hint = ""
    if isinstance(value, str) and getattr(test, "is_list", False):
        hint = " (a single string is not a list: put it in [ ])"
    return "%s is %s: use %s%s." % (name, show(value), accepted, hint)


def errors(checks):
    """One message per (name, value, kind) whose value lacks its shape."""
    return [m for m in (check(*c) for c in checks) if m]


def spec_kind(option):
    """The kind an argument spec option's type gives its value (None: any value)."""
    kind = option.get("type", "str")
    if kind == "list":
        return "str_list" if option.get("elements") == "str" else "list"
    if kind == "path":
        return "str"
    return kind if kind in ("int", "bool", "str", "float", "dict") else None
