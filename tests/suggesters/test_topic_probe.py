"""The photo's own evidence of vape (issue 20, ``taglens_base.topic_probe``): a logistic probe on the pooled image
features tells a vape post's photo from an ordinary one where the image head's vape mass cannot, and the topic gate
reads it, so a street photo under an everyday caption gets no vape tag while a vape photo still counts as vape."""
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from taglens.data.posts import read_records
from taglens.data.splits import dev_split
from taglens.features import post_features
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base import topic_probe
from taglens.suggesters.taglens_base.topics import MIN_STRENGTH, topic_rows, topic_strength, topic_tags
from taglens.types import Post

# everyday val photos (a shopfront, a street) on which the image head puts 0.4-0.6 of its mass on vape tags, as
# much as on a vape shop's photo; under an everyday caption they got #vape / #vapecommunity
LEAKY = ("scene-9fb010a6d2ac", "scene-b116893b3156")
CAPTION = "Morning walk by the sea ☀️🌴"  # our own caption: MiniLM finds it a little like the vape tags (0.47)


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def vape_train_photos(shared_data: Path, n: int = 30) -> list[Post]:
    recs = [r for r in read_records(shared_data / "vape" / "posts.jsonl")
            if r.images and dev_split(str(r.id)) == "train"]
    return [Post(images=tuple(r.images[:1])) for r in recs[:n]]


def test_the_shipped_probe_reads_pooled_features():
    probe = topic_probe.probes()["vape"]
    assert probe.w.shape == (1280,) and 0.0 < probe.low < probe.full < 1.0
    rng = np.random.default_rng(0)
    x = rng.random((2, 1280), dtype=np.float32)
    assert probe.probability(x) == pytest.approx(1 / (1 + np.exp(-(float(x.mean(0) @ probe.w) + probe.b))), rel=1e-5)
    assert 0.0 <= probe.shows(x) <= 1.0


def test_an_unusable_probe_file_is_said_and_leaves_the_mass_unchecked(tmp_path, caplog):
    bad = tmp_path / "topic_probe.json"
    bad.write_text(json.dumps({"probes": {"vape": {"w": [0.1, 0.2], "b": 0.0, "low": 0.5, "full": 0.2}}}))
    with caplog.at_level(logging.WARNING):
        assert topic_probe.probes.__wrapped__(bad) == {}
    assert "topic probe" in caplog.text and "full <= low" in caplog.text
    assert topic_probe.probes.__wrapped__(tmp_path / "missing.json") == {}


def test_the_probe_tells_a_vape_photo_from_a_street_the_head_cannot(model, shared_data):
    """The head's vape mass is as high on the street photos as on a vape shop's; the probe's is not."""
    rows = topic_rows(model)["vape"]
    head = model.source("image")
    street = post_features([Post(images=(shared_data / "everyday" / "scenes" / "images" / f"{s}.jpg",))
                            for s in LEAKY])
    for f in street:
        assert float(head._read(f)[1][rows].sum()) > 0.3  # the head alone cannot tell
        assert topic_probe.shows(f, "vape") == 0.0
    vape = [topic_probe.shows(f, "vape") for f in post_features(vape_train_photos(shared_data))]
    assert np.mean(np.array(vape) == 1.0) >= 0.75 and np.median(vape) == 1.0
    assert topic_probe.shows(post_features([Post(text="no photo")], images=False)[0], "vape") is None


@pytest.mark.parametrize("scene", LEAKY)
def test_a_street_photo_under_an_everyday_caption_gets_no_vape_tag(model, shared_data, scene):
    photo = shared_data / "everyday" / "scenes" / "images" / f"{scene}.jpg"
    post = Post(images=(photo,), text=CAPTION)
    tags = [s.tag for s in model.suggest(post, k=5)]
    assert not set(tags) & topic_tags()["vape"], tags
    features = post_features([post])[0]
    ev, _, _ = model.evidence(features)
    assert topic_strength(model, features, ev)["vape"] < MIN_STRENGTH


def test_a_vape_photo_under_the_same_caption_still_counts_as_vape(model, shared_data):
    """The probe takes nothing from a photo that looks like the vape posts' photos: under the everyday caption most
    vape train-side photos still show the topic fully (the head's mass on its tags)."""
    full = 0
    posts = [Post(images=p.images, text=CAPTION) for p in vape_train_photos(shared_data)]
    for features in post_features(posts):
        if topic_probe.shows(features, "vape") < 1.0:
            continue
        ev = {name: model.source(name).evidence(features.post, features) for name in ("image",)}
        full += topic_strength(model, features, ev)["vape"] >= MIN_STRENGTH
    assert full >= 15


def test_the_authors_tags_from_elsewhere_outweigh_what_only_looks_like_vape(model, shared_data):
    """A post whose own tags are all used outside vape (#travel, #coffee: 3+ training posts, at most a tenth of them
    vape) is not a vape post because its photo looks like a vape shop's or its caption is a little like the vape
    tags: those vape photos under the everyday caption lose their vape strength with #travel; a vape tag of the
    author's, or a tag no corpus has, does not do that."""
    from taglens.suggesters.taglens_base.topics import author_elsewhere

    kept = 0
    for photo in vape_train_photos(shared_data, 10):
        alone, travel, vape, unknown = post_features(
            [Post(images=photo.images, text=CAPTION, hashtags=tags)
             for tags in ((), ("travel",), ("vape",), ("zzqqxtag",))])
        assert author_elsewhere(travel, "vape") and not author_elsewhere(vape, "vape")
        assert not author_elsewhere(unknown, "vape") and not author_elsewhere(alone, "vape")
        ev = {"image": model.source("image").evidence(alone.post, alone)}
        kept += topic_strength(model, alone, ev)["vape"] >= MIN_STRENGTH
        ev = {"image": model.source("image").evidence(travel.post, travel)}
        assert topic_strength(model, travel, ev)["vape"] < MIN_STRENGTH  # the caption's words say nothing of vape
        assert topic_strength(model, vape, ev)["vape"] == 1.0
    assert kept >= 5  # without the author's tags, most of them count as vape
