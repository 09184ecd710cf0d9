"""Hashtag preparation: casing boundaries, character classes, repeated letters and contractions."""
from __future__ import annotations

import pytest

from taglens.segmentation.text import prepare, restore_case, restore_contractions, squeeze_repeats


@pytest.mark.parametrize(
    ("tag", "camel"),
    [
        ("sunsetBeach", [6]),
        ("SanDiegoZoo", [3, 8]),
        ("CEOSummit", [3]),
        ("iPhone", []),
        ("iPhone3G", [7]),
        ("iAteTheBones", [1, 4, 7]),
        ("McDonalds", []),
        ("sunsetbeach", []),
        ("SUNSETBEACH", []),
    ],
)
def test_camel_boundaries(tag, camel):
    assert sorted(prepare(tag).camel) == camel


def test_prepare_normalises_and_classifies():
    p = prepare("  #Top10_Pics🌅 ")
    assert p.original == "Top10_Pics🌅"
    assert p.text == "top10_pics🌅"
    assert p.classes == "LLLDDSLLLLS"
    assert [c for _, _, c in p.chunks()] == ["L", "D", "S", "L", "S"]
    assert p.cased


def test_other_scripts_are_their_own_class():
    assert set(prepare("東京").classes) == {"O"}
    assert prepare("café").classes == "LLLL"


def test_squeeze_repeats():
    assert squeeze_repeats("soooooo") == "so"
    assert squeeze_repeats("happpy", keep=2) == "happy"
    assert squeeze_repeats("book") == "book"


def test_restore_contractions_and_case():
    assert restore_contractions(["im", "addicted", "thats", "its"]) == ["i'm", "addicted", "thats", "it's"]
    assert restore_case(["san", "diego"], "SanDiego", "sandiego") == ["San", "Diego"]
