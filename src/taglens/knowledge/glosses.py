"""What a caption's words mean in English, for the languages taglens has no training captions in (issue 20):
``english_words("Καλημέρα! Καφές δίπλα στη θάλασσα", "el")`` -> ``[("Καλημέρα", "goodmorning"), ("Καφές",
"coffee"), ("θάλασσα", "sea")]``.

The glosses (``resources/vocab/glosses.tsv.gz``, built by scripts/build_glosses.py from the FreeDict Greek-English
and JMdict Japanese-English dictionaries, CC-BY-SA 3.0: ``glosses.LICENSE``) map a common word to the English words
of its first sense that taglens can read (a caption word of the everyday statistics, a hashtag, a WordNet lemma).
Spanish has no dictionary whose licence lets it ship (FreeDict's Spanish-English is GPL): ``glosses_hand.tsv`` holds
about 200 common words of everyday posts (food, sport, travel, family, pets, weather, days) written by the project
(an entry there is taken over the built table's), and the common Greek and Japanese words of everyday posts the built
table lacks (γάμος, μουσακάς, 母, 夏休み) or glosses by a rarer sense (βροχή "shower", 秋 "time", ごはん "lakeshore").
A Greek caption is read word by word (a word, or the same word without its accents, or with an inflection's ending,
accented or not, read as the dictionary form's); a Japanese caption, written
without spaces, is segmented by the longest dictionary word at each position (今日は友達とラーメンを食べました ->
今日, 友達, ラーメン, 食べ), so no tokenizer is needed. A language's function words (wordfreq Zipf 5 or more: "στη",
"με") say nothing and are skipped.
"""
from __future__ import annotations

import gzip
import re
import unicodedata
from functools import lru_cache

from .vocabulary import RESOURCE, caption_tokens

FUNCTION_ZIPF = 6.0  # Greek: "με" 7.2, "στη" 6.6; content words below ("θάλασσα" 5.1, "αθήνα" 5.5)
# Greek inflections -> the dictionary's form (nominative singular): "φίλους" -> "φίλος", "θάλασσας" -> "θάλασσα"
ENDINGS = {"el": (("ους", "ος"), ("ου", "ος"), ("οι", "ος"), ("ων", "ος"), ("ες", "α"), ("ες", "ης"), ("ας", "α"),
                  ("ης", "η"), ("ια", "ι"), ("ιά", "ί"), ("ία", "ί"), ("α", "ο"), ("ό", "ός"), ("ο", "ος")),
           # Spanish: plurals ("perros" -> "perro", "montañas" -> "montaña"), a feminine or a diminutive of a listed
           # masculine or plain word ("gata" -> "gato", "gatitas" -> "gato", "casita" -> "casa"), and the common verb
           # forms of a listed infinitive (gerund "estudiando", preterite "corrí" "nadé" "viajamos", present "entreno")
           "es": (("es", ""), ("s", ""), ("a", "o"), ("as", "o"), ("itos", "o"), ("itas", "a"), ("itas", "o"),
                  ("ito", "o"), ("ita", "a"), ("ita", "o"), ("ando", "ar"), ("iendo", "er"), ("iendo", "ir"),
                  ("amos", "ar"), ("imos", "er"), ("imos", "ir"), ("é", "ar"), ("ó", "ar"), ("í", "er"), ("í", "ir"),
                  ("ió", "er"), ("ió", "ir"), ("o", "ar"), ("o", "er"))}
MIN_INFLECTED = {"es": 4}  # the shortest word read through an ending (others 5: "δίπλα" is not "διπλό")
HAND = "glosses_hand.tsv"  # the project's own glosses (Spanish; Greek, Japanese gaps), read after the built table
MAX_JA_WORD = 8
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")


@lru_cache(maxsize=1)
def glosses() -> dict[str, dict[str, tuple[str, ...]]]:
    """{language: {word: its English forms}}, loaded once."""
    from ..exceptions import ModelError

    path = RESOURCE / "glosses.tsv.gz"
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            next(fh)
            for line in fh:
                lang, word, english = line.rstrip("\n").split("\t")
                out.setdefault(lang, {})[word] = tuple(english.split())  # (): a word to segment by
    except (OSError, EOFError, StopIteration, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"cannot read the word glosses {path}: {exc}") from None
    hand = RESOURCE / HAND
    try:
        for line in hand.read_text(encoding="utf-8").splitlines()[1:]:
            lang, word, english = line.split("\t")
            out.setdefault(lang, {})[word] = tuple(english.split())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"cannot read the word glosses {hand}: {exc}") from None
    for lang, table in list(out.items()):  # the same words without accents, where that is not another word
        bare: dict[str, tuple[str, ...]] = {}
        for word, english in table.items():
            plain = _unaccented(word)
            if plain != word and plain not in table:
                bare.setdefault(plain, english)
        table.update(bare)
    return out


def _unaccented(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def gloss_languages() -> frozenset[str]:
    """The languages the glossary has words of, from its header (so that a caption in another language, English
    mostly, does not load the glossary: 0.13 s of CPU)."""
    from ..exceptions import ModelError

    path = RESOURCE / "glosses.tsv.gz"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            header = fh.readline()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read the word glosses {path}: {exc}") from None
    found = re.search(r"languages: ([a-z ]+)\)", header)
    if found is None:
        raise ModelError(f"{path}: its header does not list its languages")
    return frozenset(found.group(1).split())


def gloss_language(text: str, lang: str) -> str | None:
    """The glossary a caption is read with: its language's, or Japanese for a caption in Japanese script that the
    detector calls Chinese or cannot tell; None where there is none."""
    if lang in gloss_languages():
        return lang
    if lang in ("zh", "und") and re.search(r"[\u3040-\u30ff]", text or ""):  # kana: Japanese
        return "ja"
    return None


def _function_word(word: str, lang: str) -> bool:
    if lang == "ja":
        return False
    from .word_frequency import zipf

    return zipf(word, lang) >= FUNCTION_ZIPF


def _japanese_words(text: str, table: dict[str, tuple[str, ...]]) -> list[str]:
    """The dictionary words of a Japanese caption, by longest match at each position."""
    out = []
    for run in re.findall(r"[\w\u30fc]+", text):
        i = 0
        while i < len(run):
            if not _CJK.match(run[i]):
                i += 1
                continue
            for n in range(min(MAX_JA_WORD, len(run) - i), 0, -1):
                if run[i:i + n] in table:
                    out.append(run[i:i + n])
                    i += n
                    break
            else:
                i += 1
    return out


@lru_cache(maxsize=4096)
def english_words(text: str, lang: str) -> tuple[tuple[str, str], ...]:
    """((the word as written, its first English form), ...) for the caption's words the glossary of ``lang``
    (:func:`gloss_language`) knows, in order, each once; () without a glossary."""
    glang = gloss_language(text, lang)
    if glang is None:
        return ()
    table = glosses()[glang]
    if glang == "ja":
        words = [(w, w) for w in _japanese_words(text, table)]
    else:
        written = re.findall(r"[^\W\d_][\w'’]*", re.sub(r"(?<!\w)[#@][\w.]+|https?://\S+", " ", text))
        words = [(w, low) for w, low in zip(written, caption_tokens(" ".join(written)))]
    out, seen = [], set()
    for said, word in words:
        english = table.get(word)
        if english is None:  # () is a word listed so as not to be read ("δίπλα", next to: not "διπλά", twice)
            english = table.get(_unaccented(word))
        for form in (dict.fromkeys((word, _unaccented(word)))
                     if english is None and len(word) >= MIN_INFLECTED.get(glang, 5) else ()):
            for end, base in ENDINGS.get(glang, ()):  # "γιαγιάς" -> "γιαγιας" -> "γιαγια" (γιαγιά)
                # an accent dropped only from the ending ("δίπλα" is not "διπλό")
                if form.endswith(end) and form[:-len(end)] == word[:-len(end)]:
                    english = table.get(form[:-len(end)] + base)
                    if english is not None:
                        break
            if english is not None:
                break
        if not english or word in seen or _function_word(word, glang):
            continue
        seen.add(word)
        out.append((said, english[0]))
    return tuple(out)


PHRASES = "phrases_en.tsv"  # everyday English phrases that name a thing without its word ("good boy": a dog)


@lru_cache(maxsize=1)
def _phrases() -> dict[tuple[str, ...], str]:
    from ..exceptions import ModelError

    path = RESOURCE / PHRASES
    try:
        rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
        return {tuple(caption_tokens(phrase)): english for phrase, english in rows}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"cannot read the English phrases {path}: {exc}") from None


@lru_cache(maxsize=4096)
def english_phrases(text: str) -> tuple[tuple[str, str], ...]:
    """((the phrase as read, the English word that names its thing), ...) for the everyday phrases of an English
    caption that name a thing without its word (``resources/vocab/phrases_en.tsv``): "Just adopted this good boy"
    -> (("good boy", "dog"),), so the caption's topic and named-thing sources read a dog there."""
    table = _phrases()
    words = caption_tokens(re.sub(r"(?<!\w)[#@][\w.]+|https?://\S+", " ", text or ""))
    longest = max((len(k) for k in table), default=0)
    out: dict[str, str] = {}
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            english = table.get(tuple(words[i:i + n]))
            if english is not None:
                out.setdefault(" ".join(words[i:i + n]), english)
                break
    return tuple(out.items())


__all__ = ["english_phrases", "english_words", "gloss_language", "gloss_languages", "glosses"]
