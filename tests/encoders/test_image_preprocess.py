"""``encoders.image.preprocess`` resizes a photo at least as wide as high in two calls (the columns, then the rows over
the columns the crop keeps): its pixels must be those of Pillow's one-call resize and crop, bit for bit, for every
shape (wide, square, tall, tiny, long enough to be cut first), or the image features and every ranking move."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from taglens.encoders.image import RESIZE, SIZE, cut_to_aspect, preprocess

PEXELS = Path(__file__).resolve().parents[3] / "shared" / "data" / "pexels_food" / "images"


def plain_preprocess(img: Image.Image) -> np.ndarray:
    """The form ``preprocess`` replaced: one resize of the whole photo, then the centre crop."""
    img = cut_to_aspect(img)
    w, h = img.size
    scale = RESIZE / min(w, h)
    img = img.resize((max(SIZE, round(w * scale)), max(SIZE, round(h * scale))), Image.BICUBIC)
    w, h = img.size
    left, top = (w - SIZE) // 2, (h - SIZE) // 2
    a = np.array(img.crop((left, top, left + SIZE, top + SIZE)), dtype=np.float32)
    a -= 127.0
    a *= 1.0 / 128.0
    return a.transpose(2, 0, 1)


def _photo(w: int, h: int, rng: np.random.Generator, smooth: bool) -> Image.Image:
    a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    if smooth:  # a photo's gentle gradients as well as noise: rounding differs most near mid-levels
        small = Image.fromarray(a).resize((max(1, w // 8), max(1, h // 8)))
        a = np.asarray(small.resize((w, h), Image.BILINEAR))
    return Image.fromarray(a, "RGB")


SHAPES = [(320, 213), (320, 222), (320, 180), (213, 320), (320, 320), (256, 256), (224, 224), (257, 255),
          (255, 257), (300, 256), (256, 300), (640, 480), (1024, 683), (4000, 3000), (500, 375), (683, 512),
          (100, 100), (224, 100), (100, 224), (1, 1), (1, 900), (900, 1), (1600, 90), (90, 1600), (769, 256),
          (768, 256), (767, 256), (1280, 720), (720, 1280), (301, 830), (303, 625), (730, 1478)]


@pytest.mark.parametrize("w,h", SHAPES)
def test_preprocess_is_the_one_call_resize_bit_for_bit(w, h):
    rng = np.random.default_rng(w * 10007 + h)
    for smooth in (False, True):
        img = _photo(w, h, rng, smooth)
        got, want = preprocess(img), plain_preprocess(img)
        assert got.shape == want.shape == (3, SIZE, SIZE)
        assert got.dtype == want.dtype == np.float32
        assert np.array_equal(got, want), (w, h, smooth)


def test_preprocess_random_shapes_bit_for_bit():
    rng = np.random.default_rng(21)
    for w, h in rng.integers(1, 1500, (60, 2)).tolist():
        img = _photo(w, h, rng, bool(rng.integers(2)))
        assert np.array_equal(preprocess(img), plain_preprocess(img)), (w, h)


@pytest.mark.skipif(not PEXELS.is_dir(), reason="the shared pexels_food photos are not here")
def test_preprocess_pexels_photos_bit_for_bit():
    from taglens.media import load_image

    photos = sorted(PEXELS.glob("*.jpg"))[:80]
    assert photos
    for path in photos:
        img = load_image(path)
        assert np.array_equal(preprocess(img), plain_preprocess(img)), path.name
