"""The fast WordNet reader answers as nltk's reader does, without loading the index."""
import random
import sys

import pytest

from taglens.wordnet import WordNetLookup, WordNetUnavailable, get_lookup, get_wordnet, wordnet_source


def _index_lemmas() -> list[str]:
    folder = wordnet_source()
    return [line.split(" ", 1)[0] for suffix in ("noun", "verb", "adj", "adv")
            for line in (folder / f"index.{suffix}").read_text("utf-8").splitlines() if not line.startswith(" ")]


def test_lookup_matches_nltk_on_lemmas_inflections_and_odd_input():
    lemmas = _index_lemmas()
    words = random.Random(7).sample(lemmas, 400)
    words += [w + suffix for w in words[:80] for suffix in ("s", "es", "ing", "ed", "er", "est")]
    words += ["geese", "mice", "children", "ran", "better", "teeth", "allergic", "pliable", "Dogs", "ice_cream",
              "zzqqx", "", "-", "1", "café", "über", "dog's", "a", "hypersensitised",
              # suffix rules strip these to "" (it must not match the licence lines at the top of the index)
              "s", "es", "ed", "ing", "er", "est", "ies", "men", "ses"]
    ours, theirs = get_lookup(), get_wordnet()
    for w in words:
        want = [(s.name(), tuple(s.lemma_names())) for s in theirs.synsets(w)]
        assert [(s.name, s.lemma_names) for s in ours.synsets(w)] == want, w


def test_lookup_finds_the_first_and_last_lemma_of_each_index():
    lookup = get_lookup()
    for suffix, pos in (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r")):
        lines = [ln for ln in (wordnet_source() / f"index.{suffix}").read_text("utf-8").splitlines()
                 if not ln.startswith(" ")]
        for line in (lines[0], lines[-1]):
            lemma = line.split(" ", 1)[0]
            assert lookup._offsets(lemma, pos), (suffix, lemma)


def test_lookup_does_not_import_nltk(tmp_path):
    import subprocess

    code = ("import sys; from taglens.wordnet import get_lookup; "
            "s = get_lookup().synsets('puppies'); assert s[0].name == 'puppy.n.01', s; "
            "assert 'nltk' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_or_mismatched_files_are_named(tmp_path):
    with pytest.raises(WordNetUnavailable, match="index.noun"):
        WordNetLookup(tmp_path)
    for name in ("index.noun", "index.verb", "index.adj", "index.adv", "data.verb", "data.adj", "data.adv"):
        (tmp_path / name).write_bytes((wordnet_source() / name).read_bytes())
    (tmp_path / "data.noun").write_bytes(b"x" * 16_000_000)  # not WordNet's noun data
    with pytest.raises(WordNetUnavailable, match="data.noun"):
        WordNetLookup(tmp_path).synsets("dog")


def test_odd_words_have_no_synsets():
    lookup = get_lookup()
    for word in ("dog\udce9", "\x00dog", "dog\n", "x" * 100_000, "über" * 3):
        assert lookup.synsets(word) == []


def test_common_synsets_are_the_attested_senses_of_the_first_part_of_speech():
    lookup = get_lookup()
    assert [s.name for s in lookup.common_synsets("dog")] == ["dog.n.01"]  # not frump.n.01 or the verb
    assert [s.name for s in lookup.common_synsets("Dogs")] == ["dog.n.01"]
    assert [s.name for s in lookup.common_synsets("car")] == ["car.n.01", "car.n.02"]
    assert lookup.common_synsets("zzqqx") == [] and lookup.common_synsets("") == []
    # against the index lines themselves: tagsense_cnt is the field after the pointer symbols
    folder = wordnet_source()
    lines = [ln.split() for ln in (folder / "index.noun").read_text("utf-8").splitlines() if not ln.startswith(" ")]
    for fields in random.Random(3).sample(lines, 300):
        lemma, n_synsets, n_pointers = fields[0], int(fields[2]), int(fields[3])
        attested = int(fields[5 + n_pointers])
        got = lookup.common_synsets(lemma)
        all_noun = [s for s in lookup.synsets(lemma) if s.pos == "n"]
        assert got == all_noun[: max(1, attested)], lemma
        assert len(all_noun) >= n_synsets
