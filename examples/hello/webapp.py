"""The demo app: answers with the name of the container that served the request."""
import socket

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return f"Hello, World! This is {socket.gethostname()}\n"


@app.get("/healthz")
def healthz():
    return {"status": "ok", "host": socket.gethostname()}


@app.post("/echo")
def echo():
    from flask import request

    return {"host": socket.gethostname(), "bytes": len(request.get_data())}
