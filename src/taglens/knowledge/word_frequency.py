"""wordfreq's Zipf frequencies without loading its word lists into every process.

``wordfreq.zipf_frequency(word, lang)`` reads the language's whole list into a dict on first use: 0.1-0.35 s of CPU
per language, 1.6 s for the twelve the junk filter asks about, in every process (a cold ``taglens suggest`` paid it
before its first answer). :func:`zipf` gives the same number from an index of the list on disk instead: each
language's list is written once into ``$TAGLENS_CACHE/wordfreq-<version>/<lang>.sqlite`` (token -> its
frequency bucket, as in wordfreq's own file; atomically, on the first use of that language), and a word then costs
one indexed look-up per token. Tokenising, the digit rule and the rounding are wordfreq's own functions, so the
result is the one ``zipf_frequency`` returns (tested on words, numbers and several-token strings). Where the
cache cannot be written, wordfreq answers itself (said once in the log).
"""
from __future__ import annotations

import functools
import logging
import math
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)
_local = threading.local()  # one sqlite connection per thread (and process) and language


@functools.lru_cache(maxsize=1)
def _folder() -> Path:
    from importlib.metadata import version

    from ..encoders.cache import cache_dir

    return cache_dir() / f"wordfreq-{version('wordfreq')}"


def _build(lang: str, path: Path) -> None:
    """Write wordfreq's list of ``lang`` (its 'best' list, as zipf_frequency reads it) as an sqlite index."""
    import sqlite3

    from wordfreq import get_frequency_list

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        con = sqlite3.connect(tmp)
        con.execute("PRAGMA journal_mode = OFF")  # a temporary file, renamed into place once complete
        con.execute("PRAGMA synchronous = OFF")
        con.execute("CREATE TABLE freq (token TEXT PRIMARY KEY, bucket INTEGER NOT NULL) WITHOUT ROWID")
        # a token listed in several buckets keeps the last, as wordfreq's dict does; inserted in key order (code
        # point order is sqlite's byte order of UTF-8), 20% faster
        rows = {token: index for index, bucket in enumerate(get_frequency_list(lang)) for token in bucket}
        con.executemany("INSERT INTO freq VALUES (?, ?)", sorted(rows.items()))
        con.commit()
        con.close()
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _connection(lang: str):
    """A read-only connection to the index of ``lang`` (built first if missing), or None where it cannot be."""
    cons = getattr(_local, "cons", None)
    if cons is None or getattr(_local, "pid", None) != os.getpid():  # a forked child opens its own
        cons = _local.cons = {}
        _local.pid = os.getpid()
    if lang not in cons:
        import sqlite3

        path = _folder() / f"{lang}.sqlite"
        try:
            if not path.is_file():
                _build(lang, path)
            cons[lang] = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            log.info("wordfreq index of %r unavailable (%s): wordfreq reads its list itself", lang, exc)
            cons[lang] = None
    return cons[lang]


def _frequency(token: str, con) -> float | None:
    row = con.execute("SELECT bucket FROM freq WHERE token = ?", (token,)).fetchone()
    if row is None:
        return None
    from wordfreq import cB_to_freq

    return cB_to_freq(-row[0])


def word_frequency(word: str, lang: str, minimum: float = 0.0) -> float:
    """``wordfreq.word_frequency(word, lang, "best", minimum)``, read from the index (see the module docstring)."""
    import wordfreq

    con = _connection(lang)
    if con is None:
        return wordfreq.word_frequency(word, lang, minimum=minimum)
    tokens = wordfreq.lossy_tokenize(word, lang)
    if not tokens:
        return minimum
    one_over_result = 0.0
    for token in tokens:  # as wordfreq._word_frequency: 1 / f = 1 / f1 + 1 / f2 + ...
        smashed = wordfreq.smash_numbers(token)
        freq = _frequency(smashed, con)
        if freq is None:
            return minimum
        if smashed != token:
            freq *= wordfreq.digit_freq(token)
        one_over_result += 1.0 / freq
    freq = 1.0 / one_over_result
    if wordfreq.get_language_info(lang)["tokenizer"] == "jieba":
        freq *= wordfreq.INFERRED_SPACE_FACTOR ** -(len(tokens) - 1)
    unrounded = max(freq, minimum)
    if unrounded == 0.0:
        return 0.0
    return round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)


@functools.lru_cache(maxsize=65536)
def zipf(word: str, lang: str) -> float:
    """``wordfreq.zipf_frequency(word, lang)``, read from the index (see the module docstring); each answer kept
    (as wordfreq keeps its own)."""
    import wordfreq

    return round(wordfreq.freq_to_zipf(word_frequency(word, lang, wordfreq.zipf_to_freq(0.0))), 2)


__all__ = ["word_frequency", "zipf"]
