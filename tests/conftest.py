"""Shared fixtures. Tests that need the developer data (../shared/data) skip, saying why, where it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TAGLENS_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The developer data folder; skips the test where it is absent (a user's machine)."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"developer data not found at {SHARED_DATA} (set TAGLENS_SHARED_DATA); CI always has it")
    return SHARED_DATA


@pytest.fixture(scope="session")
def food_images() -> list[Path]:
    """Public-domain Pexels food photos bundled as fixtures (see tests/fixtures/ATTRIBUTION.md)."""
    folder = REPO / "tests" / "fixtures" / "images"
    return sorted(folder.glob("*.jpg"))
