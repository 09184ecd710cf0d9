"""taglens-base's ``image_tags`` source (the ImageNet class -> hashtag map) on a photo alone whose classes the
classifier reads only diffusely (``image_knowledge.DIFFUSE``)."""
from __future__ import annotations

import pytest

from taglens.model_folder import load_suggester
from taglens.types import Post


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def test_the_map_reads_no_weak_category_where_the_classifier_reads_no_class(model):
    """A grass texture: many small readings of balls (5%, 4%, 2%, 2%) are no #sports or #ball on a photo alone; a
    category many classes agree on is still read, and a caption keeps the map's weak readings."""
    import numpy as np

    from taglens.features import PostFeatures
    from taglens.knowledge.image_tags import get_image_tag_map

    names = get_image_tag_map().names

    def photo(classes, text=""):
        p = np.full(1000, 0.9 / 990)
        for name, share in classes.items():
            p[names.index(name)] = share
        logits = np.log(p / p.sum()).astype(np.float32)[None, :]
        return PostFeatures(Post(text=text), text, (), frozenset(), {"pooled": np.zeros((1, 1280), np.float32),
                                                                     "logits": logits}, None)

    source = model.source("image_tags")
    balls = {"soccer ball": 0.05, "baseball": 0.04, "croquet ball": 0.02, "golf ball": 0.02}
    assert not {"sports", "ball"} & set(source.evidence(None, photo(balls)))
    assert {"sports", "ball"} <= set(source.evidence(None, photo(balls, text="Sunday league in the park")))
    assert "ball" in source.evidence(None, photo({**balls, "soccer ball": 0.3}))  # read at 30%: no diffuse read
    dogs = {n: 0.05 for n in ("golden retriever", "Labrador retriever", "beagle", "pug", "boxer", "collie",
                              "basset", "whippet", "Samoyed", "papillon")}
    assert "dog" in source.evidence(None, photo(dogs))


def test_a_class_name_needs_its_class_read_on_a_photo_alone(model):
    """A tulip the classifier reads as a daisy at 4% (its most probable class a picket fence at 30%) is no #daisy
    on a photo alone; its kind (#flower) is still read, a daisy read at 40% is #daisy, and a caption keeps the weak
    name (it may be what the caption names)."""
    import numpy as np

    from taglens.features import PostFeatures
    from taglens.knowledge.image_tags import get_image_tag_map
    from taglens.suggesters.taglens_base.sources.image_knowledge import NAME_FROM

    tag_map = get_image_tag_map()
    names = tag_map.names

    def photo(classes, text=""):
        p = np.full(1000, (1.0 - sum(classes.values())) / (1000 - len(classes)))
        for name, share in classes.items():
            p[names.index(name)] = share
        logits = np.log(p).astype(np.float32)[None, :]
        return PostFeatures(Post(text=text), text, (), frozenset(), {"pooled": np.zeros((1, 1280), np.float32),
                                                                     "logits": logits}, None)

    assert "daisy" in tag_map.only_names and "flower" not in tag_map.only_names
    source = model.source("image_tags")
    weak = {"picket fence": 0.3, "daisy": 0.04}
    assert 0.04 < NAME_FROM <= 0.3
    alone = source.evidence(None, photo(weak))
    assert "daisy" not in alone and "flower" in alone and "picketfence" in alone
    assert "daisy" in source.evidence(None, photo({"picket fence": 0.3, "daisy": 0.4}))
    assert "daisy" in source.evidence(None, photo(weak, text="Spring in the front garden"))


def test_a_fallback_class_under_its_floor_first_is_no_class_read(model):
    """Handwriting read first as a maze at 37% (a fallback class, read only from its floor, 0.6: what ImageNet has no
    class for) and a sundial at 13%: the classifier reads nothing there, so the map's weak readings (#sundial #time,
    0.12-0.14) are not read on a photo alone; a sundial read first is #sundial, and a caption keeps the weak ones."""
    import numpy as np

    from taglens.features import PostFeatures
    from taglens.knowledge.image_tags import get_image_tag_map
    from taglens.suggesters.taglens_base.sources.image_knowledge import DIFFUSE

    tag_map = get_image_tag_map()
    names = tag_map.names

    def probs(classes):
        p = np.full(1000, (1.0 - sum(classes.values())) / (1000 - len(classes)))
        for name, share in classes.items():
            p[names.index(name)] = share
        return p

    def photo(classes, text=""):
        logits = np.log(probs(classes)).astype(np.float32)[None, :]
        return PostFeatures(Post(text=text), text, (), frozenset(), {"pooled": np.zeros((1, 1280), np.float32),
                                                                     "logits": logits}, None)

    page = {"maze": 0.37, "sundial": 0.13, "rubber eraser": 0.05}
    assert tag_map.reads_no_class(probs(page), DIFFUSE)
    assert not tag_map.reads_no_class(probs({"maze": 0.7}), DIFFUSE)  # over its floor: a maze
    assert not tag_map.reads_no_class(probs({"sundial": 0.37, "maze": 0.13}), DIFFUSE)
    source = model.source("image_tags")
    assert not {"sundial", "time"} & set(source.evidence(None, photo(page)))
    assert {"sundial", "time"} <= set(source.evidence(None, photo(page, text="Notes from the garden")))
    assert "sundial" in source.evidence(None, photo({"sundial": 0.37, "maze": 0.13}))
