"""A WSGI app that answers only its own host name, as Django does with ALLOWED_HOSTS and
DEBUG off: any other Host (localhost, an address) gets 400."""
import os
import socket

ALLOWED = os.environ["ALLOWED_HOST"]


def application(environ, start_response):
    host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0] if "]" not in environ.get("HTTP_HOST", "") else ""
    if host != ALLOWED:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [("Bad Request (400): invalid HTTP_HOST header %r\n" % host).encode()]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("Hello, %s! This is %s\n" % (host, socket.gethostname())).encode()]
