"""The crash-durability script in a small size: concurrent submissions and document issuing against the production
server on PostgreSQL, SIGKILL in the middle, restart, client retries; nothing answered as saved may be lost or
duplicated, and the document numbers have no gap and no duplicate (scripts/crash_durability.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def test_nothing_answered_is_lost_after_a_sigkill():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("needs PostgreSQL (DATABASE_URL): the production configuration; make test-postgres runs it")
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "crash_durability.py"), "--seconds", "5",
                          "--documents", "16", "--threads", "4"], capture_output=True, text=True, timeout=600)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    print(report)
    assert report["answered_before_kill"] > 0
    assert report["lost"] == 0, report
    assert report["duplicates"] == 0, report
    assert report["number_problems"] == 0 and report["documents_numbered"] == 16, report
    assert report["unanswered_after_retry"] == 0, report
    assert out.returncode == 0, out.stderr[-2000:]
