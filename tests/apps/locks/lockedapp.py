"""Answers with the versions of the locked packages the image holds."""
from importlib.metadata import version


def app(environ, start_response):
    body = ("python-dateutil=%s six=%s\n" % (version("python-dateutil"), version("six"))).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
