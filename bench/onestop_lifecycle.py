"""The one-stop-shop's service layer on PostgreSQL: dossiers through their whole life, beside ``pgbench -N``.

Migrates and loads the demo into the database of ``DATABASE_URL`` (a fresh one: ``scripts/with-postgres``), then drives
N dossiers (default 300) in this one process through the services, as the web views would: the citizen creates an
online dossier, uploads its components and submits it; the desk accepts it; the commune's officer forwards it; the
chairman attaches the result and approves it; the desk returns it electronically. Each of those state changes is a
transaction with a row lock, an event, an audit record and a queued notification. Transitions per second are set
against ``pgbench -N`` (scale 10, 2 clients, 10 s) run in a separate database of the same server in the same run.

Usage: ``scripts/with-postgres .venv/bin/python bench/onestop_lifecycle.py [N] [--profile FILE]`` (cProfile of the
timed part into FILE). One JSON line; ``"skipped"`` when ``DATABASE_URL`` is not PostgreSQL.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from glob import glob
from pathlib import Path
from urllib.parse import unquote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_database, emit, tinhso  # noqa: E402

PROCEDURE = "1.002211"  # a commune procedure offered online, two components, four steps
DESK = "000.01.31.H37"  # the demo commune desk with demo staff
PEOPLE = {"citizen": "congdan", "officer": "tiepnhan.lvt", "specialist": "congchuc.lvt", "leader": "chutich.lvt"}
PGBENCH_DB = "tinhso_pgbench"
WARM_UP = 5


def pg_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise SystemExit(f"{name} not found (Debian package postgresql-client)")
    return found


def pgbench_tps(url: str, seconds: int = 10) -> float:
    """``pgbench -N`` (no branch/teller updates) on a scale-10 database created beside the application's."""
    parsed = urlparse(url)
    conn = ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", unquote(parsed.username or "")]
    env = dict(os.environ, PGPASSWORD=unquote(parsed.password or ""))

    def run(*args: str) -> str:
        return subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout

    run(pg_tool("dropdb"), "--if-exists", *conn, PGBENCH_DB)
    run(pg_tool("createdb"), *conn, PGBENCH_DB)
    try:
        run(pg_tool("pgbench"), "-i", "-s", "10", "-q", *conn, PGBENCH_DB)
        out = run(pg_tool("pgbench"), "-N", "-c", "2", "-j", "2", "-T", str(seconds), *conn, PGBENCH_DB)
    finally:
        run(pg_tool("dropdb"), "--if-exists", *conn, PGBENCH_DB)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out) or re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1))


def drive(count: int, first: int = 0) -> int:
    """``count`` dossiers from draft to returned result; returns the number of service calls made (uploads too)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tinhso.core.models import Agency, User
    from tinhso.onestop import services
    from tinhso.onestop.models import Dossier
    from tinhso.onestop.simulation import pdf_document

    people = {role: User.objects.get(username=name) for role, name in PEOPLE.items()}
    desk = Agency.objects.get(code=DESK)
    calls = 0

    def upload(number: int, title: str) -> SimpleUploadedFile:
        content = pdf_document(title, [f"Benchmark dossier {number}", title])
        return SimpleUploadedFile(f"tai-lieu-{number}.pdf", content, content_type="application/pdf")

    for number in range(first, first + count):
        dossier = services.create_dossier(people["citizen"], procedure_code=PROCEDURE, channel_kind="online",
                                          receiving_agency=desk, delivery=Dossier.Delivery.ELECTRONIC)
        for item in dossier.items.filter(mandatory=True):
            services.add_attachment(people["citizen"], dossier, upload(number, item.name[:80]), item=item)
            calls += 1
        dossier = services.submit(people["citizen"], dossier)
        dossier = services.accept(people["officer"], dossier)
        dossier = services.forward(people["specialist"], dossier, note="Hồ sơ hợp lệ, đề nghị phê duyệt")
        services.attach_result(people["leader"], dossier, upload(number, "Kết quả giải quyết"))
        dossier = services.decide(people["leader"], dossier, Dossier.Outcome.APPROVED)
        services.return_result(people["officer"], dossier)
        calls += 7
    return calls


def main(count: int, profile: str | None) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        emit({"bench": "onestop_lifecycle", "skipped": "needs PostgreSQL"})
        return
    with bench_database() as env:
        tinhso(env, "migrate", "--no-input")
        tinhso(env, "demo")
        tps = pgbench_tps(env["DATABASE_URL"])

        os.environ.update(env)
        import django

        django.setup()
        from tinhso.onestop.models import DossierEvent

        drive(WARM_UP)
        events = DossierEvent.objects.count()
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        calls = drive(count, first=WARM_UP)
        elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        transitions = DossierEvent.objects.count() - events
        rate = transitions / elapsed
        emit({"bench": "onestop_lifecycle", "db": "postgresql", "dossiers": count, "transitions": transitions,
              "service_calls": calls, "seconds": round(elapsed, 2), "transitions_per_s": round(rate, 1),
              "pgbench_N_tps": round(tps, 1), "ratio": round(rate / tps, 4)})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dossiers", nargs="?", type=int, default=300)
    parser.add_argument("--profile", help="write a cProfile of the timed part to this file")
    args = parser.parse_args()
    main(args.dossiers, args.profile)
