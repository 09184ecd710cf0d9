"""The thirteenth stop's caption + photo mechanism (issue 20): a thing the caption names that the photo shows as its
kind (WordNet) is voted by the photo's sources as well (``named_kinds``)."""
from pathlib import Path

import pytest

from taglens import Post
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base.named_kinds import is_kind_of, named_kinds


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def test_a_named_noun_is_a_kind_of_the_concept_in_its_usual_senses():
    assert is_kind_of("temple", "building") and is_kind_of("beer", "drink") and is_kind_of("bike", "vehicle")
    assert not is_kind_of("human", "animals") and not is_kind_of("queen", "animals")  # too broad a class
    assert not is_kind_of("building", "building")  # a concept is not its own kind
    assert not is_kind_of("book", "building") and not is_kind_of("moon", "sky")
    assert not is_kind_of("moment", "time")  # no thing one sees (a vape shop's "moment" under a clock's #time)


def test_the_photo_sources_vote_for_the_named_kind_only():
    ev = {"caption_tags": {"temple": (0.13, "caption mentions: temple"), "book": (0.2, "caption mentions: book")},
          "conse": {"building": (0.23, "seen in the image: palace (a kind of building)")}}
    out = named_kinds(ev)
    assert out["conse"]["temple"][0] == 0.23 and "building" in out["conse"]["temple"][1]
    assert "book" not in out["conse"] and out["caption_tags"] == ev["caption_tags"]
    assert named_kinds({"conse": ev["conse"]}) == {"conse": ev["conse"]}  # no caption: nothing named


def test_a_temple_the_caption_names_leads_under_the_temple_photo(model):
    """The sklearn temple photo (the classifier sees a palace, a monastery): #temple was eighth at 0.051, under
    #building and #palace; the building the photo shows is the temple the caption names."""
    sklearn = pytest.importorskip("sklearn.datasets")
    photo = Path(sklearn.__file__).parent / "images" / "china.jpg"
    got = model.suggest(Post(text="Visiting an old temple today", images=(photo,)), k=5)
    assert got[0].tag == "temple", [s.tag for s in got]
    assert "building" in got[0].reason
