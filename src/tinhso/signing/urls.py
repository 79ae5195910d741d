"""Demo PKI endpoints; include under ``ky-so/`` (see ``views``)."""

from django.urls import path

from . import views

app_name = "signing"

urlpatterns = [
    path("crl/<str:name>.crl", views.crl, name="crl"),
    path("tsa", views.timestamp, name="tsa"),
]
