"""Behaviour of the hashtag segmenter: API, edge cases, camelCase, digits, separators and the top-k variant."""
from __future__ import annotations

import pytest

import taglens
from taglens.segmentation import Segmenter, segment, segment_topk


@pytest.mark.parametrize(
    ("hashtag", "words"),
    [
        ("sunsetbeachvibes", ["sunset", "beach", "vibes"]),
        ("#sunsetbeachvibes", ["sunset", "beach", "vibes"]),
        ("SanDiegoZoo", ["san", "diego", "zoo"]),
        ("nowplaying", ["now", "playing"]),
        ("throwbackthursday", ["throwback", "thursday"]),
        ("season1episode2", ["season", "1", "episode", "2"]),
        ("summer2019", ["summer", "2019"]),
        ("inmyopinion", ["in", "my", "opinion"]),
        ("beach", ["beach"]),
        ("2019", ["2019"]),
    ],
)
def test_segment_common_hashtags(hashtag, words):
    assert segment(hashtag) == words


@pytest.mark.parametrize("hashtag", ["", "#", "##", "   ", "_", "🌅", "🌅🌅beach", "東京タワー", "Ünïcödé", "12345",
                                     "a" * 200, "sunsetbeachvibes" * 13, "x", "\u200b", "#️⃣", "İstanbul"])
def test_segment_never_raises_and_keeps_text(hashtag):
    words = segment(hashtag)
    assert isinstance(words, list) and all(isinstance(w, str) and w for w in words)
    # No character of a word-like input is lost or invented (lowercased, separators aside).
    kept = "".join(words)
    assert kept == "".join(ch for ch in kept if ch in hashtag.lower() or ch in hashtag)


@pytest.mark.parametrize("hashtag", ["", "#", "   "])
def test_empty_input_gives_no_words(hashtag):
    assert segment(hashtag) == []
    assert segment_topk(hashtag, 3)[0][0] == []


def test_long_hashtag_keeps_every_character():
    tag = "sunsetbeachvibes" * 13  # 208 characters
    words = segment(tag)
    assert "".join(words) == tag
    assert words[:3] == ["sunset", "beach", "vibes"]


def test_non_latin_scripts_come_back_whole():
    assert segment("東京タワー") == ["東京タワー"]
    assert segment("Москва") == ["москва"]


def test_digits_are_split_from_letters_and_kept_whole():
    assert segment("top10") == ["top", "10"]
    assert "2019" in segment("vacation2019")


def test_repeated_letters_stay_one_word():
    assert segment("sooooohappy") == ["sooooo", "happy"]


def test_camel_case_guides_the_cut():
    assert segment("ExpertsExchange") == ["experts", "exchange"]
    assert segment("ExpertSexChange") == ["expert", "sex", "change"]
    assert segment("TheFreshPrinceOfBelAir") == ["the", "fresh", "prince", "of", "bel", "air"]


def test_topk_is_sorted_and_sized():
    out = segment_topk("thegrandmaster", k=3)
    assert 1 <= len(out) <= 3
    probs = [p for _, p in out]
    assert probs == sorted(probs, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert "".join(out[0][0]) == "thegrandmaster"
    assert out[0][0] == segment("thegrandmaster")
    assert segment_topk("beach", k=0) == []


def test_top_level_wrappers_match():
    assert taglens.segment("nowplaying") == segment("nowplaying")
    assert taglens.segment_topk("nowplaying", 2) == segment_topk("nowplaying", 2)


def test_plain_viterbi_segmenter_works_without_reranker():
    seg = Segmenter(reranker=False)
    assert seg.segment("sunsetbeachvibes") == ["sunset", "beach", "vibes"]


def test_random_unicode_never_raises():
    import random

    rng = random.Random(0)
    alphabet = "abcxyzAZ019_-#.' \t🌅👍éñüßİı東京タワーМосква\u200b\u0301"
    seg = taglens.segment
    for _ in range(400):
        tag = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        words = seg(tag)
        assert isinstance(words, list) and all(isinstance(w, str) and w and not w.isspace() for w in words)
        assert len(segment_topk(tag, 3)) >= 1
