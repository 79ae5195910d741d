"""A trigram index (pg_trgm, GIN) on the folded search text, so that ``search_text LIKE '%…%'`` — what
``queries.search`` asks for each word — is answered from the index instead of reading every document.

PostgreSQL only (SQLite keeps scanning). Built ``CONCURRENTLY`` so that upgrading a large database does not stop the
registers; without the right to create the extension (pg_trgm is a trusted extension: the database owner may) the
index is skipped with a warning and search still works, by scanning."""

import logging

from django.db import DatabaseError, migrations

logger = logging.getLogger(__name__)

CREATE_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
CREATE_INDEX = ("CREATE INDEX IF NOT EXISTS document_search_trgm ON documents_document "
                "USING gin (search_text gin_trgm_ops)")
CREATE_INDEX_CONCURRENTLY = CREATE_INDEX.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY", 1)
DROP_INDEX = "DROP INDEX IF EXISTS document_search_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            cursor.execute(CREATE_EXTENSION)
        except DatabaseError as exc:
            logger.warning("pg_trgm not available (%s): documents are searched without a trigram index", exc)
            return
        cursor.execute(CREATE_INDEX_CONCURRENTLY)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP_INDEX)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("documents", "0004_sectors_legal_types")]

    operations = [migrations.RunPython(forwards, backwards)]
