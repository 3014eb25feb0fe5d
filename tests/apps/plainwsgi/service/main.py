"""A WSGI app without a framework: answers with its member name and echoes headers it got."""
import json
import socket

from markupsafe import escape

VERSION = "one"


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/ping":
        body = b"pong"
        ctype = "text/plain"
    elif path == "/headers":
        body = json.dumps({k: v for k, v in environ.items() if k.startswith("HTTP_")}).encode()
        ctype = "application/json"
    else:
        body = ("<p>%s from %s</p>" % (escape(VERSION), escape(socket.gethostname()))).encode()
        ctype = "text/html"
    start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]
