"""Online payment pages, under ``/thanh-toan/`` (namespace ``payments``)."""

from django.urls import path

from . import views, views_sandbox

app_name = "payments"
urlpatterns = [
    path("ho-so/<int:pk>/thanh-toan/", views.start, name="start"),
    path("ho-so/<int:pk>/yeu-cau-nop-phi/", views.request_fee, name="request-fee"),
    path("ho-so/<int:pk>/mien-phi/", views.waive, name="waive"),
    path("ket-qua/<slug:provider>/", views.return_view, name="return"),
    path("don-hang/<str:order_ref>/", views.order, name="order"),
    path("bien-lai/<str:order_ref>.pdf", views.receipt, name="receipt"),
    path("doi-soat/", views.reconciliation, name="reconciliation"),
    path("doi-soat/csv/", views.reconciliation_csv, name="reconciliation-csv"),
    # The sandbox gateway (the bank's side): 404 unless TINHSO["PAYMENT"]["SANDBOX_ENABLED"].
    path("sandbox/thanh-toan/", views_sandbox.pay, name="sandbox-pay"),
    path("sandbox/doi-soat.csv", views_sandbox.settlement, name="sandbox-settlement"),
]
