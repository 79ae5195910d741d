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
