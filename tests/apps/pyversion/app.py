"""Answers with the Python version that runs it (no dependencies)."""
import platform


def application(environ, start_response):
    body = ("Python %s\n" % platform.python_version()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
