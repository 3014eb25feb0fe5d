"""The example Django project; its Celery app loads with it, so tasks find their broker."""
from .celery import app as celery_app

__all__ = ("celery_app",)
