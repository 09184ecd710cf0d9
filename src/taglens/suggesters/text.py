"""Text-only suggesters over the caption without its hashtags: TF-IDF with a linear one-vs-rest classifier, and
MiniLM sentence embeddings with a small MLP.

A post with no caption text gets the training tag prior (source ``prior``); ensembles skip such answers.

Example:
    >>> model = create_suggester("tfidf-linear").fit(train_posts)            # doctest: +SKIP
    >>> [s.tag for s in model.suggest(Post(text="new coil build on my mod"), k=3)]  # doctest: +SKIP
    ['vape', 'coilbuilding', 'vapelife']
"""
from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from ..exceptions import DataError, ModelError
from ..registry import register_suggester
from ..training import (TagVocab, model_caption, fit_head, load_module_state, load_tensors, make_head,
                        posts_with_tags, predict_head, save_tensors, top_k)
from ..types import Post, Suggestion
from .base import BaseSuggester, keep_params

log = logging.getLogger(__name__)
TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w']*\b"  # words starting with a letter, any script
# what a caption names rather than says: web and e-mail addresses, and @handles. Models that store a caption's
# words read it without them, so a vocabulary holds no person's handle, link code or address (a shop's name still
# counts where the caption writes it as a word). Each alternative starts only at the start of a token, so a long
# run of '@' and '.' costs linear time; a bare domain needs one of these endings (".es", ".de", ".me", ".to" are
# words too often, after a missing space)
_DOMAINS = "com|net|org|info|biz|io|ly|gl|tv|shop|store|link|app|uk|br|ru|jp|kr|vn|ph|mx|cl|fr|nl|pl|tr"
ADDRESS_RE = re.compile(r"(?<!\S)[^\s@]+@[^\s@]+"  # e-mail: a token with an @ inside
                        r"|(?<![\w.])(?:https?://|www\.)\S*"  # a web address with its scheme or www.
                        rf"|(?<![\w.@-])[\w-]+(?:\.[\w-]+)*\.(?:(?:{_DOMAINS}|co\.[a-z]{{2}})\b|co(?=/))(?:[/?#]\S*)?",
                        re.IGNORECASE)
HANDLE_RE = re.compile(r"@[\w.]+")


@lru_cache(maxsize=4096)  # a pure function of the caption, asked ~5 times a post by taglens-base (~15 us each: speed)
def plain_wording(text: str, sep: str = " ") -> str:
    """``text`` without web and e-mail addresses and @handles, each replaced by ``sep``."""
    return HANDLE_RE.sub(sep, ADDRESS_RE.sub(sep, text))


@lru_cache(maxsize=1)
def _emoji_re():
    """A flag (two regional indicators, or a black flag with its subdivision tags: England, Scotland), or one
    extended pictograph (Unicode's emoji property, from the ``regex`` module's own tables, so the same on every
    Python). Skin tones, variation selectors and joiners are not pictographs: "👍🏽" is "👍", "🏳️‍🌈" is "🏳", "🌈"."""
    import regex

    return regex.compile(r"\p{RI}\p{RI}|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F|\p{Extended_Pictographic}")


# pictographs by the property, but not emoji in a caption: the copyright, registered and trade mark signs
_NOT_EMOJI = frozenset("\u00a9\u00ae\u2122")


def emoji_symbols(text: str) -> list[str]:
    """The distinct emoji of a text, in order, each flag whole ("🇸🇪", not its letters). Letters dressed as symbols
    (Ⓢ, 🅐, 🆂), box drawing, shapes, keycaps (1️⃣) and (c) (r) (tm) are not counted."""
    return list(dict.fromkeys(m for m in _emoji_re().findall(text) if m not in _NOT_EMOJI))


def smooth_idf(counts) -> np.ndarray:
    """Smoothed idf, ``log((1 + n) / (1 + df)) + 1``, of the columns of a sparse count matrix (n documents)."""
    df = np.asarray((counts > 0).sum(0)).ravel()
    return (np.log((1 + counts.shape[0]) / (1 + df)) + 1).astype(np.float32)


def sublinear_tfidf(counts, idf: np.ndarray):
    """Rows of TF-IDF with sublinear counts (``1 + log(tf)``), each L2-normalised, from a sparse count matrix."""
    import scipy.sparse as sp

    X = counts.tocsr().astype(np.float32)
    X.data = 1 + np.log(X.data)
    X = X @ sp.diags(idf)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(1)).ravel()) + 1e-8
    return sp.diags(1 / norms) @ X


def _text_training_posts(posts: Sequence[Post], desc: str) -> tuple[list[Post], list[str]]:
    posts = posts_with_tags(posts)
    texts = [model_caption(p) for p in posts]
    keep = [i for i, t in enumerate(texts) if t]
    if not keep:
        raise DataError(f"{desc}: none of the {len(posts)} training posts has caption text besides hashtags")
    if len(keep) < len(posts):
        log.info("%s: %d training posts without caption text are left out", desc, len(posts) - len(keep))
    return [posts[i] for i in keep], [texts[i] for i in keep]


def _prior_suggestions(vocab: TagVocab, k: int) -> list[Suggestion]:
    prior = vocab.prior()
    return [Suggestion(vocab.tags[i], float(prior[i]), "prior", "frequent in training posts")
            for i in top_k(prior, k)]


class _TextHeadSuggester(BaseSuggester):
    """Shared parts of the text classifiers: a head over text features, the vocabulary, prior fallback."""

    source = "text"

    def uses_input(self, post: Post) -> bool:
        return bool(model_caption(post))

    def _features(self, texts: Sequence[str]):
        raise NotImplementedError

    def scores(self, post: Post) -> np.ndarray | None:
        """Scores over ``vocab_.tags``, or None when the post has no caption text."""
        text = model_caption(post)
        if not text:
            return None
        return predict_head(self.head_, self._features([text]), softmax=self.loss != "bce")[0]

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        s = self.scores(post)
        if s is None:
            return _prior_suggestions(self.vocab_, k + len(post.hashtags))
        return [Suggestion(self.vocab_.tags[i], float(s[i]), self.source, "predicted from the caption")
                for i in top_k(s, k + len(post.hashtags))]

    def _fit_head(self, X, posts: Sequence[Post]) -> None:
        self.vocab_ = TagVocab.build([p.hashtags for p in posts], self.max_tags, self.min_count)
        rows = [self.vocab_.encode(p.hashtags) for p in posts]
        # large sets train in large batches (each step updates every weight); small ones get >= 20 steps an epoch
        batch_size = min(self.batch_size, max(64, len(posts) // 20))
        self.head_ = fit_head(X, rows, len(self.vocab_), hidden=self.hidden, dropout=self.dropout,
                              epochs=self.epochs, lr=self.lr, weight_decay=self.weight_decay, loss=self.loss,
                              batch_size=batch_size, seed=self.seed, desc=self.name)
        self.fitted_ = True

    def _load_head(self, directory: Path, in_dim: int) -> dict:
        self.vocab_ = TagVocab.load(directory)
        state = load_tensors(directory)
        self.head_ = make_head(in_dim, len(self.vocab_), self.hidden, self.dropout)
        load_module_state(self.head_, {k[5:]: v for k, v in state.items() if k.startswith("head.")}, directory)
        self.head_.eval()
        return state


class TfidfLinearSuggester(_TextHeadSuggester):
    """TF-IDF of caption words and word pairs, with a linear one-vs-rest (``loss="bce"``) classifier over the
    ``max_tags`` most frequent training tags.

    The defaults (10,000 features, 1,000 tags) keep the weight matrix at 10M entries: every AdamW step updates all
    of it, so training time grows with features x tags (20,000 x 2,000 took 578 s on vape+tweets, 10,000 x 1,000
    about a quarter of that, with the same vape text-only P@1)."""

    name = "tfidf-linear"

    def __init__(self, max_features: int = 10000, ngrams: int = 2, min_df: int = 2, max_tags: int = 1000,
                 min_count: int = 2, hidden: int = 0, epochs: int = 15, lr: float = 1e-2, weight_decay: float = 1e-5,
                 dropout: float = 0.1, loss: str = "bce", batch_size: int = 1024, seed: int = 0):
        keep_params(self, locals())

    def _counter(self, vocabulary=None):
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(lowercase=True, token_pattern=TOKEN_PATTERN, ngram_range=(1, self.ngrams),
                               min_df=1 if vocabulary is not None else self.min_df,
                               max_features=None if vocabulary is not None else self.max_features,
                               vocabulary=vocabulary, dtype=np.float32)

    def fit(self, posts: Sequence[Post]) -> "TfidfLinearSuggester":
        posts, texts = _text_training_posts(posts, self.name)
        counter = self._counter()
        try:
            counts = counter.fit_transform(texts)
        except ValueError:  # every word is rarer than min_df
            counter = self._counter()
            counter.min_df = 1
            counts = counter.fit_transform(texts)
        self.words_ = counter.get_feature_names_out().tolist()
        self.idf_ = smooth_idf(counts)
        self._fit_head(sublinear_tfidf(counts, self.idf_), posts)
        return self

    def _features(self, texts: Sequence[str]):
        if not hasattr(self, "_fixed_counter"):
            self._fixed_counter = self._counter({w: i for i, w in enumerate(self.words_)})
        return sublinear_tfidf(self._fixed_counter.transform(list(texts)), self.idf_)

    def _save_state(self, directory: Path) -> None:
        self.vocab_.save(directory)
        (directory / "words.json").write_text(json.dumps(self.words_, ensure_ascii=False), encoding="utf-8")
        save_tensors(directory, {**{f"head.{k}": v for k, v in self.head_.state_dict().items()}, "idf": self.idf_})

    def _load_state(self, directory: Path) -> None:
        try:
            self.words_ = json.loads((directory / "words.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"{directory}: model directory has no words.json") from None
        state = self._load_head(directory, len(self.words_))
        self.idf_ = state["idf"].numpy()


class MiniLMMlpSuggester(_TextHeadSuggester):
    """A small MLP over MiniLM (all-MiniLM-L6-v2) sentence embeddings of the caption."""

    name = "minilm-mlp"

    def __init__(self, hidden: int = 512, max_tags: int = 2000, min_count: int = 2, epochs: int = 40,
                 lr: float = 2e-3, weight_decay: float = 1e-4, dropout: float = 0.3, loss: str = "bce",
                 batch_size: int = 64, seed: int = 0):
        keep_params(self, locals())

    def fit(self, posts: Sequence[Post]) -> "MiniLMMlpSuggester":
        posts, texts = _text_training_posts(posts, self.name)
        self._fit_head(self._features(texts), posts)
        return self

    def _features(self, texts: Sequence[str]) -> np.ndarray:
        from ..encoders.cache import text_embeddings
        from ..encoders.text import encode_texts

        texts = list(texts)
        # training sets are cached on disk; a single query is encoded directly (no cache file per query)
        emb = text_embeddings(texts) if len(texts) > 32 else encode_texts(texts)
        return emb.astype(np.float32) * 10.0  # unit vectors: scaled up for the head

    def _save_state(self, directory: Path) -> None:
        self.vocab_.save(directory)
        save_tensors(directory, {f"head.{k}": v for k, v in self.head_.state_dict().items()})

    def _load_state(self, directory: Path) -> None:
        from ..encoders.text import DIM

        self._load_head(directory, DIM)


@register_suggester("tfidf-linear", description="text only: TF-IDF with a linear one-vs-rest classifier")
def tfidf_linear(**kw) -> TfidfLinearSuggester:
    return TfidfLinearSuggester(**kw)


@register_suggester("minilm-mlp", description="text only: MiniLM sentence embeddings with a small MLP")
def minilm_mlp(**kw) -> MiniLMMlpSuggester:
    return MiniLMMlpSuggester(**kw)
