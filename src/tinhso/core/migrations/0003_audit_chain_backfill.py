# Chain the audit rows written before the chain existed, in id order (core/audit.py defines the hash).

from django.db import migrations

BATCH = 1000


def chain_existing_rows(apps, schema_editor):
    from tinhso.core.audit import CONTENT_FIELDS, GENESIS, normalise_data, row_hash

    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    db = schema_editor.connection.alias
    seq, prev_hash, batch = 0, GENESIS, []
    for event in AuditEvent.objects.using(db).order_by("id").iterator(chunk_size=BATCH):
        seq += 1
        event.seq, event.prev_hash = seq, prev_hash
        event.data = normalise_data(event.data)
        event.hash = prev_hash = row_hash({"seq": seq, "prev_hash": event.prev_hash,
                                           **{name: getattr(event, name) for name in CONTENT_FIELDS}})
        batch.append(event)
        if len(batch) >= BATCH:
            AuditEvent.objects.using(db).bulk_update(batch, ["seq", "prev_hash", "hash", "data"])
            batch = []
    if batch:
        AuditEvent.objects.using(db).bulk_update(batch, ["seq", "prev_hash", "hash", "data"])
    AuditChainHead.objects.using(db).update_or_create(pk=1, defaults={"seq": seq, "hash": prev_hash})


def unchain(apps, schema_editor):
    apps.get_model("core", "AuditChainHead").objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_audit_chain_fields"),
    ]

    operations = [
        migrations.RunPython(chain_existing_rows, unchain),
    ]
