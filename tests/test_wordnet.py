"""The fast WordNet reader answers as nltk's reader does, without loading the index."""
import random
import shutil
import sys
from pathlib import Path

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


def test_hypernyms_and_depths_match_nltk():
    """The zero-shot tables walk hypernyms and depths with the fast reader (no nltk to suggest or fit): the same
    synsets as nltk's ``hypernyms() + instance_hypernyms()`` and the same ``min_depth()``, over a sample of nouns
    with instance hypernyms (Paris), several hypernyms (a warship) and the root itself."""
    ours, theirs = get_lookup(), get_wordnet()
    offsets = [s.offset() for s in (theirs.synset("paris.n.01"), theirs.synset("warship.n.01"),
                                    theirs.synset("entity.n.01"), theirs.synset("golden_retriever.n.01"))]
    offsets += [s.offset() for s in random.Random(3).sample(list(theirs.all_synsets("n")), 300)]
    for offset in offsets:
        want = theirs.synset_from_pos_and_offset("n", offset)
        got = ours.hypernyms("n", offset)
        assert sorted(got) == sorted((h.pos(), h.offset()) for h in want.hypernyms() + want.instance_hypernyms())
        assert ours.min_depth("n", offset) == want.min_depth(), want.name()
        assert ours.synset_at("n", offset).name == want.name()


def test_climb_goes_level_by_level_each_synset_once():
    lookup = get_lookup()
    start = lookup.key_of("golden_retriever.n.01")
    names = [[lookup.synset_at(*k).name for k in level] for level in lookup.climb(start, lookup.hypernyms, 3)]
    assert names == [["golden_retriever.n.01"], ["retriever.n.01"], ["sporting_dog.n.01"]]
    levels = list(lookup.climb(lookup.key_of("dog.n.01"), lookup.hypernyms, 30))
    flat = [k for level in levels for k in level]
    assert len(flat) == len(set(flat)) and levels[-1] == [lookup.key_of("entity.n.01")]


def test_zero_shot_concepts_need_no_nltk():
    import subprocess

    code = ("import sys; from taglens.suggesters.zeroshot import class_concepts, class_names; "
            "c = dict(class_concepts()[207]); assert c['golden retriever'] == 1 and 'dog' in c, c; "
            "assert class_names()[207] == 'golden retriever'; assert 'nltk' not in sys.modules")
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


def test_usual_noun_lexname_is_the_first_noun_senses_lexicographer_file_as_nltk_reads_it():
    lookup = get_lookup()
    assert lookup.usual_noun_lexname("support") == "noun.act"  # the activity, not the tripod's kind
    assert lookup.usual_noun_lexname("tripod") == "noun.artifact"
    assert lookup.usual_noun_lexname("Dogs") == "noun.animal"
    assert lookup.usual_noun_lexname("street_sign") == "noun.communication"
    assert lookup.usual_noun_lexname("run") == "noun.act"  # a noun besides the verb
    assert lookup.usual_noun_lexname("zzqqx") is None and lookup.usual_noun_lexname("") is None
    assert lookup.usual_noun_lexname("quickly") is None  # no noun
    wn = get_wordnet()
    for w in random.Random(5).sample(_index_lemmas(), 300):
        first = wn.synsets(w, "n")[:1]
        assert lookup.usual_noun_lexname(w) == (first[0].lexname() if first else None), w


# --- the WordNet shipped in the package -------------------------------------------------------------------------

SYSTEM = Path("/usr/share/wordnet")
needs_system = pytest.mark.skipif(not (SYSTEM / "data.noun").is_file(),
                                  reason="no system WordNet (/usr/share/wordnet) to compare the shipped copy with")


def test_shipped_wordnet_is_used_by_default_and_unpacked_with_lexnames(monkeypatch, tmp_path):
    import taglens.wordnet as wn

    monkeypatch.delenv("TAGLENS_WORDNET", raising=False)
    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path))
    wn.unpack_shipped.cache_clear()
    try:
        folder = wn.wordnet_source()
        assert folder.parent == tmp_path and (folder / "complete").is_file() and (folder / "lexnames").is_file()
        assert [s.name for s in WordNetLookup(folder).synsets("puppies")][:1] == ["puppy.n.01"]
        assert "Princeton University" in (wn.SHIPPED / "LICENSE").read_text("utf-8")
    finally:
        wn.unpack_shipped.cache_clear()


def test_an_unwritable_cache_unpacks_wordnet_into_a_temporary_folder_for_the_run(monkeypatch, tmp_path, capsys):
    """A cache folder that cannot be written (here TAGLENS_CACHE names a file; a read-only or full disk alike) does
    not leave taglens without WordNet, which would change the suggestions (a caption's 'a kind of animal' tags, the
    one-form-per-meaning groups): the files go into a temporary folder for this process, and that is said once."""
    import taglens.wordnet as wn

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.delenv("TAGLENS_WORDNET", raising=False)
    monkeypatch.setenv("TAGLENS_CACHE", str(blocker))
    monkeypatch.setattr(wn, "_reported", set())
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    wn.unpack_shipped.cache_clear()
    try:
        folder = wn.wordnet_source()
        assert folder.parent == tmp_path and folder.name.startswith("taglens-wordnet-")
        assert (folder / "complete").is_file() and (folder / "lexnames").is_file()
        assert [s.name for s in WordNetLookup(folder).synsets("puppies")][:1] == ["puppy.n.01"]
        err = capsys.readouterr().err
        assert f"cannot unpack WordNet into {blocker}" in err and "temporary folder" in err
    finally:
        wn.unpack_shipped.cache_clear()


def test_an_unpacked_file_cut_short_since_is_unpacked_again(monkeypatch, tmp_path):
    """A WordNet file in the cache damaged after it was unpacked (cut short by another program or the disk) is
    unpacked again, instead of being read as WordNet (an IndexError traceback from the lookup)."""
    import taglens.wordnet as wn

    monkeypatch.delenv("TAGLENS_WORDNET", raising=False)
    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path))
    wn.unpack_shipped.cache_clear()
    try:
        folder = wn.wordnet_source()
        whole = (folder / "data.noun").read_bytes()
        (folder / "data.noun").write_bytes(whole[: len(whole) // 2])
        wn.unpack_shipped.cache_clear()  # a later process
        assert wn.wordnet_source() == folder and (folder / "data.noun").read_bytes() == whole
    finally:
        wn.unpack_shipped.cache_clear()


def test_wordnet_that_cannot_be_unpacked_is_tried_once_per_process(monkeypatch, tmp_path):
    """Neither the cache nor a temporary folder can be written (a full disk): WordNetUnavailable, and every later
    lookup says so at once instead of decompressing the files again (a caption's words each asked: minutes)."""
    import taglens.wordnet as wn

    tries: list = []

    def full_disk(folder):
        tries.append(folder)
        raise OSError(28, "No space left on device")

    monkeypatch.delenv("TAGLENS_WORDNET", raising=False)
    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path))
    monkeypatch.setattr(wn, "_unpack_into", full_disk)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    wn.unpack_shipped.cache_clear()
    try:
        for _ in range(3):
            with pytest.raises(WordNetUnavailable, match="No space left on device"):
                wn.wordnet_source()
        assert len(tries) == 2  # the cache, then a temporary folder: once
        assert not list(tmp_path.glob("taglens-wordnet-*"))  # the failed temporary folder removed at once
    finally:
        wn.unpack_shipped.cache_clear()


def test_a_damaged_shipped_file_is_named(monkeypatch, tmp_path):
    import lzma

    import taglens.wordnet as wn

    fake = tmp_path / "res"
    shutil.copytree(wn.SHIPPED, fake)
    (fake / "adv.exc.xz").write_bytes(lzma.compress(b"not the adverb exceptions\n"))
    monkeypatch.setattr(wn, "SHIPPED", fake)
    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TAGLENS_WORDNET", raising=False)
    wn.unpack_shipped.cache_clear()
    try:
        with pytest.raises(WordNetUnavailable, match="adv.exc.xz is damaged"):
            wn.wordnet_source()
    finally:
        wn.unpack_shipped.cache_clear()


def test_override_and_missing_resource(monkeypatch, tmp_path, capsys):
    import taglens.wordnet as wn

    monkeypatch.setenv("TAGLENS_WORDNET", str(tmp_path))
    with pytest.raises(WordNetUnavailable, match="TAGLENS_WORDNET=.* is not a WordNet 3.0 folder"):
        wn.wordnet_source()
    monkeypatch.delenv("TAGLENS_WORDNET")
    monkeypatch.setattr(wn, "SHIPPED", tmp_path / "gone")
    monkeypatch.setattr(wn, "SEARCH", (str(tmp_path / "nowhere"),))
    with pytest.raises(WordNetUnavailable, match="missing .*gone"):
        wn.wordnet_source()
    if (SYSTEM / "data.noun").is_file():  # a system copy is used, and that is said once
        monkeypatch.setattr(wn, "SEARCH", (str(SYSTEM),))
        monkeypatch.setattr(wn, "_reported", set())
        assert wn.wordnet_source() == SYSTEM and wn.wordnet_source() == SYSTEM
        assert capsys.readouterr().err.count("WordNet files shipped with taglens are missing") == 1


@needs_system
def test_shipped_files_equal_the_system_files_but_for_glosses():
    import taglens.wordnet as wn

    shipped = wn.unpack_shipped()
    for name in wn.SHIPPED_FILES:
        ours, theirs = (shipped / name).read_bytes(), (SYSTEM / name).read_bytes()
        if not name.startswith("data."):
            assert ours == theirs, name
            continue
        assert len(ours) == len(theirs), name
        for a, b in zip(ours.split(b"\n"), theirs.split(b"\n")):
            cut = b.find(b" | ") if not b.startswith(b"  ") else -1
            assert (a == b) if cut < 0 else (a[: cut + 3] == b[: cut + 3] and not a[cut + 3:].strip()), name


@needs_system
def test_shipped_reader_answers_as_the_system_reader_on_every_synset_taglens_asks_for(monkeypatch):
    """Every ImageNet class with its hypernym closure (the zero-shot tables) and a sample of lemmas (the lookups),
    through both readers, from the shipped files and from /usr/share/wordnet."""
    import taglens.wordnet as wn
    from taglens.encoders.image import imagenet_synsets
    shipped, system = wn.nltk_reader(wn.unpack_shipped()), wn.nltk_reader(SYSTEM)

    def closure(reader, wnid):
        s = reader.synset_from_pos_and_offset(wnid[0], int(wnid[1:]))
        out, frontier = [], [s]
        while frontier:
            s = frontier.pop(0)
            out.append((s.name(), tuple(s.lemma_names()), s.min_depth()))
            frontier += s.hypernyms() + s.instance_hypernyms()
        return out

    for wnid in imagenet_synsets():
        assert closure(shipped, wnid) == closure(system, wnid), wnid
    words = random.Random(11).sample(_index_lemmas(), 3000) + ["dog", "cats", "espresso", "eiffel_tower", "paris"]
    ours, theirs = WordNetLookup(wn.unpack_shipped()), WordNetLookup(SYSTEM)
    for w in words:
        assert ours.synsets(w) == theirs.synsets(w) and ours.common_synsets(w) == theirs.common_synsets(w), w


def test_index_lines_and_pointers_read_once_give_what_the_files_say():
    """The reader keeps the index lines and pointer lists it has read (issue 21): the answers are the files' own,
    asked again or not, and a caller that changes a returned list changes nothing kept."""
    from taglens.wordnet import WordNetLookup, get_lookup

    lookup = get_lookup()
    fresh = WordNetLookup(lookup.folder)
    for word in ("dog", "nervous", "run", "quickly", "sadness", "killme", "zzzz"):
        for pos in ("n", "v", "a", "r"):
            first = lookup._index_entry(word, pos)
            assert first == fresh._read_index_entry(word, pos) == lookup._index_entry(word, pos)
            first[0].append(-1)
            assert lookup._index_entry(word, pos) == fresh._read_index_entry(word, pos)
    dog = lookup.synsets("dog")[0].key
    pointers = lookup._pointers(*dog)
    assert pointers and pointers == fresh._read_pointers(*dog) and lookup._entries and lookup._pointer_lists
    pointers.clear()
    assert lookup._pointers(*dog) == fresh._read_pointers(*dog)
    assert lookup.hypernyms(*dog) == fresh.hypernyms(*dog)
