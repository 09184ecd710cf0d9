"""Shared training helpers: loading training posts (bad posts skipped with a warning), the tag vocabulary,
per-post encoder features, and a small PyTorch multi-label training loop used by the trained suggesters.

Every trained suggester learns from the caption *without* its hashtags (``strip_hashtags``), as the evaluation
protocol gives it (../shared/EVALUATION.md, step 2), and from the post's hashtags as targets.
"""
from __future__ import annotations

import logging
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .exceptions import DataError, ModelError
from .types import Post, strip_hashtags

log = logging.getLogger(__name__)


# -- training data --------------------------------------------------------------------------------------------
def load_training_posts(paths: str | Path | Sequence[str | Path]) -> list[Post]:
    """Posts of one or more posts.jsonl files, for training. A malformed line raises a DataError naming it;
    an empty file, or data in which no post has a hashtag, raises a DataError."""
    from .data.posts import read_records

    if isinstance(paths, (str, Path)):
        paths = [paths]
    posts: list[Post] = []
    for path in paths:
        records = read_records(path)
        if not records:
            raise DataError(f"{path}: no posts (the file is empty)")
        posts.extend(r.to_post() for r in records)
    return posts


def posts_with_tags(posts: Sequence[Post], what: str = "training") -> list[Post]:
    """The posts that have hashtags; the others are skipped with one warning. Raises when none is left."""
    kept = [p for p in posts if p.hashtags]
    if not posts:
        raise DataError(f"no {what} posts")
    if not kept:
        raise DataError(f"none of the {len(posts)} {what} posts has a hashtag: nothing to learn from")
    if len(kept) < len(posts):
        log.warning("skipping %d of %d %s posts without hashtags", len(posts) - len(kept), len(posts), what)
    return kept


def model_caption(post: Post) -> str:
    """The caption as the model sees it: without '#hashtag' tokens, white space collapsed."""
    return strip_hashtags(post.text)


# -- tag vocabulary ---------------------------------------------------------------------------------------------
@dataclass
class TagVocab:
    """The tags a model can predict (the most frequent ones), with their training counts."""

    tags: list[str]
    counts: list[int]

    @classmethod
    def build(cls, tag_lists: Sequence[Sequence[str]], max_tags: int = 5000, min_count: int = 1) -> "TagVocab":
        counter = Counter(t for tags in tag_lists for t in set(tags))
        ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        kept = [(t, c) for t, c in ranked if c >= min_count][:max_tags]
        if not kept:
            raise DataError("no hashtag occurs often enough to be learned")
        return cls([t for t, _ in kept], [c for _, c in kept])

    def __len__(self) -> int:
        return len(self.tags)

    @property
    def index(self) -> dict[str, int]:
        if not hasattr(self, "_index"):
            self._index = {t: i for i, t in enumerate(self.tags)}
        return self._index

    def encode(self, tags: Sequence[str]) -> list[int]:
        idx = self.index
        return [idx[t] for t in tags if t in idx]

    def prior(self) -> np.ndarray:
        c = np.asarray(self.counts, dtype=np.float64)
        return (c / c.sum()).astype(np.float32)

    def save(self, directory: Path) -> None:
        (directory / "vocab.txt").write_text("".join(f"{t}\t{c}\n" for t, c in zip(self.tags, self.counts)),
                                             encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "TagVocab":
        path = directory / "vocab.txt"
        if not path.is_file():
            raise ModelError(f"{directory}: model directory has no vocab.txt")
        tags, counts = [], []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line:
                tag, _, count = line.partition("\t")
                tags.append(tag)
                counts.append(int(count or 1))
        return cls(tags, counts)


# -- encoder features per post --------------------------------------------------------------------------------
def pooled_image_vector(feats: dict[str, np.ndarray]) -> np.ndarray:
    """One 1280-d vector per post: the mean of its images' (and video frames') pooled features."""
    return feats["pooled"].astype(np.float32).mean(axis=0)


# -- a small multi-label training loop --------------------------------------------------------------------------
def training_threads() -> int:
    """Torch threads for a training loop: ``TAGLENS_THREADS``, else 2 (1 on a one-core machine). Not chosen by
    the load, as the encoders choose theirs, nor by ``OMP_NUM_THREADS``: the weights would then depend on how busy
    the machine was when training began (see ``torch_threads``)."""
    import os

    from .encoders import user_threads

    return user_threads() or min(2, os.cpu_count() or 1)


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block on exactly ``n`` torch threads, then restore the previous count. Training that must give the
    same weights on every run needs this: the encoders choose fewer threads on a busy machine, and a sum split
    over another number of threads rounds differently."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make_head(in_dim: int, n_out: int, hidden: int = 0, dropout: float = 0.2):
    """A linear layer, or an MLP with one hidden layer when ``hidden`` > 0."""
    from torch import nn

    if hidden <= 0:
        return nn.Sequential(nn.Dropout(dropout), nn.Linear(in_dim, n_out))
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(in_dim, hidden), nn.GELU(), nn.Dropout(dropout),
                         nn.Linear(hidden, n_out))


def multilabel_loss(logits, targets, loss: str = "softmax", weights=None):
    """``softmax``: cross-entropy against the uniform distribution over a post's tags (Mahajan et al. 2018; the
    best choice for hashtags); ``bce``: one binary cross-entropy per tag. ``targets`` is a 0/1 matrix;
    ``weights`` (one per row) makes it a weighted mean over the posts."""
    import torch

    if loss == "bce":
        per_post = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none").mean(1)
    else:
        dist = targets / targets.sum(1, keepdim=True).clamp(min=1.0)
        per_post = -(dist * torch.log_softmax(logits, dim=1)).sum(1)
    if weights is None:
        return per_post.mean()
    return (weights * per_post).sum() / weights.sum().clamp(min=1e-8)


def target_matrix(rows: Sequence[Sequence[int]], n_labels: int):
    import torch

    y = torch.zeros((len(rows), n_labels))
    for r, idx in enumerate(rows):
        if idx:
            y[r, list(idx)] = 1.0
    return y


def adamw(params, lr: float, weight_decay: float):
    """AdamW, fused into one kernel where this torch build offers it on the CPU (6x faster steps on a 10M-weight
    TF-IDF head, where the optimizer dominates training time); the plain implementation otherwise."""
    import torch

    params = list(params)
    try:
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):  # older torch: no fused CPU kernel
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def warmup_share(steps: int) -> float:
    """OneCycleLR's ``pct_start`` for ``steps`` steps: a tenth, or, for 3 to 19 steps, two steps' worth. Its
    warm-up phase lasts ``pct_start * steps - 1`` steps and it divides by that length, so a tenth of 10 steps
    (epochs=10 on data that fits one batch) raised ZeroDivisionError; a tenth of 1 or 2 steps divides by no zero
    and, unlike a larger share, keeps the peak learning rate within reach."""
    return 0.1 if steps >= 20 or steps <= 2 else 2.0 / steps


def train_module(module, batches: Callable[[np.ndarray], Any], n: int, *, epochs: int, lr: float,
                 weight_decay: float, batch_size: int, seed: int, loss_fn: Callable, desc: str = "training",
                 warmup: float | None = None):
    """The one training loop of every trained model (taglens-base's heads included). Trains ``module`` with AdamW
    (``adamw``) and a one-cycle schedule; ``batches(indices) -> (inputs, targets)`` builds one mini-batch from row
    indices, ``loss_fn(module, inputs, targets)`` returns the loss; ``warmup`` is the schedule's warm-up share of
    the steps (``warmup_share`` when None). Deterministic given the seed: torch's and the shuffling's random state
    are seeded here (a caller that builds ``module`` seeds its initialisation itself, before building it), and the
    loop runs on ``training_threads()`` whatever count the caller or the machine's load left."""
    import torch

    with torch_threads(training_threads()):
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        opt = adamw(module.parameters(), lr=lr, weight_decay=weight_decay)
        steps = max(1, epochs * ((n + batch_size - 1) // batch_size))
        share = warmup_share(steps) if warmup is None else warmup
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=share)
        module.train()
        for epoch in range(epochs):
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch_size):
                inputs, targets = batches(order[start: start + batch_size])
                loss = loss_fn(module, inputs, targets)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(order[start: start + batch_size])
            log.info("%s: epoch %d/%d, loss %.4f", desc, epoch + 1, epochs, total / max(n, 1))
    module.eval()
    return module


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9, None)


def train_head(x: np.ndarray, targets: list[np.ndarray], n_tags: int, hidden: int, epochs: int,
               sample_weight: np.ndarray | None = None, seed: int = 0, lr: float = 2e-3,
               weight_decay: float = 1e-4, dropout: float = 0.3, loss: str = "bce",
               target_weights: list[np.ndarray] | None = None, center: bool = False) -> dict[str, np.ndarray]:
    """taglens-base's heads: ``x -> tags``, an MLP with per-tag sigmoids (``bce``) or a softmax over tags against
    the post's tag set (``softmax``; ``target_weights``, parallel to ``targets``, shares each post's target mass
    unevenly, else evenly; ``center``: inputs are centred and scaled to unit length first, as for a cosine),
    trained by ``train_module`` with a warm-up of 0.3 of the steps; returns float16 weights for numpy."""
    import torch

    offset = x.mean(0) if center else None
    if center:
        x = _unit(x - offset)
    mu, sigma = x.mean(0), x.std(0) + 1e-4
    xt = torch.from_numpy(((x - mu) / sigma).astype(np.float32))
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Dropout(dropout * 0.5), torch.nn.Linear(x.shape[1], hidden),
                                torch.nn.ReLU(), torch.nn.Dropout(dropout), torch.nn.Linear(hidden, n_tags))
    if loss == "bce":  # start from the tag frequencies, so the first steps do not spend themselves on them
        freq = np.bincount(np.concatenate(targets), minlength=n_tags) / len(targets)
        with torch.no_grad():
            model[4].bias.copy_(torch.from_numpy(np.log(np.clip(freq, 1e-5, 0.5) / (1 - np.clip(freq, 1e-5, 0.5)))))
    sw = torch.from_numpy(np.ones(len(x), np.float32) if sample_weight is None
                          else np.asarray(sample_weight, np.float32))
    lengths = np.array([len(t) for t in targets])
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = np.concatenate(targets).astype(np.int64)
    if target_weights is None:
        mass = np.repeat(1.0 / lengths, lengths)
    else:
        mass = np.concatenate([np.asarray(w, np.float64) / max(float(np.sum(w)), 1e-9) for w in target_weights])
    mass = mass.astype(np.float32)

    def batches(idx):
        y = torch.zeros((len(idx), n_tags))
        rows = np.repeat(np.arange(len(idx)), lengths[idx])
        spans = [np.arange(offsets[i], offsets[i + 1]) for i in idx]
        cols = np.concatenate([flat[sp] for sp in spans])
        y[rows, cols] = torch.from_numpy(np.concatenate([mass[sp] for sp in spans]))
        return xt[idx], (y, sw[idx])

    def loss_fn(net, inputs, target):
        y, weights = target
        z = net(inputs)
        if loss == "bce":
            per_post = torch.nn.functional.binary_cross_entropy_with_logits(z, (y > 0).float(), reduction="none")
            per_post = per_post.sum(-1)
        else:
            per_post = -(y * torch.log_softmax(z, dim=-1)).sum(-1)
        return (per_post * weights).sum() / float(weights.sum())

    train_module(model, batches, len(x), epochs=epochs, lr=lr, weight_decay=weight_decay,
                 batch_size=64 if len(x) < 5000 else 256, seed=seed, loss_fn=loss_fn, desc="head", warmup=0.3)
    lin1, lin2 = model[1], model[4]
    f16 = lambda t: t.detach().numpy().astype(np.float16)  # noqa: E731
    out = {"mu": mu.astype(np.float16), "sigma": sigma.astype(np.float16), "w1": f16(lin1.weight.T),
           "b1": f16(lin1.bias), "w2": f16(lin2.weight.T), "b2": f16(lin2.bias)}
    if center:
        out["center"] = offset.astype(np.float16)
    return out


def apply_head(head, x):
    """``head(x)``; a sparse ``x`` (TF-IDF, a coalesced COO matrix) goes through the first linear layer as a
    weighted bag of weight columns, so a batch costs in proportion to its non-zeros instead of the vocabulary size
    (input dropout is skipped for it). In training, ``embedding_bag`` runs forward and backward about 3x faster on
    a CPU than ``torch.sparse.mm`` with the transposed weight view; without gradients (suggesting) the view is
    used, which spares a copy of the weights per call (0.1 ms instead of 26 ms for one post, 10,000 x 1,000)."""
    import torch

    if not x.is_sparse:
        return head(x)
    layers = list(head)
    first = next(i for i, m in enumerate(layers) if isinstance(m, torch.nn.Linear))
    lin = layers[first]
    if torch.is_grad_enabled() and lin.weight.requires_grad:
        idx = x.indices()  # coalesced: rows ascending
        offsets = torch.searchsorted(idx[0].contiguous(), torch.arange(x.shape[0], dtype=idx.dtype))
        out = torch.nn.functional.embedding_bag(idx[1], lin.weight.t().contiguous(), offsets, mode="sum",
                                                per_sample_weights=x.values()) + lin.bias
    else:
        out = torch.sparse.mm(x, lin.weight.t()) + lin.bias
    for m in layers[first + 1:]:
        out = m(out)
    return out


def _sparse_batch(X, idx):
    import torch

    sub = X[idx].tocoo()
    indices = torch.from_numpy(np.vstack([sub.row, sub.col]).astype(np.int64))
    return torch.sparse_coo_tensor(indices, torch.from_numpy(sub.data.astype(np.float32)), sub.shape,
                                   check_invariants=False).coalesce()


def fit_head(X: np.ndarray, rows: Sequence[Sequence[int]], n_labels: int, *, hidden: int = 0, dropout: float = 0.2,
             epochs: int = 30, lr: float = 3e-3, weight_decay: float = 1e-4, batch_size: int = 64,
             loss: str = "softmax", seed: int = 0, desc: str = "head"):
    """Train a linear or MLP head on dense or scipy-sparse features ``X`` (n, d) for the label lists ``rows``."""
    import torch

    sparse = hasattr(X, "tocsr")
    if sparse:
        X = X.tocsr()
    torch.manual_seed(seed)
    head = make_head(X.shape[1], n_labels, hidden, dropout)

    def batches(idx):
        xb = _sparse_batch(X, idx) if sparse else torch.from_numpy(np.asarray(X[idx], dtype=np.float32))
        return xb, target_matrix([rows[i] for i in idx], n_labels)

    return train_module(head, batches, X.shape[0], epochs=epochs, lr=lr, weight_decay=weight_decay,
                        batch_size=batch_size, seed=seed, desc=desc,
                        loss_fn=lambda m, x, y: multilabel_loss(apply_head(m, x), y, loss))


def predict_head(head, X: np.ndarray, batch_size: int = 256, softmax: bool = True) -> np.ndarray:
    """Scores (n, n_labels): probabilities (softmax) or sigmoids."""
    import torch

    sparse = hasattr(X, "tocsr")
    out = []
    with torch.inference_mode():
        for start in range(0, X.shape[0], batch_size):
            if sparse:
                xb = _sparse_batch(X, np.arange(start, min(start + batch_size, X.shape[0])))
            else:
                xb = torch.from_numpy(np.asarray(X[start: start + batch_size], dtype=np.float32))
            logits = apply_head(head, xb)
            out.append((torch.softmax(logits, 1) if softmax else torch.sigmoid(logits)).numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def save_tensors(directory: Path, tensors: dict[str, Any], name: str = "weights.safetensors") -> None:
    from safetensors.torch import save_file
    import torch

    save_file({k: (v if isinstance(v, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(v))).contiguous()
               for k, v in tensors.items()}, str(directory / name))


def load_tensors(directory: Path, name: str = "weights.safetensors") -> dict[str, Any]:
    from safetensors.torch import load_file

    path = directory / name
    if not path.is_file():
        raise ModelError(f"{directory}: model directory has no {name}")
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise ModelError(f"{path}: unreadable weights ({exc})") from None


def load_module_state(module, state: dict[str, Any], where: Path) -> None:
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ModelError(f"{where}: weights do not match the model's config ({first})") from None


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, best first (ties by index)."""
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]
