from django.db import models


class Job(models.Model):
    """A job queued through the web and done by a worker; runs counts how often it ran."""

    created = models.DateTimeField(auto_now_add=True)
    payload = models.CharField(max_length=200)
    runs = models.IntegerField(default=0)
    done_by = models.CharField(max_length=200, blank=True)
    result = models.CharField(max_length=200, blank=True)


class Tick(models.Model):
    """One run of the periodic task (celery beat), with the scheduler host that sent it."""

    at = models.DateTimeField(auto_now_add=True)
    worker = models.CharField(max_length=200)
