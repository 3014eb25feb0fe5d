#!/usr/bin/python
# Copyright: pyfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: http_probe
author: pyfleet maintainers (@pyfleet)
short_description: Send a bounded series of HTTP requests and count who answered
description:
  - Sends O(count) requests to O(url), one connection each, and returns how many got each
    status code and how many each upstream member served, read from the O(member_header)
    response header.
  - Read-only on the target; it never changes anything, so it runs the same in check mode.
  - Uses only the Python standard library on the host that runs it.
options:
  url:
    description: URL to request.
    type: str
    required: true
  count:
    description: Number of requests; bounded to 1..100000.
    type: int
    default: 100
  method:
    description: HTTP method.
    type: str
    default: GET
  body:
    description: Request body, sent with every request.
    type: str
  headers:
    description: Extra request headers.
    type: dict
    default: {}
  member_header:
    description: Response header that names the upstream member that answered.
    type: str
    default: X-Pyfleet-Member
  member_regex:
    description:
      - Regular expression searched in each response body; its first group names the member
        that answered, instead of O(member_header).
    type: str
  timeout:
    description: Timeout of each request in seconds.
    type: float
    default: 5
  deadline:
    description: Stop after this many seconds even when O(count) requests have not been sent.
    type: float
    default: 120
  ca_path:
    description: CA bundle to verify HTTPS servers with; the system store when omitted.
    type: path
  validate_certs:
    description: Verify HTTPS certificates.
    type: bool
    default: true
  host:
    description:
      - Host name the requests name (the C(Host) header and, over HTTPS, the TLS server name and
        the name the certificate must carry), while they go to the URL's address. For apps that
        answer only their own names.
    type: str
attributes:
  check_mode:
    support: full
    description: Probing changes nothing, so it runs in check mode too.
  diff_mode:
    support: none
    description: There is nothing to show a difference of.
"""

EXAMPLES = r"""
- name: Send 200 requests through the frontend
  pyfleet.wsgi.http_probe:
    url: http://127.0.0.1:8080/
    count: 200
  register: probe

- name: Every response was a success
  ansible.builtin.assert:
    that: probe.failed_requests == 0
"""

RETURN = r"""
sent:
  description: Requests sent.
  type: int
  returned: always
statuses:
  description: Status code (as a string, V(error) for no response) to number of responses.
  type: dict
  returned: always
members:
  description: >-
    Value of O(member_header) (last hop when several), or the first group of O(member_regex),
    to number of responses.
  type: dict
  returned: always
failed_requests:
  description: Responses with status 400 or more, or no response at all.
  type: int
  returned: always
errors:
  description: Up to 10 distinct error messages.
  type: list
  elements: str
  returned: always
elapsed:
  description: Seconds the whole probe took.
  type: float
  returned: always
"""

import http.client
import re
import ssl
import time
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule


class _NamedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the URL's address, with another name in SNI and certificate checks."""

    def __init__(self, address, port, server_name, **kwargs):
        http.client.HTTPSConnection.__init__(self, address, port, **kwargs)
        self._server_name = server_name

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_name)


def _connection(parts, timeout, context, host=None):
    if parts.scheme == "https":
        if host:
            return _NamedHTTPSConnection(parts.hostname, parts.port or 443, host, timeout=timeout, context=context)
        return http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=context)
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)


def probe(url, count, method="GET", body=None, headers=None, member_header="X-Pyfleet-Member",
          timeout=5.0, deadline=120.0, context=None, member_regex=None, host=None):
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    statuses, members, errors = {}, {}, []
    failed = sent = 0
    started = time.monotonic()
    payload = body.encode("utf-8") if body is not None else None
    for _attempt in range(count):
        if time.monotonic() - started > deadline:
            break
        sent += 1
        conn = _connection(parts, timeout, context, host)
        try:
            sent_headers = dict(headers or {})
            if host:
                sent_headers["Host"] = host + (":%d" % parts.port if parts.port else "")
            conn.request(method, target, body=payload, headers=sent_headers)
            response = conn.getresponse()
            content = response.read()
            key = str(response.status)
            if member_regex:
                found = re.search(member_regex, content.decode("utf-8", "replace"))
                member = found.group(1) if found else None
            else:
                member = response.getheader(member_header)
            if member:
                last = member.split(",")[-1].strip()
                members[last] = members.get(last, 0) + 1
            if response.status >= 400:
                failed += 1
        except (OSError, http.client.HTTPException) as exc:
            key = "error"
            failed += 1
            message = "%s: %s" % (type(exc).__name__, exc)
            if message not in errors and len(errors) < 10:
                errors.append(message)
        finally:
            conn.close()
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "sent": sent,
        "statuses": statuses,
        "members": members,
        "failed_requests": failed,
        "errors": errors,
        "elapsed": round(time.monotonic() - started, 3),
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            count=dict(type="int", default=100),
            method=dict(type="str", default="GET"),
            body=dict(type="str"),
            headers=dict(type="dict", default={}),
            member_header=dict(type="str", default="X-Pyfleet-Member"),
            member_regex=dict(type="str"),
            timeout=dict(type="float", default=5.0),
            deadline=dict(type="float", default=120.0),
            ca_path=dict(type="path"),
            validate_certs=dict(type="bool", default=True),
            host=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not 1 <= params["count"] <= 100000:
        module.fail_json(msg="count must be within 1..100000, got %s" % params["count"])
    if urlsplit(params["url"]).scheme not in ("http", "https"):
        module.fail_json(msg="url must be http:// or https://, got %s" % params["url"])
    context = None
    if params["url"].startswith("https"):
        context = ssl.create_default_context(cafile=params["ca_path"])
        if not params["validate_certs"]:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    result = probe(
        params["url"], params["count"], params["method"], params["body"], params["headers"],
        params["member_header"], params["timeout"], params["deadline"], context,
        params["member_regex"], params["host"],
    )
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
