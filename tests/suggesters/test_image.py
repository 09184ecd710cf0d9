"""Image-only suggesters: linear/MLP heads and nearest neighbours on EfficientNet-Lite0 features."""
from __future__ import annotations

import logging

import pytest

from taglens.exceptions import DataError, ImageError, ModelError
from taglens.registry import create_suggester
from taglens.model_folder import load_suggester
from taglens.types import Post

FAST = {"effnet-linear": {"epochs": 40, "min_count": 1, "lr": 5e-3, "weight_decay": 1e-4, "dropout": 0.0},
        "effnet-mlp": {"epochs": 40, "hidden": 64, "min_count": 1, "lr": 5e-3, "dropout": 0.0},
        "effnet-knn": {"neighbours": 3}}


@pytest.fixture(scope="module")
def posts(tmp_path_factory, synthetic_posts):
    return synthetic_posts(tmp_path_factory.mktemp("image"))


@pytest.fixture(scope="module")
def queries(tmp_path_factory, make_image):
    folder = tmp_path_factory.mktemp("image_queries")
    return {"red": make_image(folder / "red.jpg", (210, 40, 35), seed=999),
            "blue": make_image(folder / "blue.jpg", (35, 70, 210), seed=998)}


@pytest.mark.parametrize("name", sorted(FAST))
def test_learns_from_the_image(name, posts, queries):
    model = create_suggester(name, **FAST[name]).fit(posts)
    red = [s.tag for s in model.suggest(Post(images=(queries["red"],)), k=3)]
    blue = [s.tag for s in model.suggest(Post(images=(queries["blue"],)), k=3)]
    assert "red" in red and "blue" not in red
    assert "blue" in blue and "red" not in blue
    assert model.suggest(Post(images=(queries["red"],)), k=1)[0].source == "image"


@pytest.mark.parametrize("name", sorted(FAST))
def test_no_image_falls_back_on_the_prior(name, posts):
    model = create_suggester(name, **FAST[name]).fit(posts)
    got = model.suggest(Post(text="tomato pasta"), k=2)
    assert len(got) == 2 and {s.source for s in got} == {"prior"}
    assert not model.uses_input(Post(text="tomato pasta"))


def test_corrupt_training_image_skips_the_post_with_a_warning(posts, tmp_path, caplog):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    data = list(posts) + [Post(text="x", hashtags=("broken",), images=(bad,))]
    with caplog.at_level(logging.WARNING):
        model = create_suggester("effnet-knn").fit(data)
    assert "broken.jpg" in caplog.text and "skipping 1 posts with an unreadable image" in caplog.text
    assert "broken" not in model.vocab_.tags


def test_corrupt_query_image_is_an_image_error(posts, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"GIF89a truncated")
    model = create_suggester("effnet-knn").fit(posts)
    with pytest.raises(ImageError, match="broken.jpg"):
        model.suggest(Post(images=(bad,)))


def test_no_readable_image_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="none of the 1 training posts has an image .an image-only model"):
        create_suggester("effnet-linear").fit([Post(text="a", hashtags=("a",))])
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a jpeg")
    with pytest.raises(DataError, match="none of the 1 training posts with an image has a readable one"):
        create_suggester("effnet-linear").fit([Post(images=(broken,), hashtags=("a",)), Post(hashtags=("b",))])


def test_loading_another_config_or_version_is_a_clear_error(posts, tmp_path):
    import json

    model = create_suggester("effnet-linear", **FAST["effnet-linear"]).fit(posts)
    folder = model.save(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["params"]["hidden"] = 64  # weights of a linear head, config of an MLP
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="do not match"):
        load_suggester(folder)
    config["taglens"]["format"] = 999
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="format 999"):
        load_suggester(folder)
