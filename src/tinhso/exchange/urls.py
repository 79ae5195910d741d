"""The exchange under ``/lien-thong/`` (namespace ``exchange``): the endpoint other platforms post edXML packages to,
and the sender clerk's recall and update of a document sent through the exchange."""

from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("goi-tin/", views.receive, name="receive"),
    path("van-ban/<int:pk>/thu-hoi/", views.recall, name="recall"),
    path("van-ban/<int:pk>/cap-nhat/", views.update, name="update"),
]
