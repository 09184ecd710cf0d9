"""A place tag needs the post to name the place (issue 20): "The lawn finally came back after the rain" is no #yeg
(Edmonton), "Texture hunting downtown" no #losangeles, though the training captions that said so were tagged with
them. The caption-trained sources (``LEARNED_SOURCES``) learned which city an everyday word was posted from, not what
it says; their place tags count only where the post names the place itself (a word, a joined pair, one of its tags),
a place within it ("Hollywood" for #losangeles, "Paris" for #france: WordNet's part holonyms), or checks in ("... @
Griffith Observatory", Instagram's location line, whose authors tag the city around it).

A place tag is a WordNet place name (the vocabulary's named ``place`` lemmas: #losangeles #california #paris) or a
listed one no dictionary holds (``resources/place_tags.txt``: city short forms, #yeg #dtla #nyc #la, and the tweets'
Californian places and city-life tags, #lacma #malibu #lalife #sactown). The rule holds on photo posts and on text
alone ("Rainy day in London, perfect for a museum" got #losangeles #lacma): on the tweets' val side it costs their
Los Angeles authors' habit (0.1032/0.1954 -> 0.1015/0.1904), a place no caption of theirs named.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..tags import Evidence

RESOURCE = Path(__file__).resolve().parents[2] / "resources" / "place_tags.txt"
# a city's short form and the place it stands for ("SF": San Francisco), both ways: the caption names either
SHORT_FORMS = RESOURCE.with_name("place_short_forms.txt")
SHORT_IN_CAPITALS = 3  # a short form this short counts only written in capitals ("LA", not the Spanish article "la")
LEARNED_SOURCES = ("caption", "caption_protos", "about", "words", "ngrams", "caption_topics")
HOLONYM_DEPTH = 4  # Hollywood -> Los Angeles -> California -> United States
# Instagram's cross-posted location line: " @ " and a capitalised name ("Sunday funday @ Knott's Berry Farm")
CHECK_IN = re.compile(r"(?:^|\s)@ [A-Z0-9]")


@lru_cache(maxsize=1)
def listed_places() -> frozenset[str]:
    from ...exceptions import ModelError

    try:
        lines = RESOURCE.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelError(f"cannot read the place tags {RESOURCE}: {exc}") from None
    return frozenset(line.split("#")[0].strip() for line in lines if line.split("#")[0].strip())


@lru_cache(maxsize=1)
def short_forms() -> dict[str, str]:
    """{a short form's tag: the WordNet lemma of the place it stands for} (``SHORT_FORMS``)."""
    from ...exceptions import ModelError

    try:
        lines = SHORT_FORMS.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelError(f"cannot read the place short forms {SHORT_FORMS}: {exc}") from None
    pairs = [line.split("#")[0].split() for line in lines]
    return {p[0]: p[1].lower() for p in pairs if len(p) == 2}


@lru_cache(maxsize=65536)
def is_place(tag: str) -> bool:
    """Whether a tag names a place: a WordNet place name or a listed city short form."""
    from ...knowledge.vocabulary import get_vocabulary

    lemma = get_vocabulary().lemma(tag)
    return bool(lemma and lemma[0] == "place" and lemma[1]) or tag in listed_places()


@lru_cache(maxsize=4096)
def _wholes(form: str) -> frozenset[str]:
    """The places a named place is part of, in tag form, up to HOLONYM_DEPTH levels (its usual senses only)."""
    from ...wordnet import WordNetUnavailable, get_lookup, lemma_tag

    try:
        lookup = get_lookup()
        level = [s for s in lookup.common_synsets(form) if s.pos == "n"]
    except WordNetUnavailable:
        return frozenset()
    out: set[str] = set()
    for depth in range(HOLONYM_DEPTH):
        # first from the word's own senses, its member holonyms too: a people's place ("Filipino" -> Philippines,
        # "Parisian" -> Paris)
        level = [w for s in level for w in lookup.related(s, ("#p", "#m") if depth == 0 else ("#p",))]
        out.update(lemma_tag(name) for w in level for name in w.lemma_names)
    return frozenset(out)


def _shortened(text: str, said: set[str]) -> tuple[set[str], set[str]]:
    """(the short forms the post names, through themselves or their place's name; the places its short forms stand
    for, as WordNet lemmas): "SF" names San Francisco, "San Francisco" names #sf."""
    capitals = {w.lower() for w in re.findall(r"\b[A-Z]{2,%d}\b" % SHORT_IN_CAPITALS, text or "")}
    shorts, places = set(), set()
    for short, lemma in short_forms().items():
        if short in said and (len(short) > SHORT_IN_CAPITALS or short in capitals):
            shorts.add(short)
            places.add(lemma)
        elif lemma.replace("_", "") in said:
            shorts.add(short)
    return shorts, places


def named_places(text: str, tags) -> set[str] | None:
    """The place tags a post may carry: those it names and the places they are part of; None (any) where the
    caption checks in."""
    from ...knowledge.vocabulary import caption_tokens, joined_ngrams

    if text and CHECK_IN.search(text):
        return None
    words = caption_tokens(text or "")
    said = set(tags) | set(words) | set(joined_ngrams(words, 3))
    shorts, places = _shortened(text, said)
    out = said | shorts | {p.replace("_", "") for p in places}
    for form in set(words) | {f"{a}_{b}" for a, b in zip(words, words[1:])} | set(tags) | places:
        if len(form) > 2:
            out |= _wholes(form)
    return out


def unnamed_left_out(evidence: dict[str, Evidence], text: str, tags) -> dict[str, Evidence]:
    """``evidence`` without the caption-trained sources' place tags that the post does not name."""
    learned = [name for name in LEARNED_SOURCES if evidence.get(name)]
    if not learned:
        return evidence
    allowed = named_places(text, tags)
    if allowed is None:
        return evidence
    out = dict(evidence)
    for name in learned:
        kept = {tag: v for tag, v in evidence[name].items() if tag in allowed or not is_place(tag)}
        if len(kept) < len(evidence[name]):
            out[name] = kept
    return out
