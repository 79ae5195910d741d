"""Searching a million official documents (``documents.queries.search``), before and after the trigram index.

Migrates and loads the demo into the database of ``DATABASE_URL`` (a fresh one: ``scripts/with-postgres``), then
writes N documents (default 1,000,000 on PostgreSQL, 50,000 on SQLite; the ``N`` argument or ``TINHSO_BENCH_DOCS``)
with ``COPY`` (PostgreSQL) or batched inserts (SQLite). Their texts come from the synthetic corpus
(``documents.corpus``: 3,000 documents of the three demo profiles), each row with its own notation; ``search_text`` is
what ``services.refresh_search_text`` would store: the folded notation, type, trích yếu, sender, signer and the first
400 characters of the file. They are spread over the 35 demo agencies (UBND tỉnh 6 %), three years, both directions.

As the clerk of Văn phòng UBND tỉnh (``vanthu``, who keeps UBND tỉnh's registers) it runs ``queries.search`` for 10
queries (common and rare words, a phrase, a notation, a word found nowhere), each without filters and with filters
(direction + type; sector + the last 365 days), R times, and reports p50/p95 of all runs. On PostgreSQL the query set
runs first without the ``pg_trgm`` GIN index on ``search_text`` ("before": the documents are loaded with the index
dropped), then with it ("after", with its build time); both with the search of ``queries.search`` as it is now (each
agency of the scope apart, newest first on ``document_agency_created``). Baseline in the same run: an indexed
primary-key lookup through the ORM; ``ratio`` = search p50 / lookup p50. A search returns up to 200 documents with
their agency, type, register and author, which costs about 50 ms of Python by itself.

Usage: ``scripts/with-postgres .venv/bin/python bench/document_search.py [N] [--repeat R]``. One JSON line.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_database, emit, tinhso  # noqa: E402

CLERK = "vanthu"
PROVINCE = "000.00.00.H37"
PROVINCE_SHARE = 0.06
EXCERPT = 400
QUERIES = ["giay moi hop", "ke hoach", "thu hoi dat", "tiem chung vac xin", "chuyen doi so", "ngan sach nha nuoc",
           "phong chay chua chay", "tuyen sinh lop 10", "ubnd", "khong-co-tu-nay"]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def text_pool(seed: int = 7) -> list[dict]:
    from tinhso.core.text import fold
    from tinhso.documents import corpus
    from tinhso.documents.models import DocumentType, Sector

    types = dict(DocumentType.objects.values_list("name", "pk"))
    sectors = dict(Sector.objects.values_list("name", "pk"))
    pool = []
    for receiver in (corpus.PROVINCE_RECEIVER, corpus.FINANCE_RECEIVER, corpus.COMMUNE_RECEIVER):
        for item in corpus.generate(1000, seed=seed, receiver=receiver, days=1000):
            code = item.notation.split("/", 1)[1] if "/" in item.notation else item.notation
            core = fold(" ".join([item.type_name, item.subject, item.sender_name, item.signer_name,
                                  item.body[:EXCERPT]]))
            pool.append({"type": types.get(item.type_name), "sector": sectors.get(item.sector),
                         "subject": item.subject, "sender": item.sender_name, "signer": item.signer_name,
                         "code": code, "core": core, "urgency": item.urgency})
    return pool


def rows(count: int, agencies: list[int], province: int, pool: list[dict], seed: int = 11):
    """The documents as tuples in ``COLUMNS`` order (no database access: they are written while a COPY holds the
    connection)."""
    rng = random.Random(seed)
    others = [a for a in agencies if a != province]
    tz = _tz()
    start = datetime(2024, 1, 1, tzinfo=tz)
    span = int((datetime(2026, 11, 1, tzinfo=tz) - start).total_seconds())
    for n in range(1, count + 1):
        item = pool[rng.randrange(len(pool))]
        agency = province if rng.random() < PROVINCE_SHARE else others[rng.randrange(len(others))]
        created = start + timedelta(seconds=rng.randrange(span))
        incoming = rng.random() < 0.75
        notation = f"{n}/{item['code']}"
        status = ("closed" if rng.random() < 0.9 else "registered") if incoming else "issued"
        yield (("in" if incoming else "out"), status, agency, item["type"], item["sector"], notation, item["subject"],
               item["sender"], "", item["urgency"], 0, item["signer"], "", False, 1, "", created,
               created if incoming else None, f"{notation.lower()} {item['core']}")


COLUMNS = ("direction", "status", "agency_id", "document_type_id", "sector_id", "notation", "subject", "sender_name",
           "sender_code", "urgency", "secrecy", "signer_name", "signer_position", "digitally_signed", "copies", "note",
           "created_at", "received_at", "search_text")


def _tz():
    from tinhso.core.workcalendar import TZ

    return TZ


def load(count: int) -> float:
    from django.db import connection

    from tinhso.core.models import Agency

    agencies = list(Agency.objects.values_list("pk", flat=True))
    province = Agency.objects.get(code=PROVINCE).pk
    started = time.perf_counter()
    pool = text_pool()
    table = "documents_document"
    if connection.vendor == "postgresql":
        raw = connection.connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows(count, agencies, province, pool):
                    copy.write_row(row)
        if not raw.autocommit:
            raw.commit()
        with connection.cursor() as cur:
            cur.execute(f"VACUUM ANALYZE {table}")
    else:
        sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        batch = []
        with connection.cursor() as cur:
            for row in rows(count, agencies, province, pool):
                batch.append(row)
                if len(batch) == 5000:
                    cur.executemany(sql, batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
            cur.execute("ANALYZE")
    return time.perf_counter() - started


def cases() -> list[tuple[str, dict]]:
    from tinhso.documents.models import DocumentType, Sector

    plan = DocumentType.objects.get(name="Kế hoạch").pk
    land = Sector.objects.get(name="Đất đai").pk
    since = datetime(2026, 11, 1).date() - timedelta(days=365)
    out = []
    for q in QUERIES:
        out.append((q, {}))
        out.append((q, {"direction": "in", "document_type": plan}))
        out.append((q, {"sector": land, "since": since}))
    return out


def measure(user, repeat: int) -> dict:
    from tinhso.documents import queries

    timings, hits = [], {}
    for q, filters in cases():  # warm-up, and the number of hits
        hits[f"{q} {sorted(filters)}"] = len(queries.search(user, q, **filters))
    for _ in range(repeat):
        for q, filters in cases():
            started = time.perf_counter()
            queries.search(user, q, **filters)
            timings.append((time.perf_counter() - started) * 1000)
    return {"runs": len(timings), "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(_percentile(timings, 95), 2), "max_ms": round(max(timings), 1),
            "hits_min": min(hits.values()), "hits_max": max(hits.values())}


def pk_lookup_p50(count: int, runs: int = 2000) -> float:
    from tinhso.documents.models import Document

    rng = random.Random(3)
    low = Document.objects.order_by("pk").values_list("pk", flat=True).first()
    timings = []
    for _ in range(runs):
        pk = low + rng.randrange(count)
        started = time.perf_counter()
        Document.objects.filter(pk=pk).values_list("pk", "notation").first()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def trigram_index(create: bool) -> float:
    import importlib

    from django.db import connection

    migration = importlib.import_module("tinhso.documents.migrations.0005_search_trigram")
    started = time.perf_counter()
    with connection.cursor() as cur:
        if create:
            cur.execute("SET maintenance_work_mem = '1GB'")
            cur.execute(migration.CREATE_INDEX)
            cur.execute("ANALYZE documents_document")
        else:
            cur.execute(migration.DROP_INDEX)
    return time.perf_counter() - started


def main(count: int | None, repeat: int) -> None:
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    count = count or int(os.environ.get("TINHSO_BENCH_DOCS", 1_000_000 if postgres else 50_000))
    with bench_database() as env:
        tinhso(env, "migrate", "--no-input")
        tinhso(env, "demo")
        os.environ.update(env)
        import django

        django.setup()
        from tinhso.core.models import User
        from tinhso.documents import queries

        if postgres:
            trigram_index(create=False)  # loaded without it (faster), measured without it, then built
        generate_s = load(count)
        user = User.objects.get(username=CLERK)
        visible = queries.visible_documents(user).count()
        result = {"bench": "document_search", "db": "postgresql" if postgres else "sqlite", "documents": count,
                  "visible_to_clerk": visible, "generate_s": round(generate_s, 1), "queries": len(cases())}
        if postgres:
            result["before"] = measure(user, max(1, repeat // 5))
            result["index_build_s"] = round(trigram_index(create=True), 1)
        result["after" if postgres else "search"] = after = measure(user, repeat)
        lookup = pk_lookup_p50(count)
        result["pk_lookup_p50_ms"] = round(lookup, 3)
        result["ratio"] = round(after["p50_ms"] / lookup, 1)
        if postgres:
            result["speedup_p50"] = round(result["before"]["p50_ms"] / after["p50_ms"], 1)
        emit(result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", nargs="?", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=10, help="runs of the query set (default 10)")
    args = parser.parse_args()
    main(args.documents, args.repeat)
