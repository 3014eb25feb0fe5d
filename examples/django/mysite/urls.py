from django.urls import path

from jobs import views

urlpatterns = [
    path("", views.index),
    path("healthz", views.healthz),
    path("jobs", views.jobs),
    path("ticks", views.ticks),
    path("migrations", views.migrations),
]
