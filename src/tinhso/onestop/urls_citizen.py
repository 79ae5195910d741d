"""Applicants' pages (online submission, my dossiers) and the public lookup, mounted at the site root."""

from django.urls import path

from . import views_citizen as views

urlpatterns = [
    path("nop-ho-so/<str:procedure_code>/", views.start, name="citizen-start"),
    path("ho-so-cua-toi/", views.dossier_list, name="citizen-list"),
    path("ho-so-cua-toi/<int:pk>/", views.dossier_page, name="citizen-dossier"),
    path("ho-so-cua-toi/<int:pk>/giay-to/<int:item_pk>/tai-len/", views.upload, name="citizen-upload"),
    path("ho-so-cua-toi/<int:pk>/giay-to/<int:item_pk>/dung-kho/", views.use_store, name="citizen-use-store"),
    path("ho-so-cua-toi/<int:pk>/tep/<int:attachment_pk>/xoa/", views.remove, name="citizen-remove"),
    path("ho-so-cua-toi/<int:pk>/tep/<int:attachment_pk>/", views.download, name="citizen-download"),
    path("ho-so-cua-toi/<int:pk>/nop/", views.submit, name="citizen-submit"),
    path("ho-so-cua-toi/<int:pk>/bo-sung/", views.supplement, name="citizen-supplement"),
    path("ho-so-cua-toi/<int:pk>/rut-ho-so/", views.withdraw, name="citizen-withdraw"),
    path("ho-so-cua-toi/<int:pk>/giay-hen.pdf", views.receipt, name="citizen-receipt"),
    path("kho-giay-to/", views.store, name="citizen-store"),
    path("kho-giay-to/<int:document_pk>/tai-ve/", views.store_download, name="citizen-store-download"),
    path("kho-giay-to/<int:document_pk>/xoa/", views.store_hide, name="citizen-store-hide"),
    path("tra-cuu/", views.lookup, name="lookup"),
]
