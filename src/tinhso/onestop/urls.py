from django.urls import include, path

app_name = "onestop"

urlpatterns = [
    path("can-bo/", include("tinhso.onestop.urls_staff")),
    path("", include("tinhso.onestop.urls_citizen")),
]
