"""The tamper-evident audit log (core/audit.py): the chain written by ``services.record``, and ``tinhso audit verify``
naming rows modified, inserted or deleted behind the application's back (raw SQL, as a database user could)."""

import json
import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from tinhso.core import audit, services
from tinhso.core.models import AuditChainHead, AuditEvent, AuditLogImmutable, User

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="PostgreSQL only: the append-only trigger exists only there")


def _events(n: int) -> list[AuditEvent]:
    """``n`` events with the kinds of data services write (Vietnamese text, nested JSON, numbers, tuples)."""
    out = []
    for i in range(1, n + 1):
        out.append(services.record(f"test.step{i}", summary=f"Bước {i}: tiếp nhận hồ sơ “Đăng ký khai sinh”",
                                   data={"i": i, "ratio": i / 3, "big": 1e20, "tags": ("a", "đ"), 7: None,
                                         "nested": {"ok": True, "list": [1, 2.5, "x"]}}))
    return out


def _tamper(sql: str, params: list | tuple = ()) -> None:
    """Run SQL as someone with direct database access. PostgreSQL: as a superuser who switches the table's
    append-only trigger off for this transaction (``session_replication_role = replica``)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def _forge(seq: int, prev_hash: str, action: str = "forged.approval") -> AuditEvent:
    """A row made by someone who knows the (public) hash algorithm, inserted directly."""
    event = AuditEvent(seq=seq, prev_hash=prev_hash, action=action, actor_label="kẻ giả mạo", summary="Phê duyệt")
    event.hash = audit.row_hash({"seq": seq, "prev_hash": prev_hash,
                                 **{name: getattr(event, name) for name in audit.CONTENT_FIELDS}})
    event.save(force_insert=True)
    return event


def _renumber_from(seq: int, by: int) -> None:
    """Shift ``seq`` of the rows from ``seq`` on (one row at a time, so the unique index never sees a duplicate)."""
    rows = AuditEvent.objects.filter(seq__gte=seq).order_by("-seq" if by > 0 else "seq").values_list("id", "seq")
    for pk, number in list(rows):
        _tamper("UPDATE core_auditevent SET seq = %s WHERE id = %s", [number + by, pk])


# --- writing ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_records_form_a_gapless_chain_that_verifies():
    events = _events(5)
    rows = list(AuditEvent.objects.order_by("seq").values("seq", "prev_hash", "hash", "data"))
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["prev_hash"] == audit.GENESIS
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, 5))
    assert rows[0]["data"]["tags"] == ["a", "đ"] and rows[0]["data"]["7"] is None  # stored as read back
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (5, events[-1].hash)

    report = audit.verify()
    assert report.ok, report.to_json()
    assert report.rows == 5 and report.head == {"seq": 5, "hash": events[-1].hash}


@pytest.mark.django_db
def test_the_hash_covers_every_content_column_and_the_link():
    event = _events(1)[0]
    row = AuditEvent.objects.values("seq", "prev_hash", *audit.CONTENT_FIELDS).get(pk=event.pk)
    assert audit.row_hash(row) == event.hash
    for name, other in [("summary", "khác"), ("actor_label", "người khác"), ("action", "x"), ("ip", "10.0.0.1"),
                        ("data", {"i": 2}), ("seq", 2), ("prev_hash", "1" * 64), ("agency_id", 1)]:
        assert audit.row_hash({**row, name: other}) != event.hash, name


@pytest.mark.django_db
def test_the_model_refuses_changes_and_deletes():
    event = _events(1)[0]
    event.summary = "sửa"
    with pytest.raises(AuditLogImmutable, match="không được sửa"):
        event.save()
    with pytest.raises(AuditLogImmutable, match="không được xóa"):
        event.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(summary="sửa")
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditLogImmutable, match="record"):
        AuditEvent.objects.create(action="unchained")
    assert AuditEvent.objects.get(pk=event.pk).summary.startswith("Bước 1")


@pytest.mark.django_db
def test_a_person_named_in_the_log_cannot_be_deleted():
    user = User.objects.create_user(username="canbo", password="x" * 12, full_name="Cán Bộ")
    services.record("test.by_user", actor=user)
    with pytest.raises(ProtectedError):
        user.delete()


@pytest.mark.django_db
def test_the_admin_is_read_only(admin_client):
    event = _events(1)[0]
    assert admin_client.get("/quan-tri/core/auditevent/").status_code == 200
    page = admin_client.get(f"/quan-tri/core/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin_client.post(f"/quan-tri/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@on_postgresql
@pytest.mark.django_db
def test_postgresql_refuses_update_and_delete_whoever_asks():
    event = _events(1)[0]
    with connection.cursor() as cursor:
        for sql in ("UPDATE core_auditevent SET summary = 'x' WHERE id = %s",
                    "DELETE FROM core_auditevent WHERE id = %s"):
            with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
                cursor.execute(sql, [event.pk])
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            cursor.execute("DELETE FROM core_auditchainhead")
    assert AuditEvent.objects.get(pk=event.pk).summary.startswith("Bước 1")


# --- detecting tampering ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_modified_row_is_named():
    events = _events(5)
    _tamper("UPDATE core_auditevent SET summary = %s WHERE id = %s", ["Không tiếp nhận", events[2].pk])
    report = audit.verify()
    assert not report.ok and report.problem_count == 1
    first = report.problems[0]
    assert (first.kind, first.id, first.seq, first.action) == ("modified", events[2].pk, 3, "test.step3")
    assert f"id {events[2].pk}" in first.message and "đã bị sửa" in first.message


@pytest.mark.django_db
def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link():
    events = _events(4)
    row = AuditEvent.objects.values("seq", "prev_hash", *audit.CONTENT_FIELDS).get(pk=events[1].pk)
    new_hash = audit.row_hash({**row, "summary": "đã sửa"})
    _tamper("UPDATE core_auditevent SET summary = %s, hash = %s WHERE id = %s", ["đã sửa", new_hash, events[1].pk])
    report = audit.verify()
    assert [(p.kind, p.id) for p in report.problems] == [("broken_link", events[2].pk)]
    assert report.problems[0].detail["previous_id"] == events[1].pk


@pytest.mark.django_db
def test_a_deleted_row_leaves_a_named_gap():
    events = _events(5)
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    report = audit.verify()
    assert not report.ok and report.problem_count == 1
    gap = report.problems[0]
    assert gap.kind == "deleted"
    assert (gap.detail["missing_from"], gap.detail["missing_to"]) == (3, 3)
    assert (gap.detail["after_id"], gap.detail["before_id"]) == (events[1].pk, events[3].pk)
    assert "số 3" in gap.message


@pytest.mark.django_db
def test_deleting_the_newest_rows_shows_against_the_head():
    events = _events(5)
    _tamper("DELETE FROM core_auditevent WHERE seq >= 4")
    report = audit.verify()
    assert [(p.kind, p.detail.get("missing_from"), p.detail.get("missing_to")) for p in report.problems] == [
        ("deleted", 4, 5)]
    assert report.problems[0].detail["after_id"] == events[2].pk


@pytest.mark.django_db
def test_deleting_a_row_and_renumbering_the_rest_is_detected():
    events = _events(5)
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    _renumber_from(3, -1)
    _tamper("UPDATE core_auditchainhead SET seq = 4")
    report = audit.verify()
    assert not report.ok
    assert report.problems[0].id == events[2].pk and report.problems[0].kind in ("modified", "broken_link")
    assert any(p.kind == "broken_link" and p.id == events[2].pk for p in report.problems)


@pytest.mark.django_db
def test_a_row_inserted_in_the_middle_is_named():
    events = _events(5)
    _renumber_from(3, +1)
    forged = _forge(3, events[1].hash)
    _tamper("UPDATE core_auditchainhead SET seq = 6")
    report = audit.verify()
    inserted = [p for p in report.problems if p.kind == "inserted"]
    assert len(inserted) == 1 and inserted[0].id == forged.pk and inserted[0].detail["inserted_ids"] == [forged.pk]
    assert inserted[0].detail["next_id"] == events[2].pk
    assert f"id {forged.pk}" in inserted[0].message and "chèn thêm" in inserted[0].message
    # the renumbered rows no longer match their hashes either
    assert {p.id for p in report.problems if p.kind == "modified"} == {e.pk for e in events[2:]}


@pytest.mark.django_db
def test_a_row_appended_behind_the_applications_back_is_named():
    events = _events(3)
    forged = _forge(4, events[-1].hash)  # a perfect link, but the chain head was not moved
    report = audit.verify()
    assert [(p.kind, p.seq) for p in report.problems] == [("inserted", 4)]
    assert forged.seq == 4


@pytest.mark.django_db
def test_an_anchor_catches_a_chain_rebuilt_from_scratch():
    events = _events(4)
    anchor = audit.head()
    assert anchor["seq"] == 4 and anchor["hash"] == events[-1].hash
    # Someone rewrites row 2 and recomputes every later hash and the head: the chain alone looks intact…
    prev = events[0].hash
    for event in events[1:]:
        row = AuditEvent.objects.values("seq", *audit.CONTENT_FIELDS).get(pk=event.pk)
        row["summary"] = "viết lại" if event.seq == 2 else row["summary"]
        row["prev_hash"] = prev
        prev = audit.row_hash(row)
        _tamper("UPDATE core_auditevent SET summary = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [row["summary"], row["prev_hash"], prev, event.pk])
    _tamper("UPDATE core_auditchainhead SET hash = %s", [prev])
    assert audit.verify().ok
    # …but not against the anchor published before
    report = audit.verify(anchors=[audit.parse_anchor(f"{anchor['seq']}:{anchor['hash']}")])
    assert [(p.kind, p.seq) for p in report.problems] == [("anchor", 4)]


def test_anchor_text_is_checked():
    assert audit.parse_anchor(" 12:" + "AB" * 32) == (12, "ab" * 32)
    for bad in ("12", "x:" + "a" * 64, "12:" + "a" * 63, "12:" + "g" * 64):
        with pytest.raises(ValueError):
            audit.parse_anchor(bad)


# --- the command ------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_verify_command_exit_status_and_json(capsys):
    events = _events(3)
    call_command("audit", "verify")
    assert "nguyên vẹn: 3 bản ghi" in capsys.readouterr().out
    call_command("audit", "anchor", "--json")
    anchor = json.loads(capsys.readouterr().out)
    assert anchor == {"seq": 3, "hash": events[-1].hash, "at": anchor["at"], "anchor": f"3:{events[-1].hash}"}
    call_command("audit", "verify", "--anchor", anchor["anchor"])
    assert "Khớp 1 neo" in capsys.readouterr().out

    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify", "--json")
    assert exit_info.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["first_problem"]["kind"] == "deleted"
    assert out["first_problem"]["missing_from"] == 2 and out["first_problem"]["before_id"] == events[2].pk
    with pytest.raises(SystemExit):
        call_command("audit", "verify")
    assert "BỊ THAY ĐỔI" in capsys.readouterr().out


# --- concurrency ------------------------------------------------------------------------------------------------

def _parallel(workers: int, work) -> list:
    barrier, results = threading.Barrier(workers), [None] * workers

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


class _Undo(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_the_chain_whole_and_gapless():
    """Threads append at once, two records per transaction, and every third transaction rolls back: no seq is
    lost or repeated, and the chain verifies. On PostgreSQL this tests the head row lock; on SQLite the write lock."""
    per_thread, workers = 12, 8

    def work(i):
        kept = 0
        for n in range(per_thread):
            try:
                with transaction.atomic():
                    services.record("test.parallel", summary=f"luồng {i} lần {n}", data={"thread": i, "n": n})
                    services.record("test.parallel.second", data={"thread": i, "n": n})
                    if n % 3 == 2:
                        raise _Undo
                kept += 2
            except _Undo:
                pass
        return kept

    results = _parallel(workers, work)
    assert all(isinstance(r, int) for r in results), results
    total = sum(results)
    assert total == workers * per_thread * 2 * 2 // 3
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    report = audit.verify()
    assert report.ok, report.to_json()
    assert report.rows == total and report.head["seq"] == total


@pytest.mark.django_db(transaction=True)
def test_verify_reads_one_snapshot_while_appends_go_on():
    _events(50)
    stop = threading.Event()

    def append():
        try:
            while not stop.is_set():
                services.record("test.during_verify")
        finally:
            connection.close()

    writer = threading.Thread(target=append)
    writer.start()
    try:
        reports = [audit.verify() for _ in range(3)]
    finally:
        stop.set()
        writer.join(timeout=30)
    assert all(r.ok for r in reports), [r.to_json() for r in reports if not r.ok]
    assert audit.verify().ok

