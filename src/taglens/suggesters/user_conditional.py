"""User-conditional hashtag prediction (Denton, Weston, Paluri, Bourdev, Fergus, KDD 2015, "User Conditional
Hashtag Prediction for Images"): the post's content embedding is combined with an embedding of its author's
metadata, so the same photo gets the tags its author would use.

Content: the pooled EfficientNet-Lite0 vector of the post's images and, where there is one, the MiniLM embedding of
its caption (the paper has images only; the captions of vape carry much of the signal), with the image or the
caption dropped at random in training so one model serves every input setting.

User metadata, from what the data has (the paper had age, gender and home city):
* the author's id: a learned embedding for each author with at least ``min_user_posts`` training posts;
* the author's tag history: the share of their training posts that carry each tag, for tags they used in at least
  ``min_uses`` posts (so no single post's list is stored), through a learned projection, plus a direct term
  ``history_gain * share`` on each tag's logit (the paper's user bias). Training uses leave-one-out histories,
  each post's own tags taken out, as a held-out post of a known author sees them;
* the caption's language (py3langid), for languages of at least ``min_language`` training posts;
* the post's source (``Post.meta["source"]``), only when the training data mixes several sources. The evaluation
  protocol gives no source with a query, so there this part is always unknown.

``condition`` chooses how the user embedding ``u`` enters, the variants the paper compares, ``a = W x + b`` being
the content's pre-activation and ``E`` the tag embeddings (logits ``E z``):
* ``none``: ``z = tanh(a)``, the unconditioned model (no user input at all);
* ``concat``: ``z = tanh(a + U u)``, i.e. a layer over the concatenation [content, user] (the paper's user-biased
  embedding);
* ``gated`` (default): ``z = tanh(a) * (1 + tanh(U u))``, three-way multiplicative gating: the score of tag h is
  ``sum_f E_hf tanh(a)_f g_f(u)``, a factored three-way tensor of content, user and tag. The ``1 +`` keeps the
  content path whole when the user says nothing.

Unknown users fall back to the unconditioned path: every part of ``u`` is zero for an author, language and source
the model does not know (their embeddings are fixed zero rows, ``U`` has no bias), so ``z = tanh(a)``; training
drops the id and history of a post with probability ``drop_user`` so that path is learned too.

Example:
    >>> model = create_suggester("user-conditional").fit(train_posts)              # doctest: +SKIP
    >>> model.suggest(Post(images=("mod.jpg",), user="1234567"), k=3)             # doctest: +SKIP
"""
from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from ..exceptions import DataError, ModelError
from ..registry import register_suggester
from ..training import TagVocab, model_caption, multilabel_loss, top_k, train_module
from ..types import Post, Suggestion
from .base import finalize, keep_params
from .history import user_key
from .network import (CONTENT_DIM, ContentScaler, NetworkSuggester, drop_modalities, input_source,
                      query_content, training_content)

log = logging.getLogger(__name__)
CONDITIONS = ("none", "concat", "gated")


@lru_cache(maxsize=1)
def _language_identifier():
    import py3langid

    return py3langid


def caption_language(text: str) -> str | None:
    """The language code py3langid gives a caption without its hashtags (None for a caption of fewer than three
    letters: emoji, a handle)."""
    if sum(c.isalpha() for c in text) < 3:
        return None
    return _language_identifier().classify(text)[0]


def build_network(n_tags: int, n_users: int, n_langs: int, n_sources: int, dim: int, user_dim: int, dropout: float,
                  condition: str):
    """Content (and user metadata) -> one logit per tag. Index 0 of users, languages and sources is 'unknown'
    (a fixed zero embedding)."""
    import torch
    from torch import nn

    class UserConditionalNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.content = nn.Linear(CONTENT_DIM, dim)
            self.drop = nn.Dropout(dropout)
            self.tags = nn.Linear(dim, n_tags)
            if condition != "none":
                self.user = nn.Embedding(n_users + 1, user_dim, padding_idx=0)
                self.history = nn.Linear(n_tags, user_dim, bias=False)
                self.lang = nn.Embedding(n_langs + 1, user_dim, padding_idx=0)
                self.source = nn.Embedding(n_sources + 1, user_dim, padding_idx=0)
                self.mix = nn.Linear(4 * user_dim, dim, bias=False)
                self.history_gain = nn.Parameter(torch.ones(()))

        def forward(self, content, user, history, lang, source):
            a = self.content(self.drop(content))
            if condition == "none":
                return self.tags(self.drop(torch.tanh(a)))
            u = torch.cat([self.user(user), self.history(history), self.lang(lang), self.source(source)], 1)
            m = self.mix(self.drop(u))
            z = torch.tanh(a + m) if condition == "concat" else torch.tanh(a) * (1 + torch.tanh(m))
            return self.tags(self.drop(z)) + self.history_gain * history

    return UserConditionalNet()


class UserConditionalSuggester(NetworkSuggester):
    """Content embedding conditioned on the author's metadata (Denton et al. 2015; see the module doc)."""

    name = "user-conditional"

    def __init__(self, condition: str = "gated", dim: int = 256, user_dim: int = 64, max_tags: int = 2000,
                 min_count: int = 2, min_user_posts: int = 2, min_uses: int = 2, min_language: int = 5,
                 epochs: int = 30, lr: float = 2e-3, weight_decay: float = 1e-4, dropout: float = 0.3,
                 batch_size: int = 64, drop_image: float = 0.25, drop_text: float = 0.25, drop_user: float = 0.25,
                 seed: int = 0):
        keep_params(self, locals())

    @property
    def conditioned(self) -> bool:
        return self.condition != "none"

    # -- training ---------------------------------------------------------------------------------------------
    def fit(self, posts: Sequence[Post]) -> "UserConditionalSuggester":
        import torch

        if self.condition not in CONDITIONS:
            raise ModelError(f"{self.name}: condition must be one of {', '.join(CONDITIONS)}, got {self.condition!r}")
        posts, img, txt = training_content(posts, self.name)
        self.vocab_ = TagVocab.build([p.hashtags for p in posts], self.max_tags, self.min_count)
        rows = [self.vocab_.encode(p.hashtags) for p in posts]
        usable = [i for i, r in enumerate(rows) if r]
        if not usable:
            raise DataError(f"{self.name}: no training post has a tag frequent enough to learn")
        self.n_train_ = len(posts)
        self.scaler_ = ContentScaler.fit(img)
        X = self.scaler_(img, txt)
        n_tags = len(self.vocab_)
        user_idx, history, lang_idx, source_idx = self._training_metadata(posts, rows)
        rng = np.random.default_rng(self.seed + 1)

        def batches(idx):
            idx = [usable[i] for i in idx]
            x = drop_modalities(X[idx], rng, self.drop_image, self.drop_text)
            users = user_idx[idx].copy()
            hist = history[idx].toarray().astype(np.float32)
            gone = rng.random(len(idx)) < self.drop_user
            users[gone] = 0
            hist[gone] = 0.0
            langs = np.where(x[:, -1] > 0, lang_idx[idx], 0)  # no caption, no language
            sources = np.where(rng.random(len(idx)) < 0.5, source_idx[idx], 0)
            targets = torch.zeros((len(idx), n_tags))
            for r, j in enumerate(idx):
                targets[r, rows[j]] = 1.0
            inputs = (torch.from_numpy(x), torch.from_numpy(users), torch.from_numpy(hist),
                      torch.from_numpy(langs), torch.from_numpy(sources))
            return inputs, targets

        torch.manual_seed(self.seed)
        self.net_ = self._network()
        train_module(self.net_, batches, len(usable), epochs=self.epochs, lr=self.lr,
                     weight_decay=self.weight_decay, batch_size=self.batch_size, seed=self.seed, desc=self.name,
                     loss_fn=lambda net, inputs, y: multilabel_loss(net(*inputs), y, "softmax"))
        self.fitted_ = True
        return self

    def _training_metadata(self, posts: Sequence[Post], rows: Sequence[Sequence[int]]):
        """(user index, leave-one-out history rows (sparse), language index, source index) per training post, and
        the model's tables of known users, languages and sources."""
        import scipy.sparse as sp

        n, n_tags = len(posts), len(self.vocab_)
        self.user_keys_: list[str] = []
        self.languages_: list[str] = []
        self.sources_: list[str] = []
        self.history_ = sp.csr_matrix((1, n_tags), dtype=np.float32)  # row 0: the unknown user
        zeros = np.zeros(n, np.int64)
        if not self.conditioned:
            return zeros, sp.csr_matrix((n, n_tags), dtype=np.float32), zeros, zeros
        by_user: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(posts):
            if p.user:
                by_user[p.user].append(i)
        known = sorted((u for u, ids in by_user.items() if len(ids) >= self.min_user_posts), key=user_key)
        self.user_keys_ = [user_key(u) for u in known]
        user_idx = zeros.copy()
        hist_rows = sp.lil_matrix((n, n_tags), dtype=np.float32)
        model_rows = [np.zeros(n_tags, np.float32)]
        for u_i, user in enumerate(known, start=1):
            ids = by_user[user]
            counts = np.zeros(n_tags, np.float32)
            for i in ids:
                counts[rows[i]] += 1
            model_rows.append(np.where(counts >= self.min_uses, counts / len(ids), 0.0))
            for i in ids:
                user_idx[i] = u_i
                others = counts.copy()
                others[rows[i]] -= 1  # the post's own tags are not part of its author's known history
                kept = np.flatnonzero(others >= self.min_uses)
                hist_rows[i, kept] = others[kept] / (len(ids) - 1)
        self.history_ = sp.csr_matrix(np.stack(model_rows))
        langs = [caption_language(model_caption(p)) for p in posts]
        lang_counts = Counter(lang for lang in langs if lang)
        self.languages_ = sorted(lang for lang, c in lang_counts.items() if c >= self.min_language)
        lang_index = {lang: i for i, lang in enumerate(self.languages_, start=1)}
        sources = [str(p.meta.get("source") or "") for p in posts]
        if len({s for s in sources if s}) > 1:  # one source says nothing the model could use
            self.sources_ = sorted({s for s in sources if s})
        source_index = {s: i for i, s in enumerate(self.sources_, start=1)}
        log.info("%s: %d known authors, languages %s, sources %s", self.name, len(known), self.languages_,
                 self.sources_ or "-")
        return (user_idx, hist_rows.tocsr(), np.array([lang_index.get(lang, 0) for lang in langs], np.int64),
                np.array([source_index.get(s, 0) for s in sources], np.int64))

    def _network(self):
        return build_network(len(self.vocab_), len(self.user_keys_), len(self.languages_), len(self.sources_),
                             self.dim, self.user_dim, self.dropout, self.condition)

    # -- suggesting -------------------------------------------------------------------------------------------
    def _user_row(self, post: Post) -> int:
        if not self.conditioned or not post.user:
            return 0
        if not hasattr(self, "_user_index"):
            self._user_index = {k: i for i, k in enumerate(self.user_keys_, start=1)}
        return self._user_index.get(user_key(post.user), 0)

    def uses_input(self, post: Post) -> bool:
        return bool(post.images or model_caption(post) or self._user_row(post))

    def scores(self, post: Post) -> np.ndarray:
        """Softmax probabilities over ``vocab_.tags``."""
        return self.scores_batch([post])[0]

    def scores_batch(self, posts: Sequence[Post]) -> np.ndarray:
        """Softmax probabilities over ``vocab_.tags``, a row a post."""
        import torch

        X = self.scaler_(*query_content(posts))
        users = [self._user_row(p) for p in posts]
        hist = self.history_[users].toarray().astype(np.float32)
        langs = [caption_language(model_caption(p)) if self.conditioned else None for p in posts]
        lang_i = [self.languages_.index(lang) + 1 if lang in self.languages_ else 0 for lang in langs]
        sources = [str(p.meta.get("source") or "") for p in posts]
        source_i = [self.sources_.index(s) + 1 if s in self.sources_ else 0 for s in sources]
        inputs = (torch.from_numpy(X), torch.tensor(users, dtype=torch.long), torch.from_numpy(hist),
                  torch.tensor(lang_i, dtype=torch.long), torch.tensor(source_i, dtype=torch.long))
        with torch.inference_mode():
            return torch.softmax(self.net_(*inputs), 1).numpy()

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        return self._ranked(post, self.scores(post), k)

    def suggest_batch(self, posts: Sequence[Post], k: int = 10) -> list[list[Suggestion]]:
        """``suggest`` for each post, scored together (the captions of the batch encoded in one pass)."""
        self._check_fitted()
        out = []
        for post, s in zip(posts, self.scores_batch(posts) if posts else []):
            ranked = self._ranked(post, s, k)
            got = finalize(ranked, post, k)
            out.append(got if len(got) >= k or len(ranked) < k + len(post.hashtags) else self.suggest(post, k))
        return out

    def _ranked(self, post: Post, s: np.ndarray, k: int) -> list[Suggestion]:
        source = input_source(post)
        u = self._user_row(post)
        habit = self.history_[u].toarray()[0] if u else None
        if u:
            user_says = f", conditioned on the author ({self._condition_words()})"
        else:
            user_says = " (author unknown: unconditioned path)" if self.conditioned else ""
        out = []
        for i in top_k(s, k + len(post.hashtags)):
            reason = f"predicted from the {source.replace('+', ', ')}{user_says}"
            if habit is not None and habit[i] > 0:
                reason += f"; the author used it in {100 * habit[i]:.0f}% of their posts"
            out.append(Suggestion(self.vocab_.tags[i], float(s[i]), source + ("+user" if u else ""), reason))
        return out

    def _condition_words(self) -> str:
        return {"gated": "their history gates the content", "concat": "history and content combined"}[self.condition]

    # -- persistence ------------------------------------------------------------------------------------------
    def _extra_tensors(self, directory: Path) -> dict:
        meta = {"users": self.user_keys_, "languages": self.languages_, "sources": self.sources_}
        (directory / "users.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        h = self.history_.tocsr()
        return {"history.indptr": h.indptr.astype(np.int64), "history.indices": h.indices.astype(np.int64),
                "history.values": h.data.astype(np.float32)}

    def _load_tables(self, directory: Path) -> None:
        try:
            meta = json.loads((directory / "users.json").read_text(encoding="utf-8"))
            self.user_keys_ = [str(k) for k in meta["users"]]
            self.languages_ = [str(k) for k in meta["languages"]]
            self.sources_ = [str(k) for k in meta["sources"]]
        except FileNotFoundError:
            raise ModelError(f"{directory}: model directory has no users.json") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{directory}/users.json: unreadable ({type(exc).__name__}: {exc})") from None

    def _restore_extra(self, state: dict, directory: Path) -> None:
        import scipy.sparse as sp

        indptr = state["history.indptr"].numpy()
        if len(indptr) != len(self.user_keys_) + 2:
            raise ModelError(f"{directory}: weights do not match users.json (author histories)")
        self.history_ = sp.csr_matrix((state["history.values"].numpy(), state["history.indices"].numpy(), indptr),
                                      shape=(len(indptr) - 1, len(self.vocab_)))


@register_suggester("user-conditional", description="images+text+author: content gated by the author's metadata "
                                                    "(Denton et al. 2015)")
def user_conditional(**kw) -> UserConditionalSuggester:
    return UserConditionalSuggester(**kw)


@register_suggester("test_user_conditional", description="tiny user-conditional model for tests")
def test_user_conditional(**kw) -> UserConditionalSuggester:
    return UserConditionalSuggester(**{"dim": 16, "user_dim": 8, "epochs": 2, "min_count": 1, "max_tags": 200,
                                       "min_language": 1, **kw})
