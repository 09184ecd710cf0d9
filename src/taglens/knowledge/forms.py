"""One form per meaning: which tags say the same thing (singular/plural, synonyms), and which form people use most.

- :func:`form_key`: a tag's group key without context: its hand-listed group (``resources/tag_forms.txt``:
  cat/cats/kitty), else its singular (WordNet's morphology: ``animals`` -> ``animal``, ``puppies`` -> ``puppy``);
- :func:`same_meaning`: whether two tags are forms of one meaning: same key, WordNet synonyms in their usual
  senses (``drink``/``beverage``: the usual sense of one is a usual sense of the other and has the other as a
  lemma; ``sea``/``ocean`` are not joined, nor ``picture``/``painting``), or two names of one ImageNet class
  (:func:`class_names`: ``thatch``/``thatchedroof``, ``ladybug``/``ladybird``/``ladybeetle``, which the
  one-word synonym test cannot join: the map's names are multi-word lemmas written as one word);
- :func:`group_forms`: for a list of tags (a ranked candidate list), each tag's group key and the group's most used
  form by the vocabulary counts. An evidence combiner keeps the preferred form in the top k and moves the others
  down the list.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable

FORMS = Path(__file__).resolve().parents[1] / "resources" / "tag_forms.txt"


@lru_cache(maxsize=1)
def class_names() -> dict[str, str]:
    """{name: the class's first name} for every ImageNet class of the image tag map with two or more names
    (``ImageTagMap.name_groups``): the lemmas of the class's own WordNet synset whose usual sense is that class
    (``scripts/build_image_tags.py``), so one meaning. A photo of a thatched roof got ``#thatch #thatchedroof``, a
    handwritten page ``#pencileraser #rubbereraser`` in its top 5. {} without the map (the other tests still group)."""
    from ..exceptions import ModelError
    from .image_tags import get_image_tag_map

    try:
        return get_image_tag_map().name_groups
    except ModelError:
        return {}


@lru_cache(maxsize=1)
def _hand_groups() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in FORMS.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words = line.split()
            for w in words:
                out.setdefault(w, words[0])
    return out


def _lookup():
    try:
        from ..wordnet import WordNetUnavailable, get_lookup

        return get_lookup()
    except WordNetUnavailable as exc:
        from ..wordnet import report_missing_once

        report_missing_once("wordnet-forms", f"WordNet unavailable ({exc}): tag forms are grouped by the hand list "
                                             "only")
        return None


@lru_cache(maxsize=65536)
def singular(tag: str) -> str:
    """The noun base form WordNet gives a tag (``animals`` -> ``animal``), or the tag itself."""
    lookup = _lookup()
    if lookup is None or not tag.isalpha() or len(tag) < 3:
        return tag
    forms = lookup.morphy(tag, "n")  # the tag itself first where WordNet has it (#glasses, #news stay)
    return forms[0] if forms else tag


@lru_cache(maxsize=65536)
def form_key(tag: str) -> str:
    hand = _hand_groups()
    if tag in hand:
        return hand[tag]
    base = singular(tag)
    return hand.get(base, base)


@lru_cache(maxsize=65536)
def _usual_senses(word: str) -> tuple:
    lookup = _lookup()
    if lookup is None:
        return ()
    return tuple(s for s in lookup.common_synsets(word) if s.pos == "n")


def same_meaning(a: str, b: str) -> bool:
    if a == b or form_key(a) == form_key(b):
        return True
    names = class_names()
    if a in names and names.get(b) == names[a]:
        return True
    ka, kb = form_key(a), form_key(b)
    sa, sb = _usual_senses(ka), _usual_senses(kb)
    if not sa or not sb:
        return False
    return (sb[0] in sa and ka in sb[0].lemma_names) or (sa[0] in sb and kb in sa[0].lemma_names)


def group_forms(tags: Iterable[str]) -> dict[str, tuple[str, str]]:
    """{tag: (group key, the group's most used form)} for the given tags; the key is the group's most used form's
    :func:`form_key`, the most used form is chosen among the given tags by the vocabulary counts (ties: the earlier
    tag).

    The groups are the connected components of :func:`same_meaning` over the tags, found without asking it of
    every pair: tags of one :func:`form_key` are joined, and two keys are synonyms only where one is a lemma name
    of the other's first usual sense, so each key's first sense names the only keys it can be joined to."""
    from .vocabulary import get_vocabulary

    vocab = get_vocabulary()
    tags = list(dict.fromkeys(tags))
    keys = [form_key(t) for t in tags]
    first_with_key: dict[str, int] = {}
    parent = list(range(len(tags)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    for i, key in enumerate(keys):
        union(i, first_with_key.setdefault(key, i))
    names, first_with_name = class_names(), {}
    for i, tag in enumerate(tags):  # two names of one ImageNet class
        if tag in names:
            union(i, first_with_name.setdefault(names[tag], i))
    for kb, j in first_with_key.items():  # same_meaning's synonym test, from kb's side: sb[0] in sa, ka a lemma
        senses = _usual_senses(kb)
        if not senses:
            continue
        first = senses[0]
        for ka in first.lemma_names:
            i = first_with_key.get(ka)
            if i is not None and ka != kb and first in _usual_senses(ka):
                union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(tags)):
        groups.setdefault(find(i), []).append(i)
    out: dict[str, tuple[str, str]] = {}
    for members in groups.values():
        best = max(members, key=lambda i: (vocab.tag_count(tags[i]), -i))
        key = form_key(tags[best])
        for i in members:
            out[tags[i]] = (key, tags[best])
    return out


def preferred_form(tag: str) -> str:
    """The most used of a tag's known forms (its group in the hand list, its singular and plural)."""
    from .vocabulary import get_vocabulary

    vocab = get_vocabulary()
    key = form_key(tag)
    candidates = {tag, key, key + "s"} | {w for w, k in _hand_groups().items() if k == key}
    candidates = {c for c in candidates if form_key(c) == key}
    return max(sorted(candidates), key=lambda c: (vocab.tag_count(c), c == tag))
