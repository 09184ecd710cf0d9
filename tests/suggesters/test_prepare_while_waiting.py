"""issue 21: while the first post's photo is still being decoded and encoded, taglens-base loads what the steps after
the photo read once per process (``TaglensBase._prepare``): a cold `taglens suggest photo.jpg` no longer waits for its
photo and then loads the corpora vocabulary. The evidence is the same as without it."""
from concurrent.futures import Future
from pathlib import Path

import pytest

from taglens.features import PendingFeatures, post_features
from taglens.model_folder import load_suggester
from taglens.types import Post

PHOTO = Path(__file__).resolve().parents[1] / "fixtures" / "images"


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def _photo() -> Path:
    photos = sorted(p for p in PHOTO.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not photos:
        pytest.skip("no fixture photo")
    return photos[0]


class _Watched(PendingFeatures):
    """A post's features whose photo is handed over on its first read, noting what the model had loaded by then."""

    def __init__(self, features, model, seen: dict):
        future: Future = Future()
        super().__init__(features, future)
        object.__setattr__(self, "_future", future)
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_seen", seen)
        object.__setattr__(self, "_given", [features.images])

    @property
    def images(self):
        self._seen.setdefault("topic_rows", "_topic_rows" in self._model.__dict__)
        if not self._future.done():
            self._future.set_result(self._given)
        return super().images


def test_the_first_pending_photo_loads_the_topic_rows_before_waiting_for_it(model):
    features = post_features([Post(images=(_photo(),), text="dinner with friends", hashtags=("food",))],
                             frames=True)[0]
    expected = model.evidence(features)
    for key in ("_prepared", "_topic_rows"):
        model.__dict__.pop(key, None)
    seen: dict = {}
    watched = _Watched(features, model, seen)
    assert not watched.ready
    assert model.evidence(watched) == expected  # the same evidence, gains and exclusions
    assert seen["topic_rows"] is True  # loaded before the first read of the photo
    assert model.__dict__.get("_prepared") is True


def test_a_ready_photo_prepares_nothing(model):
    features = post_features([Post(images=(_photo(),), hashtags=("food",))], frames=True)[0]
    model.__dict__.pop("_prepared", None)
    model.evidence(features)  # features computed beforehand: nothing to wait for
    assert "_prepared" not in model.__dict__
