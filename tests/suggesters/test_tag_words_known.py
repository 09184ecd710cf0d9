"""A loaded model's vocabulary tags are segmented from the words it stored (``tags.known_words``, issue 21): the
same words the segmenter gives them, without segmenting on the warm path."""
from __future__ import annotations

import pytest

from taglens.model_folder import load_suggester
from taglens.suggesters import tags


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def test_the_bundled_models_stored_words_are_the_segmenters_for_every_tag(model):
    differ = [t for t, words in zip(model.vocab_, model.tag_words_) if tags._segment(t) != words.split()]
    assert not differ, differ[:10]


def test_a_vocabulary_tag_is_answered_without_the_segmenter(model, monkeypatch):
    def no_segmenting(tag):
        raise AssertionError(f"segmented {tag}")

    monkeypatch.setattr(tags, "_segment", no_segmenting)
    i = model.vocab_.index("foodporn")
    assert tags.tag_words("foodporn") == model.tag_words_[i].split() == ["food", "porn"]
    assert tags.tag_words("#FoodPorn") == ["food", "porn"]  # normalised first, as before
    words = tags.tag_words("foodporn")
    words.append("x")  # a caller's list is its own
    assert tags.tag_words("foodporn") == ["food", "porn"]
    with pytest.raises(AssertionError):
        tags.tag_words("zzqxnotavocabtag")  # others are still segmented


def test_known_words_skips_tags_not_in_their_normal_form():
    tags.known_words(["Sunset_Pic", "sunsetpicxq"], ["sunset pic", "sunset pic xq"])
    assert "Sunset_Pic" not in tags._KNOWN_WORDS and tags._KNOWN_WORDS["sunsetpicxq"] == ("sunset", "pic", "xq")
    del tags._KNOWN_WORDS["sunsetpicxq"]
