# Every audit row now has its number; on PostgreSQL the table refuses UPDATE and DELETE (and the chain head DELETE)
# whoever sends them. SQLite has no such trigger: the model and the admin refuse, `tinhso audit verify` detects.

from django.db import migrations, models

TRIGGERS = """
CREATE OR REPLACE FUNCTION tinhso_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tinhso: % on % refused: the audit log is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION tinhso_audit_append_only();
CREATE TRIGGER core_auditchainhead_keep BEFORE DELETE ON core_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION tinhso_audit_append_only();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS core_auditchainhead_keep ON core_auditchainhead;
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS tinhso_audit_append_only();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_audit_chain_backfill"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(editable=False, unique=True, verbose_name="số thứ tự"),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
