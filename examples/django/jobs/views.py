import socket

from django.db import connection
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import Job, Tick
from .tasks import run_job


def index(request):
    return HttpResponse(
        '<!doctype html><link rel="stylesheet" href="/static/jobs/site.css">'
        "<p>Hello from Django on %s</p>\n" % socket.gethostname())


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "host": socket.gethostname()})


@csrf_exempt
def jobs(request):
    """POST queues a job (body: the payload); GET counts them by how often they ran."""
    if request.method == "POST":
        job = Job.objects.create(payload=request.body.decode()[:200] or "job")
        run_job.delay(job.pk)
        return JsonResponse({"id": job.pk}, status=201)
    by_runs = {str(row["runs"]): row["n"] for row in Job.objects.values("runs").annotate(n=Count("id"))}
    results = sorted({j.result.split(":")[0] for j in Job.objects.exclude(result="")})
    return JsonResponse({"total": Job.objects.count(), "by_runs": by_runs, "versions": results})


def ticks(request):
    """The periodic task's runs: how many, and the shortest gap between two."""
    times = list(Tick.objects.order_by("at").values_list("at", flat=True))
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    return JsonResponse({"count": len(times), "min_gap": min(gaps) if gaps else None,
                         "max_gap": max(gaps) if gaps else None})


def migrations(request):
    """The migrations applied to the database, each with how many times it is recorded."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name, count(*) FROM django_migrations WHERE app = 'jobs' GROUP BY app, name ORDER BY name")
        rows = cursor.fetchall()
    return JsonResponse({"applied": {name: count for _app, name, count in rows}})
