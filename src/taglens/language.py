"""The language of a caption: ``detect("Mi gato durmiendo la siesta") -> ("es", 0.97)``.

py3langid (a modernised langid.py; its naive-Bayes model ships inside the wheel, so nothing is downloaded) restricted
to the languages social-media captions are written in (:data:`LANGUAGES`), which keeps a three-word caption from
being called Sesotho. Loading the model takes about 0.3 s (once per process, on first use); a caption then takes
about 0.1 ms.

The caption is read without hashtags, @handles and web addresses (they are not words of any language). A caption
with fewer than :data:`MIN_LETTERS` letters, or whose best language has a probability under
:data:`MIN_CONFIDENCE`, is ``("und", p)``: undetermined, and an evidence source should then treat it as in no
particular language (see docs/EVERYDAY.md: language-bound statistics do not fire on an undetermined caption unless
the word is one the statistics saw in many languages).
"""
from __future__ import annotations

import logging
import re
import shutil
from functools import lru_cache
from pathlib import Path

# ISO 639-1 codes py3langid knows, for the languages of the developer data and the large social-media languages
LANGUAGES = ("en", "es", "pt", "fr", "de", "it", "nl", "sv", "da", "no", "fi", "pl", "cs", "ro", "hu", "el", "tr",
             "ru", "uk", "bg", "sr", "hr", "ar", "fa", "ur", "he", "hi", "bn", "ta", "th", "vi", "id", "ms", "tl",
             "ja", "ko", "zh", "ca", "eu", "gl")
UNDETERMINED = "und"
MIN_LETTERS = 3
MIN_CONFIDENCE = 0.5
log = logging.getLogger(__name__)
_NOT_WORDS = re.compile(r"(?<!\w)[#@][\w.]+|https?://\S+|www\.\S+", re.UNICODE)


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import LanguageIdentifier, MODEL_FILE

    model = _unpacked_model()
    if model is None:
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    else:
        ptc, pc, classes, nextmove, row, output = model
        identifier = LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _unpacked_model():
    """py3langid's model as its ``modelio.load_model`` reads it, from an uncompressed copy of the model file in
    ``$TAGLENS_CACHE`` (written on first use): the wheel's copy is LZMA-compressed, and unpacking it took 0.43 of the
    0.5 s of CPU a process spent loading it. None where that cannot be done (py3langid reads its own file then)."""
    import lzma
    import os
    import zipfile

    import numpy as np
    from py3langid import langid, modelio

    from .encoders.cache import cache_dir

    def read(npz):
        with np.load(npz, allow_pickle=False) as data:
            return (np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
                    modelio._to_array(data["nextmove"]), modelio._to_array(data["nextmove_row"]),
                    data["out_feat"].tolist())

    source = Path(langid.MODEL_DIR) / langid.MODEL_FILE
    copy = None
    try:
        st = source.stat()
        copy = cache_dir() / f"py3langid-{st.st_size}-{int(st.st_mtime)}.npz"
        if not copy.is_file():
            tmp = copy.with_name(f"{copy.name}.{os.getpid()}.tmp")
            try:
                copy.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with lzma.open(source) as src, open(tmp, "wb") as dst:
                        shutil.copyfileobj(src, dst, length=1 << 20)
                    os.replace(tmp, copy)
                finally:
                    tmp.unlink(missing_ok=True)
            except OSError as exc:  # a cache that cannot be written (read-only, a full disk): unpacked in memory,
                # not through py3langid's own loader, whose temporary file a full disk refuses too
                log.info("py3langid's model unpacked in memory: %s cannot be written (%s)", copy, exc)
                import io

                return read(io.BytesIO(lzma.decompress(source.read_bytes())))
        return read(copy)
    except (OSError, lzma.LZMAError, ValueError, KeyError, AttributeError, EOFError, zipfile.BadZipFile) as exc:
        log.info("py3langid's model read from its own file (%s)", exc)
        if copy is not None and not isinstance(exc, (OSError, lzma.LZMAError)):  # a damaged copy (cut short): the
            try:  # next process writes it anew
                copy.unlink(missing_ok=True)
            except OSError:
                pass
        return None


def caption_words_only(text: str) -> str:
    """The caption without hashtags, @handles and web addresses."""
    return " ".join(_NOT_WORDS.sub(" ", text or "").split())


def detect(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of the caption's language, or ``("und", p)`` where it cannot be told."""
    words = caption_words_only(text)
    if sum(c.isalpha() for c in words) < MIN_LETTERS:
        return UNDETERMINED, 0.0
    lang, prob = _identifier().classify(words)
    prob = float(prob)
    return (lang, prob) if prob >= MIN_CONFIDENCE else (UNDETERMINED, prob)


def candidates(text: str) -> list[tuple[str, float]]:
    """Every language the identifier knows with its probability for the caption (without hashtags, handles and
    addresses), most probable first; [] for a caption with too few letters to tell."""
    words = caption_words_only(text)
    if sum(c.isalpha() for c in words) < MIN_LETTERS:
        return []
    return [(lang, float(p)) for lang, p in _identifier().rank(words)]


def detect_many(texts) -> list[tuple[str, float]]:
    """:func:`detect` for each text."""
    return [detect(t) for t in texts]
