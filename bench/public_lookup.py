"""Public dossier lookup under load (production server), beside a bare Django JSON view on the same server.

Migrates a fresh database, loads the demo and simulates dossiers, then serves it with granian (2 workers) and runs
wrk against `GET /api/public/dossiers/{code}?khoa=…` for one accepted dossier and against the bare view. The
lookup's rate limit is lifted for the run (it would otherwise answer 429 to a load test from one address).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_database, emit, server, tinhso, wrk  # noqa: E402

PICK = """
import json
from tinhso.onestop.models import Dossier
d = Dossier.objects.filter(code__isnull=False).order_by("pk").first()
print(json.dumps({"code": d.code, "secret": d.lookup_secret}))
"""


def main(seconds: int = 10, dossiers: int = 200) -> None:
    with bench_database() as env:
        env["TINHSO_LOOKUP_RATE"] = "1000000/m"
        tinhso(env, "migrate", "--no-input")
        tinhso(env, "demo")
        tinhso(env, "simulate", "--dossiers", str(dossiers), "--days", "20", "--seed", "1")
        out = subprocess.run([str(Path(sys.executable).parent / "tinhso"), "shell", "-c", PICK],
                             env=env, check=True, capture_output=True, text=True).stdout
        picked = json.loads(out.strip().splitlines()[-1])
        db = "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite"
        with server(env) as base:
            bare = wrk(base + "/_bench/bare", seconds=seconds)
            emit({"bench": "public_lookup", "endpoint": "bare_django_view", "db": db, **bare})
            url = f"{base}/api/public/dossiers/{picked['code']}?khoa={picked['secret']}"
            result = wrk(url, seconds=seconds)
            emit({"bench": "public_lookup", "endpoint": "api_public_dossier", "db": db, **result,
                  "baseline_rps": bare["rps"], "ratio": round(result["rps"] / bare["rps"], 3)})


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
