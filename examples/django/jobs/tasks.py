import socket

from celery import shared_task
from django.db.models import F

from .models import Job, Tick


@shared_task
def run_job(job_id):
    """Count the run, then do the work: a job run twice shows runs == 2."""
    Job.objects.filter(pk=job_id).update(runs=F("runs") + 1)
    job = Job.objects.get(pk=job_id)
    job.done_by = socket.gethostname()
    job.result = "v1:" + job.payload.upper()
    job.save(update_fields=["done_by", "result"])


@shared_task
def tick():
    Tick.objects.create(worker=socket.gethostname())
