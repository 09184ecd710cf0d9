"""``scene_rates``: a photo alone that shows a street (what the classifier sees there: a streetcar, a moving van, a
facade) is #street first, though ImageNet has no street class (issue 20: #travel was first on 21 of 24 streets)."""
import numpy as np
import pytest

from taglens.features import PostFeatures
from taglens.knowledge.image_tags import get_image_tag_map
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base.sources import scene_rates
from taglens.types import Post

STREET = {"streetcar": 0.35, "moving van": 0.25, "monastery": 0.2, "passenger car": 0.2}
MOUNTAIN = {"alp": 0.5, "valley": 0.3, "volcano": 0.2}


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def photo(model, classes: dict[str, float], text: str = "", tags: tuple[str, ...] = ()) -> PostFeatures:
    names = get_image_tag_map().names
    p = np.full(1000, 1e-5)
    for name, share in classes.items():
        p[names.index(name)] = share
    logits = np.log(p / p.sum()).astype(np.float32)[None, :]
    protos = model.source("image_protos").protos_
    return PostFeatures(Post(text=text, hashtags=tags), text, tags, frozenset(),
                        {"pooled": 3.0 * protos.centroids_[:1].astype(np.float32), "logits": logits}, None)


def at(model, monkeypatch, familiarity: float) -> None:
    monkeypatch.setattr(model.source("image"), "familiarity", lambda features: familiarity)


def test_a_street_photo_alone_is_street_first(model, monkeypatch):
    at(model, monkeypatch, 0.4)  # the everyday street photos' median familiarity is 0.36
    f = photo(model, STREET)
    ev, gains, exclude = model.evidence(f)
    assert "street" in ev["scene_rates"]
    assert "streetcar" in ev["scene_rates"]["street"][1]  # the reason names what is seen
    top = [s.tag for s in model.fuse(ev, gains, exclude, 5)]
    assert top[0] == "street", top


def test_it_is_silent_on_other_scenes_on_familiar_photos_and_under_a_caption_or_tag(model, monkeypatch):
    source = model.source("scene_rates")
    at(model, monkeypatch, 0.4)
    assert source.evidence(None, photo(model, MOUNTAIN)) == {}  # the classes are no street's
    for f in (photo(model, STREET, text="Morning commute"), photo(model, STREET, tags=("travel",))):
        assert source.gain(f.post, f) == 0.0 and source.evidence(f.post, f) == {}
    at(model, monkeypatch, scene_rates.FAMILIAR_TO)  # a photo the trained sources know keeps their answer
    f = photo(model, STREET)
    assert source.gain(f.post, f) == 0.0 and source.evidence(f.post, f) == {}
    at(model, monkeypatch, (scene_rates.FAMILIAR_FROM + scene_rates.FAMILIAR_TO) / 2)
    assert source.gain(f.post, f) == pytest.approx(0.5)


def test_flowers_in_a_pot_are_a_flower_where_imagenet_has_no_class_for_them(model, monkeypatch):
    at(model, monkeypatch, 0.3)
    ev = model.source("scene_rates").evidence(None, photo(model, {"pot": 0.5, "greenhouse": 0.3, "hip": 0.2}))
    assert ev["flower"][0] >= scene_rates.SCENES["flower"] and "street" not in ev


def test_a_scene_brings_the_forms_people_post_it_under(model, monkeypatch):
    """#street with #city #streetphotography #urban under it (the top 5 of a street was #street #travel #love
    #photography); each form under the scene's own tag, its reason naming the scene."""
    at(model, monkeypatch, 0.4)
    ev = model.source("scene_rates").evidence(None, photo(model, STREET))
    assert set(scene_rates.FORMS["street"]) <= set(ev)
    assert ev["street"][0] > ev["city"][0] > ev["streetphotography"][0] > ev["urban"][0]
    assert "#street" in ev["city"][1]


def test_buildings_have_a_column_of_their_own_though_the_vocabulary_has_no_such_tag(model, monkeypatch):
    """The everyday label #buildings is no tag of the model's vocabulary; the table holds it exactly, so a facade
    seen on a photo alone is #buildings #architecture, not #sea or #street only."""
    from taglens.suggesters.taglens_base import agreement

    assert "buildings" in agreement.table().names and "buildings" not in model.index_
    at(model, monkeypatch, 0.3)
    ev = model.source("scene_rates").evidence(None, photo(model, {"palace": 0.4, "monastery": 0.3, "church": 0.3}))
    assert ev["buildings"][0] >= scene_rates.SCENES["buildings"] and "architecture" in ev
