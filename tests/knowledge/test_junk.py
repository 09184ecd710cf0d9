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


def test_a_name_the_caption_writes_reads_as_a_hashtag_there():
    """A tag joining the words of a name the caption writes (a place after "@", an acronym) is the post's own word,
    whatever the word lists say of it; handles, other captions and bait stay junk."""
    from taglens.knowledge.junk import named_tags
    from taglens.suggesters.base import unwanted_tags

    caption = "Lunch with the twins @ Knott's Berry Farm, then RHOBH night with zorbly_77"
    assert {"knottsberryfarm", "knotts", "rhobh"} <= named_tags(caption)
    assert not {"zorbly77", "zorbly_77", "twins", "lunchwith"} & named_tags(caption)
    for tag in ("knottsberryfarm", "rhobh"):
        assert junk_reason(tag, allow_generic=False) == "does not read as a hashtag", tag
        assert unwanted_tags((), "Lunch with the twins")(tag), tag
        assert not unwanted_tags((), caption)(tag), tag
    assert unwanted_tags((), caption)("zorbly77")
    assert unwanted_tags((), "Follow Me To The Beach")("followme")  # bait stays bait
    assert named_tags("") == named_tags(None) == frozenset()


def test_a_contraction_the_caption_writes_is_no_hashtag_there():
    """"I've", "you're", "can't", "it's" joined into tag form (#ive #youre #cant #its) are no hashtags of the post
    that writes them; a possessive, a dropped g ("Howlin'") and a form the caption also writes as a word are not
    contractions of this kind."""
    from taglens.knowledge.junk import contracted_tags
    from taglens.suggesters.base import unwanted_tags

    caption = "I've been waiting, you're late, can't stop, it's grandpa's turn at Howlin' Ray's, we'll do well"
    assert {"ive", "youre", "cant", "its"} <= contracted_tags(caption)
    assert not {"grandpas", "howlin", "rays", "well", "grandpa"} & contracted_tags(caption)
    assert contracted_tags("") == contracted_tags(None) == contracted_tags("no apostrophe here") == frozenset()
    for tag in ("ive", "youre", "cant"):
        assert unwanted_tags((), caption)(tag), tag
        assert junk_reason(tag, allow_generic=False) is None, tag  # the word lists read them as words
        assert not unwanted_tags((), "Waiting for the bus")(tag), tag
    assert not unwanted_tags((), caption)("howlin")
