"""A broad hashtag vocabulary (aggregate counts from every corpus in ../shared/data, WordNet lemmas, word
frequencies) and the caption source that proposes from it.

``get_vocabulary()`` loads ``resources/vocab/`` (built by ``scripts/build_vocabulary.py``; about 0.3 s, once):

- ``tag_count(tag)`` / ``tag_counts(tag)``: in how many training posts a tag was used, in all / per corpus;
- ``word_stats(word, lang)``: (mentions, tagged) — in how many captions the word (or a joined word pair or triple,
  ``eiffeltower``) was mentioned, and in how many of those it was also a hashtag of the post; ``lang`` restricts
  the counts to captions in that language;
- ``word_languages(word)``: the languages of the captions that mention a word (``{"en": 120, "es": 3}``), for
  gating statistics learned in one language (see docs/EVERYDAY.md);
- ``lemma(tag)``: (kind, is a name, Zipf) of a concrete WordNet noun lemma in tag form.

``caption_candidates(text, lang)`` turns a caption into (tag, weight, evidence) triples: each word, joined pair or
triple that reads as a hashtag, weighted by how often people who write it also tag it, shrunk towards a prior by
its counts (a rate from 3 posts cannot look like one from 3,000).
"""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RESOURCE = Path(__file__).resolve().parents[1] / "resources" / "vocab"
CORPORA = ("harrison", "instagram6", "vape", "pexels_food", "tweets", "taglists", "lifestyle", "multilingual")
_WORD_RE = re.compile(r"[^\W\d_](?:[\w'’]*\w)?", re.UNICODE)
_HASHTAG_OR_HANDLE = re.compile(r"(?<!\w)[#@][\w.]+|https?://\S+|www\.\S+|&\w+;", re.UNICODE)
# prior hashtag rate of a WordNet lemma the corpora never saw written, by its kind
KIND_PRIOR = {"place": 0.30, "animal": 0.25, "plant": 0.20, "food": 0.20, "thing": 0.10, "nature": 0.15,
              "activity": 0.12, "event": 0.15, "weather": 0.12, "time": 0.08, "substance": 0.08}
WORD_PRIOR = 0.02  # a word that is neither a WordNet lemma nor seen as a hashtag
# the words that deny the next one, by caption language (Portuguese "no" is "in the": "no BR", "no Discovery")
NEGATORS = {"en": frozenset({"no", "not", "without", "zero", "never"}), "es": frozenset({"sin"}),
            "el": frozenset({"χωρίς"})}
# a phrase WordNet lists as one lemma, written as its words ("Full moon" -> #fullmoon, "golden retriever"): it names
# the thing as the hashtag does, not a word's habit. Over the corpora such compounds (3 mentions or more) are tagged
# in 2,412 of the 5,935 captions that write them (0.41), and 0.28 for those tagged under 10 times (fullmoon: 2 of 4),
# against the 0.08-0.3 of their kinds. A phrase the corpora never saw written keeps its kind's prior (the tweets'
# "eggs benedict", "candid camera": at 0.28 they push their authors' #breakfast #tbt out of the top 5)
PHRASE_PRIOR = 0.28
SHRINK = 8.0  # pseudo-posts of prior in the shrunk rate
MIN_WEIGHT = 0.05


def caption_tokens(text: str, keep_hashtags: bool = False) -> list[str]:
    """Lowercase words of a caption in order; without @handles, web addresses and (unless ``keep_hashtags``, where
    ``#Paris`` counts as the word ``paris``) hashtags."""
    if keep_hashtags:
        text = re.sub(r"(?<!\w)#(?=\w)", " ", re.sub(r"(?<!\w)@[\w.]+|https?://\S+|www\.\S+|&\w+;", " ", text or ""))
    else:
        text = _HASHTAG_OR_HANDLE.sub(" ", text or "")
    return [w.lower().replace("’", "'") for w in _WORD_RE.findall(text)]


def joined_ngrams(words: list[str], n_max: int = 3) -> list[str]:
    """Word pairs and triples joined into tag form (``["eiffel", "tower"]`` -> ``eiffeltower``), apostrophes
    dropped."""
    out = []
    for n in range(2, n_max + 1):
        for i in range(len(words) - n + 1):
            out.append("".join(words[i:i + n]).replace("'", ""))
    return out


@dataclass(frozen=True)
class Candidate:
    tag: str
    weight: float
    evidence: str
    mentions: int
    tagged: int


class Vocabulary:
    def __init__(self, folder: Path = RESOURCE):
        self.folder = Path(folder)
        self._tags: dict[str, tuple[int, ...]] = {}
        self._words: dict[str, tuple[int, int, str]] = {}
        self._lemmas: dict[str, tuple[str, int, float]] = {}
        for row in self._rows("tags.tsv.gz"):
            self._tags[row[0]] = tuple(int(x) for x in row[1:])
        for row in self._rows("words.tsv.gz"):
            self._words[row[0]] = (int(row[1]), int(row[2]), row[3] if len(row) > 3 else "")
        for row in self._rows("lemmas.tsv.gz"):
            self._lemmas[row[0]] = (row[1], int(row[2]), float(row[3]))

    def _rows(self, name: str):
        from ..exceptions import ModelError

        path = self.folder / name
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                next(fh)
                return [line.rstrip("\n").split("\t") for line in fh]
        except (OSError, EOFError, StopIteration, UnicodeDecodeError) as exc:
            raise ModelError(f"cannot read the vocabulary resource {path}: {exc}") from None

    def tag_count(self, tag: str) -> int:
        row = self._tags.get(tag)
        return row[0] if row else 0

    def tag_counts(self, tag: str) -> dict[str, int]:
        row = self._tags.get(tag)
        return dict(zip(CORPORA, row[1:])) if row else {}

    def tags(self) -> list[str]:
        return list(self._tags)

    def word_languages(self, word: str) -> dict[str, int]:
        row = self._words.get(word)
        if not row or not row[2]:
            return {}
        return {lang: int(n) for lang, n, _ in (item.split(":") for item in row[2].split())}

    def word_stats(self, word: str, lang: str | None = None) -> tuple[int, int]:
        """(mentions, tagged) of a word over all captions, or over captions in ``lang``."""
        row = self._words.get(word)
        if not row:
            return 0, 0
        if lang is None:
            return row[0], row[1]
        for item in row[2].split():
            code, n, t = item.split(":")
            if code == lang:
                return int(n), int(t)
        return 0, 0

    def lemma(self, tag: str) -> tuple[str, int, float] | None:
        return self._lemmas.get(tag)

    def reads_as_tag(self, tag: str, lang: str | None = None) -> bool:
        """Whether a form is a hashtag people use, a concrete WordNet lemma, or a word of the language."""
        if self.tag_count(tag) >= 2 or tag in self._lemmas:
            return True
        import wordfreq

        if not lang or lang not in wordfreq.available_languages():  # "und", or one wordfreq has no list for
            lang = "en"
        from .word_frequency import zipf

        return zipf(tag, lang) >= 2.0

    def _counted_form(self, word: str) -> str:
        """A plural the corpora never counted (fewer than 3 mentions) and WordNet does not list as its
        own word, as its singular where that is a WordNet lemma ("daisies", "tulips" -> "daisy", "tulip"); else the
        word."""
        if not word.endswith("s") or word in self._lemmas or self.word_stats(word)[0] >= 3:
            return word
        from .forms import singular

        base = singular(word)
        return base if base != word and base in self._lemmas else word

    def hashtag_rate(self, form: str, lang: str | None = None, phrase: bool = False) -> tuple[float, int, int]:
        """(how often people who write ``form`` also tag it, shrunk towards a prior by its counts; mentions;
        tagged): the counts in ``lang`` where it has some (at least 3 mentions), else in all languages shrunk twice
        as hard; the prior is WordNet's kind of the word (a place is tagged more than a thing) or WORD_PRIOR, and at
        least PHRASE_PRIOR for a ``phrase`` (words written apart) WordNet lists as one lemma."""
        lemma = self._lemmas.get(form)
        mentions, tagged = self.word_stats(form, lang) if lang and lang != "und" else (0, 0)
        shrink = SHRINK
        if mentions < 3:
            mentions, tagged = self.word_stats(form)
            shrink = SHRINK * (2 if lang and lang != "und" else 1)
        prior = KIND_PRIOR[lemma[0]] if lemma else WORD_PRIOR
        if lemma and lemma[0] in ("thing", "activity", "time", "substance") and lemma[2] >= 5.5:
            prior = WORD_PRIOR  # "time", "day", "thing": too common to be a topic by themselves
        if phrase and lemma and mentions:  # one the corpora never saw written keeps its kind's prior
            prior = max(prior, PHRASE_PRIOR)
        return (tagged + shrink * prior) / (mentions + shrink), mentions, tagged

    def caption_candidates(self, text: str, lang: str | None = None, k: int = 20) -> list[Candidate]:
        """Tags a caption names, best first: see the module docstring. ``lang`` is the caption's language
        (``taglens.language.detect``); a word's counts in that language are used where it has some (at least
        3 mentions), else its counts in all languages shrunk twice as hard."""
        words = caption_tokens(text)
        if not words:
            return []
        written: dict[str, str] = {}
        raw_words = _WORD_RE.findall(_HASHTAG_OR_HANDLE.sub(" ", text))
        for i in range(len(raw_words)):
            for n in (1, 2, 3):
                if i + n <= len(raw_words):
                    form = "".join(raw_words[i:i + n]).lower().replace("’", "").replace("'", "")
                    written.setdefault(form, " ".join(raw_words[i:i + n]))
        # a word the caption denies ("no filter", "without sugar") is no tag of its own; the phrase may be (#nofilter)
        deny = NEGATORS.get("en" if lang in (None, "und") else lang, frozenset())
        bases = [_base_form(w) for w in words]
        said = {b for i, b in enumerate(bases) if not (i and words[i - 1] in deny)}
        singles = [b for b in bases if b in said]
        forms = list(dict.fromkeys(singles + joined_ngrams(words)))
        phrases = {"".join(words[i:i + n]).replace("'", ""): "_".join(words[i:i + n])
                   for n in (2, 3) for i in range(len(words) - n + 1)}
        single_forms = set(singles)
        out: list[Candidate] = []
        proposed: set[str] = set()
        for said_form in forms:
            form = said_form
            if len(form) < 2 or form.isdigit():
                continue
            is_ngram = form not in single_forms
            if not is_ngram:
                form = self._counted_form(form)  # "daisies", never counted -> "daisy"
            if form in proposed:
                continue
            lemma = self._lemmas.get(form)
            if is_ngram and lemma is None and self.tag_count(form) < 2:
                continue  # a pair or triple counts only where it is a tag or a WordNet name
            if is_ngram and _is_common_word(form):
                continue  # "se a" is not #sea: a word written apart is not that word
            weight, mentions, tagged = self.hashtag_rate(form, lang,
                                                         phrase=is_ngram and _noun_phrase(phrases.get(form)))
            if mentions == 0 and not lemma:
                continue
            if weight < MIN_WEIGHT or not self.reads_as_tag(form, lang):
                continue
            said = written.get(said_form, said_form) + (f" ({form})" if form != said_form else "")
            proposed.add(form)
            if mentions:
                evidence = f"caption mentions: {said} (a hashtag in {tagged} of {mentions} posts that mention it)"
            else:
                evidence = f"caption mentions: {said} (WordNet: {lemma[0]})"
            out.append(Candidate(form, round(weight, 4), evidence, mentions, tagged))
        out.sort(key=lambda c: (-c.weight, c.tag))
        return out[:k]


def _base_form(word: str) -> str:
    """A caption word in tag form: apostrophes dropped, an English possessive read as its noun ("grandpa's" ->
    "grandpa", not "grandpas")."""
    if len(word) > 3 and word.endswith("'s"):
        return word[:-2].replace("'", "")
    return word.replace("'", "")


@lru_cache(maxsize=8192)
def _noun_phrase(phrase: str | None) -> bool:
    """Whether words written apart ("full_moon") are a compound WordNet lists as a noun and never as a verb ("pull
    out", "take over": the joined #pullout names nothing the caption meant)."""
    if not phrase:
        return False
    from ..wordnet import WordNetUnavailable, get_lookup

    try:
        lookup = get_lookup()
        return bool(lookup.morphy(phrase, "n")) and not lookup.morphy(phrase, "v")
    except WordNetUnavailable:
        return False


@lru_cache(maxsize=65536)
def _is_common_word(form: str) -> bool:
    from .word_frequency import zipf

    return zipf(form, "en") >= 3.0


@lru_cache(maxsize=1)
def get_vocabulary() -> Vocabulary:
    return Vocabulary()


def caption_candidates(text: str, lang: str | None = None, k: int = 20) -> list[tuple[str, float, str]]:
    """(tag, weight in [0, 1], evidence text) for the tags a caption names; ``lang`` as from
    ``taglens.language.detect`` (None: detected here)."""
    if lang is None:
        from ..language import detect

        lang = detect(text)[0]
    return [(c.tag, c.weight, c.evidence) for c in get_vocabulary().caption_candidates(text, lang, k)]
