"""Test helpers shared by every app's tests (imported by tests only)."""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_data(*parts: str) -> Path:
    """A path under ``../shared/data`` (beside the repository). Skips the test when it is absent, or fails when
    ``TINHSO_REQUIRE_SHARED_DATA=1`` (CI), so that real-data tests never silently stop running there."""
    base = Path(os.environ.get("TINHSO_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
    path = base.joinpath(*parts)
    if not path.exists():
        reason = f"real data not found at {path} (the ../shared folder beside the repository)"
        if os.environ.get("TINHSO_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def run_parallel(calls, *, barrier_timeout: float = 30, join_timeout: float = 120) -> list:
    """Run ``calls`` in threads released together (a barrier), each on its own database connection; return their
    results in order, an exception standing for a failed call (the test asserts on them)."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=barrier_timeout)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    return results
