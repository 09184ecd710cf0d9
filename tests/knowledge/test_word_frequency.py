"""wordfreq's Zipf frequencies read from the on-disk index give wordfreq's own numbers (issue 21: a cold
``taglens suggest`` no longer loads twelve word lists)."""
from __future__ import annotations

import random

import pytest
import wordfreq

from taglens.knowledge import word_frequency

LANGS = ("en", "es", "de", "tr", "id")
WORDS = ["hello", "the", "sunset", "sunsetlover", "2017", "summer2017", "top10", "1234567", "a", "i", "xyzzyq",
         "new york", "café", "l'amour", "über", "niño", "İstanbul", "ı", "", "   ", "foodporn", "dogs", "ab"]


@pytest.fixture
def fresh_index(tmp_path, monkeypatch):
    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path))
    monkeypatch.setattr(word_frequency._local, "cons", {}, raising=False)
    word_frequency._folder.cache_clear()
    word_frequency.zipf.cache_clear()
    yield tmp_path
    word_frequency._local.cons = {}
    word_frequency._folder.cache_clear()
    word_frequency.zipf.cache_clear()


def test_zipf_is_wordfreqs_own(fresh_index):
    rng = random.Random(0)
    for lang in LANGS:
        words = WORDS + rng.sample(wordfreq.top_n_list(lang, 200_000), 150)
        got = [word_frequency.zipf(w, lang) for w in words]
        assert got == [wordfreq.zipf_frequency(w, lang) for w in words], lang
    assert sorted(p.name for p in fresh_index.glob("wordfreq-*/*.sqlite")) == sorted(f"{x}.sqlite" for x in LANGS)


def test_unwritable_cache_falls_back_to_wordfreq(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TAGLENS_CACHE", str(blocker / "cache"))
    monkeypatch.setattr(word_frequency._local, "cons", {}, raising=False)
    word_frequency._folder.cache_clear()
    word_frequency.zipf.cache_clear()
    try:
        assert word_frequency.zipf("sunset", "en") == wordfreq.zipf_frequency("sunset", "en") > 3
        assert word_frequency._local.cons["en"] is None
    finally:
        word_frequency._local.cons = {}
        word_frequency._folder.cache_clear()
        word_frequency.zipf.cache_clear()
