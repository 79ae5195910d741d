"""Pages of the document office, under ``/van-ban/`` (namespace ``documents``)."""

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.index, name="index"),
    path("vao-so/", views.register_incoming, name="register-incoming"),
    path("vao-so/goi-y/", views.suggest_classification, name="suggest"),
    path("soan-thao/", views.create_draft, name="create-draft"),
    path("so/", views.register_book, name="register"),
    path("so/csv/", views.register_csv, name="register-csv"),
    path("<int:pk>/", views.document_page, name="document"),
    path("<int:pk>/thao-tac/<slug:action>/", views.document_action, name="action"),
    path("<int:pk>/tep/<int:file_pk>/", views.file_download, name="file"),
]
