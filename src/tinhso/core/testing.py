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


def text_pdf(text: str) -> bytes:
    """A small valid one-page PDF showing ``text`` (ASCII, Helvetica): a file for tests that need a real PDF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj".encode() + obj + b"endobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
