"""The broad vocabulary and the caption source (knowledge.vocabulary) on the shipped resource."""
import gzip
from pathlib import Path

import pytest

from taglens.knowledge.vocabulary import (CORPORA, RESOURCE, caption_candidates, caption_tokens, get_vocabulary,
                                          joined_ngrams)


def test_caption_tokens_and_joined_ngrams():
    assert caption_tokens("Finally at the #EiffelTower with @anna https://t.co/x!") == ["finally", "at", "the", "with"]
    assert caption_tokens("#Paris in May", keep_hashtags=True) == ["paris", "in", "may"]
    assert joined_ngrams(["eiffel", "tower", "view"]) == ["eiffeltower", "towerview", "eiffeltowerview"]


def test_places_things_and_joined_names_become_candidates_with_their_counts():
    got = {t: (w, e) for t, w, e in caption_candidates("Paris never gets old", "en")}
    assert "paris" in got and got["paris"][0] > 0.3
    assert got["paris"][1].startswith("caption mentions: Paris (a hashtag in ")
    tags = [t for t, _, _ in caption_candidates("Finally made it to the Eiffel Tower!", "en")]
    assert "eiffeltower" in tags
    tags = [t for t, _, _ in caption_candidates("Morning commute through Madrid", "en")]
    assert tags[0] == "madrid"
    assert [t for t, _, _ in caption_candidates("Listening to new music all night", "en")][:2] == ["music",
                                                                                                   "newmusic"]


def test_a_possessive_is_read_as_its_noun():
    got = [t for t, _, _ in caption_candidates("Found these old coins in grandpa's drawer", "en")]
    assert "grandpa" in got and "grandpas" not in got
    assert "dad" in [t for t, _, _ in caption_candidates("My dad\u2019s new car", "en")]  # a typographic apostrophe
    assert "letsgo" in [t for t, _, _ in caption_candidates("Let's go!", "en")]  # a joined pair keeps its letters


def test_a_word_the_caption_denies_is_no_tag_of_its_own():
    """"Sunset over the lake, no filter" got #filter third: the phrase is #nofilter, the denied word no tag. Only the
    caption language's negations count (Portuguese "no" is "in the": "no BR")."""
    got = [t for t, _, _ in caption_candidates("Sunset over the lake, no filter", "en")]
    assert "nofilter" in got and "filter" not in got
    assert "sugar" not in [t for t, _, _ in caption_candidates("Coffee without sugar please", "en")]
    assert "filter" in [t for t, _, _ in caption_candidates("A new filter for the camera, no filter needed", "en")]
    assert "br" in [t for t, _, _ in caption_candidates("Duplicou a violência no BR", "pt")]


def test_function_words_and_empty_captions_give_nothing():
    assert caption_candidates("", "en") == []
    assert caption_candidates("and the of to in it is", "en") == []


def test_rates_are_shrunk_by_their_counts():
    vocab = get_vocabulary()
    rare = [c for c in vocab.caption_candidates("Saw a raccoon in the garden", "en") if c.tag == "raccoon"][0]
    assert rare.tagged == rare.mentions == 3 and rare.weight < 0.5  # 3 of 3 is not 100%


def test_per_language_counts_and_word_languages():
    vocab = get_vocabulary()
    langs = vocab.word_languages("the")
    assert max(langs, key=langs.get) == "en"
    mentions, tagged = vocab.word_stats("music", "en")
    assert 0 < tagged <= mentions <= vocab.word_stats("music")[0]
    assert vocab.word_stats("music", "xx") == (0, 0)


def test_resource_is_aggregate_only():
    """Tags used in one post only (where a handle or a private tag would sit) and words of fewer than 3 captions are
    not in the resource; every row is counts."""
    with gzip.open(RESOURCE / "tags.tsv.gz", "rt", encoding="utf-8") as fh:
        header = next(fh).rstrip("\n").split("\t")
        assert header[2:] == list(CORPORA)
        for line in fh:
            tag, total, *per = line.rstrip("\n").split("\t")
            assert int(total) >= 2 or int(per[0]) >= 1, tag  # (HARRISON's curated vocabulary is kept whole)
    with gzip.open(RESOURCE / "words.tsv.gz", "rt", encoding="utf-8") as fh:
        next(fh)
        assert all(int(line.split("\t")[1]) >= 3 for line in fh)
    assert sum(p.stat().st_size for p in RESOURCE.iterdir()) < 2_000_000


@pytest.mark.data
def test_the_learned_politics_tags_are_rebuilt_byte_for_byte(shared_data, tmp_path):
    """scripts/build_topic_tags.py reproduces resources/topic_politics_learned.txt from the training side."""
    import shutil
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    resources = repo / "src" / "taglens" / "resources"
    shutil.copy(resources / "topic_politics.txt", tmp_path / "topic_politics.txt")
    done = subprocess.run([sys.executable, str(repo / "scripts" / "build_topic_tags.py"), "--data", str(shared_data),
                           "--out", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "topic_politics_learned.txt").read_bytes() == (
        resources / "topic_politics_learned.txt").read_bytes()


def test_the_glosses_are_rebuilt_byte_for_byte(tmp_path):
    """scripts/build_glosses.py reproduces resources/vocab/glosses.tsv.gz where Debian's dictionaries and the emoji
    package are installed (the build's inputs; not needed to run taglens)."""
    import subprocess
    import sys

    pytest.importorskip("emoji", reason="the emoji package (extra 'build') is not installed")
    dictd = Path("/usr/share/dictd")
    if not (dictd / "freedict-ell-eng.index").is_file() or not (dictd / "freedict-jpn-eng.index").is_file():
        pytest.skip("Debian's dict-freedict-ell-eng and dict-freedict-jpn-eng are not installed")
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(repo / "scripts" / "build_glosses.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    shipped = repo / "src" / "taglens" / "resources" / "vocab"
    for name in ("glosses.tsv.gz", "glosses.LICENSE"):
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name


def test_a_plural_never_counted_is_read_as_its_singular():
    """"Tulips" is in no caption of the corpora, its singular is a WordNet plant: the caption names #tulip, and the
    evidence says which word it read; a plural the corpora counted keeps its own counts (#flowers)."""
    got = {c.tag: c for c in get_vocabulary().caption_candidates("Tulips everywhere", "en")}
    assert "tulip" in got and "Tulips (tulip)" in got["tulip"].evidence
    got = {c.tag: c for c in get_vocabulary().caption_candidates("Flowers from the market", "en")}
    assert "flowers" in got and "flower" not in got
