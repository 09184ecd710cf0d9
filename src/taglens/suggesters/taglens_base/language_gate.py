"""Statistics learned from one language's words do not fire on another language's words (issue 20).

The caption sources trained on the developer captions (the caption head, caption prototypes, ``about``, caption
words, n-grams, mentions: ``Source.learned_languages``) learned from English captions, plus other languages almost
only from one topic's posts (Spanish, Indonesian, French ... from vape shops: docs/EVERYDAY.md). Reading a Spanish
cat caption through them gives vape tags. So their gain is scaled by :func:`language_gate`: 1 for a caption in a
language they learned; else the share of the caption's content words those statistics really know as words of
that language (a word mentioned in 3+ English training captions, most of its mentions English: "paris", "love",
"coffee"; not "gato", "siesta" or "vapeo"). The caption's language is detected once per caption
(:func:`caption_language`, ``taglens.language.detect``); the knowledge sources read the caption in its own
language, and the photo is read whatever the language.
"""
from __future__ import annotations

from functools import lru_cache

from .wording import STOPWORDS

# the languages the trained caption sources learned across topics: their training captions (train side) are 82%
# English (tweets 21,714 of 26,428 with a caption, vape 280 of 729); Spanish (158), Indonesian (51), Portuguese
# (28) ... come almost only from vape shops (Spanish: 158 vape, 3 tweets)
LEARNED_LANGUAGES = ("en",)
# the topics whose posts taught the caption sources their other languages: where the post shows such a topic (its
# photo, tags or words: ``topics.topic_strength``), those sources read its other-language caption as far as it does
LANGUAGE_TOPICS = ("vape",)
MIN_MENTIONS = 3  # training captions in the language that mention a word for it to count as known there
MIN_SHARE = 0.5  # the language's share of the word's mentions


NOT_LEARNED_BELOW = 0.02  # the identifier's probability of the learned languages under which a caption is not theirs
MIN_WORDS_TO_TELL = 3  # words of letters an undetermined caption needs before that is believed
# an undetermined caption's language: of the identifier's candidates at CANDIDATE_P or more, the one in whose word
# list (wordfreq) most of its words are common words (Zipf COMMON_ZIPF or more), ties in the identifier's order.
# "Mi gato duerme" is Italian to py3langid (0.46; Spanish 0.08), but "gato" and "duerme" are no Italian words
# (Zipf 2.9 and 0): three of three words are Spanish, one Italian
CANDIDATE_P = 0.05
COMMON_ZIPF = 3.0


@lru_cache(maxsize=8192)
def caption_language(text: str) -> str:
    """The caption's language (ISO 639-1) or ``und``; detected once per caption. A caption the identifier cannot
    place (``und``) that has a few words, to which it gives the learned languages almost nothing, is read in its most
    probable language: "Mi perro adora la nieve" is Spanish, Italian or Catalan to it (0.39, 0.31, 0.20) and English
    at under 0.02, so Spanish (its glosses read perro and nieve), not a caption in no particular language, whose
    unknown words the English-trained sources read (they drew the Spanish vape shops' captions: #vapeo #vapers)."""
    from ...language import candidates, caption_words_only, detect

    if not text:
        return "und"
    lang = detect(text)[0]
    words = sum(any(ch.isalpha() for ch in w) for w in caption_words_only(text).split())
    if lang != "und" or words < MIN_WORDS_TO_TELL:
        return lang
    ranked = candidates(text)
    if not ranked or sum(p for other, p in ranked if other in LEARNED_LANGUAGES) >= NOT_LEARNED_BELOW:
        return lang
    return _most_words_of(caption_words_only(text), [other for other, p in ranked if p >= CANDIDATE_P]
                          or [ranked[0][0]])


def _most_words_of(text: str, languages: list[str]) -> str:
    """Of ``languages`` (the identifier's order), the one whose common words (``COMMON_ZIPF``) are the most of the
    text's words; the first on a tie."""
    from ...knowledge.vocabulary import caption_tokens

    words = caption_tokens(text)
    return max(languages, key=lambda lang: (sum(_zipf(w, lang) >= COMMON_ZIPF for w in words), -languages.index(lang)))


def _knows(word: str, lang: str) -> bool:
    from ...knowledge.vocabulary import get_vocabulary

    by_lang = get_vocabulary().word_languages(word)
    n = by_lang.get(lang, 0)
    return n >= MIN_MENTIONS and n >= MIN_SHARE * sum(by_lang.values())


@lru_cache(maxsize=8192)
def known_share(text: str, languages: tuple[str, ...]) -> float:
    """The share of the caption's content words (two letters or more, no stop words) that are words of one of
    ``languages`` in the training captions; 1.0 for a caption without words (emoji alone read the same in every
    language)."""
    from ...knowledge.vocabulary import caption_tokens

    words = [w for w in dict.fromkeys(caption_tokens(text)) if len(w) > 1 and w not in STOPWORDS]
    if not words:
        return 1.0
    return sum(any(_knows(w, lang) for lang in languages) for w in words) / len(words)


@lru_cache(maxsize=8192)
def foreign_share(text: str, languages: tuple[str, ...]) -> float:
    """The share of the caption's content words that are words of a language other than ``languages`` (and not
    of those) in the training captions."""
    from ...knowledge.vocabulary import caption_tokens, get_vocabulary

    vocab = get_vocabulary()
    words = [w for w in dict.fromkeys(caption_tokens(text)) if len(w) > 1 and w not in STOPWORDS]
    if not words:
        return 0.0
    foreign = 0
    for w in words:
        langs = [lang for lang in vocab.word_languages(w) if lang != "und"]
        foreign += not any(_knows(w, lang) for lang in languages) and any(_knows(w, lang) for lang in langs)
    return foreign / len(words)


FUNCTION_ZIPF = 5.0  # a word this frequent in its language (wordfreq's Zipf scale) is a function word there


@lru_cache(maxsize=65536)
def word_fits(word: str, lang: str) -> bool:
    """Whether a word-level statistic (``words``: a word -> tag rate learned from whatever captions used the word)
    may fire on this word of a caption in ``lang``: always in the languages the caption sources learned across
    topics and for emoji; in an undetermined caption where most of the word's mentions are in those languages, or
    it has too few to tell ("de", spread over Spanish, Portuguese and French captions, does not fit); in another
    language only where the word is a word of that language in the training captions (:func:`_knows`: "sabor" on a
    Spanish caption) and not one of its function words ("de", "la", "mi": they say nothing of the topic, yet most
    Spanish training captions came from vape shops)."""
    if lang in LEARNED_LANGUAGES or not any(ch.isalpha() for ch in word):
        return True
    from ...knowledge.vocabulary import get_vocabulary

    if lang == "und":  # a word of the learned languages, or one no language claims (a name, a rare word)
        by_lang = {other: n for other, n in get_vocabulary().word_languages(word).items() if other != "und"}
        return (sum(by_lang.values()) < MIN_MENTIONS
                or sum(by_lang.get(other, 0) for other in LEARNED_LANGUAGES) >= MIN_SHARE * sum(by_lang.values()))
    if _zipf(word, lang) >= FUNCTION_ZIPF:
        return False
    return _knows(word, lang)


def _zipf(word: str, lang: str) -> float:
    """wordfreq's Zipf frequency of the word in ``lang``; 0 for a language it has no list for, or one whose
    tokenizer is not installed (Japanese needs MeCab: its particles are not split off as words here anyway)."""
    import wordfreq

    if lang not in wordfreq.available_languages() or lang in ("ja", "zh", "ko"):
        return 0.0
    try:
        return wordfreq.zipf_frequency(word, lang)
    except ImportError:
        return 0.0


def language_gate(text: str, languages: tuple[str, ...] | None) -> float:
    """How far a source that learned ``languages`` (None: a source not bound to a language) may read the
    caption: 1 in those languages; a caption in another language only as far as its words are known in those
    (:func:`known_share`); an undetermined one (short, names, emoji) unless its words are another language's
    (1 - :func:`foreign_share`)."""
    if not languages or not text:
        return 1.0
    lang = caption_language(text)
    if lang in languages:
        return 1.0
    if lang == "und":
        return 1.0 - foreign_share(text, tuple(languages))
    return known_share(text, tuple(languages))


__all__ = ["LANGUAGE_TOPICS", "LEARNED_LANGUAGES", "caption_language", "foreign_share", "known_share", "language_gate",
           "word_fits"]
