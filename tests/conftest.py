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


@pytest.fixture
def optimizer_threads(monkeypatch) -> list[int]:
    """The torch thread count at every AdamW step taken while the test runs, in order."""
    import torch

    seen: list[int] = []
    real_step = torch.optim.AdamW.step

    def step(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", step)
    return seen


def _make_clip(path, n=24, size=(64, 48), codec="mpeg4"):
    """Write a short real video (frames fading from dark to light) with PyAV."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=12)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(n):
            a = np.full((size[1], size[0], 3), (i * 10) % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(a, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="session")
def make_clip():
    return _make_clip
