"""``class_rates``: on a photo alone that is unlike the training photos, the open-world map's tags that photos
showing the same classes are really tagged with lead (issue 20: a mountain is #mountain before #travel)."""
import numpy as np
import pytest

from taglens.features import PostFeatures
from taglens.knowledge.image_tags import get_image_tag_map, image_tags
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base import fusion
from taglens.suggesters.taglens_base.sources import class_rates
from taglens.suggesters.taglens_base.topics import topic_tags
from taglens.types import Post

MOUNTAIN = {"alp": 0.5, "valley": 0.3, "volcano": 0.2}


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def photo(classes: dict[str, float], pooled: np.ndarray, text: str = "") -> PostFeatures:
    names = get_image_tag_map().names
    p = np.full(1000, 1e-5)
    for name, share in classes.items():
        p[names.index(name)] = share
    logits = np.log(p / p.sum()).astype(np.float32)[None, :]
    return PostFeatures(Post(text=text), text, (), frozenset(),
                        {"pooled": np.asarray(pooled, np.float32)[None, :], "logits": logits}, None)


def travel_photo(model) -> np.ndarray:
    """The pooled features of the similar-photo prototype that says #travel most: what the trained image sources
    answer for a landscape."""
    protos = model.source("image_protos").protos_
    travel = model.index_["travel"]
    best = max(range(len(protos.centroids_)),
               key=lambda c: protos.scores(protos.centroids_[c], len(model.vocab_))[travel])
    return 3.0 * protos.centroids_[best]


@pytest.fixture
def unfamiliar(model, monkeypatch):
    """Every photo reads as unlike the training photos, as the everyday mountain photos do (median 0.04)."""
    monkeypatch.setattr(model.source("image"), "familiarity", lambda features: 0.05)


def ranked(model, features, k=5):
    ev, gains, exclude = model.evidence(features)
    return model.fuse(ev, gains, exclude, k), ev


def test_an_unfamiliar_mountain_is_a_mountain_before_travel(model, unfamiliar):
    top, ev = ranked(model, photo(MOUNTAIN, travel_photo(model)))
    tags = [s.tag for s in top]
    assert tags[0] in {"mountain", "mountains"}, tags
    assert "travel" not in tags or tags.index("travel") > 0
    assert "alp" in ev["class_rates"][tags[0]][1]  # the reason names what is seen


def test_only_the_maps_tags_that_the_classes_carry_more_than_any_class(model, unfamiliar):
    f = photo(MOUNTAIN, travel_photo(model))
    ev = model.source("class_rates").evidence(f.post, f)
    assert ev and set(ev) <= {t for t, _, _ in image_tags(np.exp(f.images["logits"][0]), k=30)}
    assert not set(ev) & {"love", "photography", "instagood", "selfie", "food"}  # what any photo is tagged
    assert not set(ev) & topic_tags()["vape"]


def test_silent_under_any_caption_or_tag(model, unfamiliar):
    source = model.source("class_rates")
    pooled = travel_photo(model)
    alone = photo(MOUNTAIN, pooled)
    assert source.gain(alone.post, alone) > 0 and source.evidence(alone.post, alone)
    captioned = photo(MOUNTAIN, pooled, text="Sketch of the hills")
    tagged = photo(MOUNTAIN, pooled)
    tagged = PostFeatures(Post(hashtags=("sketch",)), "", (), frozenset(), tagged.images, None)
    for f in (captioned, tagged):
        assert source.gain(f.post, f) == 0.0 and source.evidence(f.post, f) == {}


def test_silent_on_familiar_photos_and_under_a_caption(model):
    source = model.source("class_rates")
    familiar = photo(MOUNTAIN, travel_photo(model))
    assert model.source("image").familiarity(familiar) >= class_rates.FAMILIAR  # else the next line tests nothing
    assert source.evidence(familiar.post, familiar) == {}
    assert source.gain(familiar.post, familiar) == pytest.approx(
        max(0.0, 1 - model.source("image").familiarity(familiar) / class_rates.FAMILIAR))
    weights = fusion.effective_weights(model.default_weights(), {"caption": 1.0}, ["class_rates"])
    assert weights["class_rates"] == 0.0  # a full caption carries the post's topic itself


def test_a_class_no_training_photo_shows_gives_nothing(model, unfamiliar):
    f = photo({"nematode": 1.0}, travel_photo(model))  # the moon and the Hubble field read as one
    ev = model.source("class_rates").evidence(f.post, f)
    assert "nematode" not in ev and all(score < 0.05 for score, _ in ev.values())


def test_it_proposes_what_the_classes_are_not_what_surrounds_them(model, unfamiliar):
    """Names and basic-level forms (map strength NAMED or more, or the sure class's further forms), not broader
    categories or the occasion: a valley is not #travel from this source, an espresso #coffee before #drink."""
    source = model.source("class_rates")
    tag_map = get_image_tag_map()
    for classes, left_out in ((MOUNTAIN, {"travel"}), ({"espresso": 0.6, "cup": 0.2}, {"drink", "drinks"})):
        f = photo(classes, travel_photo(model))
        ev = source.evidence(f.post, f)
        strength = tag_map.strengths(np.exp(f.images["logits"][0]))
        top = tag_map.names.index(max(classes, key=classes.get))
        forms = {t for t, s in tag_map.class_tags(top) if round(s, 2) in class_rates.FORMS}
        assert ev and all(strength[t] >= class_rates.NAMED or t in forms for t in ev), ev
        assert not set(ev) & left_out, ev


def test_the_sure_class_brings_its_further_forms_under_its_named_tag(model, unfamiliar):
    """A dog the classifier is sure of: #puppy #dogsofinstagram #pets beside #dog (they filled the top 5 with
    #huntingdog and #love), each under the named tag, and #animals (a broader category) not from this source."""
    source = model.source("class_rates")
    f = photo({"golden retriever": 0.7, "Labrador retriever": 0.2}, travel_photo(model))
    ev = source.evidence(f.post, f)
    assert {"dog", "puppy", "dogsofinstagram", "pets"} <= set(ev), ev
    assert ev["dog"][0] > ev["puppy"][0] > ev["dogsofinstagram"][0] > ev["pets"][0]
    assert "golden retriever" in ev["puppy"][1] and "animals" not in ev
    unsure = photo({"golden retriever": class_rates.SURE - 0.05, "Labrador retriever": 0.2, "alp": 0.3},
                   travel_photo(model))
    assert "puppy" not in source.evidence(unsure.post, unsure)


def test_an_occasion_is_never_a_form(model, unfamiliar):
    """A valley's map tags hold #travel at a form's strength: it names a trip, not what the photo shows."""
    source = model.source("class_rates")
    f = photo({"valley": 0.6, "alp": 0.2}, travel_photo(model))
    ev = source.evidence(f.post, f)
    assert ev and "travel" not in ev


def test_silent_on_a_photo_neither_the_training_photos_nor_the_classifier_know(model, monkeypatch):
    """A texture or a haze: no class read at DIFFUSE (an alp, a valley, a volcano at 4-5%) on a photo of familiarity
    under UNKNOWN gives nothing (a grass texture's balls and armadillo at 2-5% made #animals its first tag); the same
    readings on a photo a little more like the training photos, or one class read at 30%, still do."""
    from taglens.suggesters.taglens_base.sources.image_knowledge import DIFFUSE

    def diffuse(classes):  # the classes at their shares, the rest of the mass spread over the other classes
        features = photo(classes, np.zeros(1280))
        names, p = get_image_tag_map().names, np.full(1000, (1.0 - sum(classes.values())) / (1000 - len(classes)))
        for name, share in classes.items():
            p[names.index(name)] = share
        features.images["logits"] = np.log(p).astype(np.float32)[None, :]
        return features

    source = model.source("class_rates")
    haze = {"alp": 0.05, "valley": 0.05, "volcano": 0.04}
    features = diffuse(haze)
    assert max(haze.values()) < DIFFUSE
    monkeypatch.setattr(model.source("image"), "familiarity", lambda features: 0.5 * class_rates.UNKNOWN)
    assert source.evidence(None, features) == {}
    monkeypatch.setattr(model.source("image"), "familiarity", lambda features: 2 * class_rates.UNKNOWN)
    assert "mountain" in source.evidence(None, diffuse(haze))
    monkeypatch.setattr(model.source("image"), "familiarity", lambda features: 0.5 * class_rates.UNKNOWN)
    assert "mountain" in source.evidence(None, diffuse({**haze, "alp": 0.3}))
