"""The array-backed n-gram LM: lookups, backoff, the wordfreq flag and save/load."""
from __future__ import annotations

import math

import pytest

from taglens.segmentation.lm import NgramLM, load_lm


@pytest.fixture()
def tiny_lm() -> NgramLM:
    enc = NgramLM.encode
    uni = {"sun": enc(math.log(0.2), True), "set": enc(math.log(0.3), True), "sunset": enc(math.log(0.1), True),
           "beach": enc(math.log(0.3), False), "é": enc(math.log(0.1), True)}
    bi = {"sun set": math.log(0.5)}
    gamma = {"sun": math.log(0.4)}
    return NgramLM.from_dicts(uni, bi, gamma, domain={"beach": -3.0}, names={"sun": 1}, chars={"^^s": -1.0},
                              unk_base=-10.0, unk_per_char=-2.0)


def test_unigram_and_unknown_words(tiny_lm):
    assert tiny_lm.unigram("sun") == pytest.approx(math.log(0.2), abs=0.01)
    assert tiny_lm.unigram("zzz") == pytest.approx(-10.0 - 2.0 * 3)
    assert "beach" in tiny_lm and "zzz" not in tiny_lm and "é" in tiny_lm
    assert len(tiny_lm) == 5


def test_bigram_seen_and_backoff(tiny_lm):
    assert tiny_lm.bigram("sun", "set") == pytest.approx(math.log(0.5), abs=0.01)
    # unseen pair: gamma(sun) * P(beach)
    assert tiny_lm.bigram("sun", "beach") == pytest.approx(math.log(0.4) + math.log(0.3), abs=0.01)
    # a word without bigram statistics backs off with no penalty; so does the sentence start
    assert tiny_lm.bigram("beach", "sun") == pytest.approx(math.log(0.2), abs=0.01)
    assert tiny_lm.bigram("", "sun") == pytest.approx(math.log(0.2), abs=0.01)


def test_lookup_many_matches_lookup(tiny_lm):
    words = ["sun", "zzz", "sunset", "", "x" * 200, "beach"]
    many = tiny_lm.lookup_many(words)
    assert [lp is not None for _, lp in many] == [True, False, True, False, False, True]
    assert many == [tiny_lm.lookup(w) for w in words]


def test_wordfreq_flag_survives_encoding(tiny_lm):
    assert NgramLM.in_wordfreq(tiny_lm.lookup("sun")[1])
    assert not NgramLM.in_wordfreq(tiny_lm.lookup("beach")[1])
    assert not NgramLM.in_wordfreq(None)


def test_save_load_roundtrip(tiny_lm, tmp_path):
    path = tmp_path / "lm.npz"
    tiny_lm.save(path)
    back = NgramLM.load(path)
    for w in ("sun", "set", "beach", "é", "nope"):
        assert back.unigram(w) == pytest.approx(tiny_lm.unigram(w), abs=0.01)
    assert back.bigram("sun", "set") == pytest.approx(tiny_lm.bigram("sun", "set"), abs=0.01)
    assert back.domain == {"beach": -3.0} and back.names == {"sun": 1}
    assert back.unk_base == -10.0 and back.unk_per_char == -2.0


def test_packaged_lm_knows_common_words():
    lm = load_lm()
    assert len(lm) > 100_000
    assert lm.unigram("the") > lm.unigram("sunset") > lm.unigram("qxzjv")
    assert lm.bigram("new", "york") > lm.unigram("york") + 2.0  # a seen bigram lifts its word
    assert lm.char_logprob("mamapedia") > lm.char_logprob("pigbirdcowflu")
