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
