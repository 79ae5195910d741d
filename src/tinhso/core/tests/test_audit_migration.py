"""Migration 0003 chains the audit rows that existed before the chain, in id order, and the chain then goes on."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tinhso.core import audit, services
from tinhso.core.models import AuditEvent

BEFORE = [("core", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def executor_leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_chained_in_id_order():
    old_apps = _migrate(BEFORE)
    try:
        OldEvent = old_apps.get_model("core", "AuditEvent")
        for i in range(3):
            OldEvent.objects.create(action=f"old.{i}", actor_label="hệ thống", summary=f"cũ {i}",
                                    data={"i": i, "t": (1, 2)})
        # a row whose time is earlier than its id's order: the chain follows ids
        OldEvent.objects.filter(action="old.2").update(at=datetime(2020, 1, 1, tzinfo=UTC))
    finally:
        _migrate(executor_leaves())
    rows = list(AuditEvent.objects.order_by("seq").values_list("action", "seq"))
    assert rows == [("old.0", 1), ("old.1", 2), ("old.2", 3)]
    assert audit.verify().ok
    services.record("new.after_migration")
    report = audit.verify()
    assert report.ok and report.rows == 4 and report.head["seq"] == 4
