from django.contrib.auth import views as auth_views
from django.urls import path

from tinhso.security.views import login_view

from . import views

app_name = "core"

urlpatterns = [
    # Lockout, two-factor authentication and security events (tinhso.security); the page is core/login.html.
    path("dang-nhap/", login_view, name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("tai-khoan/", views.account, name="account"),
    path("co-quan/", views.agency_list, name="agencies"),
]
