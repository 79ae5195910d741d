from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("", views.public, name="public"),
    path("du-lieu.csv", views.public_download, {"fmt": "csv"}, name="public-csv"),
    path("du-lieu.json", views.public_download, {"fmt": "json"}, name="public-json"),
    path("chi-so-766/", views.scoreboard, name="scoreboard"),
    path("chi-so-766/<str:indicator>/", views.drilldown, name="drilldown"),
    path("lanh-dao/", views.dashboard, name="dashboard"),
]
