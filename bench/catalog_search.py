"""Catalogue search and procedure pages under load, beside a bare Django JSON view on the same server.

Loads the national catalogue (1,763 procedures from ../shared/data, else the demo's) into a fresh database, serves it
with granian (2 workers), and runs wrk against each endpoint and against the bare view. One JSON line per endpoint:
requests/s, p50/p99 latency, and the ratio to the bare view measured in the same run.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import SHARED_DATA, bench_database, emit, server, tinhso, wrk  # noqa: E402

ENDPOINTS = {
    "api_search": "/api/procedures?q=giay%20phep%20xay%20dung",
    "api_detail": "/api/procedures/1.013225",
    "page_search": "/thu-tuc/?q=dang%20ky%20khai%20sinh",
    "page_detail": "/thu-tuc/1.013225/",
}


def main(seconds: int = 10) -> None:
    with bench_database() as env:
        tinhso(env, "migrate", "--no-input")
        catalogue = SHARED_DATA / "tthc-catalogue" / "procedures.jsonl.gz"
        if catalogue.exists():
            tinhso(env, "import-procedures", str(catalogue), "--no-progress")
        else:
            tinhso(env, "demo")
        db = "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite"
        with server(env) as base:
            bare = wrk(base + "/_bench/bare", seconds=seconds)
            emit({"bench": "catalog_search", "endpoint": "bare_django_view", "db": db, **bare})
            for name, path in ENDPOINTS.items():
                result = wrk(base + path, seconds=seconds)
                emit({"bench": "catalog_search", "endpoint": name, "db": db, **result,
                      "baseline_rps": bare["rps"], "ratio": round(result["rps"] / bare["rps"], 3)})


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
