"""Notes: a Flask + SQLAlchemy app on PostgreSQL, the example of an app with state.

The database comes from DATABASE_URL (the postgres accessory fills it in); the schema from
the SQL files in migrations/, applied by `python -m notes.migrate` (a release command).
"""
import os
import socket

from flask import Flask, jsonify, request
from sqlalchemy import text

from notes.db import engine

app = Flask(__name__)
VERSION = os.environ.get("NOTES_VERSION", "dev")


@app.get("/")
def index():
    with engine().connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM notes")).scalar_one()
    return f"{count} notes. This is {socket.gethostname()} ({VERSION})\n"


@app.get("/notes")
def list_notes():
    with engine().connect() as conn:
        rows = conn.execute(text("SELECT id, body FROM notes ORDER BY id")).all()
    return jsonify([{"id": row.id, "body": row.body} for row in rows])


@app.post("/notes")
def add_note():
    body = request.get_data(as_text=True)
    with engine().begin() as conn:
        note_id = conn.execute(text("INSERT INTO notes (body) VALUES (:body) RETURNING id"), {"body": body}).scalar_one()
    return jsonify({"id": note_id, "host": socket.gethostname()}), 201


@app.get("/releases")
def releases():
    """What the release commands did: each run, and each migration with when it was applied."""
    with engine().connect() as conn:
        runs = conn.execute(text("SELECT version, applied FROM release_runs ORDER BY id")).all()
        migrations = conn.execute(text("SELECT name FROM schema_migrations ORDER BY name")).all()
    return jsonify({"runs": [{"version": r.version, "applied": r.applied} for r in runs],
                    "migrations": [m.name for m in migrations]})


@app.get("/healthz")
def healthz():
    try:
        with engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # any database failure makes the member unhealthy
        return jsonify({"status": "error", "database": str(error).splitlines()[0]}), 503
    return jsonify({"status": "ok", "database": "reachable", "host": socket.gethostname()})
