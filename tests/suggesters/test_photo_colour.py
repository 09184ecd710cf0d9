"""taglens-base's ``photo_colour`` source: a photo alone with no colour is #blackandwhite, said as such, from the
pixels (``taglens.vision.colour``) behind the ``colourless`` probe (``taglens.vision.probes``), with the real encoder
and probes on public-domain Pexels photos and grey copies of them."""
from __future__ import annotations

import pytest
from PIL import Image

from taglens.features import post_features
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base.sources.photo_colour import REASON
from taglens.types import Post
from taglens.vision.colour import COLOURLESS, chroma, colourless
from taglens.vision.probes import margins


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


@pytest.fixture(scope="module")
def greys(tmp_path_factory, food_images):
    """Grey copies of the food photos, saved as RGB JPEGs (as a black-and-white photo from a phone is)."""
    folder = tmp_path_factory.mktemp("grey")
    out = []
    for path in food_images:
        grey = folder / path.name
        with Image.open(path) as img:
            img.convert("L").convert("RGB").save(grey, quality=90)
        out.append(grey)
    return out


def test_chroma_reads_colour_from_the_pixels(food_images, greys):
    assert chroma(Image.new("L", (20, 20), 128)) == 0.0
    assert colourless(Image.new("RGB", (20, 20), (90, 90, 92)))  # a tint under JPEG's noise
    assert not colourless(Image.new("RGB", (20, 20), (200, 40, 40)))
    for path, grey in zip(food_images, greys):
        with Image.open(path) as img:
            assert chroma(img) > COLOURLESS, path.name
        with Image.open(grey) as img:
            assert colourless(img), grey.name


def test_the_probe_passes_grey_photos(greys):
    pooled = post_features([Post(images=(p,)) for p in greys], text=False)
    passed = [margins("colourless", f.images["pooled"])[0] >= 0 for f in pooled]
    assert sum(passed) >= len(greys) - 1, passed


def test_a_grey_photo_alone_is_blackandwhite_with_its_reason(model, food_images, greys):
    grey = next(p for p in greys if margins("colourless", post_features([Post(images=(p,))], text=False)[0]
                                             .images["pooled"])[0] >= 0)
    ev, gains, _ = model.evidence(Post(images=(grey,)))
    assert ev["photo_colour"]["blackandwhite"] == (pytest.approx(0.12), REASON) and gains["photo_colour"] == 1.0
    got = model.suggest(Post(images=(grey,)), k=10)
    assert any(s.tag == "blackandwhite" and s.source == "photo_colour" and s.reason == REASON for s in got), got
    colour = food_images[[p.name for p in food_images].index(grey.name)]
    assert "photo_colour" not in model.evidence(Post(images=(colour,)))[0]  # its colour original
    # with a caption, which carries the post's topic, the source is silent
    ev, gains, _ = model.evidence(Post(images=(grey,), text="Dinner with friends tonight"))
    assert "photo_colour" not in ev and gains["photo_colour"] == 0.0


def test_a_post_with_a_colour_photo_among_grey_ones_is_not_blackandwhite(model, food_images, greys):
    ev, _, _ = model.evidence(Post(images=(greys[0], food_images[1])))
    assert "photo_colour" not in ev



def test_features_from_the_cache_are_read_again_and_a_colour_photo_is_not_grey(model, food_images, greys):
    """Without the decoded frames (features from the cache) the photo is read again from its file."""
    source = model.source("photo_colour")
    for path, want in ((greys[0], True), (food_images[0], False)):
        f = post_features([Post(images=(path,))], text=False)[0]
        f.images.pop("frames", None)
        if margins("colourless", f.images["pooled"])[0] >= 0 or want:
            assert source._grey(f) is want, path.name


def test_the_chroma_is_kept_with_cached_features_so_the_photo_is_not_read_again(model, greys, tmp_path, monkeypatch):
    """The chroma of the encoder's own decode goes into the feature cache with the features (issue 21): a grey photo
    whose features come from the cache is judged by it, the same value as the fresh decode's, without reading the
    file again."""
    import uuid

    import numpy as np

    from taglens.suggesters.taglens_base.sources import photo_colour

    grey = next(p for p in greys if margins("colourless", post_features([Post(images=(p,))], text=False)[0]
                                             .images["pooled"])[0] >= 0)
    fresh = tmp_path / "fresh.jpg"  # bytes after the JPEG's end: a file the feature cache has never seen
    fresh.write_bytes(grey.read_bytes() + uuid.uuid4().hex.encode())
    first = post_features([Post(images=(fresh,))], text=False, frames=True)[0]
    assert first.images["frames"][0] is not None and first.images["chroma"][0] == chroma(first.images["frames"][0])
    cached = post_features([Post(images=(fresh,))], text=False)[0]
    assert "frames" not in cached.images and cached.images["chroma"][0] == first.images["chroma"][0]

    def no_reading(*_):
        raise AssertionError("read again")

    monkeypatch.setattr(photo_colour, "_reopened", no_reading)
    assert model.source("photo_colour")._grey(cached) is True
    tinted = dict(cached.images, chroma=np.array([COLOURLESS + 1.0]))  # the kept value decides, not a new read
    assert model.source("photo_colour")._grey(type(cached)(cached.post, "", (), frozenset(), tinted)) is False


def test_a_post_suggested_alone_has_its_chroma_written_by_the_writing_thread(greys, tmp_path):
    """One post at a time (``pending_post_features``), the chroma is computed where the cache is written, after the
    answer: the cached value is the one the decoded frame gives."""
    import time
    import uuid

    from taglens.encoders import cache
    from taglens.features import pending_post_features

    grey = next(p for p in greys if margins("colourless", post_features([Post(images=(p,))], text=False)[0]
                                             .images["pooled"])[0] >= 0)
    fresh = tmp_path / "alone.jpg"
    fresh.write_bytes(grey.read_bytes() + uuid.uuid4().hex.encode())
    pending = pending_post_features(Post(images=(fresh,)))
    frame = pending.images["frames"][0]
    assert frame is not None and "chroma" not in pending.images  # the frame is there for this post
    pending.answered()
    path = cache.feature_file(cache.feature_key(fresh))
    for _ in range(200):
        if path.exists():
            break
        time.sleep(0.05)
    assert cache.load(path, ("chroma",))["chroma"][0] == chroma(frame)
