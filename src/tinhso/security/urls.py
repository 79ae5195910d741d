"""Bảo mật: xác thực hai lớp, khóa đăng nhập, sự kiện bảo mật. The sign-in page itself is ``core:login``."""
from django.urls import path

from . import views

app_name = "security"
urlpatterns: list = [
    path("", views.index, name="index"),
    path("xac-thuc/", views.verify, name="verify"),
    path("hai-lop/thiet-lap/", views.enrol, name="enrol"),
    path("hai-lop/ma-khoi-phuc/", views.codes, name="codes"),
    path("hai-lop/ma-khoi-phuc/tao-lai/", views.regenerate_codes, name="regenerate-codes"),
    path("doi-mat-khau/", views.password_change, name="password-change"),
    path("su-kien/", views.events, name="events"),
]
