"""One SQLAlchemy engine per process, from DATABASE_URL."""
import functools
import os

from sqlalchemy import create_engine


@functools.cache
def engine():
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_size=4, max_overflow=4, pool_pre_ping=True)
