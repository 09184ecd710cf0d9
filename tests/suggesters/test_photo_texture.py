"""taglens-base's ``photo_texture`` source: a photo alone that is a surface filling the frame is #texture #pattern,
said as such, from the pixels (``taglens.vision.texture``), only where the classifier and the trained sources do not
read the photo; with the real encoder on synthetic surfaces and public-domain Pexels photos."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from taglens.features import post_features
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base.sources.photo_texture import REASON
from taglens.types import Post
from taglens.vision.texture import is_texture


def surface(seed: int = 0, side: int = 256) -> Image.Image:
    """A grey surface of small stones: blurred noise, alike everywhere."""
    rng = np.random.default_rng(seed)
    a = rng.normal(128, 50, (side // 4, side // 4)).clip(0, 255).astype(np.uint8)
    return Image.fromarray(a).resize((side, side), Image.BILINEAR).convert("RGB")


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


@pytest.fixture(scope="module")
def texture_photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("texture") / "stones.png"
    surface().save(path)
    return path


def test_a_surface_filling_the_frame_is_a_texture_and_a_thing_on_a_plain_ground_is_not(food_images):
    assert is_texture(surface())
    half = np.asarray(surface()).copy()
    half[:, :128] = 200  # the surface on the right half only: a thing on a plain background
    assert not is_texture(Image.fromarray(half))
    assert not is_texture(Image.new("RGB", (256, 256), (120, 160, 220)))  # a clear sky: no detail
    dark = np.asarray(surface()).astype(float)
    dark[:128] *= 0.3  # alike in detail but not in light: a scene's shadowed half
    assert not is_texture(Image.fromarray(dark.astype(np.uint8)))
    for path in food_images:  # photos of things
        with Image.open(path) as img:
            assert not is_texture(img), path.name


def test_a_texture_alone_unlike_the_training_photos_is_texture_and_pattern(model, texture_photo, monkeypatch):
    head = type(model.source("image"))
    monkeypatch.setattr(head, "familiarity", lambda self, f: 0.01)
    ev, gains, _ = model.evidence(Post(images=(texture_photo,)))
    assert ev["photo_texture"] == {"texture": (pytest.approx(0.11), REASON), "pattern": (pytest.approx(0.1), REASON)}
    got = {s.tag: s for s in model.suggest(Post(images=(texture_photo,)), k=10)}
    assert got["texture"].source == "photo_texture" and got["texture"].reason == REASON
    # with a caption, which carries the post's topic, the source is silent
    ev, gains, _ = model.evidence(Post(images=(texture_photo,), text="The path to the lake"))
    assert "photo_texture" not in ev and gains["photo_texture"] == 0.0


def test_a_texture_the_training_photos_know_is_left_to_the_other_sources(model, texture_photo, monkeypatch):
    monkeypatch.setattr(type(model.source("image")), "familiarity", lambda self, f: 0.5)
    assert "photo_texture" not in model.evidence(Post(images=(texture_photo,)))[0]


def test_a_photo_of_a_thing_is_no_texture_whatever_its_familiarity(model, food_images, monkeypatch):
    monkeypatch.setattr(type(model.source("image")), "familiarity", lambda self, f: 0.01)
    source = model.source("photo_texture")
    for path in food_images:
        f = post_features([Post(images=(path,))], text=False)[0]
        assert source.evidence(f.post, f) == {}, path.name


def stars(seed: int = 0, side: int = 256, n: int = 90, left_only: bool = False) -> Image.Image:
    """A dark frame dotted with small points of light (a deep-sky photo), or with them on its left half only."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 25, (side, side, 3)).astype(np.uint8)
    for _ in range(n):
        y, x = rng.integers(2, side - 2), rng.integers(2, (side // 2 if left_only else side) - 2)
        a[y - 1:y + 2, x - 1:x + 2] = rng.integers(180, 256, 3)
    return Image.fromarray(a)


def test_points_of_light_everywhere_on_a_dark_frame_are_a_field_of_stars():
    from taglens.vision.texture import is_starfield

    assert is_starfield(stars())
    assert not is_starfield(stars(left_only=True))  # a lit object or a row of lights on one side
    assert not is_starfield(stars(n=10))  # a dark photo with a few lights
    assert not is_texture(stars()) and not is_starfield(surface())
    lamp = np.asarray(stars()).copy()
    lamp[100:160, 100:160] = 255  # a lit window: most of the bright pixels in one patch
    assert not is_starfield(Image.fromarray(lamp))


def test_a_field_of_stars_alone_is_stars_space_astronomy(model, tmp_path, monkeypatch):
    from taglens.suggesters.taglens_base.sources.photo_texture import STAR_REASON

    path = tmp_path / "stars.png"
    stars().save(path)
    monkeypatch.setattr(type(model.source("image")), "familiarity", lambda self, f: 0.01)
    ev = model.evidence(Post(images=(path,)))[0]
    assert set(ev["photo_texture"]) == {"stars", "space", "astronomy"}
    assert all(reason == STAR_REASON for _, reason in ev["photo_texture"].values())
    got = [s.tag for s in model.suggest(Post(images=(path,)), k=5) if s.confidence >= 0.05]
    assert {"stars", "space", "astronomy"} <= set(got), got  # (the synthetic sky reads grey: #blackandwhite too)
