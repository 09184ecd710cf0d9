"""``taglens-base``: the default model, fusing whatever evidence a post carries.

Sources (each gives ``{tag: (score, reason)}``):

* ``image``: an MLP head on pooled EfficientNet-Lite0 features, trained on the developer photos' tags;
* ``conse``: the zero-shot path (ImageNet classes -> WordNet -> tags, :mod:`.zeroshot`), for photos of things
  no training post shows;
* ``caption``: an MLP head on the caption's MiniLM embedding, trained on the developer captions;
* ``ngrams``: one-vs-rest logistic regression over the caption's character n-grams and words, trained on the
  captions of photo posts (brand and shop names, other languages; :mod:`.ngrams`);
* ``caption_protos``: the tags of the clusters of similar training captions (k-means on MiniLM embeddings, at
  least five captions each; :mod:`.prototypes`);
* ``about``: MiniLM similarity between the caption and the segmented tags (open vocabulary);
* ``mentions``: tags formed from the caption's own words and word pairs, scored by how often such a word is
  also used as a tag; a word no training caption spelled (a new product, place or name) is scored by its form
  instead (:mod:`.phrases`);
* ``cooccurrence`` and ``synonyms``: companions and WordNet synonyms of the post's own tags (:mod:`.baselines`);
  companions are learned from hashtag lists only, not from sets of stock-photo keywords;
* ``tag_parts``: for a tag those statistics do not know, its segmented words and word pairs that are known tags
  (#sunsetchasers -> #sunset), and their companions at half strength;
* ``user``: the author's habitual tags, for authors seen in training (:mod:`.history`);
* ``prior``: tag popularity, a weak fallback so that an empty post still gets sensible tags.

Fusion: ``score(t) = sum_s w_s * g_s(post) * score_s(t)``, where ``w_s`` are weights tuned by cross-fitting on
the training side and ``g_s`` grows with how much evidence of that kind the post has (caption length, number of
known tags). The image sources have two weights, for a photo alone and for a photo with a full caption, mixed by
the caption's gain: a photo alone leans on the prototypes of similar photos; with a caption, the caption
carries the topic and the image heads add what is seen. The reason shown is the one of the largest
contribution. The artifact holds learned weights and aggregate statistics only (no photo, caption or per-post
vector).

Example:
    >>> from taglens.registry import load_suggester
    >>> model = load_suggester("taglens-base")
    >>> [(s.tag, s.reason) for s in model.suggest(Post(text="sunset at the beach", hashtags=("travel",)), k=2)]
    ... # doctest: +SKIP
    [('sunset', 'caption mentions: sunset'), ('beach', 'caption mentions: beach')]
"""
from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..blocklist import blocked_tags, is_blocked
from ..exceptions import DataError, ModelError
from ..registry import register_suggester
from ..types import MAX_POST_HASHTAGS, Post, Suggestion, parse_hashtags, strip_hashtags
from .base import BaseSuggester
from .phrases import KeyPhrases, term_spans
from .prototypes import TagPrototypes, _normalize
from .baselines import CooccurrenceSuggester, Evidence, SynonymSuggester, read_vocab, tag_words, write_vocab
from .history import UserHistory
from .ngrams import CaptionNgrams
from .text import emoji_symbols, plain_wording
from .zeroshot import ZeroShotSuggester, embed_tags, post_features, stack_features

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = {"image": 1.0, "image_protos": 2.0, "conse": 0.1, "caption": 1.0, "caption_protos": 0.5,
                   "words": 0.5, "about": 0.8, "mentions": 0.6, "ngrams": 0.5,
                   "cooccurrence": 1.0, "tag_parts": 1.0, "synonyms": 0.05, "user": 1.0, "prior": 0.05,
                   # the image sources' weights when the post also has a full caption (see ``fuse``)
                   "image+caption": 1.0, "image_protos+caption": 0.2, "conse+caption": 0.1}
IMAGE_SOURCES = ("image", "image_protos", "conse")
_WORD_RE = re.compile(r"[^\W\d_][\w']*", re.UNICODE)
STOPWORDS = frozenset("""a an and are as at be but by for from has have he her his i if in into is it its me my
no not of on or our she so that the their them there they this to too us was we were what when where which who
will with you your just im it's i'm dont don't can get got all more now out up one new here via amp rt user""".split())
PER_SOURCE = 100  # evidence entries kept per source and post
# the heads always train on this many torch threads, whatever the machine's load made the encoders choose: a float
# sum split over another number of threads rounds differently, and over 20 epochs the trained head drifts (the
# image head trained on one thread and on two differed by up to 0.11 in a weight, and a cross-fitted instagram6
# P@1 by 0.014), so a build would not reproduce the artifact. On a busy 2-core machine two threads train several
# times slower than one: reproducible weights are worth it
HEAD_THREADS = 2
DIVERSE_POOL = 30  # candidates the diversified ranking chooses from


def caption_terms(text: str) -> list[str]:
    """Candidate tags a caption spells out: its content words and adjacent word pairs, joined."""
    return [term for term, *_ in term_spans(text, STOPWORDS)]


def _mlp_forward(x: np.ndarray, p: dict[str, np.ndarray], loss: str = "bce") -> np.ndarray:
    """Tag probabilities of the two-layer head (numpy: no torch needed at suggestion time): per-tag
    sigmoids (``bce``: P(tag is among the post's tags)) or a softmax over tags."""
    if "center" in p:  # centred and unit length first, as in training
        x = _normalize(x - p["center"])
    h = np.maximum((x - p["mu"]) / p["sigma"] @ p["w1"] + p["b1"], 0.0)
    z = h @ p["w2"] + p["b2"]
    if loss == "bce":
        return 1.0 / (1.0 + np.exp(-z))
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def train_head(x: np.ndarray, targets: list[np.ndarray], n_tags: int, hidden: int, epochs: int,
               sample_weight: np.ndarray | None = None, seed: int = 0, lr: float = 2e-3,
               weight_decay: float = 1e-4, dropout: float = 0.3, loss: str = "bce",
               target_weights: list[np.ndarray] | None = None, center: bool = False) -> dict[str, np.ndarray]:
    """Train ``x -> tags``, an MLP with per-tag sigmoids (``bce``) or a softmax over tags against the post's
    tag set (``softmax``; ``target_weights``, parallel to ``targets``, shares each post's target mass unevenly,
    else evenly; ``center``: inputs are centred and scaled to unit length first, as for a cosine); returns
    float16 weights."""
    import torch

    from ..training import torch_threads

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    offset = x.mean(0) if center else None
    if center:
        x = _normalize(x - offset)
    mu, sigma = x.mean(0), x.std(0) + 1e-4
    xt = torch.from_numpy(((x - mu) / sigma).astype(np.float32))
    model = torch.nn.Sequential(torch.nn.Dropout(dropout * 0.5), torch.nn.Linear(x.shape[1], hidden),
                                torch.nn.ReLU(), torch.nn.Dropout(dropout), torch.nn.Linear(hidden, n_tags))
    if loss == "bce":  # start from the tag frequencies, so the first steps do not spend themselves on them
        freq = np.bincount(np.concatenate(targets), minlength=n_tags) / len(targets)
        with torch.no_grad():
            model[4].bias.copy_(torch.from_numpy(np.log(np.clip(freq, 1e-5, 0.5) / (1 - np.clip(freq, 1e-5, 0.5)))))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sw = np.ones(len(x), np.float32) if sample_weight is None else np.asarray(sample_weight, np.float32)
    lengths = np.array([len(t) for t in targets])
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = np.concatenate(targets).astype(np.int64)
    if target_weights is None:
        mass = np.repeat(1.0 / lengths, lengths)
    else:
        mass = np.concatenate([np.asarray(w, np.float64) / max(float(np.sum(w)), 1e-9) for w in target_weights])
    mass = mass.astype(np.float32)
    batch = 64 if len(x) < 5000 else 256
    steps = epochs * math.ceil(len(x) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1))
    with torch_threads(HEAD_THREADS):  # the same sums in the same order, whatever the load
        model.train()
        for _ in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(order), batch):
                idx = order[start: start + batch]
                y = torch.zeros((len(idx), n_tags))
                rows = np.repeat(np.arange(len(idx)), lengths[idx])
                spans = [np.arange(offsets[i], offsets[i + 1]) for i in idx]
                cols = np.concatenate([flat[sp] for sp in spans])
                y[rows, cols] = torch.from_numpy(np.concatenate([mass[sp] for sp in spans]))
                z = model(xt[idx])
                if loss == "bce":
                    per_post = torch.nn.functional.binary_cross_entropy_with_logits(
                        z, (y > 0).float(), reduction="none").sum(-1)
                else:
                    per_post = -(y * torch.log_softmax(z, dim=-1)).sum(-1)
                objective = (per_post * torch.from_numpy(sw[idx])).sum() / float(sw[idx].sum())
                opt.zero_grad()
                objective.backward()
                opt.step()
                sched.step()
    lin1, lin2 = model[1], model[4]
    f16 = lambda t: t.detach().numpy().astype(np.float16)  # noqa: E731
    out = {"mu": mu.astype(np.float16), "sigma": sigma.astype(np.float16), "w1": f16(lin1.weight.T),
           "b1": f16(lin1.bias), "w2": f16(lin2.weight.T), "b2": f16(lin2.bias)}
    if center:
        out["center"] = offset.astype(np.float16)
    return out


def caption_words(text: str) -> list[str]:
    """The distinct lowercase content words of a caption (no stop words), then its distinct emoji
    (``text.emoji_symbols``: "💨" says vape to a vape shop's followers as plainly as a word does), read without
    its @handles and addresses (see ``text.plain_wording``). On 8-fold cross-fitting of vape's train side, the
    emoji took the model's P@1 from 0.627 to 0.630 and A@5 from 0.815 to 0.822 (tweets, whose emoji the data set
    removed, unchanged); counting them in the gain of the sources that read them, P@1 0.633 and A@5 0.820."""
    plain = plain_wording(text)
    words = (w for w in (m.lower() for m in _WORD_RE.findall(plain)) if len(w) > 1 and w not in STOPWORDS)
    return list(dict.fromkeys(words)) + emoji_symbols(plain)


class CaptionWordStats:
    """Aggregate word -> tag statistics of captions: P(tag | the caption has the word), and the word's idf.

    A caption scores tag t with the idf-weighted mean of P(t | w) over its known words, so distinctive words
    (a shop's name, a brand) carry their tags, as a TF-IDF nearest-neighbour search would, from counts only.
    """

    def __init__(self, min_df: int = 2, max_tags: int = 30, min_p: float = 0.05, smoothing: float = 3.0):
        self.min_df, self.max_tags, self.min_p, self.smoothing = min_df, max_tags, min_p, smoothing

    def fit(self, texts: Sequence[str], tag_ids: Sequence[np.ndarray], n_tags: int) -> "CaptionWordStats":
        from scipy import sparse

        docs = [caption_words(t) for t in texts]
        df = Counter(w for d in docs for w in d)
        words = sorted(w for w, c in df.items() if c >= self.min_df)
        windex = {w: i for i, w in enumerate(words)}
        rows, cols = [], []
        for r, d in enumerate(docs):
            for w in d:
                if w in windex:
                    rows.append(r)
                    cols.append(windex[w])
        wm = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(docs), len(words)))
        trows = np.repeat(np.arange(len(tag_ids)), [len(t) for t in tag_ids])
        tm = sparse.csr_matrix((np.ones(len(trows), np.float32), (trows, np.concatenate(tag_ids))),
                               shape=(len(docs), n_tags))
        co = (wm.T @ tm).tocsr()
        dfa = np.array([df[w] for w in words], np.float32)
        indptr, indices, values = [0], [], []
        for i in range(len(words)):
            s, e = co.indptr[i], co.indptr[i + 1]
            tags, c = co.indices[s:e], co.data[s:e] / (dfa[i] + self.smoothing)
            keep = c >= self.min_p
            tags, c = tags[keep], c[keep]
            order = np.argsort(-c, kind="stable")[: self.max_tags]
            indices.extend(tags[order].tolist())
            values.extend(c[order].tolist())
            indptr.append(len(indices))
        self.words = words
        self.idf = np.log(len(docs) / dfa).astype(np.float16)
        self.indptr = np.asarray(indptr, np.int64)
        self.indices = np.asarray(indices, np.int32)
        self.values = np.asarray(values, np.float16)
        return self

    @property
    def index(self) -> dict[str, int]:
        if getattr(self, "_index", None) is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def scores(self, text: str) -> dict[int, tuple[float, str, float]]:
        """{tag id: (score, the word that contributed most, P(tag | that word))} for a caption."""
        known = [(w, self.index[w]) for w in caption_words(text) if w in self.index]
        if not known:
            return {}
        total_idf = float(sum(float(self.idf[i]) for _, i in known))
        if total_idf <= 0:  # only words that every training caption has: they say nothing
            return {}
        out: dict[int, float] = {}
        best: dict[int, tuple[float, str]] = {}
        for w, i in known:
            idf = float(self.idf[i])
            s, e = self.indptr[i], self.indptr[i + 1]
            for j, v in zip(self.indices[s:e].tolist(), self.values[s:e].tolist()):
                out[j] = out.get(j, 0.0) + idf * v
                if v > best.get(j, (0.0, ""))[0]:
                    best[j] = (v, w)
        return {j: (v / total_idf, best[j][1], best[j][0]) for j, v in out.items()}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"words.idf": self.idf, "words.indptr": self.indptr, "words.indices": self.indices,
                "words.values": self.values}

    @classmethod
    def from_arrays(cls, words: list[str], arrays: dict[str, np.ndarray]) -> "CaptionWordStats":
        self = cls()
        self.words = words
        self.idf, self.indptr = arrays["words.idf"].astype(np.float32), arrays["words.indptr"]
        self.indices, self.values = arrays["words.indices"], arrays["words.values"].astype(np.float32)
        if len(self.indptr) != len(words) + 1:
            raise ModelError("caption word statistics do not match their word list")
        return self


class DefaultSuggester(BaseSuggester):
    """The default model: trained image and caption heads, zero-shot image tags, caption words, tag statistics."""

    name = "taglens-base"

    def __init__(self, min_count: int = 3, max_vocab: int = 8000, image_hidden: int = 512, text_hidden: int = 384,
                 image_epochs: int = 30, text_epochs: int = 8, weights: dict[str, float] | None = None,
                 text_words_full: int = 6, head_loss: str = "softmax", topic_boost: float = 1.0,
                 keyword_sources: Sequence[str] = ("pexels_food",), diversity: float = 0.5, seed: int = 0):
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.image_hidden = image_hidden
        self.text_hidden = text_hidden
        self.image_epochs = image_epochs
        self.text_epochs = text_epochs
        self.weights = weights
        self.text_words_full = text_words_full
        self.head_loss = head_loss
        self.topic_boost = topic_boost
        self.keyword_sources = keyword_sources
        if not 0.0 <= float(diversity) <= 1.0:
            raise ModelError(f"taglens-base: diversity must be between 0 and 1, got {diversity!r}")
        self.diversity = float(diversity)
        self.seed = seed

    # -- training ---------------------------------------------------------------------------------------------
    def fit(self, posts: Sequence[Post], progress: bool = False,
            text_embedder: Callable[[list[str]], np.ndarray] | None = None) -> "DefaultSuggester":
        """Learn every component from posts (their hashtags are the labels; captions are used without them).

        ``text_embedder`` (texts -> MiniLM embeddings) may replace the cached encoder, to share a table of
        precomputed caption and tag embeddings between several fits."""
        from ..encoders.cache import image_features, text_embeddings

        embed = text_embedder or text_embeddings
        posts = [p for p in posts if p.hashtags]
        if not posts:
            raise DataError("taglens-base: no training post has hashtags")
        groups = [str((p.meta or {}).get("source") or "") for p in posts]
        counts = Counter(t for p in posts for t in p.hashtags)
        vocab = sorted((t for t, c in counts.items() if c >= self.min_count), key=lambda t: (-counts[t], t))
        vocab = vocab[: self.max_vocab] or sorted(counts, key=lambda t: (-counts[t], t))[: self.max_vocab]
        index = {t: i for i, t in enumerate(vocab)}
        self.vocab_ = vocab
        # popularity prior: the mean over data sets of each set's tag frequencies (no set drowns the others)
        per_group: dict[str, Counter] = defaultdict(Counter)
        n_group: Counter = Counter()
        for p, g in zip(posts, groups):
            n_group[g] += 1
            per_group[g].update(t for t in p.hashtags if t in index)
        prior = np.zeros(len(vocab), np.float64)
        for g, c in per_group.items():
            for t, n in c.items():
                prior[index[t]] += n / n_group[g] / len(per_group)
        self.prior_ = prior.astype(np.float32)
        log.info("taglens-base: %d posts, %d tags in the vocabulary", len(posts), len(vocab))
        self.tag_emb_ = embed_tags(vocab, embed).astype(np.float16).astype(np.float32)  # as saved
        self.tag_words_ = [" ".join(tag_words(t)) for t in vocab]  # for reasons, without a segmenter at run time

        def targets_of(p: Post) -> np.ndarray | None:
            ids = [index[t] for t in p.hashtags if t in index]
            return np.array(ids) if ids else None

        def topic_weights(p: Post) -> np.ndarray:
            """The heads' target mass over a post's tags: its collection topic (the seed hashtag its feed was
            read from, which every post of that feed carries) gets ``topic_boost`` times the mass of all its
            other tags together, so the heads learn to put first the tag a post is surest to have."""
            topic = set(str((p.meta or {}).get("topic") or "").split(","))
            tags = [t for t in p.hashtags if t in index]
            return np.array([1.0 + self.topic_boost * len(tags) * (t in topic) for t in tags])

        # image head: pooled features averaged over a post's images
        img_posts = [p for p in posts if p.images and targets_of(p) is not None]
        self.image_head_ = self.image_protos_ = None
        if img_posts:
            paths = [im for p in img_posts for im in p.images if isinstance(im, (str, Path))]
            feats = dict(zip(paths, image_features(paths, progress=progress)))
            xs, ys, ws = [], [], []
            for p in img_posts:
                f = [feats.get(im) for im in p.images]
                f = [x["pooled"] for x in f if x is not None]
                if f:
                    xs.append(np.concatenate(f).mean(0))
                    ys.append(targets_of(p))
                    ws.append(topic_weights(p))
            if xs:
                log.info("taglens-base: image head on %d posts", len(xs))
                self.image_head_ = train_head(np.stack(xs), ys, len(vocab), self.image_hidden, self.image_epochs,
                                              seed=self.seed, loss=self.head_loss, target_weights=ws, center=True)
                self.image_protos_ = TagPrototypes(seed=self.seed).fit(np.stack(xs), ys, len(vocab))
        # caption head on MiniLM embeddings of the captions without their hashtags
        txt_posts = [p for p in posts if strip_hashtags(p.text) and targets_of(p) is not None]
        self.text_head_ = self.caption_protos_ = self.words_ = self.ngrams_ = None
        if txt_posts:
            texts = [strip_hashtags(p.text) for p in txt_posts]
            ys = [targets_of(p) for p in txt_posts]
            emb = np.asarray(embed(texts))
            log.info("taglens-base: caption head on %d posts", len(txt_posts))
            self.text_head_ = train_head(emb.astype(np.float32), ys, len(vocab), self.text_hidden, self.text_epochs,
                                         seed=self.seed, loss=self.head_loss,
                                         target_weights=[topic_weights(p) for p in txt_posts])
            self.caption_protos_ = TagPrototypes(seed=self.seed).fit(emb, ys, len(vocab))
            self.words_ = CaptionWordStats().fit(texts, ys, len(vocab))
        # the spelling model learns the register of photo captions; other captions (tweets) are its negatives
        photo = [(strip_hashtags(p.text), targets_of(p)) for p in txt_posts if p.images]
        if photo:
            others = [text for p in posts if not p.images and (text := strip_hashtags(p.text))]
            log.info("taglens-base: caption n-grams on %d photo captions", len(photo))
            self.ngrams_ = CaptionNgrams(seed=self.seed).fit([t for t, _ in photo], [y for _, y in photo],
                                                             len(vocab), negatives=others)
        self.mention_rate_ = self._fit_mentions(posts)
        captioned = [(text, set(p.hashtags)) for p in posts if (text := strip_hashtags(p.text))]
        self.phrases_ = KeyPhrases(seed=self.seed).fit([t for t, _ in captioned], [g for _, g in captioned], STOPWORDS)
        # which tags go together is learned from hashtag lists only: sets of stock-photo keywords (alphabetical
        # lists of what a photo shows) teach the heads, but say little about the hashtags people use together
        tag_lists = [p for p, g in zip(posts, groups) if g not in self.keyword_sources] or posts
        self.cooc_ = CooccurrenceSuggester(min_count=2, max_neighbors=64, list_size=2).fit(tag_lists)
        self.synonyms_ = SynonymSuggester(min_count=self.min_count, neighbours=0).fit(posts)  # has its own embeddings
        self.conse_ = ZeroShotSuggester().fit_vocab(vocab, self.tag_emb_)
        self.history_ = UserHistory().fit(posts)
        log.info("taglens-base: fitted (%d authors' habits)", len(self.history_.users_))
        self.fitted_ = True
        return self

    @staticmethod
    def _fit_mentions(posts: Sequence[Post], smoothing: float = 2.0) -> dict[str, float]:
        """P(word is a tag of the post | the caption spells the word), smoothed, for words seen as tags."""
        seen: Counter = Counter()
        hit: Counter = Counter()
        for p in posts:
            text = strip_hashtags(p.text)
            if not text:
                continue
            tags = set(p.hashtags)
            for term in caption_terms(text):
                seen[term] += 1
                if term in tags:
                    hit[term] += 1
        return {t: round((hit[t] + 0.02 * smoothing) / (seen[t] + smoothing), 4)
                for t in hit if seen[t] >= 2}

    # -- evidence ---------------------------------------------------------------------------------------------
    def _top(self, scores: np.ndarray, reason: str, k: int = PER_SOURCE) -> Evidence:
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        words = self.tag_words_ if "{words}" in reason else self.vocab_
        return {self.vocab_[j]: (float(scores[j]), reason.format(tag=self.vocab_[j], words=words[j]))
                for j in top.tolist() if scores[j] > 0}

    def image_evidence(self, feats: dict[str, np.ndarray]) -> dict[str, Evidence]:
        if len(feats["pooled"]) == 0:
            return {}
        out: dict[str, Evidence] = {"conse": self.conse_.evidence_from_logits(feats["logits"], PER_SOURCE,
                                                                              feats.get("labels"))}
        if self.image_head_ is not None:
            x = feats["pooled"].astype(np.float32).mean(0, keepdims=True)
            probs = _mlp_forward(x, self.image_head_, self.head_loss)[0]
            out["image"] = self._top(probs, "photos like this one are tagged #{tag}")
        if self.image_protos_ is not None:
            x = feats["pooled"].astype(np.float32).mean(0)
            out["image_protos"] = self._top(self.image_protos_.scores(x, len(self.vocab_)),
                                            "similar photos are tagged #{tag}")
        return out

    def text_evidence(self, text: str, emb: np.ndarray | None) -> dict[str, Evidence]:
        out: dict[str, Evidence] = {}
        if not text:
            return out
        index = self._index
        terms = caption_terms(text)
        mentions: Evidence = {}
        for term in terms:
            rate = self.mention_rate_.get(term)
            if rate is not None and rate > 0:
                mentions[term] = (rate, f"caption mentions: {term}")
        # terms no training caption spelled often enough: scored by their form (capitals, rarity, ...)
        phrases = getattr(self, "phrases_", None)
        if phrases is not None:
            for term, p in phrases.scores(text, STOPWORDS, skip=self.mention_rate_.__contains__).items():
                mentions[term] = (p, f"key phrase of the caption: {term}")
        else:  # models built before key phrases were learned
            for term in terms:
                if term not in self.mention_rate_ and term in index:
                    mentions[term] = (0.02, f"caption mentions: {term}")
        out["mentions"] = mentions
        if getattr(self, "words_", None) is not None:
            scores = sorted(self.words_.scores(text).items(), key=lambda kv: -kv[1][0])[:PER_SOURCE]
            out["words"] = {self.vocab_[j]: (v, f"captions with '{w}' use #{self.vocab_[j]} ({100 * p:.0f}%)")
                            for j, (v, w, p) in scores}
        if getattr(self, "ngrams_", None) is not None:
            probs = sorted(self.ngrams_.scores(text).items(), key=lambda kv: -kv[1])[:PER_SOURCE]
            out["ngrams"] = {self.vocab_[j]: (p, f"the caption's wording suggests #{self.vocab_[j]}")
                             for j, p in probs if p > 0.01}
        if emb is not None:
            if self.text_head_ is not None:
                probs = _mlp_forward(emb[None, :], self.text_head_, self.head_loss)[0]
                out["caption"] = self._top(probs, "captions like this one are tagged #{tag}")
            if self.caption_protos_ is not None:
                out["caption_protos"] = self._top(self.caption_protos_.scores(emb, len(self.vocab_)),
                                                  "similar captions are tagged #{tag}")
            sim = self.tag_emb_ @ emb
            out["about"] = self._top(np.clip((sim - 0.3) / 0.7, 0.0, None) ** 2, "caption is about: {words}")
        return out

    def tag_evidence(self, tags: Sequence[str]) -> dict[str, Evidence]:
        if not tags:
            return {}
        post = Post(hashtags=tuple(tags))
        out = {"cooccurrence": self.cooc_.evidence(post, PER_SOURCE), "synonyms": self.synonyms_.evidence(post)}
        parts = self.tag_parts(tags)
        if parts:
            out["tag_parts"] = self._part_evidence(parts, set(tags))
        return out

    def tag_parts(self, tags: Sequence[str]) -> dict[str, str]:
        """{vocabulary tag: the post's tag it is part of} for the words and word pairs of the post's tags that the
        co-occurrence statistics do not know (#sunsetchasers -> #sunset): segmentation lets a new tag speak."""
        index, known = self._index, self.cooc_.index_
        parts: dict[str, str] = {}
        for tag in tags:
            if tag in known:
                continue
            words = [w.lower() for w in tag_words(tag)]
            if len(words) < 2:
                continue
            candidates = [w for w in words if len(w) >= 3 and w not in STOPWORDS]
            candidates += [a + b for a, b in zip(words, words[1:])]
            for cand in candidates:
                if cand != tag and cand in index:
                    parts.setdefault(cand, tag)
        return parts

    def _part_evidence(self, parts: dict[str, str], exclude: set[str]) -> Evidence:
        """The parts themselves (word pairs 0.5, single words 0.4) and, at half their usual strength, the
        companions of those the co-occurrence statistics know."""
        words = {tag: set(tag_words(tag)) for tag in set(parts.values())}
        out: Evidence = {p: (0.4 if p in words[tag] else 0.5, f"part of #{tag}: {p}")
                         for p, tag in parts.items() if p not in exclude}
        companions = self.cooc_.evidence(Post(hashtags=tuple(parts)), PER_SOURCE)
        for cand, (score, reason) in companions.items():
            if cand not in out and cand not in exclude:
                out[cand] = (0.5 * score, reason)
        return out

    @property
    def _index(self) -> dict[str, int]:
        if getattr(self, "_index_cache", None) is None:
            self._index_cache = {t: i for i, t in enumerate(self.vocab_)}
        return self._index_cache

    def gains(self, post_text: str, tags: Sequence[str]) -> dict[str, float]:
        """How much evidence of each kind the post carries (1 = full), which scales that source's weight."""
        n_words = len([w for w in _WORD_RE.findall(post_text) if w.lower() not in STOPWORDS])
        g_text = min(1.0, n_words / max(self.text_words_full, 1)) ** 0.5 if n_words else 0.0
        # the word statistics and the spelling model read emoji too, so "💨💨🔥" is evidence for them (counted as
        # the word statistics read them, without @handles and addresses)
        n_read = n_words + len(emoji_symbols(plain_wording(post_text)))
        g_read = min(1.0, n_read / max(self.text_words_full, 1)) ** 0.5 if n_read else 0.0
        n_known = len(self.cooc_.known_tags(Post(hashtags=tuple(tags)))) if tags else 0
        g_tags = min(1.0, 0.5 + 0.5 * n_known) if n_known else 0.0
        return {"caption": g_text, "caption_protos": g_text, "about": g_text, "mentions": g_text, "words": g_read,
                "ngrams": g_read,
                "cooccurrence": g_tags,
                "synonyms": 1.0 if tags else 0.0, "tag_parts": 1.0}

    def fuse(self, evidence: dict[str, Evidence], gains: dict[str, float], exclude: set[str], k: int,
             weights: dict[str, float] | None = None) -> list[Suggestion]:
        """Weighted sum of the sources' scores, without the tags of ``exclude`` and blocked tags
        (``taglens.blocklist``); each tag keeps the reason of its largest contribution."""
        w = {**DEFAULT_WEIGHTS, **(self.weights or {}), **(weights or {})}
        g_text = gains.get("caption", 0.0)
        for source in IMAGE_SOURCES:
            with_caption = w.get(f"{source}+caption", w.get(source, 0.0))
            w[source] = (1.0 - g_text) * w.get(source, 0.0) + g_text * with_caption
        total: dict[str, float] = {}
        best: dict[str, tuple[float, str, str]] = {}
        for source, ev in evidence.items():
            ws = w.get(source, 0.0) * gains.get(source, 1.0)
            if ws <= 0:
                continue
            for tag, (score, reason) in ev.items():
                if tag in exclude:
                    continue
                c = ws * score
                total[tag] = total.get(tag, 0.0) + c
                if c > best.get(tag, (-1.0, "", ""))[0]:
                    best[tag] = (c, source, reason)
        blocked = blocked_tags()  # once per post, and each distinct tag is looked up once
        ranked = sorted(((t, v) for t, v in total.items() if not is_blocked(t, blocked)),
                        key=lambda kv: (-kv[1], kv[0]))[: max(k, DIVERSE_POOL)]
        # an author's habitual tags are sure bets of their own, not alternatives: they are never discounted
        ranked = self.diversify(ranked, k, firm={t for t, _ in ranked if best[t][1] == "user"})
        return [Suggestion(tag, s, best[tag][1], best[tag][2]) for tag, s in ranked]

    def diversify(self, ranked: list[tuple[str, float]], k: int,
                  firm: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, float]]:
        """Re-rank so that each tag adds something the ones above it do not already imply: greedily, a tag's score
        is multiplied by ``1 - diversity * P(u | tag)`` for every tag u already placed (P from the co-occurrence
        statistics). The first tag never changes; scores stay in decreasing order; ``firm`` tags are not
        discounted. Returns the first ``k``.

        A list of five near-synonyms (#sea #ocean #beach #waves #seaside) all hit or all miss together; five
        tags that cover different readings of the post are more likely to hold one the author wanted. On an
        inner split of HARRISON's train side (tags, reveal 1), diversity 0.5 took A@5 from 0.527 to 0.536 at
        P@5 0.154 -> 0.152."""
        lam = self.diversity  # a ranking rule: models saved before it existed get the default too
        if lam <= 0 or len(ranked) < 3:
            return ranked[:k]
        cooc = self.cooc_
        n = len(ranked)
        cand = np.array([cooc.index_.get(t, -1) for t, _ in ranked], dtype=np.int64)
        known = np.flatnonzero(cand >= 0)
        order = known[np.argsort(cand[known])]  # candidate positions by vocabulary index, for searchsorted
        sorted_idx = cand[order]
        given = np.zeros((n, n), np.float32)  # given[i, j] = P(tag j | tag i)
        for i in known.tolist():
            s0, e0 = cooc.indptr_[cand[i]], cooc.indptr_[cand[i] + 1]
            neighbours = cooc.indices_[s0:e0]
            at = np.minimum(np.searchsorted(sorted_idx, neighbours), len(sorted_idx) - 1)
            hit = sorted_idx[at] == neighbours
            given[i, order[at[hit]]] = cooc.values_[s0:e0][hit]
        damp = 1.0 - lam * np.clip(given, 0.0, 1.0)
        if firm:
            damp[[i for i, (t, _) in enumerate(ranked) if t in firm]] = 1.0
        gains = np.array([s for _, s in ranked], dtype=np.float64)
        out: list[tuple[str, float]] = []
        free = np.ones(n, bool)
        for _ in range(min(k, n)):
            pick = int(np.argmax(np.where(free, gains, -np.inf)))
            out.append((ranked[pick][0], float(gains[pick])))
            free[pick] = False
            gains *= damp[:, pick]
        return out

    def prior_evidence(self) -> Evidence:
        if getattr(self, "_prior_ev", None) is None:
            self._prior_ev = self._top(self.prior_.astype(np.float32), "popular tag")
            self._prior_ev = {t: (s, f"popular: used in {100 * s:.0f}% of posts") for t, (s, _) in
                              self._prior_ev.items()}
        return self._prior_ev

    def evidence(self, post: Post, feats: dict[str, np.ndarray] | None = None,
                 text_emb: np.ndarray | None = None) -> tuple[dict[str, Evidence], dict[str, float], set[str]]:
        """(evidence per source, gains, tags to exclude) for a post; features may be given precomputed."""
        text = strip_hashtags(post.text)
        every_tag = list(dict.fromkeys(list(post.hashtags) + parse_hashtags(post.text)))
        tags = every_tag[:MAX_POST_HASHTAGS]  # the ones read; none of the post's tags is suggested back
        ev: dict[str, Evidence] = {"prior": self.prior_evidence()}
        if post.images:
            if feats is None:
                feats = post_features(post.images)
            ev.update(self.image_evidence(feats))
        if text:
            if text_emb is None:
                from ..encoders.text import encode_texts

                text_emb = encode_texts([text])[0]
            ev.update(self.text_evidence(text, text_emb))
        ev.update(self.tag_evidence(tags))
        habits = self.history_.evidence(post.user) if self.history_ is not None else {}
        if habits:
            ev["user"] = habits
        return ev, self.gains(text, tags), set(every_tag)

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        ev, gains, exclude = self.evidence(post)
        return self.fuse(ev, gains, exclude, k)  # fuse leaves the post's own tags and blocked tags out already

    def suggest_batch(self, posts: Sequence[Post], k: int = 10) -> list[list[Suggestion]]:
        """Like ``suggest`` for each post, with the images and captions of all posts encoded in batches."""
        from .base import finalize

        self._check_fitted()
        feats = batch_image_features(posts)
        texts = [strip_hashtags(p.text) for p in posts]
        embs: dict[str, np.ndarray] = {}
        todo = sorted({t for t in texts if t})
        if todo:
            from ..encoders.text import encode_texts

            embs = dict(zip(todo, encode_texts(todo)))
        out = []
        for p, f, t in zip(posts, feats, texts):
            ev, gains, exclude = self.evidence(p, f, embs.get(t))
            out.append(finalize(self.fuse(ev, gains, exclude, k), p, k))
        return out

    # -- persistence ------------------------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        write_vocab(directory / "vocab.txt", self.vocab_)
        write_vocab(directory / "vocab_words.txt", self.tag_words_)
        arrays = {"prior": self.prior_.astype(np.float32), "tag_emb": self.tag_emb_.astype(np.float16)}
        for name, head in (("image", self.image_head_), ("text", self.text_head_)):
            for key, value in (head or {}).items():
                arrays[f"{name}.{key}"] = np.ascontiguousarray(value)
        for name, protos in (("image_protos", self.image_protos_), ("caption_protos", self.caption_protos_)):
            if protos is not None:
                arrays.update(protos.arrays(name))
        if self.words_ is not None:
            arrays.update(self.words_.arrays())
            write_vocab(directory / "caption_words.txt", self.words_.words)
        if getattr(self, "ngrams_", None) is not None:
            arrays.update(self.ngrams_.arrays())
            self.ngrams_.save_vocabulary(directory)
        save_file(arrays, str(directory / "weights.safetensors"))
        (directory / "mentions.json").write_text(json.dumps(self.mention_rate_, sort_keys=True, ensure_ascii=False),
                                                 encoding="utf-8")
        if getattr(self, "phrases_", None) is not None:
            (directory / "phrases.json").write_text(json.dumps(self.phrases_.to_json()), encoding="utf-8")
        for name, part in (("cooccurrence", self.cooc_), ("synonyms", self.synonyms_), ("conse", self.conse_)):
            part.save(directory / name)
        if self.history_ is not None:
            self.history_.save(directory / "users.json")

    def _load_state(self, directory: Path) -> None:
        from safetensors.numpy import load_file

        self.vocab_ = read_vocab(directory / "vocab.txt")
        words = directory / "vocab_words.txt"
        self.tag_words_ = read_vocab(words) if words.is_file() else [" ".join(tag_words(t)) for t in self.vocab_]
        if len(self.tag_words_) != len(self.vocab_):
            raise ModelError(f"{directory}: vocab.txt and vocab_words.txt disagree")
        arrays = load_file(str(directory / "weights.safetensors"))
        self.prior_, self.tag_emb_ = arrays["prior"], arrays["tag_emb"].astype(np.float32)  # stored float16
        if len(self.prior_) != len(self.vocab_) or self.tag_emb_.shape[0] != len(self.vocab_):
            raise ModelError(f"{directory}: vocab.txt and weights.safetensors disagree")
        for name in ("image", "text"):
            head = {k.split(".", 1)[1]: v.astype(np.float32) for k, v in arrays.items() if k.startswith(name + ".")}
            setattr(self, f"{name}_head_", head or None)
        self.image_protos_ = TagPrototypes.from_arrays(arrays, "image_protos")
        self.caption_protos_ = TagPrototypes.from_arrays(arrays, "caption_protos")  # None in older models
        self.words_ = None
        if "words.idf" in arrays:
            self.words_ = CaptionWordStats.from_arrays(read_vocab(directory / "caption_words.txt"), arrays)
        self.ngrams_ = CaptionNgrams.load(directory, arrays, len(self.vocab_))  # None in older models
        self.mention_rate_ = json.loads((directory / "mentions.json").read_text(encoding="utf-8"))
        phrases = directory / "phrases.json"  # absent in models built before key phrases were learned
        try:
            self.phrases_ = KeyPhrases.from_json(json.loads(phrases.read_text(encoding="utf-8"))) \
                if phrases.is_file() else None
        except (ValueError, AttributeError, TypeError, ModelError) as e:
            raise ModelError(f"{phrases}: unreadable key-phrase model ({e})") from e
        # each part must be of its own type (a folder of another model put there fails here, naming it)
        self.cooc_ = CooccurrenceSuggester.load(directory / "cooccurrence")
        self.synonyms_ = SynonymSuggester.load(directory / "synonyms")
        self.conse_ = ZeroShotSuggester.load(directory / "conse")
        users = directory / "users.json"  # absent in models built before authors' habits were learned
        self.history_ = UserHistory.load(users) if users.is_file() else None


def batch_image_features(posts: Sequence[Post]) -> list[dict[str, np.ndarray] | None]:
    """Per post, the stacked features of its images (None for a post without images), encoding the images
    missing from the feature cache in one batch. Raises the InputError of the first unreadable file."""
    from ..encoders import cache
    from ..encoders.image import get_image_encoder
    from ..media import load_visuals

    items = {}  # image -> features
    missing: list[tuple[Any, str | None]] = []
    for p in posts:
        for im in p.images:
            if id(im) in items:
                continue
            key = None
            if isinstance(im, (str, Path)):
                key = cache.feature_key(Path(im))  # raises the InputError that names the problem
                f = cache.feature_file(key)
                if f.exists():
                    try:
                        with np.load(f) as z:
                            items[id(im)] = {"pooled": z["pooled"], "logits": z["logits"]}
                        continue
                    except (OSError, ValueError, KeyError):
                        pass
            missing.append((im, key))
    if missing:
        visuals, owner = [], []
        for n, (im, _) in enumerate(missing):
            frames = [v for _, v in load_visuals([im])]
            visuals.extend(frames)
            owner.extend([n] * len(frames))
        enc = get_image_encoder().encode(visuals)
        owner_arr = np.array(owner)
        for n, (im, key) in enumerate(missing):
            feats = {"pooled": enc["pooled"][owner_arr == n].astype(np.float32),
                     "logits": enc["logits"][owner_arr == n].astype(np.float32)}
            items[id(im)] = feats
            if key is not None:
                try:
                    cache._save(cache.feature_file(key), **feats)
                except OSError:  # a read-only cache only costs speed
                    pass
    out: list[dict[str, np.ndarray] | None] = []
    for p in posts:
        if not p.images:
            out.append(None)
            continue
        out.append(stack_features([items[id(im)] for im in p.images], p.images))
    return out


@register_suggester("taglens-base", "the default model: images, caption and tags fused (bundled, offline)")
def taglens_base(**kw) -> DefaultSuggester:
    return DefaultSuggester(**kw)


__all__ = ["DefaultSuggester", "batch_image_features", "caption_terms"]
