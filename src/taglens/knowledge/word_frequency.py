"""wordfreq's Zipf frequencies without loading its word lists into every process.

``wordfreq.zipf_frequency(word, lang)`` reads the language's whole list into a dict on first use: 0.1-0.35 s of CPU
per language, 1.6 s for the twelve the junk filter asks about, in every process (a cold ``taglens suggest`` paid it
before its first answer). :func:`zipf` gives the same number from an index of the list on disk instead: each
language's list is written once into ``$TAGLENS_CACHE/wordfreq-<version>/<lang>/`` (token -> its frequency
bucket, as in wordfreq's own file; atomically, on the first use of that language: ``_SortedIndex``, memory-mapped
arrays read by binary search), and a word then costs one look-up per token. Tokenising, the digit rule and the
rounding are wordfreq's own functions, so the result is the one ``zipf_frequency`` returns (tested on words,
numbers and several-token strings). Where the cache cannot be written, wordfreq answers itself (said once in the
log).

:func:`best_zipf` answers "the highest Zipf frequency of a word over several languages, where it reaches a floor"
(the junk filter's question over twelve languages) from one index of the tokens that reach the floor in any of
them (the folder ``best-<languages>-<floor>/``: 670,000 tokens, 10 MB, for the junk filter's twelve at Zipf 2.3):
built once from the twelve lists in ~2.6 s of CPU, where building the twelve per-language indexes took ~9.9 s (and
66 MB) on a new machine's first captioned suggestion. Both are ``_SortedIndex`` folders (per-language indexes were
sqlite files before; those left in a cache are not read).
"""
from __future__ import annotations

import functools
import logging
import math
import os
import re
import threading
from pathlib import Path

log = logging.getLogger(__name__)
@functools.lru_cache(maxsize=1)
def _folder() -> Path:
    from importlib.metadata import version

    from ..encoders.cache import cache_dir

    return cache_dir() / f"wordfreq-{version('wordfreq')}"


def _buckets(lang: str) -> dict[str, int]:
    """Token -> its bucket in wordfreq's 'best' list of ``lang`` (as zipf_frequency reads it): a token listed in
    several buckets keeps the last, as wordfreq's dict does."""
    from wordfreq import get_frequency_list

    return {token: index for index, bucket in enumerate(get_frequency_list(lang)) for token in bucket}


@functools.lru_cache(maxsize=None)
def _index(lang: str) -> "_SortedIndex | None":
    """The index of ``lang``'s list (written first if missing), or None where it cannot be (then wordfreq answers
    itself): read-only memory maps, shared by every thread."""
    folder = _folder() / lang
    try:
        if not (folder / "buckets.npy").is_file():
            _SortedIndex.write(_buckets(lang), folder)
        return _SortedIndex(folder)
    except (OSError, ValueError) as exc:
        log.info("wordfreq index of %r unavailable (%s): wordfreq reads its list itself", lang, exc)
        return None


def _rounded(freq: float, minimum: float) -> float:
    """wordfreq's last step: at least ``minimum``, rounded to three significant digits."""
    unrounded = max(freq, minimum)
    if unrounded == 0.0:
        return 0.0
    return round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)


def _to_zipf(freq: float) -> float:
    """``zipf_frequency``'s Zipf of a frequency that ``word_frequency`` has not rounded yet."""
    import wordfreq

    return round(wordfreq.freq_to_zipf(_rounded(freq, wordfreq.zipf_to_freq(0.0))), 2)


def word_frequency(word: str, lang: str, minimum: float = 0.0) -> float:
    """``wordfreq.word_frequency(word, lang, "best", minimum)``, read from the index (see the module docstring)."""
    import wordfreq

    index = _index(lang)
    if index is None:
        return wordfreq.word_frequency(word, lang, minimum=minimum)
    tokens = wordfreq.lossy_tokenize(word, lang)
    if not tokens:
        return minimum
    one_over_result = 0.0
    for token in tokens:  # as wordfreq._word_frequency: 1 / f = 1 / f1 + 1 / f2 + ...
        smashed = wordfreq.smash_numbers(token)
        bucket = index.bucket(smashed)
        if bucket is None:
            return minimum
        freq = wordfreq.cB_to_freq(-bucket)
        if smashed != token:
            freq *= wordfreq.digit_freq(token)
        one_over_result += 1.0 / freq
    freq = 1.0 / one_over_result
    if wordfreq.get_language_info(lang)["tokenizer"] == "jieba":
        freq *= wordfreq.INFERRED_SPACE_FACTOR ** -(len(tokens) - 1)
    return _rounded(freq, minimum)


@functools.lru_cache(maxsize=65536)
def zipf(word: str, lang: str) -> float:
    """``wordfreq.zipf_frequency(word, lang)``, read from the index (see the module docstring); each answer kept
    (as wordfreq keeps its own)."""
    import wordfreq

    return round(wordfreq.freq_to_zipf(word_frequency(word, lang, wordfreq.zipf_to_freq(0.0))), 2)


# tokenised as itself, one token, by wordfreq's regex tokenizer in every language that uses it (tested)
_PLAIN = re.compile(r"^[a-z0-9]+$")


def _best_rows(languages: tuple[str, ...], floor: float) -> dict[str, int]:
    """Token -> its lowest bucket (highest frequency) over ``languages``, for the tokens whose Zipf reaches
    ``floor`` in one of them."""
    from wordfreq import cB_to_freq, get_frequency_list

    last = 0  # buckets are in decreasing frequency: the last one that reaches the floor
    while _to_zipf(cB_to_freq(-(last + 1))) >= floor:
        last += 1
    best: dict[str, int] = {}
    for lang in languages:
        buckets = get_frequency_list(lang)
        rows = {token: index for index, bucket in enumerate(buckets[: last + 1]) for token in bucket}
        for token in rows.keys() & set().union(*buckets[last + 1:]):  # listed again lower down: wordfreq keeps
            del rows[token]                                          # the last (_buckets)
        for token, bucket in rows.items():
            if bucket < best.get(token, last + 1):
                best[token] = bucket
    return best


class _SortedIndex:
    """Token -> bucket as three arrays on disk (the tokens' UTF-8 sorted and joined, where each starts, their
    buckets), read by binary search from memory maps: written in ~0.5 s where sqlite took 1.5 s for the ~700,000
    tokens of the junk filter's languages, and opened in no time by each process."""

    def __init__(self, folder: Path):
        import numpy as np

        self.blob = np.load(folder / "tokens.npy", mmap_mode="r")
        self.starts = np.load(folder / "starts.npy", mmap_mode="r")
        self.buckets = np.load(folder / "buckets.npy", mmap_mode="r")
        if len(self.starts) != len(self.buckets) + 1 or self.starts[-1] != len(self.blob):
            raise OSError(f"{folder}: damaged index")

    @staticmethod
    def write(rows: dict[str, int], folder: Path) -> None:
        """The index of ``rows`` in ``folder``, written whole into a temporary folder and renamed into place."""
        import shutil

        import numpy as np

        tokens = sorted(t.encode("utf-8") for t in rows)  # byte order: the order the look-up compares in
        starts = np.zeros(len(tokens) + 1, np.int32)  # under 2 GB of tokens
        np.cumsum([len(t) for t in tokens], out=starts[1:])
        tmp = folder.with_name(f"{folder.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.mkdir(parents=True)
            np.save(tmp / "tokens.npy", np.frombuffer(b"".join(tokens), np.uint8))
            np.save(tmp / "starts.npy", starts)
            np.save(tmp / "buckets.npy", np.array([rows[t.decode("utf-8")] for t in tokens], np.int16))
            try:
                os.replace(tmp, folder)
            except OSError:
                if not (folder / "buckets.npy").is_file():  # else another process wrote it first: the same index
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def bucket(self, token: str) -> int | None:
        key = token.encode("utf-8")
        # memoryviews of the maps: indexing one gives a Python int, slicing one copies no array (~3x faster a step)
        blob, starts = memoryview(self.blob), memoryview(self.starts)
        lo, hi = 0, len(self.buckets)
        while lo < hi:
            mid = (lo + hi) // 2
            if bytes(blob[starts[mid]: starts[mid + 1]]) < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self.buckets) and bytes(blob[starts[lo]: starts[lo + 1]]) == key:
            return int(self.buckets[lo])
        return None


@functools.lru_cache(maxsize=None)
def _best_index(languages: tuple[str, ...], floor: float) -> _SortedIndex | None:
    """The index of ``_best_rows`` in the cache (written first if missing), None where it cannot be."""
    folder = _folder() / f"best-{'-'.join(languages)}-{floor:g}"
    try:
        if not (folder / "buckets.npy").is_file():
            _SortedIndex.write(_best_rows(languages, floor), folder)
        return _SortedIndex(folder)
    except (OSError, ValueError) as exc:
        log.info("wordfreq index %s unavailable (%s): each language is asked", folder.name, exc)
        return None


def best_zipf(word: str, languages: tuple[str, ...], floor: float) -> float:
    """``max(zipf(word, lang) for lang in languages)`` where it is at least ``floor``, else 0.0, with one index
    look-up (see the module docstring); words that some language tokenises into other tokens than themselves
    (capitals, "ß", apostrophes ...) are asked of each language.

    Exact: every language tokenises the word into itself, the Zipf of one token is a non-decreasing function of its
    frequency (rounding included), and multiplying by a number's digit frequency keeps the order, so the best
    language is the one with the token's lowest bucket, and a token under the floor everywhere stays under it."""
    return _best_zipf(word, tuple(languages), float(floor))


@functools.lru_cache(maxsize=65536)
def _best_zipf(word: str, languages: tuple[str, ...], floor: float) -> float:
    import wordfreq

    def asked_of_each() -> float:
        best = max((zipf(word, lang) for lang in languages), default=0.0)
        return best if best >= floor else 0.0

    plain = _PLAIN.match(word) and all(wordfreq.get_language_info(lang)["tokenizer"] == "regex"
                                       for lang in languages)
    if not word or not (plain or all(wordfreq.lossy_tokenize(word, lang) == [word] for lang in languages)):
        return asked_of_each()
    index = _best_index(languages, floor)
    if index is None:
        return asked_of_each()
    smashed = wordfreq.smash_numbers(word)
    bucket = index.bucket(smashed)
    if bucket is None:
        return 0.0
    freq = wordfreq.cB_to_freq(-bucket)
    if smashed != word:
        freq *= wordfreq.digit_freq(word)
    z = _to_zipf(1.0 / (1.0 / freq))  # as word_frequency sums one token
    return z if z >= floor else 0.0


__all__ = ["best_zipf", "word_frequency", "zipf"]
