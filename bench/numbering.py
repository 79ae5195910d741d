"""Numbering under contention: 16 issuers at once in one register on PostgreSQL, beside a raw contended counter.

Migrates and loads the demo into the database of ``DATABASE_URL`` (a fresh one: ``scripts/with-postgres``), then
bulk-creates N outgoing documents of Sở Tư pháp (default 2,000) in the state ``services.sign`` leaves them ("signed",
not digitally). 16 worker processes, each with its own connection, wait at a barrier and then call
``services.issue(clerk, document)`` for their share: each issue locks the document and the year's register
(``SELECT … FOR UPDATE``), takes the next number, writes the notation and date, the search text, the event and the
audit record in one transaction. Reported: documents numbered per second, and the checks that the register's numbers
are exactly 1…N (no duplicate, no gap) and its counter is N. Then the same 16 processes call ``next_number`` alone
(lock + increment in a transaction, no document) on another register, to separate the lock from the rest of an issue.

Baseline in the same run: ``pgbench -n -c 16 -j 2 -T 10`` with one statement, ``UPDATE counter SET n = n + 1 WHERE
id = 1 RETURNING n``, on a one-row table in a separate database of the same server: the bare cost of a contended
counter. ``ratio`` = issues per second / pgbench tps.

Usage: ``scripts/with-postgres .venv/bin/python bench/numbering.py [N] [--workers 16]``. One JSON line; ``"skipped"``
when ``DATABASE_URL`` is not PostgreSQL.
"""

import argparse
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_database, emit, tinhso  # noqa: E402
from bench.onestop_lifecycle import pg_tool  # noqa: E402

AGENCY = "000.00.03.H37"  # Sở Tư pháp
UNIT = "000.01.03.H37"  # Phòng Hành chính tư pháp
CLERK = "vanthu.bench"
COUNTER_DB = "tinhso_pgbench_counter"


def pgbench_counter_tps(url: str, clients: int, seconds: int = 10) -> float:
    parsed = urlparse(url)
    conn = ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", unquote(parsed.username or "")]
    env = dict(os.environ, PGPASSWORD=unquote(parsed.password or ""))

    def run(*args: str) -> str:
        return subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout

    run(pg_tool("dropdb"), "--if-exists", *conn, COUNTER_DB)
    run(pg_tool("createdb"), *conn, COUNTER_DB)
    try:
        run(pg_tool("psql"), *conn, "-q", "-d", COUNTER_DB, "-c",
            "CREATE TABLE counter (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO counter VALUES (1, 0);")
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
            script.write("UPDATE counter SET n = n + 1 WHERE id = 1 RETURNING n;\n")
        out = run(pg_tool("pgbench"), "-n", "-f", script.name, "-c", str(clients), "-j", "2", "-T", str(seconds),
                  *conn, COUNTER_DB)
        os.unlink(script.name)
    finally:
        run(pg_tool("dropdb"), "--if-exists", *conn, COUNTER_DB)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out) or re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1))


def prepare(count: int) -> tuple[list[int], int, int]:
    """(document ids, id of the outgoing register, id of a second register for next_number alone)."""
    from django.utils import timezone

    from tinhso.core.models import Agency, Role, User
    from tinhso.core.services import grant_role
    from tinhso.documents import services
    from tinhso.documents.models import Direction, Document, DocumentType, Status

    agency, unit = Agency.objects.get(code=AGENCY), Agency.objects.get(code=UNIT)
    clerk = User.objects.create_user(username=CLERK, password="x", kind=User.Kind.STAFF, full_name="Văn thư đo tải")
    grant_role(None, clerk, agency, Role.CLERK, "Văn thư")
    decision = DocumentType.objects.get(abbreviation="QĐ")
    now = timezone.now()
    documents = Document.objects.bulk_create([
        Document(direction=Direction.OUTGOING, status=Status.SIGNED, agency=agency, unit=unit,
                 document_type=decision, subject=f"Quyết định thử nghiệm cấp số {n}", sender_name=agency.name,
                 sender_code=agency.code, sender_agency=agency, signer_name="Nông Đức Thắng",
                 signer_position="Giám đốc", created_at=now)
        for n in range(count)], batch_size=1000)
    year = timezone.localtime(now).year
    outgoing = services.registry_for(agency, year=year, direction=Direction.OUTGOING, document_type=decision)
    incoming = services.registry_for(agency, year=year, direction=Direction.INCOMING)
    return [d.pk for d in documents], outgoing.pk, incoming.pk


def _worker(env: dict, barrier, mode: str, items: list[int], registry_id: int, results) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection, transaction

    from tinhso.core.models import User
    from tinhso.documents import services
    from tinhso.documents.models import Document, Registry

    clerk = User.objects.get(username=CLERK)
    registry = Registry.objects.get(pk=registry_id)
    connection.ensure_connection()
    barrier.wait()
    errors = 0
    for item in items:
        try:
            if mode == "issue":
                services.issue(clerk, Document(pk=item))
            else:
                with transaction.atomic():
                    services.next_number(registry)
        except Exception:  # counted and reported: a failed issue must lose no number (checked after)
            errors += 1
    results.put(errors)


def run_workers(env: dict, mode: str, shares: list[list[int]], registry_id: int) -> tuple[float, int]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(shares) + 1)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(env, barrier, mode, share, registry_id, results))
               for share in shares]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    errors = sum(results.get() for _ in workers)
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    return elapsed, errors


def main(count: int, workers: int) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        emit({"bench": "numbering", "skipped": "needs PostgreSQL"})
        return
    with bench_database() as env:
        tinhso(env, "migrate", "--no-input")
        tinhso(env, "demo")
        tps = pgbench_counter_tps(env["DATABASE_URL"], workers)
        os.environ.update(env)
        import django

        django.setup()
        from tinhso.documents.models import Document, Registry

        ids, outgoing_id, second_id = prepare(count)
        shares = [ids[i::workers] for i in range(workers)]
        issue_s, issue_errors = run_workers(env, "issue", shares, outgoing_id)
        numbers = sorted(Document.objects.filter(registry_id=outgoing_id).values_list("number", flat=True))
        registry = Registry.objects.get(pk=outgoing_id)
        notations = Document.objects.filter(registry_id=outgoing_id).values_list("notation", flat=True)
        checks = {"issued": len(numbers), "no_duplicate": len(set(numbers)) == len(numbers)
                  and len(set(notations)) == len(numbers),
                  "no_gap": numbers == list(range(1, len(numbers) + 1)), "counter_matches": registry.last_number ==
                  len(numbers), "errors": issue_errors}
        per_worker = max(1, count // workers)
        lock_s, lock_errors = run_workers(env, "next_number", [list(range(per_worker))] * workers, second_id)
        lock_total = Registry.objects.get(pk=second_id).last_number
        rate = len(numbers) / issue_s
        emit({"bench": "numbering", "db": "postgresql", "workers": workers, "documents": count,
              "issue_seconds": round(issue_s, 2), "issued_per_s": round(rate, 1), **checks,
              "next_number_per_s": round(lock_total / lock_s, 1),
              "next_number_checks": {"numbers": lock_total, "expected": per_worker * workers,
                                     "errors": lock_errors},
              "pgbench_counter_tps": round(tps, 1), "ratio": round(rate / tps, 4),
              "ratio_next_number": round(lock_total / lock_s / tps, 4)})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", nargs="?", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    main(args.documents, args.workers)
