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
    word_frequency._index.cache_clear()
    word_frequency._folder.cache_clear()
    word_frequency.zipf.cache_clear()
    word_frequency._best_zipf.cache_clear()
    word_frequency._best_index.cache_clear()
    yield tmp_path
    word_frequency._index.cache_clear()
    word_frequency._folder.cache_clear()
    word_frequency.zipf.cache_clear()
    word_frequency._best_zipf.cache_clear()
    word_frequency._best_index.cache_clear()


def test_zipf_is_wordfreqs_own(fresh_index):
    rng = random.Random(0)
    for lang in LANGS:
        words = WORDS + rng.sample(wordfreq.top_n_list(lang, 200_000), 150)
        got = [word_frequency.zipf(w, lang) for w in words]
        assert got == [wordfreq.zipf_frequency(w, lang) for w in words], lang
    assert sorted(p.name for p in fresh_index.glob("wordfreq-*/*")) == sorted(LANGS)  # one index per language


def test_unwritable_cache_falls_back_to_wordfreq(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TAGLENS_CACHE", str(blocker / "cache"))
    word_frequency._index.cache_clear()
    word_frequency._folder.cache_clear()
    word_frequency.zipf.cache_clear()
    try:
        assert word_frequency.zipf("sunset", "en") == wordfreq.zipf_frequency("sunset", "en") > 3
        assert word_frequency._index("en") is None
    finally:
        word_frequency._index.cache_clear()
        word_frequency._folder.cache_clear()
        word_frequency.zipf.cache_clear()


def test_best_zipf_is_the_best_language_from_one_index(fresh_index):
    """best_zipf is max(zipf_frequency) over the languages where that reaches the floor (else 0), read from one
    index: plain words (letters, digits: the junk filter's) build no per-language index; a word some language
    tokenises otherwise (capitals, "ß", an apostrophe) is asked of each language, with the same answer."""
    langs, floor = ("en", "es", "de", "tr"), 2.3
    rng = random.Random(1)
    plain = [w for lang in langs for w in rng.sample(wordfreq.top_n_list(lang, 300_000), 150) if w.isalnum()
             and w.isascii()] + ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))
                                 for n in [2, 3, 4, 6, 9] * 40] + ["summer2017", "top10", "4k", "2017", "sunset"]
    other = ["straße", "niño", "l'amour", "İstanbul", "ab_cd", "Sunset", "über", "ſun"]

    def expected(word):
        best = max(wordfreq.zipf_frequency(word, lang) for lang in langs)
        return best if best >= floor else 0.0

    got = [word_frequency.best_zipf(w, langs, floor) for w in plain]
    assert got == [expected(w) for w in plain]
    assert sum(z >= floor for z in got) > 100 and 0.0 in got
    assert [p.name for p in fresh_index.glob("wordfreq-*/*")] == ["best-en-es-de-tr-2.3"]
    assert [word_frequency.best_zipf(w, langs, floor) for w in other] == [expected(w) for w in other]


def test_junk_filter_builds_one_index(fresh_index):
    from taglens.knowledge import junk

    junk._zipf.cache_clear()
    junk.reads_as_hashtag.cache_clear()
    try:
        assert junk.reads_as_hashtag("sunsetlover") and not junk.reads_as_hashtag("xqzvbkwrtpl")
        assert [p.name for p in fresh_index.glob("wordfreq-*/*")] == [
            f"best-{'-'.join(junk.WORD_LANGUAGES)}-{junk.ZIPF_FLOOR:g}"]
    finally:
        junk._zipf.cache_clear()
        junk.reads_as_hashtag.cache_clear()


def test_sorted_index_looks_up_every_token_and_a_second_writer_finds_it_written(tmp_path):
    rows = {"sunset": 310, "café": 402, "a": 0, "zürich": 520, "z": 7, "ñu": 600, "日本": 450}
    folder = tmp_path / "best-x"
    word_frequency._SortedIndex.write(rows, folder)
    word_frequency._SortedIndex.write({"other": 1}, folder)  # a process that lost the race: the first one stays
    index = word_frequency._SortedIndex(folder)
    assert {t: index.bucket(t) for t in rows} == rows
    assert [index.bucket(t) for t in ("", "other", "sunse", "sunsets", "zz", "caf")] == [None] * 6
    assert list(tmp_path.iterdir()) == [folder]  # no temporary folder left
