import importlib

import pytest

from .factories import SECRET, SECRET_ENV, lang_son_peer, local_province


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def exchange_secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)


@pytest.fixture(autouse=True)
def document_types(request):
    """The document types seeded by the documents migration, again: a transactional test's flush empties them."""
    uses_db = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if not uses_db and request.node.get_closest_marker("django_db") is None:
        return
    from django.apps import apps

    importlib.import_module("tinhso.documents.migrations.0002_document_types").seed(apps, None)


@pytest.fixture
def local(db):
    return local_province()


@pytest.fixture
def peer(local):
    return lang_son_peer()
