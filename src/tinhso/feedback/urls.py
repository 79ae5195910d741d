"""Pages under ``/phan-anh/`` (namespace ``feedback``)."""

from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("", views.index, name="index"),
    path("gui/", views.submit, name="submit"),
    path("da-gui/", views.sent, name="sent"),
    path("tra-cuu/", views.lookup, name="lookup"),
    path("tra-cuu/bo-sung/", views.supplement, name="supplement"),
    path("cua-toi/", views.mine, name="mine"),
    path("cong-khai/<str:code>/", views.published_detail, name="published"),
    path("cong-khai/<str:code>/y-kien/", views.vote, name="vote"),
    path("danh-gia/ho-so/<int:pk>/", views.rate_account, name="rate-account"),
    path("danh-gia/tra-cuu/", views.rate_lookup, name="rate-lookup"),
    path("kiosk/", views.kiosk, name="kiosk"),
    path("kiosk/danh-gia/", views.kiosk_rate, name="kiosk-rate"),
    path("kiosk/ho-so/<int:pk>/", views.kiosk_dossier, name="kiosk-dossier"),
    path("kiosk/cam-on/", views.kiosk_thanks, name="kiosk-thanks"),
    path("can-bo/", views.staff_inbox, name="staff-inbox"),
    path("can-bo/<int:pk>/", views.staff_petition, name="staff-petition"),
    path("can-bo/<int:pk>/<slug:action>/", views.staff_action, name="staff-action"),
]
