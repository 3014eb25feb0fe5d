"""Apply the migrations in migrations/ that have not run yet, in name order, in one
transaction under an advisory lock (so two runs at once cannot both apply one), and record
the run in release_runs.

    python -m notes.migrate
"""
import os
import pathlib
import sys

from sqlalchemy import text

from notes.db import engine

MIGRATIONS = pathlib.Path(__file__).resolve().parent.parent / "migrations"


def main():
    with engine().begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(727274)"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS schema_migrations "
                          "(name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS release_runs (id serial PRIMARY KEY, version text NOT NULL, "
                          "applied text NOT NULL, ran_at timestamptz NOT NULL DEFAULT now())"))
        done = set(conn.execute(text("SELECT name FROM schema_migrations")).scalars())
        applied = []
        for path in sorted(MIGRATIONS.glob("*.sql")):
            if path.name in done:
                continue
            conn.exec_driver_sql(path.read_text())
            conn.execute(text("INSERT INTO schema_migrations (name) VALUES (:name)"), {"name": path.name})
            applied.append(path.name)
        conn.execute(text("INSERT INTO release_runs (version, applied) VALUES (:version, :applied)"),
                     {"version": os.environ.get("PYFLEET_RELEASE_VERSION", ""), "applied": ",".join(applied)})
    print("notes.migrate: applied %s" % (", ".join(applied) or "nothing (up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
