"""``kind_forms``: on a photo alone unlike the training photos, the kind of thing the classifier sees, in the forms
people post it under, below the first tag (issue 20, eleventh stop: a moped is #motorbike #biker too; a launch read
as a missile and a projectile is #rocket), and ``fusion.fuse``'s ``under_first``."""
import numpy as np
import pytest

from taglens.features import PostFeatures
from taglens.knowledge.image_tags import get_image_tag_map
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base import fusion
from taglens.suggesters.taglens_base.sources import kind_forms
from taglens.types import Post, Suggestion

MOPED = {"moped": 0.48, "motor scooter": 0.16, "crash helmet": 0.05}
LAUNCH = {"missile": 0.30, "projectile": 0.20, "space shuttle": 0.05}


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def photo(classes: dict[str, float], text: str = "", tags: tuple = ()) -> PostFeatures:
    names = get_image_tag_map().names
    p = np.full(1000, 1e-5)
    for name, share in classes.items():
        p[names.index(name)] = share
    logits = np.log(p / p.sum()).astype(np.float32)[None, :]
    return PostFeatures(Post(text=text, hashtags=tags), text, tags, frozenset(tags),
                        {"pooled": np.ones((1, 1280), np.float32), "logits": logits}, None)


@pytest.fixture
def familiarity(model, monkeypatch):
    def set_to(value):
        monkeypatch.setattr(model.source("image"), "familiarity", lambda features: value)
    return set_to


def test_the_kinds_forms_of_what_is_seen(model, familiarity):
    familiarity(0.05)
    source = model.source("kind_forms")
    ev = source.evidence(None, photo(MOPED))
    assert {"motorcycle", "motorbike"} <= set(ev), ev
    assert "moped" not in ev  # its own name (strength 1) is no kind's form
    tabby = source.evidence(None, photo({"tabby": 0.9}))
    assert "cat" in tabby and "animals" not in tabby  # nor the broader category (0.5)
    assert "moped" in ev["motorbike"][1]  # the reason says what is seen
    assert "rocket" in source.evidence(None, photo(LAUNCH))  # two classes agree on the kind
    assert source.gain(None, photo(MOPED)) == pytest.approx(1 - 0.05 / kind_forms.FAMILIAR)


def test_silent_on_familiar_photos_and_under_a_caption_or_a_tag(model, familiarity):
    source = model.source("kind_forms")
    familiarity(kind_forms.FAMILIAR)
    assert source.evidence(None, photo(MOPED)) == {}
    familiarity(0.05)
    assert source.evidence(None, photo(MOPED, text="New bike, first ride")) == {}
    assert source.evidence(None, photo(MOPED, tags=("bike",))) == {}


def test_under_first_never_lifts_a_tag_above_the_first():
    evidence = {"a": {"travel": (1.0, "trained"), "vehicle": (0.5, "map")}, "u": {"rocket": (9.0, "kind")}}
    weights = {"a": 1.0, "u": 1.0}
    free = fusion.fuse(evidence, {}, frozenset(), 3, weights)
    assert free[0].tag == "rocket"  # summed as any source, it takes the first place
    under = fusion.fuse(evidence, {}, frozenset(), 3, weights, under_first=["u"])
    assert [s.tag for s in under] == ["travel", "rocket", "vehicle"]
    assert under[1].score < under[0].score and under[1].source == "u"
    alone = fusion.fuse({"u": evidence["u"]}, {}, frozenset(), 3, weights, under_first=["u"])
    assert alone[0].tag == "rocket"  # nothing else said: it ranks freely
    first = fusion.fuse({**evidence, "u": {"travel": (2.0, "kind")}}, {}, frozenset(), 3, weights, under_first=["u"])
    assert first[0].tag == "travel" and first[0].score == pytest.approx(3.0)  # the first tag itself gets it all


def test_under_first_passes_a_category_only_to_just_above_it():
    # the rocket alone: ConSE's #vehicle first, the kind #rocket held under it; a kind may pass its own category
    evidence = {"a": {"vehicle": (1.0, "conse"), "photography": (0.8, "trained")}, "u": {"rocket": (9.0, "kind")}}
    weights = {"a": 1.0, "u": 1.0}
    held = fusion.fuse(evidence, {}, frozenset(), 3, weights, under_first=["u"])
    assert [s.tag for s in held] == ["vehicle", "rocket", "photography"]
    passed = fusion.fuse(evidence, {}, frozenset(), 3, weights, under_first=["u"],
                         passes=lambda tag, other: (tag, other) == ("rocket", "vehicle"))
    assert [s.tag for s in passed] == ["rocket", "vehicle", "photography"]
    assert passed[0].score == pytest.approx(1.0, rel=1e-4)  # its category's place, not its own 9
    other = fusion.fuse({**evidence, "a": {"travel": (1.0, "trained"), "vehicle": (0.9, "conse")}}, {}, frozenset(),
                        3, weights, under_first=["u"], passes=lambda tag, other: other == "vehicle")
    assert other[0].tag == "travel"  # a first tag that is no category of it still holds it under


def test_a_kind_names_its_own_category_only():
    assert kind_forms.names_category("rocket", "vehicle") and kind_forms.names_category("coffee", "drink")
    assert not kind_forms.names_category("dog", "animals")  # instagram6's topic stays first (one level up only)
    assert not kind_forms.names_category("rocket", "travel")
    assert not kind_forms.names_category("daisy", "flower")  # the map's own kind beside a daisy: no category
    assert kind_forms.names_category("beetle", "insect")
    assert not kind_forms.names_category("architecture", "buildings")  # a plural is a scene of many
    assert not kind_forms.names_category("cheese", "food")  # a trained topic, instagram6's gold first, stays first


def test_a_photo_alone_shows_a_kind_before_its_category(model):
    # the bundled coffee alone showed #drink #coffee #table
    shown = [Suggestion("drink", 0.33), Suggestion("coffee", 0.28), Suggestion("table", 0.25)]
    out = kind_forms.kind_before_category(shown)
    assert [s.tag for s in out] == ["coffee", "drink", "table"] and out[0].score > out[1].score
    kept = [Suggestion("food", 0.5), Suggestion("cheese", 0.4)]
    assert kind_forms.kind_before_category(kept) == kept
    assert kind_forms.kind_before_category(shown[:1]) == shown[:1]
    ev = {"image_protos": {"drink": (0.9, "similar photos")}, "conse": {"coffee": (0.8, "seen: espresso")}}
    weights = {"image_protos": 1.0, "conse": 1.0}
    assert [s.tag for s in model.fuse(ev, {}, frozenset(), 2, weights=weights, alone=True)] == ["coffee", "drink"]
    assert [s.tag for s in model.fuse(ev, {}, frozenset(), 2, weights=weights)] == ["drink", "coffee"]  # captioned


def test_a_moped_alone_shows_its_forms_under_its_first_tag(model, familiarity):
    familiarity(0.05)
    features = photo(MOPED)
    ev, gains, exclude = model.evidence(features)
    top = [s.tag for s in model.fuse(ev, gains, exclude, 5)]
    without = {k: v for k, v in ev.items() if k != "kind_forms"}
    assert top[0] == model.fuse(without, gains, exclude, 1)[0].tag
    assert "motorbike" in top, top
