"""Shared fixtures. Tests that need the developer data (../shared/data) skip, saying why, where it is absent."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from taglens.types import Post

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


def _make_clip(path, n=24, size=(64, 48), codec="mp4v"):
    """Write a short real video (frames fading from dark to light) with OpenCV's FFmpeg: ``codec`` is a fourcc
    (mp4v: MPEG-4 part 2, VP80: VP8, MJPG: Motion JPEG); the container comes from the suffix."""
    import cv2
    import numpy as np

    out = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*codec), 12, size)
    assert out.isOpened(), f"OpenCV cannot write {codec} into {path.name}"
    for i in range(n):
        out.write(np.full((size[1], size[0], 3), (i * 10) % 256, np.uint8))
    out.release()
    return path


@pytest.fixture(scope="session")
def make_clip():
    return _make_clip


# -- synthetic training posts for the model tests: two themes ("red" pasta, "blue" beach) with solid-colour photos
# made here (no user data), captions and hashtags; some posts text-only, some image-only

THEMES = {
    "red": ((200, 30, 30), ["tomato pasta with basil", "red sauce dinner tonight", "homemade pasta, so red",
                            "spicy tomato sauce"], ("red", "pasta", "food")),
    "blue": ((30, 60, 200), ["blue sea and sky", "waves at the beach", "sunny beach day, blue water",
                             "swimming in the sea"], ("blue", "sea", "beach")),
}


def _make_image(path: Path, rgb: tuple[int, int, int], seed: int) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    noise = rng.integers(-25, 26, size=(64, 64, 3))
    arr = np.clip(np.asarray(rgb)[None, None, :] + noise, 0, 255).astype(np.uint8)
    Image.fromarray(arr).save(path, quality=90)
    return path


def _synthetic_posts(folder: Path, n_per_theme: int = 6) -> list[Post]:
    """Posts with images written into ``folder``; every third post has no caption, every fourth no image."""
    folder.mkdir(parents=True, exist_ok=True)
    posts = []
    for t, (theme, (rgb, texts, tags)) in enumerate(THEMES.items()):
        for i in range(n_per_theme):
            image = _make_image(folder / f"{theme}{i}.jpg", rgb, seed=100 * t + i)
            text = "" if i % 3 == 2 else f"{texts[i % len(texts)]} #{theme}vibes"
            images = () if i % 4 == 3 else (image,)
            hashtags = tags[: 2 + i % 2] + ((f"{theme}vibes",) if text else ())
            posts.append(Post(text=text, hashtags=hashtags, images=images, post_id=f"{theme}{i}",
                              user=f"u{t}{i // 2}", meta={"topic": theme, "source": "synthetic"}))
    return posts


def _write_jsonl(path: Path, posts: list[Post]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for p in posts:
            fh.write(json.dumps({"id": p.post_id, "user": p.user, "text": p.text, "hashtags": list(p.hashtags),
                                 "images": [str(Path(i).relative_to(path.parent)) for i in p.images],
                                 "topic": p.meta.get("topic"), "source": "synthetic"}) + "\n")
    return path


@pytest.fixture(scope="session")
def make_image():
    """``make_image(path, rgb, seed)``: a 64x64 JPEG of one colour with noise."""
    return _make_image


@pytest.fixture(scope="session")
def synthetic_posts():
    """``synthetic_posts(folder, n_per_theme=6)``: posts of two themes, their photos written into ``folder``."""
    return _synthetic_posts


@pytest.fixture(scope="session")
def write_jsonl():
    """``write_jsonl(path, posts)``: a posts.jsonl of ``posts``, image paths relative to its folder."""
    return _write_jsonl


@pytest.fixture(scope="session")
def bench_module():
    """``bench_module(name)``: bench/NAME.py as a module (bench/ is no package; scripts there are run by hand)."""
    import importlib.util
    import sys

    def load(name: str):
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        return sys.modules[name]

    return load
