"""Tags taglens does not suggest by default: engagement bait and tags that do not read as hashtags.

- :func:`is_bait`: the packaged list ``resources/engagement_bait.txt`` (#like #likeforlikes #follow #f4f #instalike
  #tagsforlikes ..., and reach tags that describe nothing: #instagood #photooftheday #picoftheday);
- :func:`reads_as_hashtag`: whether a tag reads as words people write: the tag itself is a tag used across the
  corpora or a word of a language (wordfreq), or the project's segmenter splits it into such words (#sunsetlover,
  #dogsofinstagram, #foodporn, #summer2017), while handles and near-random strings do not (#abvpkagundaraj,
  #yashicat4). Tags in scripts without spaces between words (Chinese, Japanese, Thai ...) and other non-Latin
  scripts are judged by wordfreq where it knows the language and otherwise accepted (the segmenter reads Latin
  script only);
- :func:`shown_bait`: the bait a caption shows to be true of its post: a repost's credit line (the Repost app's
  "・・・" or "with @repostapp", "Repost from @user", "regram") makes #repost and #regram describe the post, so they
  are suggested there as for a post that carries bait itself (``suggesters.base.unwanted_tags``);
- :func:`named_tags`: a tag that joins the words of a name the caption writes ("@ Knott's Berry Farm" ->
  #knottsberryfarm, "RHOBH" -> #rhobh) is a tag of the post, whatever the word lists say of it;
- :func:`junk_reason`: why a tag is junk (None when it is not); ``allow_generic=True`` or the environment variable
  ``TAGLENS_ALLOW_GENERIC=1`` turns the whole filter off.

Measured on 300 tags drawn from ../shared/data and labelled by reading (docs/EVERYDAY.md): see bench/bench_junk.py.
"""
from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

BAIT_LIST = Path(__file__).resolve().parents[1] / "resources" / "engagement_bait.txt"
# languages whose word lists count as "a word people write" (the developer data's languages and big neighbours)
WORD_LANGUAGES = ("en", "es", "pt", "fr", "it", "de", "nl", "id", "tr", "pl", "sv", "ca")
# the Zipf frequency (in the most favourable of WORD_LANGUAGES) a piece of a tag needs to count as a word, by its
# length: short strings are words somewhere by chance, so they need more
MIN_ZIPF_BY_LENGTH = {1: 9.0, 2: 4.5, 3: 3.3}
MIN_ZIPF_LONG = 2.3
ONE_LETTER_WORDS = frozenset("aiyoe")
MIN_MEAN_PIECE = 4.0
COMMON_ZIPF = 5.0
# the lowest Zipf frequency the filter compares with: words under it in every language read as Zipf 0
ZIPF_FLOOR = min(MIN_ZIPF_LONG, COMMON_ZIPF, *MIN_ZIPF_BY_LENGTH.values())
MIN_TAG_POSTS = 3  # a tag used this often, in at least two corpora, reads as a tag whatever its spelling
# ... or this often in one: a community's own tag (#vapeo, #qanon, #sb50: 80, 71, 32 training posts) is a tag its
# people use, while a handle or a random string is a tag of a post or two (#abvpkagundaraj 3, #yashicat4 2). Without
# this, the val gold of vape (#vapeo ...), tweets and harrison lost P@1 0.004-0.009 to the filter (docs/EVERYDAY.md)
MIN_COMMUNITY_POSTS = 10
_LATIN = re.compile(r"^[a-z0-9_\u00c0-\u024f]+$")


def allow_generic_from_env() -> bool:
    return os.environ.get("TAGLENS_ALLOW_GENERIC", "").strip().lower() in ("1", "true", "yes", "on")


@lru_cache(maxsize=1)
def bait_tags() -> frozenset[str]:
    from ..blocklist import read_tag_list

    return read_tag_list(BAIT_LIST)


def is_bait(tag: str) -> bool:
    return tag in bait_tags()


# a repost's credit line: the Repost and Regram apps' "・・・" separator, their names ("with @repostapp",
# "repostwhiz", "repostregramapp") or the word itself ("Repost from @user", "regram @user"); not a word that merely
# holds it ("preposterous"). On the tweets' val side 52 of the 94 tweets tagged #repost show one, 14 of the 6,487
# others (several of them reposts tagged otherwise)
REPOST_CREDIT = re.compile(r"・・・|(?<![^\W\d_])(?:re-?post|regram)", re.IGNORECASE)
REPOST_TAGS = frozenset({"repost", "regram"})


def shown_bait(text: str | None) -> frozenset[str]:
    """The bait tags the caption shows to be true of its post (#repost under a repost's credit line), else none."""
    return REPOST_TAGS if text and REPOST_CREDIT.search(text) else frozenset()


# a name the caption writes: a run of capitalised words ("Knott's Berry Farm", "OC Fair", "Peet's") or an acronym
# ("RHOBH", "BYU"), letters only (an apostrophe inside a word dropped); a handle in a caption is rarely capitalised and
# often holds digits or "_" (carolinebean7, ms_colleen_marie), so it stays junk; nor is a word of a code ("VFA-122":
# #vfa pushed a vape val post's gold tag out of its top 5)
_NAME_WORD = re.compile(r"(?<![\w@#'’-])[A-Z][A-Za-z]*(?:['’][A-Za-z]+)?(?![\w'’@-])")
MAX_NAME_WORDS = 4


def named_tags(text: str | None) -> frozenset[str]:
    """The tags that join the words of a name the caption writes (each capitalised word, and each run of two to
    MAX_NAME_WORDS of them: "@ Knott's Berry Farm" -> #knotts #berry #farm #knottsberry ... #knottsberryfarm): such a
    tag names something of the post in the author's own words, so it reads as a hashtag even where the word lists
    and the segmenter do not know it (#knottsberryfarm #peets #rhobh #ocfair on the tweets' val side). Bait stays
    bait (``unwanted_tags``)."""
    if not text:
        return frozenset()
    out: set[str] = set()
    run: list[str] = []
    last_end = -1
    for m in _NAME_WORD.finditer(text):
        word = re.sub(r"['’]", "", m.group()).lower()
        if run and text[last_end:m.start()].strip():  # not the next word of the same name
            run = []
        run.append(word)
        last_end = m.end()
        for n in range(1, min(len(run), MAX_NAME_WORDS) + 1):
            out.add("".join(run[-n:]))
    return frozenset(out)


# a word written as a contraction of a pronoun or an auxiliary ("I've", "you're", "can't", "we'll", "it's"): joined
# into tag form it is no hashtag (#ive #youre #cant #ill), though the word lists know the joined string as a common
# misspelling and the caption sources read it as a caption word (140 of the tweets' val top 5s held one, 16 first;
# no author of any corpus tags #ive #youre #cant). A dropped g ("chillin'", "Howlin'") is not a contraction of this
# kind: #chillin is a tag people use, and "@ Howlin'…" names a restaurant
_CONTRACTION = re.compile(r"(?<![\w'’])([A-Za-z]+)['’](ve|re|ll|d|m|t|s|all)(?![\w'’])", re.IGNORECASE)
_S_CONTRACTED = frozenset({"it", "that", "what", "there", "here", "he", "she", "who", "let", "where", "how", "when",
                           "why"})


def contracted_tags(text: str | None) -> frozenset[str]:
    """The tag forms of the caption's contracted words ("I've" -> ive, "can't" -> cant, "y'all" -> yall, "it's" ->
    its; an English possessive is no contraction), which are no hashtags there; not a form the caption also writes
    as a word of its own."""
    if not text or ("'" not in text and "’" not in text):
        return frozenset()
    out = set()
    plain = {w.lower() for w in re.findall(r"(?<![\w'’])[A-Za-z]+(?![\w'’])", text)}  # "we'll do well": #well stays
    for m in _CONTRACTION.finditer(text):
        head, tail = m.group(1).lower(), m.group(2).lower()
        if tail == "s" and head not in _S_CONTRACTED:
            continue  # a possessive ("grandpa's"), read as its noun elsewhere
        if tail == "t" and not head.endswith("n"):
            continue  # "n't" only
        out.add(head + tail)
    return frozenset(out - plain)


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    """The word's highest Zipf frequency over WORD_LANGUAGES, 0 where it is under ZIPF_FLOOR in all of them (one
    index of the twelve lists, not twelve: ``word_frequency.best_zipf``)."""
    from .word_frequency import best_zipf

    return best_zipf(word, WORD_LANGUAGES, ZIPF_FLOOR)


def _known_tag(tag: str) -> bool:
    from .vocabulary import get_vocabulary

    vocab = get_vocabulary()
    counts = vocab.tag_counts(tag)
    return (vocab.tag_count(tag) >= MIN_TAG_POSTS and sum(1 for n in counts.values() if n) >= 2) or \
        vocab.tag_count(tag) >= MIN_COMMUNITY_POSTS or vocab.lemma(tag) is not None


def _known_word(word: str) -> bool:
    if word.isdigit():
        return len(word) <= 4  # a year or a number (#summer2017, #top10), not a phone number
    if len(word) == 1:
        return word in ONE_LETTER_WORDS
    return _zipf(word) >= MIN_ZIPF_BY_LENGTH.get(len(word), MIN_ZIPF_LONG) or (len(word) > 3 and _known_tag(word))


def _splits_into_words(tag: str) -> bool:
    """Whether ``tag`` is a sequence of known words (dynamic programming over the cut points for the fewest pieces
    of at most 20 characters), the pieces averaging MIN_MEAN_PIECE characters or more, or every short piece a very
    common word (#laniñademisojos): the segmenter missed a split of real words (#gobig), while a string cut into
    short words of some language (#dagdigdug) is not read as words."""
    n = len(tag)
    best: list[tuple[float, tuple[str, ...]]] = [(0.0, ())] + [(float("inf"), ())] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end):
            if best[start][0] + 1 < best[end][0] and _known_word(tag[start:end]):
                best[end] = (best[start][0] + 1, best[start][1] + (tag[start:end],))
    count, pieces = best[n]
    if count == float("inf"):
        return False
    return n / count >= MIN_MEAN_PIECE or all(len(p) > 3 or p.isdigit() or _zipf(p) >= COMMON_ZIPF for p in pieces)


@lru_cache(maxsize=65536)
def reads_as_hashtag(tag: str) -> bool:
    """Whether a tag (normalised: lowercase, no '#') reads as words people write; see the module docstring."""
    if not tag:
        return False
    if not _LATIN.match(tag):  # another script: judged only for private-use characters and letters at all
        return any(c.isalpha() for c in tag) and not any(unicodedata.category(c) == "Co" for c in tag)
    if _known_tag(tag) or (not any(c.isdigit() for c in tag) and _known_word(tag)):
        return True
    from ..segmentation import segment

    words = [w for w in segment(tag) if w]
    if words and all(_known_word(w) for w in words) and not all(w.isdigit() for w in words):
        return True
    # a tag with digits is read through the segmenter only: a handle is often a word or two and a number
    return not any(c.isdigit() for c in tag) and _splits_into_words(tag)


@lru_cache(maxsize=1)
def _wordfreq_languages() -> frozenset[str]:
    from wordfreq import available_languages

    return frozenset(available_languages())


def junk_reason(tag: str, allow_generic: bool | None = None) -> str | None:
    """"engagement bait", "does not read as a hashtag", or None; always None where ``allow_generic`` (default:
    ``TAGLENS_ALLOW_GENERIC``)."""
    if allow_generic is None:
        allow_generic = allow_generic_from_env()
    if allow_generic:
        return None
    if is_bait(tag):
        return "engagement bait"
    if not reads_as_hashtag(tag):
        return "does not read as a hashtag"
    return None


def is_junk(tag: str, allow_generic: bool | None = None) -> bool:
    return junk_reason(tag, allow_generic) is not None
