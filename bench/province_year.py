"""A province-year and its peak hour: bulk-load a year of a large province, then replay peak traffic against the
production server configuration (granian, several worker processes) on PostgreSQL.

Load: the demo province, ``tinhso simulate`` for real dossiers with codes, steps and files (the ones the lookups and
officers use), then ``--dossiers`` (default 1,500,000) dossiers of 2025 in bulk with their components, facts and
scoreboard aggregates (bench/scoreboard.py's generator). Official documents are not bulk-loaded here (their search is
measured at 1 M in bench/document_search.py).

Peak traffic, open loop, for ``--minutes`` (default 3), the rates of a peak hour:
- ``submit``: online submissions, ``POST /api/me/dossiers`` with two PDFs and an Idempotency-Key — 300 per minute;
- ``accept``: the receiving officers accept what was submitted (``POST …/actions/accept``) — as fast as it arrives;
- ``inbox``: officers' work lists ``GET /api/staff/inbox``;
- ``lookup``: public lookups ``GET /api/public/dossiers/{code}?khoa=…``;
- ``catalog``: procedure searches ``GET /api/procedures?q=…``;
- ``scoreboard`` and ``public_stats``: the leaders' QĐ 766 scoreboard and the public statistics (province, year).

Reports one JSON line: per stream the achieved rate, p50/p95/p99 and errors (any status ≥ 500, or a refused request
of a kind that should succeed), the server's CPU time as a share of the machine, and from it an estimate of how many
such provinces one server of this size carries (the share of the machine a province's peak hour uses, inverted,
keeping 30 % headroom) — with the caveat that the load generator shares the machine.

Usage: ``scripts/with-postgres .venv/bin/python bench/province_year.py [--dossiers N] [--minutes M] [--workers W]``.
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
from bench.common import bench_database, emit, server, tinhso  # noqa: E402
from bench.httpclient import Session, multipart  # noqa: E402

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
       b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
       b"startxref\n164\n%%EOF\n")
RATES = {"submit": 5.0, "accept": 5.0, "inbox": 2.0, "lookup": 10.0, "catalog": 3.0, "scoreboard": 0.5,
         "public_stats": 1.0}
QUERIES = ["giay phep xay dung", "khai sinh", "dang ky ket hon", "ho kinh doanh", "chung thuc", "doanh nghiep"]


def main(dossiers: int, minutes: float, workers: int) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        emit({"bench": "province_year", "skipped": "needs PostgreSQL"})
        return
    with bench_database() as env:
        env["TINHSO_LOOKUP_RATE"] = "1000000/m"
        tinhso(env, "migrate", "--no-input")
        tinhso(env, "demo")
        started = time.perf_counter()
        tinhso(env, "simulate", "--dossiers", "300", "--days", "30", "--seed", "7")
        simulate_s = time.perf_counter() - started
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection

        from bench import scoreboard as sb
        from tinhso.catalog.models import Procedure
        from tinhso.onestop.models import Dossier

        with connection.cursor() as cursor:
            combos, units = sb.setup_tables(cursor)
            cursor.execute("SELECT coalesce(max(id), 0) FROM onestop_dossier")
            first = cursor.fetchone()[0] + 1
        started = time.perf_counter()
        timings = sb.load(first, first + dossiers - 1, combos, units) if dossiers else {}
        load_s = time.perf_counter() - started
        lookups = list(Dossier.objects.exclude(code=None).values_list("code", "lookup_secret")[:500])
        orders = sorted(Procedure.objects.get(code="1.001193").current.components.filter(mandatory=True)
                        .values_list("order", flat=True))
        connection.close()

        info: dict = {}
        with server(env, workers=workers, info=info) as base:
            port = int(base.rsplit(":", 1)[1])
            citizens = [Session(port, "congdan"), Session(port, "doanhnghiep")]
            officer, admin = Session(port, "tiepnhan.lvt"), Session(port, "quantri")
            result = replay(base, port, info["pid"], citizens, officer, admin, lookups, orders, minutes)
        share = result["server_cpu_share"] or 0
        emit({"bench": "province_year", "db": "postgresql", "dossiers_bulk": dossiers, "simulated": 300,
              "simulate_s": round(simulate_s, 1), "bulk_load_s": round(load_s, 1), "workers": workers,
              "minutes": minutes, **{k: v for k, v in result.items() if k != "streams"},
              "provinces_per_server": round(0.7 / share, 1) if share else None,
              "streams": result["streams"], **{f"load_{k}": v for k, v in timings.items()}})


def replay(base, port, pid, citizens, officer, admin, lookups, orders, minutes) -> dict:
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
    ]
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
        return loadgen.run(base, streams, minutes * 60, threads=48, server_pid=pid)
    finally:
        stop.set()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_500_000)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    main(args.dossiers, args.minutes, args.workers)
