"""A province-year and its peak hour: bulk-load a year of a large province, then replay peak traffic against the
production server configuration (granian, several worker processes, persistent database connections) on PostgreSQL.

Load: the demo province, ``tinhso simulate`` for real dossiers with codes, steps and files (the ones the lookups and
officers use), then ``--dossiers`` (default 1,500,000) dossiers of 2025 in bulk with their components, facts and
scoreboard aggregates (bench/scoreboard.py's generator) and ``--documents`` (default 400,000) official documents with
``COPY`` (bench/document_search.py's generator; the trigram search index built after the load, as in production).

Peak traffic, open loop, for ``--minutes`` (default 3) at each multiple of ``--scales`` (default ``1,1.5,2``) of
the rates of a peak hour:
- ``submit``: online submissions, ``POST /api/me/dossiers`` with two PDFs and an Idempotency-Key — 300 per minute;
- ``accept``: the receiving officers accept what was submitted (``POST …/actions/accept``) — as fast as it arrives;
- ``inbox``: officers' work lists ``GET /api/staff/inbox``;
- ``lookup``: public lookups ``GET /api/public/dossiers/{code}?khoa=…``;
- ``catalog``: procedure searches ``GET /api/procedures?q=…``;
- ``documents``: clerks' searches of the official documents ``GET /api/documents?q=…``;
- ``scoreboard`` and ``public_stats``: the leaders' QĐ 766 scoreboard and the public statistics (province, year).

Baseline in the same run, on the same server: the bare Django view under ``wrk`` — its requests per second and the
CPU one bare request costs (server + database processes, from /proc). ``ratio`` = CPU per bare request / CPU per
peak-hour request (how many bare requests one request of the mix weighs, inverted).

Reports one JSON line: per stream (at scale 1) the achieved rate, p50/p95/p99 and errors (any status ≥ 500, a refused
request of a kind that should succeed, or no answer), the CPU used by the server's processes, the database's and the
load generator's as shares of the machine; per scale the totals; and from the largest scale with no error the number
of such provinces one server of this size carries (that scale's CPU share per province, keeping 30 % headroom). The
load generator runs on the same machine: its share is reported and left out of the estimate. ``cores_per_peak_hour``
(server + database CPU at scale 1, in cores) is what a sizing for another machine starts from.

Usage: ``scripts/with-postgres .venv/bin/python bench/province_year.py [--dossiers N] [--documents N] [--minutes M]
[--workers W] [--scales 1,1.5,2]``.
"""

import argparse
import json
import os
import secrets
import sys
import threading
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import loadgen  # noqa: E402
from bench.common import bench_database, emit, server, tinhso, wrk  # noqa: E402
from bench.document_search import QUERIES as DOCUMENT_QUERIES  # noqa: E402
from bench.httpclient import Session, multipart  # noqa: E402

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
       b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
       b"startxref\n164\n%%EOF\n")
RATES = {"submit": 5.0, "accept": 5.0, "inbox": 2.0, "lookup": 10.0, "catalog": 3.0, "documents": 2.0,
         "scoreboard": 0.5, "public_stats": 1.0}
QUERIES = ["giay phep xay dung", "khai sinh", "dang ky ket hon", "ho kinh doanh", "chung thuc", "doanh nghiep"]
#: A scale "carries" the load when no request failed and every stream's p99 stayed under this.
P99_LIMIT_MS = 2000


def main(dossiers: int, documents: int, minutes: float, workers: int, scales: list[float]) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        emit({"bench": "province_year", "skipped": "needs PostgreSQL"})
        return
    with bench_database() as env:
        env["TINHSO_LOOKUP_RATE"] = "1000000/m"
        env["DB_CONN_MAX_AGE"] = "60"  # persistent connections, as in production (docs/deployment.md)
        tinhso(env, "migrate", "--no-input")
        tinhso(env, "demo")
        started = time.perf_counter()
        tinhso(env, "simulate", "--dossiers", "300", "--days", "30", "--seed", "7")
        simulate_s = time.perf_counter() - started
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection

        from bench import document_search as ds
        from bench import scoreboard as sb
        from tinhso.catalog.models import Procedure
        from tinhso.onestop.models import Dossier

        with connection.cursor() as cursor:
            combos, units = sb.setup_tables(cursor)
            cursor.execute("SELECT coalesce(max(id), 0) FROM onestop_dossier")
            first = cursor.fetchone()[0] + 1
        started = time.perf_counter()
        timings = sb.load(first, first + dossiers - 1, combos, units, all_indexes=True) if dossiers else {}
        load_s = time.perf_counter() - started
        documents_s = 0.0
        if documents:
            ds.trigram_index(create=False)
            documents_s = ds.load(documents) + ds.trigram_index(create=True)
        lookups = list(Dossier.objects.exclude(code=None).values_list("code", "lookup_secret")[:500])
        orders = sorted(Procedure.objects.get(code="1.001193").current.components.filter(mandatory=True)
                        .values_list("order", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        with open(f"/proc/{backend}/stat") as f:
            postmaster = int(f.read().rsplit(")", 1)[1].split()[1])
        connection.close()

        info: dict = {}
        with server(env, workers=workers, info=info) as base:
            port = int(base.rsplit(":", 1)[1])
            baseline = bare_baseline(base, info["pid"], postmaster)
            sessions = {name: Session(port, name) for name in ("congdan", "doanhnghiep", "tiepnhan.lvt", "quantri",
                                                                 ds.CLERK)}
            runs = [replay(base, info["pid"], postmaster, sessions, lookups, orders, minutes, scale)
                    for scale in scales]
    emit(summary(runs, baseline, dossiers=dossiers, documents=documents, workers=workers, minutes=minutes,
                 simulate_s=simulate_s, load_s=load_s, documents_s=documents_s, timings=timings))


def bare_baseline(base: str, server_pid: int, db_pid: int) -> dict:
    """The bare Django view under wrk on the same server: requests per second and CPU per request."""
    before = loadgen.tree_cpu_seconds(server_pid) + loadgen.tree_cpu_seconds(db_pid)
    result = wrk(f"{base}/_bench/bare", seconds=10, connections=8)
    used = loadgen.tree_cpu_seconds(server_pid) + loadgen.tree_cpu_seconds(db_pid) - before
    return {"rps": result["rps"], "p50_ms": result["p50_ms"], "cpu_ms_per_request": used * 1000 / (result["rps"] * 10)}


def summary(runs: list[dict], baseline: dict, *, dossiers, documents, workers, minutes, simulate_s, load_s,
            documents_s, timings) -> dict:
    per_scale = []
    for run in runs:
        answered = sum(s["answered"] for s in run["streams"])
        errors = sum(s["errors"] for s in run["streams"])
        worst = max((s["p99_ms"] or 0) for s in run["streams"])
        rps = answered / run["seconds"]
        per_scale.append({"scale": run["scale"], "rps": round(rps, 1), "errors": errors, "worst_p99_ms": worst,
                          "carried": errors == 0 and worst < P99_LIMIT_MS,
                          "platform_cpu_share": run["platform_cpu_share"], "server_cpu_share": run["server_cpu_share"],
                          "db_cpu_share": run["db_cpu_share"], "client_cpu_share": run["client_cpu_share"],
                          "cpu_ms_per_request": round(run["platform_cpu_share"] * run["cpus"] * 1000 / rps, 2)})
    carried = [s for s in per_scale if s["carried"]]
    best = max(carried, key=lambda s: s["scale"]) if carried else None
    first = runs[0]
    record = {"bench": "province_year", "db": "postgresql", "dossiers": dossiers, "documents": documents,
              "workers": workers, "minutes": minutes, "peak_rps": per_scale[0]["rps"],
              "errors": per_scale[0]["errors"], "platform_cpu_share": per_scale[0]["platform_cpu_share"],
              "bare_rps": baseline["rps"], "bare_cpu_ms": round(baseline["cpu_ms_per_request"], 3),
              "mix_cpu_ms": per_scale[0]["cpu_ms_per_request"],
              "ratio": round(baseline["cpu_ms_per_request"] / per_scale[0]["cpu_ms_per_request"], 3),
              "cores_per_peak_hour": round(per_scale[0]["platform_cpu_share"] * first["cpus"], 2),
              "largest_scale_carried": best["scale"] if best else None,
              "provinces_per_server": round(0.7 * best["scale"] / best["platform_cpu_share"], 1) if best else None,
              "simulate_s": round(simulate_s, 1), "bulk_load_s": round(load_s, 1),
              "documents_load_s": round(documents_s, 1), "scales": per_scale,
              "streams": first["streams"], **{f"load_{k}": v for k, v in timings.items()}}
    return record


def replay(base, server_pid, db_pid, sessions, lookups, orders, minutes, scale) -> dict:
    citizens = [sessions["congdan"], sessions["doanhnghiep"]]
    officer, admin, clerk = sessions["tiepnhan.lvt"], sessions["quantri"], sessions["vanthu"]
    submitted: deque = deque()
    lock = threading.Lock()
    counter = iter(range(10**9))

    def submit():
        n = next(counter)
        session = citizens[n % len(citizens)]
        files = {f"item_{o}": (f"giay-to-{o}.pdf", PDF.replace(b"\n", f"\n%{n}-{o}\n".encode(), 1)) for o in orders}
        body, ctype = multipart({"procedure_code": "1.001193", "receiving_agency": "000.01.31.H37"}, files)
        return loadgen.Request("POST", "/api/me/dossiers", body, {**session.headers(), "Content-Type": ctype,
                                                                   "Idempotency-Key": secrets.token_hex(12)},
                               ok=lambda status: status in (200, 201))

    def accept():
        with lock:
            dossier_id = submitted.popleft() if submitted else None
        if dossier_id is None:
            return loadgen.Request("GET", "/api/staff/inbox?box=tiep-nhan", headers=officer.headers(),
                                   ok=lambda status: status == 200)
        return loadgen.Request("POST", f"/api/staff/dossiers/{dossier_id}/actions/accept", b"{}",
                               {**officer.headers(), "Content-Type": "application/json"},
                               ok=lambda status: status in (200, 409))

    def lookup():
        code, secret = lookups[secrets.randbelow(len(lookups))]
        return loadgen.Request("GET", f"/api/public/dossiers/{code}?khoa={secret}", ok=lambda s: s == 200)

    def document_search():
        q = DOCUMENT_QUERIES[secrets.randbelow(len(DOCUMENT_QUERIES))]
        return loadgen.Request("GET", "/api/documents?q=" + q.replace(" ", "+"), headers=clerk.headers(),
                               ok=lambda s: s == 200)

    streams = [
        loadgen.Stream("submit", RATES["submit"], submit),
        loadgen.Stream("accept", RATES["accept"], accept),
        loadgen.Stream("inbox", RATES["inbox"], lambda: loadgen.Request(
            "GET", "/api/staff/inbox", headers=officer.headers(), ok=lambda s: s == 200)),
        loadgen.Stream("lookup", RATES["lookup"] if lookups else 0, lookup),
        loadgen.Stream("catalog", RATES["catalog"], lambda: loadgen.Request(
            "GET", "/api/procedures?q=" + QUERIES[secrets.randbelow(len(QUERIES))].replace(" ", "+"),
            ok=lambda s: s == 200)),
        loadgen.Stream("scoreboard", RATES["scoreboard"], lambda: loadgen.Request(
            "GET", "/api/reporting/scoreboard?period=year&year=2025", headers=admin.headers(),
            ok=lambda s: s == 200)),
        loadgen.Stream("public_stats", RATES["public_stats"], lambda: loadgen.Request(
            "GET", "/api/reporting/public?period=year&year=2025", ok=lambda s: s == 200)),
        loadgen.Stream("documents", RATES["documents"], document_search),
    ]
    streams = [loadgen.Stream(s.name, s.rate * scale, s.make) for s in streams]
    # The officers accept what the citizens submitted: a watcher feeds the ids of new dossiers to the accept stream.
    stop = threading.Event()

    def watcher():
        seen = set()
        while not stop.is_set():
            status, data = officer.request("GET", "/api/staff/inbox?box=tiep-nhan&page_size=100")
            if status == 200:
                for item in json.loads(data).get("items", []):
                    if item["id"] not in seen:
                        seen.add(item["id"])
                        with lock:
                            submitted.append(item["id"])
            time.sleep(1.0)

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    try:
        return {"scale": scale, **loadgen.run(base, streams, minutes * 60, threads=48, server_pid=server_pid,
                                               db_pid=db_pid)}
    finally:
        stop.set()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_500_000)
    parser.add_argument("--documents", type=int, default=400_000)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--scales", default="1,1.5,2", help="multiples of the peak-hour rates, comma-separated")
    args = parser.parse_args()
    main(args.dossiers, args.documents, args.minutes, args.workers, [float(x) for x in args.scales.split(",")])
