"""Audit appends per second: ``services.record`` (hash chain, head row locked) beside a plain insert of the same row.

The baseline is the audit log as it was before the chain: the same columns and indexes (a table created for the run,
``bench_plain_audit``) and ``Model.objects.create``. Both write the same record (a dossier transition's summary and
data) in a transaction of its own, as a request does, first from one thread, then from THREADS threads at once (each
with its own connection: on PostgreSQL the chain serialises appends on the head row, the plain insert does not; on
SQLite the write lock serialises both). Rounds alternate between the two so that drift affects both alike. Then
``audit.verify`` walks the whole chain written by the run (rows per second).

Usage: ``scripts/with-postgres .venv/bin/python bench/audit_chain.py [--rounds N] [--seconds S] [--threads T]``
(SQLite when ``DATABASE_URL`` is not set). One JSON line ``{"bench": "audit_chain", …}``.
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_database, emit, tinhso  # noqa: E402

SUMMARY = "Chuyển hồ sơ 000.01.31.H37-260115-0042 sang bước “Thẩm định” (Phòng Văn hóa – Xã hội)"
DATA = {"from_status": 2, "to_status": 3, "step": "Thẩm định", "due_at": "2026-01-20T17:00:00+07:00", "note": ""}


def plain_model():
    """The audit table as it was before the chain (migration 0001), under another name."""
    from django.db import connection, models

    class PlainAuditEvent(models.Model):
        at = models.DateTimeField(auto_now_add=True, db_index=True)
        actor = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
        actor_label = models.CharField(max_length=200, blank=True)
        agency = models.ForeignKey("core.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
        action = models.CharField(max_length=80, db_index=True)
        object_type = models.CharField(max_length=80, blank=True)
        object_id = models.CharField(max_length=80, blank=True, db_index=True)
        summary = models.CharField(max_length=500, blank=True)
        data = models.JSONField(default=dict, blank=True)
        ip = models.CharField(max_length=45, blank=True)
        user_agent = models.CharField(max_length=300, blank=True)

        class Meta:
            app_label = "bench"
            db_table = "bench_plain_audit"

        def __str__(self) -> str:
            return self.action

    with connection.schema_editor() as editor:
        editor.create_model(PlainAuditEvent)
    return PlainAuditEvent


def appenders(actor, agency):
    from django.db import transaction

    from tinhso.core import services

    plain = plain_model()

    def chained(n: int) -> None:
        with transaction.atomic():
            services.record("dossier.forwarded", actor=actor, obj=agency, agency=agency, summary=SUMMARY,
                            data={**DATA, "n": n})

    def baseline(n: int) -> None:
        with transaction.atomic():
            plain.objects.create(actor=actor, actor_label=str(actor), agency=agency, action="dossier.forwarded",
                                 object_type="core.agency", object_id=str(agency.pk), summary=SUMMARY,
                                 data={**DATA, "n": n})

    return {"chained": chained, "plain": baseline}


def rate(fn, seconds: float, threads: int) -> tuple[int, float]:
    """Appends made in about ``seconds`` by ``threads`` threads (each its own connection): (count, wall seconds)."""
    from django.db import connection

    counts, stop = [0] * threads, time.perf_counter() + seconds
    barrier = threading.Barrier(threads)

    def work(i: int) -> None:
        try:
            barrier.wait()
            while time.perf_counter() < stop:
                fn(i * 10_000_000 + counts[i])
                counts[i] += 1
        finally:
            if threads > 1:
                connection.close()

    started = time.perf_counter()
    if threads == 1:
        work(0)
    else:
        pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    return sum(counts), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    with bench_database() as env:
        tinhso(env, "migrate", "--no-input")
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection

        from tinhso.core import audit
        from tinhso.core.models import Agency, AuditEvent, User

        agency = Agency.objects.create(code="000.00.00.H37", name="Ủy ban nhân dân tỉnh Lạng Sơn", short_name="UBND",
                                       kind=Agency.Kind.PROVINCIAL_COMMITTEE)
        actor = User.objects.create_user(username="bench", password="bench-password", full_name="Nguyễn Văn Bền")
        fns = appenders(actor, agency)
        for fn in fns.values():  # warm-up
            for n in range(50):
                fn(-n)

        totals = {(name, threads): [0, 0.0] for name in fns for threads in (1, args.threads)}
        for _ in range(args.rounds):
            for threads in (1, args.threads):
                for name, fn in fns.items():
                    count, elapsed = rate(fn, args.seconds, threads)
                    totals[name, threads][0] += count
                    totals[name, threads][1] += elapsed
        per_s = {key: count / elapsed for key, (count, elapsed) in totals.items()}

        rows = AuditEvent.objects.count()
        started = time.perf_counter()
        report = audit.verify()
        verify_s = time.perf_counter() - started
        assert report.ok and report.rows == rows, report.to_json()

        t = args.threads
        emit({
            "bench": "audit_chain",
            "db": connection.vendor,
            "chained_per_s": round(per_s["chained", 1], 1),
            "plain_per_s": round(per_s["plain", 1], 1),
            "ratio": round(per_s["chained", 1] / per_s["plain", 1], 3),
            "threads": t,
            f"chained_per_s_{t}_threads": round(per_s["chained", t], 1),
            f"plain_per_s_{t}_threads": round(per_s["plain", t], 1),
            f"ratio_{t}_threads": round(per_s["chained", t] / per_s["plain", t], 3),
            "verify_rows": rows,
            "verify_rows_per_s": round(rows / verify_s),
            "chain_intact": report.ok,
        })


if __name__ == "__main__":
    main()
