"""The multimodal co-attention network of Zhang et al. (IJCAI 2017, "Hashtag Recommendation for Multimodal
Microblog Using Co-Attention Network"), in PyTorch, conditioned on the post's existing hashtags.

Inputs: the 7x7 region grid of EfficientNet-Lite0 for each image (up to ``max_images``, 49 regions each; reduced
from 1280 to ``region_dim`` dimensions by a PCA fitted on the training regions, which makes training on a CPU
several times faster) and the contextual MiniLM token vectors of the caption without hashtags (up to
``max_tokens``). The existing hashtags are embedded (mean of learned tag vectors) and guide every attention step.
Alternating co-attention:

1. a text summary ``t0`` (mean of the tokens) plus the tag vector ``g`` guides attention over image regions -> ``v1``;
2. ``v1 + g`` guides attention over caption tokens -> ``t1``;
3. ``t1 + g`` guides a second attention over image regions -> ``v2``;
4. ``[v2, t1, g]`` goes through an MLP to one logit per tag (softmax over the ``max_tags`` most frequent tags, or
   one-vs-rest sigmoids with ``loss="bce"``).

``pooled=True`` adds the plain means of the regions and of the tokens to step 4; ``user_balance=b`` weighs each
training post by ``n_author ** -b``. Both are off by default (docs/EXPERIMENTS.md says why).

Each attention set gets a learned "null" element, so a post without image or caption is still defined. Training
samples the evaluation settings: images or caption dropped at random, and 0-3 of a post's tags revealed as input
(the others are the targets), so one model serves images-only, text-only, tags and all-input queries.

Where it departs from the paper, and why:

* text: the paper runs an LSTM over word embeddings learned from scratch; here the caption tokens are MiniLM's
  contextual vectors, frozen, through a learned projection (it trains in minutes on a 2-core CPU, and vape's 800
  captions in many languages are too few to learn word embeddings);
* image: the paper's VGG 7x7 regions pass a tanh layer; here EfficientNet-Lite0's 7x7 grid, PCA-reduced, then a
  learned projection (``max_images`` images concatenate their regions);
* attention: the paper alternates image-guided text attention and text-guided image attention and sums the two
  attended vectors into one softmax layer; here one more image step (3 above) and an MLP over the concatenation;
* existing hashtags: not an input of the paper's network; the issue asks for the conditioning, done here by
  adding their mean tag vector to every attention query and to the output.

Example:
    >>> model = create_suggester("coattention").fit(train_posts)   # doctest: +SKIP
    >>> model.suggest(Post(text="new build", images=("mod.jpg",), hashtags=("vape",)), k=3)  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from ..exceptions import DataError, ModelError
from ..registry import register_suggester
from ..training import (TagVocab, model_caption, load_module_state, load_tensors,
                        multilabel_loss, posts_with_tags, save_tensors, top_k, train_module)
from ..types import Post, Suggestion
from .base import BaseSuggester, keep_params
from .network import IMG_DIM, TXT_DIM

log = logging.getLogger(__name__)


def build_network(n_tags: int, dim: int, dropout: float, region_dim: int = IMG_DIM, pooled: bool = False):
    """The co-attention network as an ``nn.Module`` (built lazily so torch is imported only when needed).
    With ``pooled`` the output MLP also sees the plain means of the image regions and of the caption tokens
    (attention-free summaries of each modality, next to the co-attended ones)."""
    import torch
    from torch import nn

    class Attention(nn.Module):
        """Additive attention over a set of vectors ``X`` (B, N, d) guided by a query ``q`` (B, d)."""

        def __init__(self, d: int):
            super().__init__()
            self.wx = nn.Linear(d, d, bias=False)
            self.wq = nn.Linear(d, d)
            self.w = nn.Linear(d, 1, bias=False)

        def forward(self, X, mask, q):
            a = self.w(torch.tanh(self.wx(X) + self.wq(q)[:, None, :])).squeeze(-1)
            a = a.masked_fill(~mask, float("-inf"))
            return (torch.softmax(a, dim=1)[..., None] * X).sum(1)

    class CoAttentionNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.img_proj = nn.Linear(region_dim, dim)
            self.txt_proj = nn.Linear(TXT_DIM, dim)
            self.tag_emb = nn.Parameter(torch.randn(n_tags, dim) * 0.02)
            self.null_img = nn.Parameter(torch.zeros(1, 1, dim))
            self.null_txt = nn.Parameter(torch.zeros(1, 1, dim))
            self.att_img1, self.att_txt, self.att_img2 = Attention(dim), Attention(dim), Attention(dim)
            self.drop = nn.Dropout(dropout)
            self.out = nn.Sequential(nn.Linear((5 if pooled else 3) * dim, dim), nn.GELU(), nn.Dropout(dropout),
                                     nn.Linear(dim, n_tags))

        def forward(self, img, img_mask, txt, txt_mask, tags_in):
            b = img.shape[0]
            V = torch.cat([self.null_img.expand(b, 1, -1), torch.tanh(self.img_proj(self.drop(img)))], 1)
            T = torch.cat([self.null_txt.expand(b, 1, -1), torch.tanh(self.txt_proj(self.drop(txt)))], 1)
            one = torch.ones((b, 1), dtype=torch.bool)
            vm, tm = torch.cat([one, img_mask], 1), torch.cat([one, txt_mask], 1)
            g = tags_in @ self.tag_emb / tags_in.sum(1, keepdim=True).clamp(min=1.0)
            t0 = (T * tm[..., None]).sum(1) / tm.sum(1, keepdim=True)
            v1 = self.att_img1(V, vm, t0 + g)
            t1 = self.att_txt(T, tm, v1 + g)
            v2 = self.att_img2(V, vm, t1 + g)
            parts = [v2, t1, g]
            if pooled:  # means over the real elements; the null element only when there is none
                vbar = (V[:, 1:] * img_mask[..., None]).sum(1) + V[:, 0] * (~img_mask.any(1))[:, None]
                parts += [vbar / img_mask.sum(1, keepdim=True).clamp(min=1), t0]
            return self.out(self.drop(torch.cat(parts, 1)))

    return CoAttentionNet()


def _pad(arrays: Sequence[np.ndarray], width: int, dim: int):
    """Stack variable-length (n_i, dim) arrays into (B, width, dim) plus a boolean mask."""
    import torch

    width = max(1, width)
    x = np.zeros((len(arrays), width, dim), np.float32)
    mask = np.zeros((len(arrays), width), bool)
    for i, a in enumerate(arrays):
        n = min(len(a), width)
        if n:
            x[i, :n] = a[:n]
            mask[i, :n] = True
    return torch.from_numpy(x), torch.from_numpy(mask)


def token_vectors(texts: Sequence[str], max_tokens: int, batch_size: int = 64) -> list[np.ndarray]:
    """Contextual MiniLM token vectors (without [CLS]/[SEP]) of each text, float16, (n_tokens, 384) each."""
    from ..encoders.text import get_text_encoder

    enc = get_text_encoder()
    out: list[np.ndarray] = [np.zeros((0, TXT_DIM), np.float16)] * len(texts)
    order = sorted((i for i, t in enumerate(texts) if t), key=lambda i: len(texts[i]))
    for start in range(0, len(order), batch_size):
        idx = order[start: start + batch_size]
        ids, mask = enc.tokenize([texts[i] for i in idx])
        ids, mask = ids[:, : max_tokens + 2], mask[:, : max_tokens + 2]
        x = enc.hidden(ids, mask)
        for row, i in enumerate(idx):
            n = int(mask[row].sum())
            out[i] = x[row, 1: max(1, n - 1)].astype(np.float16)
    return out


class CoAttentionSuggester(BaseSuggester):
    """Co-attention over image regions and caption tokens, conditioned on existing hashtags (see module doc)."""

    name = "coattention"

    def __init__(self, dim: int = 128, region_dim: int = 128, max_tags: int = 3000, min_count: int = 2,
                 max_images: int = 2, max_tokens: int = 32, epochs: int = 25, lr: float = 2e-3,
                 weight_decay: float = 1e-4,
                 dropout: float = 0.3, batch_size: int = 64, drop_image: float = 0.25, drop_text: float = 0.25,
                 reveal_prob: float = 0.5, max_reveal: int = 3, loss: str = "softmax", pooled: bool = False,
                 user_balance: float = 0.0, nets: int = 4, seed: int = 0):
        keep_params(self, locals())

    # -- training ---------------------------------------------------------------------------------------------
    def fit(self, posts: Sequence[Post]) -> "CoAttentionSuggester":
        import torch

        posts = posts_with_tags(posts)
        from ..features import post_image_features

        feats = post_image_features(posts, grid=True, skip_unreadable=True)
        grids: dict[int, np.ndarray] = {i: f["grid"][: self.max_images].reshape(-1, IMG_DIM)
                                        for i, f in enumerate(feats) if f is not None}
        self._fit_pca(list(grids.values()))
        grids = {i: self._project(g) for i, g in grids.items()}
        bad = {i for i, p in enumerate(posts) if p.images} - set(grids)  # unreadable image: skip the post
        usable = [i for i in range(len(posts)) if i not in bad]
        self.n_train_ = len(usable)  # what `taglens train` reports
        texts = [model_caption(posts[i]) for i in usable]
        tokens = token_vectors(texts, self.max_tokens)
        img = [grids.get(i, np.zeros((0, self.region_dim), np.float32)) for i in usable]
        if not any(len(a) for a in img) and not any(len(t) for t in tokens):
            raise DataError(f"{self.name}: none of the training posts has a readable image or caption text")
        tagsets = [posts[i].hashtags for i in usable]
        self.vocab_ = TagVocab.build(tagsets, self.max_tags, self.min_count)
        rows = [self.vocab_.encode(t) for t in tagsets]
        usable_rows = [j for j, r in enumerate(rows) if r]
        if not usable_rows:
            raise DataError(f"{self.name}: no training post has a tag frequent enough to learn")
        if self.nets < 1:
            raise ModelError(f"{self.name}: nets must be at least 1, got {self.nets}")
        n_tags = len(self.vocab_)
        kw_img, kw_txt = self.max_images * 49, self.max_tokens
        # each post weighs n_author ** -user_balance, so that a shop's hundred look-alike posts do not teach the
        # network that shop's tags (posts without an author count as their own author)
        authors = [posts[i].user or f"\0{i}" for i in usable]
        per_author = Counter(authors)
        post_weight = np.array([per_author[a] ** -self.user_balance for a in authors], np.float32)
        post_weight *= len(post_weight) / post_weight.sum()

        def batches(idx):  # draws from ``rng``, set for each network below
            idx = [usable_rows[i] for i in idx]
            ims, txs = [], []
            tags_in = torch.zeros((len(idx), n_tags))
            targets = torch.zeros((len(idx), n_tags))
            for r, j in enumerate(idx):
                has_img, has_txt = len(img[j]) > 0, len(tokens[j]) > 0
                u = rng.random()
                drop_i = has_img and has_txt and u < self.drop_image
                drop_t = has_img and has_txt and self.drop_image <= u < self.drop_image + self.drop_text
                ims.append(img[j][:0] if drop_i else img[j])
                txs.append(tokens[j][:0] if drop_t else tokens[j])
                tags = list(rows[j])
                n_rev = 0
                if len(tags) > 1 and rng.random() < self.reveal_prob:
                    n_rev = int(rng.integers(1, min(self.max_reveal, len(tags) - 1) + 1))
                rng.shuffle(tags)
                tags_in[r, tags[:n_rev]] = 1.0
                targets[r, tags[n_rev:]] = 1.0
            wi = min(kw_img, max(len(a) for a in ims))
            wt = min(kw_txt, max(len(a) for a in txs))
            weights = torch.from_numpy(post_weight[idx])
            return (*_pad(ims, wi, self.region_dim), *_pad(txs, wt, TXT_DIM), tags_in), (targets, weights)

        def loss_fn(net, inputs, targets):
            targets, weights = targets
            return multilabel_loss(net(*inputs), targets, self.loss, weights)

        # several networks from different seeds, their probabilities averaged: one network's P@1 on vape moved
        # by up to 0.05 from seed to seed, and the average is better than its members in every input setting
        self.nets_ = []
        for i in range(self.nets):
            torch.manual_seed(self.seed + i)
            rng = np.random.default_rng(self.seed + i + 1)
            net = build_network(n_tags, self.dim, self.dropout, self.region_dim, self.pooled)
            train_module(net, batches, len(usable_rows), epochs=self.epochs, lr=self.lr,
                         weight_decay=self.weight_decay, batch_size=self.batch_size, seed=self.seed + i,
                         loss_fn=loss_fn, desc=f"{self.name} {i + 1}/{self.nets}" if self.nets > 1 else self.name)
            self.nets_.append(net)
        self.fitted_ = True
        return self

    # -- suggesting -------------------------------------------------------------------------------------------
    def uses_input(self, post: Post) -> bool:
        return bool(post.images or model_caption(post) or any(t in self.vocab_.index for t in post.hashtags))

    def scores(self, post: Post) -> np.ndarray:
        """Probabilities over ``vocab_.tags`` (softmax, or per-tag sigmoids with ``loss="bce"``)."""
        import torch

        from ..features import post_image_features

        grid = np.zeros((0, self.region_dim), np.float32)
        if post.images:
            g = post_image_features([post], grid=True, max_images=self.max_images)[0]["grid"]
            grid = self._project(g[: self.max_images].reshape(-1, IMG_DIM))
        text = model_caption(post)
        tok = token_vectors([text], self.max_tokens)[0].astype(np.float32)
        tags_in = torch.zeros((1, len(self.vocab_)))
        idx = self.vocab_.encode(post.hashtags)
        if idx:
            tags_in[0, idx] = 1.0
        inputs = (*_pad([grid], len(grid), self.region_dim), *_pad([tok], len(tok), TXT_DIM), tags_in)
        with torch.inference_mode():
            probs = [(torch.softmax(logits, 1) if self.loss != "bce" else torch.sigmoid(logits))[0]
                     for logits in (net(*inputs) for net in self.nets_)]
        return torch.stack(probs).mean(0).numpy()

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        s = self.scores(post)
        used = [n for n, on in (("image", bool(post.images)), ("text", bool(model_caption(post))),
                                ("tags", bool(post.hashtags))) if on]
        source = "+".join(used) or "prior"
        return [Suggestion(self.vocab_.tags[i], float(s[i]), source, "co-attention over " + (source or "nothing"))
                for i in top_k(s, k + len(post.hashtags))]

    # -- region PCA -------------------------------------------------------------------------------------------
    def _fit_pca(self, grids: Sequence[np.ndarray], max_rows: int = 20000) -> None:
        """Mean and top ``region_dim`` principal directions of (a sample of) the training regions."""
        self.pca_mean_ = np.zeros(IMG_DIM, np.float32)
        self.pca_proj_ = np.eye(IMG_DIM, self.region_dim, dtype=np.float32)
        if not grids:
            return
        X = np.concatenate(grids).astype(np.float32)
        if len(X) > max_rows:
            X = X[np.random.default_rng(self.seed).choice(len(X), max_rows, replace=False)]
        self.pca_mean_ = X.mean(0)
        _, sv, vt = np.linalg.svd(X - self.pca_mean_, full_matrices=False)
        proj = np.zeros((IMG_DIM, self.region_dim), np.float32)
        m = min(self.region_dim, vt.shape[0])
        scale = np.sqrt(np.mean(sv[:m] ** 2) / max(len(X) - 1, 1)) + 1e-6  # unit variance on average
        proj[:, :m] = vt[:m].T / scale
        self.pca_proj_ = proj

    def _project(self, regions: np.ndarray) -> np.ndarray:
        return ((regions.astype(np.float32) - self.pca_mean_) @ self.pca_proj_).astype(np.float32)

    # -- persistence ------------------------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        self.vocab_.save(directory)
        nets = {f"net{i}.{k}": v for i, net in enumerate(self.nets_) for k, v in net.state_dict().items()}
        save_tensors(directory, {**nets, "pca.mean": self.pca_mean_, "pca.proj": self.pca_proj_})

    def _load_state(self, directory: Path) -> None:
        self.vocab_ = TagVocab.load(directory)
        state = load_tensors(directory)
        # "net0.", "net1.", ...: one network a seed
        found = len({m.group(1) for m in map(re.compile(r"(net\d+)\.").match, state) if m})
        if found != self.nets:
            raise ModelError(f"{directory}: holds {found} networks, its config says {self.nets}")
        self.nets_ = []
        for prefix in (f"net{i}." for i in range(found)):
            net = build_network(len(self.vocab_), self.dim, self.dropout, self.region_dim, self.pooled)
            load_module_state(net, {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}, directory)
            self.nets_.append(net.eval())
        if "pca.mean" not in state or tuple(state["pca.proj"].shape) != (IMG_DIM, self.region_dim):
            raise ModelError(f"{directory}: weights do not match the model's config (region PCA)")
        self.pca_mean_ = state["pca.mean"].numpy()
        self.pca_proj_ = state["pca.proj"].numpy()


@register_suggester("coattention", description="images+text+tags: co-attention network (Zhang et al. 2017)")
def coattention(**kw) -> CoAttentionSuggester:
    return CoAttentionSuggester(**{**kw})


@register_suggester("test_coattention", description="tiny co-attention network for tests")
def test_coattention(**kw) -> CoAttentionSuggester:
    return CoAttentionSuggester(**{"dim": 16, "region_dim": 16, "epochs": 2, "min_count": 1, "max_tags": 200,
                                   "max_tokens": 8,
                                   "max_images": 1, "nets": 2, **kw})
