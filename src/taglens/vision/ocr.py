"""Text in the photo: a cheap gate, RapidOCR's reading, and the hashtags the text suggests.

The gate runs RapidOCR's text detector alone on the photo shrunk to ``GATE_SIDE`` pixels (a few tens of
milliseconds); only a photo where it finds a text line of a readable size is read in full (detector at
``READ_SIDE`` pixels, then the recogniser on each line), so a photo without text pays only the gate.

Words become candidates the way a person would tag a sign: "SUMMER SALE 50% OFF" gives #summer, #sale and the
phrase #summersale; numbers, prices, single letters, function words of the six languages below and strings
that are no word in any of them (misreadings) are dropped; words run together by the reader ("FARMERSMARKET")
are split with taglens' hashtag segmenter. Scores are the reader's confidence times the line's height relative
to the largest line (a headline counts more than small print) times how specific the word is (rare words over
common ones). The wordings' language is the one of the six whose word list knows the line best; its accents
are restored where the reader lost them ("Cumpleanos" -> #cumpleaños).

    >>> from taglens.vision.ocr import text_evidence
    >>> ev = text_evidence(pil_image)
    >>> ev.tags          # [("sale", 0.71, 'text in the photo: "SUMMER SALE 50% OFF"'), ...]
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from . import VisionUnavailable, as_rgb_array, downscale, require

GATE_SIDE = 320  # longer side the gate's detector sees (256 missed a quarter of rendered text)
READ_SIDE = 960  # longer side the full reading's detector sees
GATE_MIN_HEIGHT = 0.025  # a text line the gate counts is at least this share of the photo's height...
GATE_MIN_WIDTH = 0.06  # ...and this share of its width
MIN_CONFIDENCE = 0.6  # lines read with less confidence are ignored
# a two- or three-word line's whole name scores this times its most specific word (0.95 before issue 20's seventh
# stop: #galore came before the sign's #catstoregalore)
WHOLE_LINE = 1.01
LANGUAGES = ("en", "es", "fr", "de", "it", "pt")
MIN_ZIPF = 2.0  # a word must be at least this frequent (wordfreq's Zipf scale) in some language to count
# the share of the text's letter runs (3+ letters) that must read as words of LANGUAGES, else none of it is taken:
# Turkish text, misread lines, codes (swept on instagram6 val: 0.4 / 0.5 / 0.6 / 0.7; rendered text all 1.0)
MIN_KNOWN = 0.6
ENGLISH_MARGIN = 1.5  # Zipf points by which another language must know a text better than English

STOPWORDS = frozenset("""
a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or our she so
that the their them they this to up us was we were what when who will with you your off than then there here all
any just only more most very too also out over per via vs am pm etc amp www com http https
el la los las un una unos unas y o de del al en con por para que se su sus es lo le les mi tu
le la les un une des et ou de du au aux en avec pour par que qui sur dans ce cette ces est son sa ses d l
der die das den dem des ein eine einen und oder zu mit von für auf im ist bei aus am vom zum zur
il lo gli le uno una e di da con per su che del della dei al alla
o os as um uma e ou de do da dos das em no na com por para que
""".split())


@dataclass(frozen=True)
class TextLine:
    """One line the reader found: its text, confidence, and box as shares of the photo (x0, y0, x1, y1)."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclass
class TextEvidence:
    """What the photo's text suggests: ``tags`` as (tag, score, evidence), best first; the lines read; whether
    the gate let the photo through; the seconds each step took; the language of the text, where known."""

    tags: list[tuple[str, float, str]] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)
    gated: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    language: str | None = None
    words: frozenset[str] = frozenset()  # the distinct content words read (``content_words``)


def _threads(beside: bool = False) -> int:
    """RapidOCR's threads: the encoders' choice (``TAGLENS_THREADS``, else one per free core); ``beside`` other work
    (``encoders.beside_other_work``), one fewer (at least one)."""
    from ..encoders import encoder_threads

    return max(1, encoder_threads() - 1) if beside else encoder_threads()


def _beside() -> bool:
    """Whether this thread reads photos beside other work (`suggest --batch` ranks one chunk while the next is
    encoded): then its reader runs on a thread fewer. On the 2-core machine, a photo with text took 91 ms of CPU
    (56 ms wall) read on two threads against 53 ms on one: `--batch` keeps both cores busy, so the CPU is what
    counts there (the same readings)."""
    from ..encoders import encoding_beside_other_work

    return encoding_beside_other_work()


@contextlib.contextmanager
def _sessions_like_the_encoders():
    """Within the block, the ONNX Runtime sessions RapidOCR builds spin their pool threads within a run and let them
    sleep after it, as taglens' encoders do (``encoders.onnx_session``): by default they spin on for a while after a
    run, taking the core that the image encoder and the ranking need (`suggest --batch` on the 2-core machine: 88-92
    posts/s with RapidOCR's threads spinning after the few photos with text, 98-100 without); asleep within a run
    too, a photo with text took 56 ms to read on two threads against 37 (91 and 68 ms of CPU). The same readings
    either way."""
    from rapidocr_onnxruntime.utils import infer_engine

    cls = infer_engine.OrtInferSession
    original = cls.__dict__["_init_sess_opts"]

    def options(config):
        opts = original.__func__(config)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
        opts.add_session_config_entry("session.force_spinning_stop", "1")
        return opts

    with _BUILDING:
        cls._init_sess_opts = staticmethod(options)
        try:
            yield
        finally:
            cls._init_sess_opts = original


_BUILDING = threading.Lock()


@functools.lru_cache(maxsize=2)
def _reader(beside: bool = False) -> Any:
    """The RapidOCR reader (models from its wheel): detector at READ_SIDE, no 180-degree classifier; ``beside``: on a
    thread fewer (``_beside``)."""
    rapid = require("rapidocr_onnxruntime")
    n = _threads(beside)
    with _sessions_like_the_encoders():
        return rapid.RapidOCR(det_limit_type="max", det_limit_side_len=READ_SIDE, use_cls=False,
                              max_side_len=READ_SIDE, intra_op_num_threads=n, inter_op_num_threads=1,
                              print_verbose=False)


@functools.lru_cache(maxsize=2)
def _gate_detector(beside: bool = False) -> Any:
    """RapidOCR's text detector alone, at GATE_SIDE: the cheap 'is there text?' check; ``beside``: on a thread fewer
    (``_beside``)."""
    rapid = require("rapidocr_onnxruntime")
    from rapidocr_onnxruntime.ch_ppocr_det import TextDetector
    from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
    from rapidocr_onnxruntime.utils import read_yaml, update_model_path

    del rapid
    config = update_model_path(read_yaml(DEFAULT_CFG_PATH))["Det"]
    config.update(limit_type="max", limit_side_len=GATE_SIDE, intra_op_num_threads=_threads(beside),
                  inter_op_num_threads=1)
    with _sessions_like_the_encoders():
        return TextDetector(config)


def _bgr(a: Any) -> Any:
    return a[:, :, ::-1].copy()


def text_gate(img: Any) -> tuple[bool, int, float]:
    """(text likely, text lines of a readable size found, seconds): RapidOCR's detector on the photo shrunk
    to GATE_SIDE; a line counts when it is at least GATE_MIN_HEIGHT high and GATE_MIN_WIDTH wide."""
    t = time.perf_counter()
    a, _ = downscale(as_rgb_array(img), GATE_SIDE)
    boxes, _ = _gate_detector(_beside())(_bgr(a))
    h, w = a.shape[:2]
    n = 0
    for quad in boxes if boxes is not None else ():
        xs, ys = quad[:, 0], quad[:, 1]
        n += (ys.max() - ys.min()) >= GATE_MIN_HEIGHT * h and (xs.max() - xs.min()) >= GATE_MIN_WIDTH * w
    return n > 0, n, time.perf_counter() - t


def read_text(img: Any) -> list[TextLine]:
    """Every line RapidOCR reads in the photo (shrunk to READ_SIDE), top to bottom."""
    a, _ = downscale(as_rgb_array(img), READ_SIDE)
    h, w = a.shape[:2]
    result, _ = _reader(_beside())(_bgr(a))
    lines = []
    for quad, text, conf in result or ():
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        box = (min(xs) / w, min(ys) / h, max(xs) / w, max(ys) / h)
        lines.append(TextLine(str(text), float(conf), tuple(round(float(v), 4) for v in box)))
    return lines


def text_evidence(img: Any, k: int = 10, gate: bool = True) -> TextEvidence:
    """The tags the photo's text suggests (at most ``k``), with the gate's and the reader's timing. Without
    RapidOCR installed (reported once on stderr), no evidence."""
    ev = TextEvidence()
    try:
        a = as_rgb_array(img)
        if gate:
            likely, _, ev.seconds["gate"] = text_gate(a)
            if not likely:
                return ev
        ev.gated = True
        t = time.perf_counter()
        ev.lines = read_text(a)
        ev.seconds["read"] = time.perf_counter() - t
    except VisionUnavailable:
        return ev
    t = time.perf_counter()
    ev.tags, ev.language = tags_from_lines(ev.lines, k)
    ev.words = content_words(ev.lines)
    ev.seconds["tags"] = time.perf_counter() - t
    return ev


# ---------------------------------------------------------------- words to hashtags (pure, no model)

def _zipf(word: str, lang: str) -> float:
    from ..knowledge.word_frequency import zipf

    return zipf(word, lang)


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")


@functools.lru_cache(maxsize=8)
def _accented(lang: str) -> dict[str, str]:
    """Each frequent word of ``lang`` that has accents, keyed by its spelling without them (the more frequent
    word wins a clash)."""
    from wordfreq import top_n_list

    out: dict[str, str] = {}
    for w in top_n_list(lang, 50_000):
        plain = _strip_accents(w)
        if plain != w and plain not in out:
            out[plain] = w
    return out


def _restore(word: str, lang: str) -> str:
    """``word`` with the accents the reader dropped, where ``lang`` knows the plain spelling only as an accented
    word, or knows the accented word far better ("cumpleanos" -> "cumpleaños", but "feliz" stays)."""
    if lang == "en":
        return word
    accented = _accented(lang).get(word)
    if accented and _zipf(accented, lang) > max(_zipf(word, lang) + 0.5, MIN_ZIPF):
        return accented
    return word


def line_language(words: list[str]) -> str | None:
    """The language of LANGUAGES whose word list knows ``words`` best (accents restored), or None when none
    knows them; another language must beat English by a clear margin (ENGLISH_MARGIN Zipf points in all),
    since English is the most common language of posts and borrowed words ("burger", "menu") are everywhere."""
    if not words:
        return None
    scores = {lang: sum(_zipf(_restore(w, lang), lang) for w in words) for lang in LANGUAGES}
    best = max(LANGUAGES, key=lambda lang: scores[lang])
    if scores[best] <= 0:
        return None
    return best if best == "en" or scores[best] - scores["en"] > ENGLISH_MARGIN else "en"


_PHRASE_BREAK = re.compile(r"[^\w\s'\u2019-]+|\d+|_")


def _letters(text: str) -> list[str]:
    """The letter runs of ``text``, lowercased (digits, signs and punctuation split words and are dropped)."""
    import regex

    return [m.lower() for m in regex.findall(r"[\p{L}\p{M}]+", text)]


def _known(word: str) -> bool:
    """A word of some language in LANGUAGES, spelt as is or with its accents lost ("fruhstuck")."""
    if any(_zipf(word, lang) >= MIN_ZIPF for lang in LANGUAGES):
        return True
    return any(word in _accented(lang) for lang in LANGUAGES[1:])


def _words(token: str) -> list[str]:
    """``token`` as words: itself when it is a known word, else its segmentation when every part is known and
    longer than two letters ("farmersmarket" -> farmers, market), else nothing (a misreading)."""
    if _known(token):
        return [token]
    if len(token) >= 6 and token.isascii():
        from ..segmentation import segment

        parts = [p.lower() for p in segment(token)]
        if len(parts) > 1 and all((len(p) >= 3 or p in STOPWORDS) and _known(p) for p in parts):
            return parts
    return []


def _specificity(word: str, lang: str) -> float:
    """1.0 for a rare, specific word, down to 0.35 for a very common one ("good", "new")."""
    z = max(_zipf(word, lang), _zipf(word, "en"), _zipf(_strip_accents(word), "en"))
    return min(1.0, max(0.35, (7.0 - z) / 3.0))


def known_share(lines: list[TextLine]) -> float:
    """The share of the confident lines' letter runs of 3+ letters that are words of LANGUAGES (or run-together
    words of them); 1.0 when there are none. Text in another language, or misread, has few."""
    from ..types import strip_hashtags

    runs = [t for ln in lines if ln.confidence >= MIN_CONFIDENCE and ln.text.strip()
            for t in _letters(strip_hashtags(ln.text)) if len(t) >= 3]
    return sum(bool(_words(t)) for t in runs) / len(runs) if runs else 1.0


def content_words(lines: list[TextLine]) -> frozenset[str]:
    """The distinct content words of the confident lines (3+ letters, a known word, no function word): a sign or
    a poster has a few ("SUMMER SALE 50% OFF": summer, sale), a meme, a quote or a screenshot dozens."""
    from ..types import strip_hashtags

    return frozenset(w for ln in lines if ln.confidence >= MIN_CONFIDENCE and ln.text.strip()
                     for t in _letters(strip_hashtags(ln.text)) for w in _words(t)
                     if len(w) >= 3 and w not in STOPWORDS)


def tags_from_lines(lines: list[TextLine], k: int = 10) -> tuple[list[tuple[str, float, str]], str | None]:
    """Hashtag candidates from the lines read, best first: (tag, score, evidence), and the text's language.

    Each confident line gives its content words (3+ letters, no function word, a known word), the adjacent
    pairs of them and, for a line of two or three words, the whole line as one tag (#happybirthday). Hashtags
    written in the photo ("#tbt") are taken as they are. Blocked tags are dropped. Text whose words are mostly
    not words of LANGUAGES (``known_share`` under MIN_KNOWN: another language, a misreading) gives nothing."""
    from ..blocklist import blocked_tags, is_blocked
    from ..types import normalize_tag, parse_hashtags, strip_hashtags

    confident = [ln for ln in lines if ln.confidence >= MIN_CONFIDENCE and ln.text.strip()]
    if not confident or known_share(confident) < MIN_KNOWN:
        return [], None
    tallest = max(ln.height for ln in confident) or 1.0
    all_words = [w for ln in confident for t in _letters(strip_hashtags(ln.text)) for w in _words(t)]
    lang = line_language([w for w in all_words if w not in STOPWORDS])
    blocked = blocked_tags()
    scores: dict[str, tuple[float, str]] = {}

    def add(tag: str, score: float, evidence: str) -> None:
        tag = normalize_tag(tag)
        if len(tag) < 3 or tag.isdigit() or is_blocked(tag, blocked):
            return
        if score > scores.get(tag, (0.0, ""))[0]:
            scores[tag] = (score, evidence)

    for ln in confident:
        evidence = f'text in the photo: "{" ".join(ln.text.split())}"'
        weight = ln.confidence * (0.5 + 0.5 * ln.height / tallest)
        for tag in parse_hashtags(ln.text):
            add(tag, weight, evidence)
        # a phrase is a run of words with nothing but spaces between them: "SUMMER SALE | 50% | OFF"
        for chunk in _PHRASE_BREAK.split(strip_hashtags(ln.text)):
            words = [_restore(w, lang or "en") for t in _letters(chunk) for w in _words(t)]
            content = [w for w in words if len(w) >= 3 and w not in STOPWORDS]
            spec = {w: _specificity(w, lang or "en") for w in content}
            for w in content:
                if len(w) > 3 or ln.confidence >= 0.9:
                    add(w, weight * spec[w], evidence)
            for a, b in itertools.pairwise(words):
                if a in spec and b in spec:
                    add(a + b, weight * 0.9 * max(spec[a], spec[b]), evidence)
            while words and words[-1] in STOPWORDS:
                words.pop()
            while words and words[0] in STOPWORDS:
                words.pop(0)
            # a short line's whole name (a shop's, a brand's) comes before its own words: #catstoregalore, not
            # #galore (instagram6 val P@1 +2 posts, -1 #citymarkets for #markets; vape unchanged)
            if spec and 2 <= len(words) <= 3 and min(map(len, words)) > 1 and sum(map(len, words)) <= 24:
                add("".join(words), weight * WHOLE_LINE * max(spec.values()), evidence)
    ranked = sorted(((t, round(s, 4), e) for t, (s, e) in scores.items()), key=lambda x: (-x[1], x[0]))
    return ranked[:k], lang
