from django.contrib import admin
from django.urls import include, path

from .api import api
from .views import home

admin.site.site_header = "Tỉnh Số — Quản trị cấu hình"
admin.site.site_title = "Tỉnh Số"
admin.site.index_title = "Cấu hình hệ thống"

urlpatterns = [
    path("quan-tri/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("thu-tuc/", include("tinhso.catalog.urls")),
    path("ky-so/", include("tinhso.signing.urls")),
    path("van-ban/", include("tinhso.documents.urls")),
    path("lien-thong/", include("tinhso.exchange.urls")),
    path("thanh-toan/", include("tinhso.payments.urls")),
    path("phan-anh/", include("tinhso.feedback.urls")),
    path("thong-ke/", include("tinhso.reporting.urls")),
    path("bao-mat/", include("tinhso.security.urls")),
    path("", home, name="home"),
    path("", include("tinhso.onestop.urls")),
    path("", include("tinhso.core.urls")),
]
