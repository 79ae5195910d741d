"""The QĐ 766 scoreboard at scale: the province-year scoreboard API beside the naive SQL aggregation of the same rows.

On the PostgreSQL of ``DATABASE_URL`` (a fresh one: ``scripts/with-postgres``), migrates and loads the demo province,
then bulk-generates dossiers received in 2025 — spread over the demo's procedures, channels, agencies and the
province's communes; some late, some asked to supplement twice, some still in progress, some decided in the last
two weeks and not yet returned (older decisions are returned), fees and online payments, digitised components —
straight into the one-stop shop's tables with ``INSERT … SELECT`` (foreign-key triggers off during the load;
secondary indexes dropped, and those the measured queries can use rebuilt after it). Their facts are projected in SQL
(the generated dossiers have no pauses and no ratings; processing time is approximated as a third of the elapsed
time) and the aggregates are built by the platform's own ``services.build_aggregates``.

For each size (default 1,000,000 then 10,000,000, each size adding to the previous one) it measures, in the same run:

- ``api_p50_ms``: ``GET /api/reporting/scoreboard?period=year&year=2025`` through the production server (granian,
  2 workers), signed in as the province's administrator, sequential requests after a warm-up;
- ``bare_view_p50_ms``: a bare Django JSON view on the same server (the HTTP stack alone), for scale;
- ``naive_ms``: one SQL statement aggregating the same indicators straight from the dossiers (joined with channels,
  procedure versions and the components summed per dossier), grouped by procedure — what the page would cost
  without the aggregates — best of 2 runs on a warm cache, with PostgreSQL's JIT off and on, the faster;
  ``ratio`` = naive / API p50;
- ``match``: whether the naive figures equal the API's (every dossier-based numerator and denominator);
- ``refresh_per_s``: dossiers per second through the incremental refresh after changing 1,000 of them (with events).

Usage: ``scripts/with-postgres .venv/bin/python bench/scoreboard.py [SIZE ...] [--requests N]``. One JSON line per
size; ``"skipped"`` when ``DATABASE_URL`` is not PostgreSQL.
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_database, emit, server, tinhso  # noqa: E402

YEAR = 2025
CHUNK = 1_000_000
CHANNEL_WEIGHTS = {"online": 12, "direct": 7, "postal": 1}


def setup_tables(cursor) -> tuple[int, int]:
    """Small lookup tables the generator picks from: (procedure version, channel, agencies) and communes."""
    from tinhso.catalog.models import Procedure
    from tinhso.core.models import AdministrativeUnit, Agency

    centre = Agency.objects.get(code="000.00.20.H37")
    combos = []
    for procedure in Procedure.objects.filter(current__isnull=False).select_related("current"):
        version = procedure.current
        agencies = list(version.implementing_agencies.order_by("code"))
        channels = {c.kind: c.pk for c in version.channels.order_by("-order")}
        if not agencies or not channels:
            continue
        for agency in agencies:
            desk = agency.children.filter(kind=Agency.Kind.COMMUNE_SERVICE_CENTRE).first() or centre
            for kind, channel_id in channels.items():
                if kind == "online" and version.online_level == "none":
                    continue
                combos += [(version.pk, channel_id, agency.pk, desk.pk)] * CHANNEL_WEIGHTS.get(kind, 1)
    units = list(AdministrativeUnit.objects.filter(level="commune", valid_to__isnull=True,
                                                   parent__code="20").values_list("pk", flat=True))
    cursor.execute("DROP TABLE IF EXISTS bench_combo; DROP TABLE IF EXISTS bench_unit")
    cursor.execute("CREATE UNLOGGED TABLE bench_combo (n int PRIMARY KEY, version_id bigint, channel_id bigint, "
                   "handling_id bigint, receiving_id bigint)")
    cursor.executemany("INSERT INTO bench_combo VALUES (%s, %s, %s, %s, %s)",
                       [(n, *combo) for n, combo in enumerate(combos)])
    cursor.execute("CREATE UNLOGGED TABLE bench_unit (n int PRIMARY KEY, unit_id bigint)")
    cursor.executemany("INSERT INTO bench_unit VALUES (%s, %s)", list(enumerate(units)))
    return len(combos), len(units)


def _defaults(model, given: set[str]) -> tuple[list[str], list[str], list]:
    """Columns the generator does not set: their Python defaults, so that new fields never break the load."""
    from django.db import models

    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key:
            continue
        default = field.get_default() if field.has_default() or not field.null else None
        if default is None:
            continue
        default = getattr(default, "value", default)
        columns.append(field.column)
        if isinstance(field, models.JSONField):
            values.append("%s::jsonb")
            params.append(json.dumps(default))
        else:
            values.append("%s")
            params.append(default)
    return columns, values, params


DOSSIER_SQL = """
WITH pick AS MATERIALIZED (
  SELECT i, floor(random() * %(combos)s)::int AS cn, floor(random() * %(units)s)::int AS un,
         random() AS r_day, random() AS r_hour, random() AS r_due, random() AS r_late, random() AS r_dur,
         random() AS r_open, random() AS r_status, random() AS r_sup, random() AS r_fee, random() AS r_paid,
         random() AS r_res, random() AS r_store
  FROM generate_series(%(first)s, %(last)s) AS i
), rows AS (
  SELECT p.*, c.version_id, c.channel_id, c.handling_id, c.receiving_id, u.unit_id,
         timestamptz '2025-01-01 00:00:00+07' + floor(p.r_day * 365) * interval '1 day'
           + (7.5 + p.r_hour * 9) * interval '1 hour' AS rec,
         3 + floor(p.r_due * 8)::int AS due_days
  FROM pick p JOIN bench_combo c ON c.n = p.cn JOIN bench_unit u ON u.n = p.un
), timed AS (
  SELECT r.*, date_trunc('day', r.rec) + r.due_days * interval '1 day' + interval '17 hours' AS due,
         CASE WHEN (r.rec > timestamptz '2025-12-10 00:00:00+07' AND r.r_open < 0.5) OR r.r_open < 0.002 THEN NULL
              WHEN r.r_late < 0.07 THEN r.rec + (r.due_days + 1 + r.r_dur * 4) * interval '1 day'
              ELSE r.rec + (r.r_dur * r.due_days) * interval '1 day' END AS fin
  FROM rows r
), final AS (
  SELECT t.*, CASE WHEN t.fin IS NULL THEN CASE WHEN t.r_status < 0.1 THEN 5 ELSE 4 END
                   WHEN t.r_status < 0.02 THEN 8
                   WHEN t.r_status < 0.85 OR t.fin < timestamptz '2025-12-17 00:00:00+07' THEN 10 ELSE 9 END AS st,
         CASE WHEN t.r_fee < 0.35 THEN 50000 END AS fee
  FROM timed t
)
INSERT INTO onestop_dossier (id, status, is_draft, procedure_version_id, channel_id, receiving_agency_id,
  handling_agency_id, applicant_name, applicant_unit_id, created_at, submitted_at, received_at, due_at,
  original_due_at, finished_at, returned_at, outcome, supplement_count, fee_amount, paid_online,
  electronic_result, result_in_store, lookup_secret {extra_columns})
SELECT f.i, f.st, false, f.version_id, f.channel_id, f.receiving_id, f.handling_id, 'Người nộp ' || f.i, f.unit_id,
  f.rec, f.rec, f.rec, f.due, f.due, f.fin, CASE WHEN f.st = 10 THEN f.fin + interval '4 hours' END,
  CASE WHEN f.st IN (9, 10) THEN 'approved' ELSE '' END,
  CASE WHEN f.r_sup < 0.005 THEN 2 WHEN f.r_sup < 0.035 THEN 1 ELSE 0 END,
  f.fee, CASE WHEN f.fee IS NOT NULL AND f.r_paid < 0.6 THEN 1 + floor(f.r_paid * 3.4)::int ELSE 0 END,
  f.st IN (9, 10) AND f.r_res < 0.75, f.st IN (9, 10) AND f.r_store < 0.4, 'BENCH1' {extra_values}
FROM final f
"""

ITEM_SQL = """
INSERT INTO onestop_dossieritem (dossier_id, "order", name, mandatory, digitised, reused, from_store)
SELECT d.id, 1, 'Tờ khai', true, random() < 0.7, random() < 0.25, random() < 0.15
FROM onestop_dossier d WHERE d.id BETWEEN %(first)s AND %(last)s AND random() < 0.6
"""

FACT_SQL = """
INSERT INTO reporting_dossierfact (dossier_id, received_at, received_day, agency_id, commune_id, procedure_id, status,
  end_at, kpi_due, paused_since, twice, received, online, finished, on_time, decided, duration_min, e_result,
  digitised, digitised_full, reused, store, has_fee, paid_online, tt_eligible, toan_trinh, rated, rated_ok, disliked)
SELECT d.id, d.received_at, (d.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, d.handling_agency_id,
  coalesce(d.applicant_unit_id, 0), v.procedure_id, d.status, coalesce(d.finished_at, d.returned_at),
  coalesce(d.original_due_at, d.due_at), NULL, d.supplement_count > 1, true, c.kind = 'online',
  coalesce(d.finished_at, d.returned_at) IS NOT NULL,
  coalesce(d.finished_at, d.returned_at) IS NOT NULL AND d.supplement_count <= 1
    AND coalesce(d.finished_at, d.returned_at) <= coalesce(d.original_due_at, d.due_at),
  d.status IN (9, 10),
  CASE WHEN d.status IN (9, 10) THEN floor(extract(epoch FROM coalesce(d.finished_at, d.returned_at)
    - d.received_at) / 180)::int ELSE 0 END,
  d.status IN (9, 10) AND d.electronic_result, coalesce(i.digitised, false),
  coalesce(i.digitised, false) AND d.electronic_result, coalesce(i.reused, false),
  coalesce(i.from_store, false) OR d.result_in_store, coalesce(d.fee_amount, 0) > 0,
  coalesce(d.fee_amount, 0) > 0 AND d.paid_online IN (1, 2), v.online_level = 'full',
  v.online_level = 'full' AND c.kind = 'online' AND (coalesce(d.fee_amount, 0) = 0 OR d.paid_online IN (1, 2)),
  false, false, false
FROM onestop_dossier d
JOIN catalog_channel c ON c.id = d.channel_id
JOIN catalog_procedureversion v ON v.id = d.procedure_version_id
LEFT JOIN onestop_dossieritem i ON i.dossier_id = d.id
WHERE d.id BETWEEN %(first)s AND %(last)s
"""

#: The naive aggregation: what the scoreboard's dossier-based figures cost when computed from the dossiers.
NAIVE_SQL = """
SELECT v.procedure_id,
  count(*) AS received,
  count(*) FILTER (WHERE d.supplement_count <= 1 AND (
     (coalesce(d.finished_at, d.returned_at) IS NOT NULL
      AND coalesce(d.finished_at, d.returned_at) <= coalesce(d.original_due_at, d.due_at))
     OR (coalesce(d.finished_at, d.returned_at) IS NULL AND coalesce(d.original_due_at, d.due_at) >= %(ref)s)))
    AS on_time,
  count(*) FILTER (WHERE c.kind = 'online') AS online,
  count(*) FILTER (WHERE v.online_level = 'full') AS tt_eligible,
  count(*) FILTER (WHERE v.online_level = 'full' AND c.kind = 'online'
                   AND (coalesce(d.fee_amount, 0) = 0 OR d.paid_online IN (1, 2))) AS toan_trinh,
  count(*) FILTER (WHERE coalesce(d.fee_amount, 0) > 0) AS has_fee,
  count(*) FILTER (WHERE coalesce(d.fee_amount, 0) > 0 AND d.paid_online IN (1, 2)) AS paid_online,
  count(*) FILTER (WHERE d.status IN (9, 10)) AS decided,
  count(*) FILTER (WHERE d.status IN (9, 10) AND d.electronic_result) AS e_result,
  count(*) FILTER (WHERE d.electronic_result AND i.digitised) AS digitised_full,
  count(*) FILTER (WHERE i.reused) AS reused,
  count(*) FILTER (WHERE d.result_in_store OR i.from_store) AS store
FROM onestop_dossier d
JOIN catalog_channel c ON c.id = d.channel_id
JOIN catalog_procedureversion v ON v.id = d.procedure_version_id
LEFT JOIN (SELECT dossier_id, bool_or(digitised) AS digitised, bool_or(reused) AS reused,
                  bool_or(from_store) AS from_store
           FROM onestop_dossieritem GROUP BY dossier_id) i ON i.dossier_id = d.id
WHERE NOT d.is_draft AND d.received_at IS NOT NULL
  AND d.received_at >= %(start)s AND d.received_at < %(end)s
GROUP BY v.procedure_id
"""
#: indicator → (numerator, denominator) of the naive sums.
COMPARED = {
    "2.1": ("on_time", "received"), "3": ("toan_trinh", "tt_eligible"), "3.3": ("online", "received"),
    "3.6": ("paid_online", "has_fee"), "ORIGINAL_RESULT_AVAILABLE": ("e_result", "decided"),
    "SO_HOA_GIAY_TO_GIAI_QUYET": ("digitised_full", "received"), "REUSED_DIGITIZED_DATA": ("reused", "received"),
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": ("store", "received"),
}


def _secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    cursor.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS ("
                   "SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", [table])
    return cursor.fetchall()


#: Secondary indexes rebuilt after the load. Every index of the reporting tables; of the one-stop shop's only those a
#: measured query could use (the receipt time, the items' dossier): the others serve the staff pages, not measured
#: here, and rebuilding them would double the load time.
def _rebuilt(table: str, definition: str) -> bool:
    return table.startswith("reporting_") or "(received_at)" in definition or "(dossier_id)" in definition


def load(first: int, last: int, combos: int, units: int, all_indexes: bool = False) -> dict:
    """Generate dossiers ``first``–``last`` with their components and facts; rebuild the aggregates. The secondary
    indexes are dropped for the load; only those the scoreboard uses are rebuilt unless ``all_indexes`` (a database
    that will serve the whole platform afterwards, as in bench/province_year.py)."""
    from django.db import connection

    from tinhso.onestop.models import Dossier
    from tinhso.reporting import services

    given = {"id", "status", "is_draft", "procedure_version_id", "channel_id", "receiving_agency_id",
             "handling_agency_id", "applicant_name", "applicant_unit_id", "created_at", "submitted_at", "received_at",
             "due_at", "original_due_at", "finished_at", "returned_at", "outcome", "supplement_count", "fee_amount",
             "paid_online", "electronic_result", "result_in_store", "lookup_secret"}
    columns, values, params = _defaults(Dossier, given)
    sql = DOSSIER_SQL.format(extra_columns="".join(f", {c}" for c in columns),
                             extra_values="".join(f", {v}" for v in values))
    timings = {}
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Asia/Ho_Chi_Minh'; SET session_replication_role = replica; "
                       "SET maintenance_work_mem = '512MB'; SELECT setseed(0.42)")
        dropped = {}
        for table in ("onestop_dossier", "onestop_dossieritem", "reporting_dossierfact"):
            dropped[table] = _secondary_indexes(cursor, table)
            for name, _definition in dropped[table]:
                cursor.execute(f'DROP INDEX "{name}"')
        started = time.perf_counter()
        for low in range(first, last + 1, CHUNK):
            high = min(low + CHUNK - 1, last)
            cursor.execute(sql.replace("%(combos)s", str(combos)).replace("%(units)s", str(units))
                           .replace("%(first)s", str(low)).replace("%(last)s", str(high)), params)
            cursor.execute(ITEM_SQL, {"first": low, "last": high})
        timings["generate_s"] = time.perf_counter() - started
        started = time.perf_counter()
        for low in range(first, last + 1, CHUNK):
            cursor.execute(FACT_SQL, {"first": low, "last": min(low + CHUNK - 1, last)})
        timings["facts_s"] = time.perf_counter() - started
        started = time.perf_counter()
        for table, indexes in dropped.items():
            for _name, definition in indexes:
                if all_indexes or _rebuilt(table, definition):
                    cursor.execute(definition)
        cursor.execute("SELECT setval(pg_get_serial_sequence('onestop_dossier', 'id'), %s)", [last])
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE onestop_dossier; ANALYZE onestop_dossieritem; ANALYZE reporting_dossierfact")
        timings["indexes_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'; SET work_mem = '256MB'")
    rows = services.build_aggregates()
    with connection.cursor() as cursor:  # what autovacuum does after a load: statistics and the visibility map
        cursor.execute("VACUUM ANALYZE reporting_aggregate")
        cursor.execute("VACUUM ANALYZE reporting_dossierfact")
    timings["aggregates_s"] = time.perf_counter() - started
    timings["aggregate_rows"] = rows
    services.refresh()  # the watermark: the demo's events, nothing to recompute
    return timings


def naive(year: int) -> tuple[dict, dict]:
    """The naive aggregation, timed with PostgreSQL's JIT compiler off and on (the faster one is the baseline: at
    small sizes compiling costs more than it saves). Each timing is the best of 2 runs on a warm cache."""
    from datetime import datetime

    from django.db import connection

    from tinhso.core.workcalendar import TZ

    args = {"start": datetime(year, 1, 1, tzinfo=TZ), "end": datetime(year + 1, 1, 1, tzinfo=TZ),
            "ref": datetime(year + 1, 1, 1, tzinfo=TZ)}
    times, sums = {}, {}
    for jit in ("off", "on"):
        with connection.cursor() as cursor:
            cursor.execute(f"SET jit = {jit}")
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(NAIVE_SQL, args)
                names = [c.name for c in cursor.description]
                rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            runs.append((time.perf_counter() - started) * 1000)
        times[jit] = min(runs)
    with connection.cursor() as cursor:
        cursor.execute("RESET jit")
    for row in rows:
        for key, value in row.items():
            if key != "procedure_id":
                sums[key] = sums.get(key, 0) + value
    return sums, times


def api_times(base: str, path: str, cookie: str, requests: int) -> tuple[list[float], dict]:
    def get():
        request = urllib.request.Request(base + path, headers={"Cookie": cookie})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
        return (time.perf_counter() - started) * 1000, json.loads(body)

    for _ in range(3):
        get()
    samples, body = [], {}
    for _ in range(requests):
        elapsed, body = get()
        samples.append(elapsed)
    return samples, body


def refresh_rate(last: int, count: int = 1000) -> float:
    """Change ``count`` dossiers (finish those in progress, fix the fee of the others) with events; refresh."""
    from django.db import connection

    from tinhso.reporting import services

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM onestop_dossier WHERE id <= %s ORDER BY id DESC LIMIT %s", [last, count])
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("UPDATE onestop_dossier SET status = 9, outcome = 'approved', finished_at = "
                       "coalesce(finished_at, received_at + interval '2 days') WHERE id = ANY(%s)", [ids])
        cursor.execute("INSERT INTO onestop_dossierevent (dossier_id, at, action, actor_name, actor_role, note, "
                       "public, data, to_status) SELECT id, now(), 'bench_changed', '', '', '', false, '{}', 9 "
                       "FROM unnest(%s::bigint[]) AS id", [ids])
    started = time.perf_counter()
    result = services.refresh()
    return result.dossiers / (time.perf_counter() - started)


def main(sizes: list[int], requests: int) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        emit({"bench": "scoreboard", "skipped": "needs PostgreSQL"})
        return
    with bench_database() as env:
        tinhso(env, "migrate", "--no-input")
        tinhso(env, "demo")
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection
        from django.test import Client

        from tinhso.core.models import User

        with connection.cursor() as cursor:
            combos, units = setup_tables(cursor)
        client = Client()
        client.force_login(User.objects.get(username="quantri"))  # the province's administrator (all agencies)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        done = 0
        with server(env) as base:
            for size in sorted(sizes):
                if size <= done:
                    continue
                timings = load(done + 1, size, combos, units)
                done = size
                expected, naive_times = naive(YEAR)
                naive_ms = min(naive_times.values())
                samples, body = api_times(base, f"/api/reporting/scoreboard?period=year&year={YEAR}", cookie,
                                          requests)
                public, _ = api_times(base, f"/api/reporting/public?period=year&year={YEAR}", "",
                                      max(requests // 3, 5))
                bare, _ = api_times(base, "/_bench/bare", "", max(requests // 3, 5))
                got = {i["id"]: i for g in body["groups"] for i in g["indicators"]}
                match = all((got[key]["numerator"], got[key]["denominator"]) == (expected[num], expected[den])
                            for key, (num, den) in COMPARED.items())
                p50 = statistics.median(samples)
                emit({"bench": "scoreboard", "db": "postgresql", "dossiers": size,
                      "received_in_year": expected["received"], "api_p50_ms": round(p50, 1),
                      "api_p90_ms": round(sorted(samples)[int(len(samples) * 0.9) - 1], 1),
                      "public_api_p50_ms": round(statistics.median(public), 1),
                      "bare_view_p50_ms": round(statistics.median(bare), 1), "naive_ms": round(naive_ms, 1),
                      "naive_jit_off_ms": round(naive_times["off"], 1), "naive_jit_on_ms": round(naive_times["on"], 1),
                      "ratio": round(naive_ms / p50, 1), "match": match,
                      "refresh_per_s": round(refresh_rate(size), 1),
                      **{k: round(v, 1) if isinstance(v, float) else v for k, v in timings.items()}})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000, 10_000_000])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    main(args.sizes, args.requests)
