"""Engagement bait and tags that do not read as hashtags (knowledge.junk)."""
import pytest

from taglens.knowledge.junk import bait_tags, is_junk, junk_reason, reads_as_hashtag


def test_bait_is_junk_and_real_tags_are_not():
    for tag in ("like", "likeforlikes", "follow", "f4f", "instalike", "tagsforlikes", "l4l", "followme",
                "photooftheday", "liketkit"):
        assert junk_reason(tag, allow_generic=False) == "engagement bait", tag
    for tag in ("sunsetlover", "dogsofinstagram", "foodporn", "nyc", "tbt", "ootd", "gato", "comida", "natura",
                "猫", "東京", "goldenretriever", "eiffeltower", "summer2017", "pianoandamicrophone", "gobig"):
        assert junk_reason(tag, allow_generic=False) is None, tag


def test_handles_and_random_strings_do_not_read_as_hashtags():
    for tag in ("abvpkagundaraj", "yashicat4", "xkqzvbt", "dagdigdug", "zzzzqqq", "12345"):
        assert not reads_as_hashtag(tag), tag
        assert junk_reason(tag, allow_generic=False) == "does not read as a hashtag"


def test_the_filter_can_be_turned_off(monkeypatch):
    assert is_junk("likeforlikes", allow_generic=False)
    assert not is_junk("likeforlikes", allow_generic=True)
    monkeypatch.setenv("TAGLENS_ALLOW_GENERIC", "1")
    assert not is_junk("likeforlikes") and not is_junk("yashicat4")
    monkeypatch.setenv("TAGLENS_ALLOW_GENERIC", "0")
    assert is_junk("likeforlikes")


def test_the_bait_list_reads_and_holds_no_real_topic():
    bait = bait_tags()
    assert len(bait) > 50
    assert not {"tbt", "love", "explore", "selfie", "travel", "food"} & bait


@pytest.mark.parametrize("tag", ["", "#"])
def test_empty_tags_are_junk(tag):
    assert not reads_as_hashtag(tag.lstrip("#"))
