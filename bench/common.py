"""Shared benchmark plumbing: a throwaway database, a production-like HTTP server, wrk runs, JSON lines."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SHARED_DATA = REPO.parent / "shared" / "data"


def emit(record: dict) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def bench_database():
    """A fresh, empty database for one benchmark: on the PostgreSQL server of ``DATABASE_URL`` a new database created
    for it and dropped after it (benchmarks run one after another on the same server), else a temporary SQLite file."""
    tmp = tempfile.mkdtemp(prefix="tinhso-bench-")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings", TINHSO_VAR_DIR=tmp,
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    server_url = env["DATABASE_URL"] if env["DATABASE_URL"].startswith(("postgres://", "postgresql://")) else None
    name = f"tinhso_bench_{os.getpid()}"
    if server_url:
        _admin(server_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = server_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield env
    finally:
        if server_url:
            _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def _admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def tinhso(env: dict, *args: str) -> str:
    out = subprocess.run([str(BIN / "tinhso"), *args], env=env, check=True, capture_output=True, text=True)
    return out.stdout


@contextmanager
def server(env: dict, workers: int = 2, info: dict | None = None, threads: int = 4):
    """granian (the production server) with ``workers`` processes of ``threads`` request threads each on a free
    loopback port (as docs/deployment.md configures it: the threads bound the database connections); ``info``
    receives its ``pid`` (the process group of the server and its workers)."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--blocking-threads", str(threads),
         "--no-ws", "--log-level", "error", "tinhso.wsgi:application"],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    if info is not None:
        info["pid"] = proc.pid
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, *, seconds: int = 10, connections: int = 16, threads: int = 2) -> dict:
    """Requests per second and latency percentiles from ``wrk --latency``; non-2xx responses counted."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found (Debian package wrk)")
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         check=True, capture_output=True, text=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        result[f"p{pct}_ms"] = round(_ms(re.search(rf"\s{pct}%\s+([\d.]+\w+)", out).group(1)), 2)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["errors"] = int(bad.group(1)) if bad else 0
    return result
