"""Staff pages, under ``/can-bo/`` (namespace ``onestop``)."""

from django.urls import path

from . import views_forms
from . import views_staff as views

urlpatterns = [
    path("", views.inbox, name="staff-inbox"),
    path("giao-ho-so/", views.bulk_assign, name="staff-bulk-assign"),
    path("ho-so/<int:pk>/", views.dossier_page, name="staff-dossier"),
    path("ho-so/<int:pk>/thao-tac/<slug:action>/", views.dossier_action, name="staff-action"),
    path("ho-so/<int:pk>/tep/<int:attachment_pk>/", views.attachment_download, name="staff-attachment"),
    path("ho-so/<int:pk>/bieu-mau/<slug:slug>.pdf", views_forms.dossier_form, name="staff-form"),
    path("tiep-nhan-truc-tiep/", views.register, name="staff-register"),
    path("so-theo-doi/", views.book, name="staff-book"),
    path("so-theo-doi/excel/", views.book_xlsx, name="staff-book-xlsx"),
    path("so-theo-doi/pdf/", views.book_pdf, name="staff-book-pdf"),
]
