import pytest

from taglens.types import Post, Suggestion, normalize_tag, parse_hashtags, strip_hashtags


@pytest.mark.parametrize("raw, want", [("#Dog", "dog"), ("  #SunSet ", "sunset"), ("café", "café"),
                                       ("#東京", "東京"), ("", ""), ("#", "")])
def test_normalize_tag(raw, want):
    assert normalize_tag(raw) == want


def test_parse_and_strip_hashtags():
    text = "Sun #Beach &#39; #beach #2019 #sun_set #東京 🌅#vibes"
    assert parse_hashtags(text) == ["beach", "sun_set", "東京", "vibes"]
    assert strip_hashtags(text) == "Sun &#39; 🌅"


def test_post_normalises_and_dedups_tags():
    p = Post(text=None, hashtags=("#Dog", "dog", "", "Park"), images=("a.jpg",))
    assert p.hashtags == ("dog", "park") and p.text == "" and str(p.images[0]) == "a.jpg"
    assert Post().is_empty and not p.is_empty
    assert Suggestion("a", 0.1234567891, "image", "seen").to_dict()["score"] == 0.123457


def test_tags_in_other_scripts_and_forms_are_one_tag():
    from taglens.types import normalize_tag, parse_hashtags, parse_tag_list, strip_hashtags

    assert normalize_tag("#ＤＯＧ") == "dog"  # full-width letters (NFKC)
    assert normalize_tag("İSTANBUL") == "istanbul"  # not 'i' + a combining dot
    assert normalize_tag("Cafe\u0301") == normalize_tag("Café") == "café"
    # combining marks continue a hashtag: vowel signs (Devanagari, Tamil, Thai) and decomposed accents
    text = "नमस्ते #हिन्दी #தமிழ் #ของขวัญ #Cafe\u0301 time"
    assert parse_hashtags(text) == ["हिन्दी", "தமிழ்", "ของขวัญ", "café"]
    assert strip_hashtags(text) == "नमस्ते time"
    assert parse_tag_list("#हिन्दी, #ＤＯＧ #new-york") == (["हिन्दी", "dog", "new"], ["-york"])
    # otherwise the data's grammar: other numbers continue a tag (then NFKC folds them), a mark or a joiner
    # cannot start one, and a sign NFKC would spell out with spaces keeps its own form
    assert parse_hashtags("#h₂o #m² #\u200c #\u0301abc #_x") == ["h2o", "m2"]
    assert strip_hashtags("a #h₂o b") == "a b"
    assert normalize_tag("\ufdfa") == "\ufdfa" and " " not in normalize_tag("x\u00a8y")
