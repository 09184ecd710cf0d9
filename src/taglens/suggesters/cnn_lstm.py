"""A captioning-style hashtag generator (``cnn-lstm``): the pooled EfficientNet-Lite0 features of the post's images,
its caption's MiniLM embedding and its existing tags initialise an LSTM decoder that emits hashtags one at a time,
as an image captioner emits words (Vinyals et al. 2015, "Show and Tell"; for tags, Wang et al. 2016, "CNN-RNN: A
Unified Framework for Multi-label Image Classification"). Beam search decodes a ranked list without repeats.

Tag order. A post's tags are a set (instagram6 stored them through ``set()``, HARRISON in no stated order), so there
is no order to learn from. Training is order-free in its targets: the target at each step is the whole set of the
post's tags not emitted yet (a softmax against the uniform distribution over them, as the multi-label softmax of
Mahajan et al. 2018; ``smoothing`` mixes in the uniform distribution over every tag still allowed), so a right tag
is never punished for coming "too early" (Chen et al. 2018, "Order-free RNN with visual attention"). Only the
inputs follow an order: ``order="random"`` (the default) feeds a new permutation of the post's tags each time it is
drawn, ``"frequency"`` feeds them most frequent first (the order of the training vocabulary). Random it is, because
the beam feeds the decoder its own tags: fed most frequent first, the decoder learns that after s tags the ones left
are the rarer ones, and its later steps turn to rare tags whatever the post (instagram6 images r0: the beam's A@5
0.70 fed by frequency against 0.83 fed at random; docs/EXPERIMENTS.md). Tags already emitted and the post's own tags
are masked out of every step, in training and in decoding, so a list never repeats. There is no end token: the
protocol asks for k tags, and the beam runs k steps.

Every step is also a multi-label classifier: its target is every tag of the post not emitted yet. So it is trained
twice: by the sequence loss above and, beside it, by one binary cross-entropy per tag (``first_loss``, weighted by
``first_weight``; the per-tag mean is about a thousandth of a softmax step's scale, hence the default 300), the loss
with which effnet-mlp wins P@1 on instagram6 (docs/EXPERIMENTS.md has the figures), on the first ``bce_steps`` steps
(a loss summed over all the remaining gold tags at each step: order-free, as beam decoding of sets wants it). So
that it is as strong as the single-purpose models, the post reaches every step by four paths besides the LSTM's
initial state: the content through an MLP (as effnet-mlp's hidden layer) and the existing tags' mean embedding,
added to the LSTM's output as a context before the output layer; a full-rank tag-to-tag matrix (``companions``: one
row of logits per existing tag, averaged over them); and co-occurrence's own estimate P(b | a) from the training
counts (``cooc_prior``), as a feature with a learned weight, so that one revealed tag starts from co-occurrence's
ranking of its companions and the network learns what to add (leave-one-out in training: a post's own pairs are
taken out of the counts its feature is read from).

The table and a gated residual (``gate_holdout``). Where a post is its existing tags alone (HARRISON), the first
step reads one revealed tag, so it is in effect a table of tag pairs, and no table of one revealed tag passes
co-occurrence's own (docs/EXPERIMENTS.md). With ``gate_holdout`` above 0 the output of such a post is co-occurrence's
table plus the network's learned reading scaled by a gate, T + g x R, as a language model's log-probabilities are
added to a captioner's (the table at a fixed scale; R is what the LSTM's output layer and the companions matrix
add). The network trains with g = 1 on all but a ``gate_holdout`` share of the training posts; g is then chosen
from a grid on the held-out ones, by the protocol's hits at one revealed tag, and the table the model keeps counts
every training post. A held-out post never trains the network with a tag revealed and never enters the table the
network reads in training (a post of tags alone is left out of training; one with an image or caption still trains
the content path, nothing revealed). Posts with an image or a caption, or with no existing tag, read T + R. A gate
above 0 is kept only where it wins more held-out queries at 1 than it loses against the table alone by ``gate_z``
standard errors of a sign test (``fit_gate``): on HARRISON the residual's gain there is a handful of queries in
18,000, which the val posts did not repeat (docs/EXPERIMENTS.md), so noise no longer moves a post's first tag.

The visual neighbours (``neighbours``, 80 by default; 0 leaves them out). The photo reaches every step by a fifth
path: the tags of the ``neighbours`` training posts whose pooled features are most similar to the post's (each
voting with its cosine similarity to the power ``nb_power``, as effnet-knn votes; ``ImageNeighbours``), a
distribution fed as log(1 + P / 0.01) times a learned weight, as the co-occurrence feature is for the existing tags
(retrieval-augmented decoding). In training a post's own photo is left out of its neighbours, and the feature is
zero where the photo was dropped. On instagram6 images r0 it lifts the first tag from 223 / 217 / 217 first hits of
344 (seeds 0, 1, 2) to 226 / 226 on seeds 0 and 1 (seed 2 not rerun; docs/EXPERIMENTS.md).

Ties: the beam sorts its candidates stably, so of equal scores the lower vocabulary index, the more frequent tag,
comes first, as co-occurrence breaks its ties (``torch.topk`` broke them either way: 3 HARRISON posts). Tags of
equal prefix marginal (below) are ranked by their first-step probability, then the more frequent first, not by the
best beam's order: they tie where the decoder cannot tell them apart (#fashion and #shoe after #jean on tag lists
alone, of equal first-step probability), and the beam then holds both orders of them with equal probability, so
which it keeps first is float rounding (decoded alone, #fashion; in a batch of 32, #shoe: 2 HARRISON first hits).

Training samples the evaluation settings, as ``coattention`` does: the image or the caption dropped at random, and
1 to ``max_reveal`` of a post's tags given as its existing tags while the others are the targets. Training reads
the image features from the feature cache (``taglens.features``), so only the first training on a set encodes
its photos; an epoch costs the network alone.

Scores: the ranking is the beam search's. The beam keeps the ``beam`` most probable tag sequences (each the product
of its step probabilities) at every depth up to k. A tag's score is its prefix marginal: at each depth d, the share
of the beam's probability mass (its prefixes' probabilities normalised) whose prefix holds it, averaged over the
depths 1..k. A tag that every prefix holds from the first step on scores 1; one that enters later, or in fewer or
less probable sequences, less. That is the beam's expected credit for the tag's position, so the ranked list reads as
the beam's decoded lists do, and a tag the best sequences agree on early comes first. The marginal over the final
beams alone (``beam_score="final"``) gives every tag of a depth-k sequence the same weight wherever it stands, and a
tag in every sequence late outranks the first tag of the best one (docs/EXPERIMENTS.md measures both). Ties go to
the higher first-step probability, then the more frequent tag (with ``beam_score="final"``: the best beam's order).
The first step's distribution only fills the ranks the beam did not reach, below all of the
beam's tags (``beam_weight`` below 1 mixes it in: score = ``beam_weight`` x the beam's share + (1 - ``beam_weight``)
x first-step probability; 0 decodes one step only). The reason names the step at which the best beam chose a tag.
The beam never emits a tag that ``finalize`` would drop from the list (blocked, junk, bait on a post that carries
none; ``beam_unwanted``): such a tag would take a step and a beam's place, and every later step would read a prefix
the list does not show (greedy decoding lost 4 first tags of 344 on instagram6 that way).

Several networks (``nets``, 3 by default), each from its own seed, are decoded as one (``ensemble_network``): every
step's logits are the mean of theirs, so the beam searches their product of experts, as an ensemble of translation
models is decoded. They share the training budget: a large set trains each for fewer epochs (``max_samples`` counts
all of them), so HARRISON costs what one network did and instagram6 three times one network's 70 CPU seconds.

Example:
    >>> model = create_suggester("cnn-lstm").fit(train_posts)          # doctest: +SKIP
    >>> [s.tag for s in model.suggest(Post(images=("beach.jpg",)), k=3)]  # doctest: +SKIP
    ['beach', 'sea', 'summer']
"""
from __future__ import annotations

import logging
from typing import NamedTuple, Sequence

import numpy as np

from ..exceptions import DataError, ModelError
from ..registry import register_suggester
from ..training import TagVocab, model_caption, train_module
from ..types import Post, Suggestion
from .base import finalize, keep_params, unwanted_tags
from .network import (CONTENT_DIM, ContentScaler, NetworkSuggester, drop_modalities, input_source,
                      query_content, training_content)

log = logging.getLogger(__name__)


# -- the network ---------------------------------------------------------------------------------------------------
NEIGHBOUR_EPS = 0.01  # the visual neighbours' feature is log(1 + P / NEIGHBOUR_EPS)
COOC_EPS = 0.01  # cooc_form "count": the feature is log(1 + P(b | existing) / COOC_EPS), 0 where b never co-occurs
LOGIT_EPS = 1e-3  # cooc_form "reveal", "plain": the feature is log((P + eps) / (1 - P + eps)), the logit of P, finite


def reveal_weights(rows: Sequence[np.ndarray]) -> np.ndarray:
    """Each post's weight in the counts of ``cooc_form="reveal"``: 1 / n for a post of n >= 2 tags, the chance that a
    given tag of it is the one revealed (EVALUATION.md reveals a post's first tag in a hash order, any of its tags
    alike), 0 for a post of one tag (no tag of it is ever revealed with a target left)."""
    n = np.array([len(r) for r in rows], np.float32)
    return np.where(n >= 2, 1.0 / np.maximum(n, 1.0), 0.0).astype(np.float32)


def split_weight(n: int, mean_tags: float) -> float:
    """``cooc_form="plain"``: the weight, in the first step's logistic loss, of a post of ``n`` tags drawn with some
    of them revealed: n over the training posts' mean (``mean_tags``, over posts of 2+ tags). Each time a post is
    drawn one of its n splits (revealed tag, other tags) is taken at random; weighted by n, every split of every post
    counts once, as every pair counts once in co-occurrence's counts, so that at one revealed tag a the loss's
    optimum is co-occurrence's own P(b | a). Unweighted, a post counts once whatever its length, and the optimum is
    the 1 / n-weighted P of ``cooc_form="reveal"``. Dividing by the mean keeps the revealed posts' share of the loss
    against the posts drawn with nothing revealed. For the same reason the sequence softmax is left off the first
    step of such a post: its target, one of the other tags at random, weighs each of them by 1 / (n - 1)."""
    return n / max(mean_tags, 1.0)


def cooccurrence_table(rows: Sequence[np.ndarray], n_tags: int, weights: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(counts (n_tags, n_tags) of training posts holding both tags, zero diagonal; posts holding each tag) over the
    vocabulary-encoded tag lists ``rows``: aggregate counts, as co-occurrence keeps them. With ``weights`` (one per
    post), each post counts as its weight instead of 1."""
    from scipy import sparse

    lengths = [len(r) for r in rows]
    w = np.ones(len(rows), np.float32) if weights is None else np.asarray(weights, np.float32)
    x = sparse.csr_matrix((np.repeat(w, lengths), (np.repeat(np.arange(len(rows)), lengths),
                                                   np.concatenate(rows) if rows else [])),
                          shape=(len(rows), n_tags))
    ones = sparse.csr_matrix((np.ones(sum(lengths), np.float32), x.indices, x.indptr), shape=x.shape)
    co = np.asarray((x.T @ ones).todense(), np.float32)
    np.fill_diagonal(co, 0.0)
    return co, np.asarray(x.sum(0), np.float32).ravel()


def leave_one_out_prior(co: np.ndarray, per_tag: np.ndarray, revealed: np.ndarray, tags: np.ndarray,
                        weight: float = 1.0) -> np.ndarray:
    """The mean over the ``revealed`` tags a of P(b | a) for every tag b, from the counts of ``cooccurrence_table``
    with one training post, whose tags are ``tags`` and whose weight in the counts is ``weight``, taken out: what
    the counts of the other posts say, as a held-out post sees them (with its own pairs left in, the network would
    learn to trust the feature too much)."""
    own = np.zeros(len(per_tag), np.float32)
    own[tags] = weight
    out = np.zeros(len(per_tag), np.float32)
    for a in revealed:
        rest = per_tag[a] - weight
        if rest > 1e-6 * max(weight, 1.0):
            out += np.clip((co[a] - own) / rest, 0.0, 1.0)
    return out / max(len(revealed), 1)


class ImageNeighbours:
    """The training posts' photos (pooled EfficientNet-Lite0 vectors, centred on their mean and scaled to unit
    length, as effnet-knn keeps them) and their vocabulary-encoded tags, for ``cnn-lstm``'s neighbour feature: a
    post's distribution over the tags is the vote of its ``k`` most similar training photos, each with weight
    similarity ** ``power`` (negative similarities count 0), normalised to sum 1; zeros for a post without a photo.
    In training a post's own photo is left out of its neighbours (``neighbours_of(..., exclude_self=True)``), as a
    held-out post sees the others. It holds the training posts' image features: keep a saved model with its
    training data."""

    def __init__(self, mean: np.ndarray, features: np.ndarray, indptr: np.ndarray, indices: np.ndarray,
                 n_tags: int, k: int, power: float):
        self.mean, self.features = mean.astype(np.float32), features.astype(np.float32)
        self.indptr, self.indices = indptr.astype(np.int64), indices.astype(np.int64)
        self.n_tags, self.k, self.power = n_tags, k, power

    @classmethod
    def fit(cls, img: np.ndarray, rows: Sequence[np.ndarray], n_tags: int, k: int, power: float
            ) -> "ImageNeighbours":
        """From the training posts' pooled vectors ``img`` (zero rows: no photo, left out) and tag rows."""
        present = np.flatnonzero(np.any(img, axis=1))
        mean = img[present].mean(0) if len(present) else np.zeros(img.shape[1], np.float32)
        kept = [rows[i] for i in present]
        indptr = np.cumsum([0] + [len(r) for r in kept]).astype(np.int64)
        indices = np.concatenate(kept).astype(np.int64) if kept else np.zeros(0, np.int64)
        out = cls(mean, np.zeros((len(present), img.shape[1]), np.float32), indptr, indices, n_tags, k, power)
        # stored as float16, as saved, so that training reads the features the saved model will read
        out.features = out._normalise(img[present]).astype(np.float16).astype(np.float32)
        out.present_ = present  # training rows -> rows of ``features`` (for ``exclude_self``)
        return out

    def _normalise(self, x: np.ndarray) -> np.ndarray:
        x = x - self.mean
        return (x / (np.linalg.norm(x, axis=-1, keepdims=True) + 1e-8)).astype(np.float32)

    def neighbours_of(self, img: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
        """(len(img), n_tags) tag distributions of the posts' pooled vectors ``img``; ``exclude`` (one row of
        ``features`` per post, -1 for none) is left out of each post's neighbours."""
        from scipy import sparse

        out = np.zeros((len(img), self.n_tags), np.float32)
        has = np.flatnonzero(np.any(img, axis=1))
        if not len(has) or not len(self.features):
            return out
        tags = sparse.csr_matrix((np.ones(len(self.indices), np.float32), self.indices, self.indptr),
                                 shape=(len(self.features), self.n_tags))
        for lo in range(0, len(has), 1024):
            part = has[lo: lo + 1024]
            sims = self._normalise(img[part]) @ self.features.T
            if exclude is not None:
                own = exclude[part]
                sims[np.flatnonzero(own >= 0), own[own >= 0]] = -np.inf
            k = min(self.k, sims.shape[1])
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            w = np.clip(np.nan_to_num(np.take_along_axis(sims, top, 1), neginf=0.0), 0.0, None) ** self.power
            votes = sparse.csr_matrix((w.ravel(), (np.repeat(np.arange(len(part)), k), top.ravel())),
                                      shape=(len(part), len(self.features)))
            out[part] = np.asarray((votes @ tags).todense(), np.float32)
        total = out.sum(1, keepdims=True)
        return np.divide(out, total, out=np.zeros_like(out), where=total > 0)

    def state(self) -> dict[str, np.ndarray]:
        return {"nb.mean": self.mean, "nb.features": self.features.astype(np.float16), "nb.indptr": self.indptr,
                "nb.indices": self.indices}

    @classmethod
    def from_state(cls, state: dict, n_tags: int, k: int, power: float) -> "ImageNeighbours":
        return cls(state["nb.mean"].numpy(), state["nb.features"].float().numpy(), state["nb.indptr"].numpy(),
                   state["nb.indices"].numpy(), n_tags, k, power)


def build_network(n_tags: int, dim: int, hidden: int, dropout: float, companions: bool = True,
                  cooc_form: str = "count", gated: bool = False, first_head: bool = False,
                  neighbours: bool = False):
    """Content and existing tags -> the LSTM's initial state and a context added to every step's output; tag
    embeddings in, one logit per tag out. Token ``n_tags`` is the start token.

    Two paths carry the post to every step besides the LSTM state: the content (an MLP as effnet-mlp's) and the mean
    embedding of the existing tags as a context vector, and a full-rank tag-to-tag matrix (``companions``, one row
    of logits per existing tag, averaged over them), so that one revealed tag can rank its companions as sharply as
    co-occurrence counts do; a 256-d embedding alone is a low-rank version of that table. A third path reads
    co-occurrence's own estimate: ``cooc`` (a buffer, P(b | a) from the training counts) gives each tag the mean
    P(b | a) over the existing tags a, which enters every step's logits as log(1 + P / COOC_EPS) times a learned
    scale (1 at the start), so the decoder starts from co-occurrence's ranking of one revealed tag's companions
    and learns what to add to it. Training passes that feature itself (``prior``), leave-one-out. With
    ``cooc_form="reveal"`` the feature is the logit of P instead, log((P + LOGIT_EPS) / (1 - P + LOGIT_EPS)): the
    space of the first step's per-tag logistic loss, so that at scale 1 the first step already gives P and the
    network learns only what to change. ``companions=False`` leaves the learned matrix out.

    ``gated``: where a post is its existing tags alone (no image, no caption), the output is the table plus a
    gated residual, T + g x R, where T is the co-occurrence feature at a fixed scale of 1 (``cooc_scale`` is not
    trained) and R everything the network learns (the LSTM's output layer and the companions matrix); ``gate`` (a
    scalar buffer, 1 in training) is g. Other posts read T + R: with content the network has more to read than the
    table, and without existing tags there is no table. ``fit`` sets the gate on posts held out (``fit_gate``).

    ``neighbours``: a fourth path reads the tags of the training posts whose photos look most like the post's
    (``neighbour``, B x n_tags, a distribution from ``ImageNeighbours``; zeros without a photo), as
    log(1 + P / NEIGHBOUR_EPS) times a learned scale (``nb_scale``, 1 at the start), so that the decoder starts
    from what visually similar posts carried and learns what to add, as the co-occurrence feature does for the
    existing tags (retrieval-augmented decoding)."""
    import torch
    from torch import nn

    class CnnLstm(nn.Module):
        def __init__(self):
            super().__init__()
            self.content = nn.Sequential(nn.Dropout(dropout), nn.Linear(CONTENT_DIM, hidden), nn.GELU())
            self.tag_emb = nn.Embedding(n_tags + 1, dim)
            self.companions = nn.Parameter(torch.zeros(n_tags, n_tags)) if companions else None
            self.register_buffer("cooc", torch.zeros(n_tags, n_tags))
            self.cooc_scale = nn.Parameter(torch.ones(()), requires_grad=not gated)
            self.nb_scale = nn.Parameter(torch.ones(())) if neighbours else None
            if gated:  # the residual's weight where the post is its existing tags alone
                self.register_buffer("gate", torch.ones(()))
            self.init = nn.Linear(hidden + dim, 2 * hidden)
            self.context = nn.Linear(hidden + dim, hidden)
            self.lstm = nn.LSTM(dim, hidden, batch_first=True)
            self.drop = nn.Dropout(dropout)
            self.out = nn.Linear(hidden, n_tags)
            self.out_first = nn.Linear(hidden, n_tags) if first_head else None  # the first step's own layer
            self.hidden = hidden

        def start(self, content, tags_in, prior=None, neighbour=None):
            """The decoder's start: initial (h, c), each (1, B, hidden), and what every step adds: the context
            (B, hidden) and the existing tags' logits (B, n_tags), from the content rows, the 0/1 matrix of
            existing tags and their mean P(b | a) (``prior``, B x n_tags; from ``cooc`` when None), and the
            visual neighbours' tag distribution (``neighbour``, B x n_tags; none when None)."""
            share = tags_in / tags_in.sum(1, keepdim=True).clamp(min=1.0)
            if prior is None:
                prior = share @ self.cooc
            g = share @ self.tag_emb.weight[:n_tags]
            z = self.drop(torch.cat([self.content(content), g], 1))
            h, c = torch.tanh(self.init(z)).chunk(2, dim=1)
            if cooc_form in ("reveal", "plain"):
                feature = torch.log((prior + LOGIT_EPS) / (1.0 - prior + LOGIT_EPS))
            else:
                feature = torch.log1p(prior / COOC_EPS)
            tag_logits = self.cooc_scale * feature
            if self.nb_scale is not None and neighbour is not None:
                tag_logits = tag_logits + self.nb_scale * torch.log1p(neighbour / NEIGHBOUR_EPS)
            state = (h[None].contiguous(), c[None].contiguous())
            if gated:
                learned = (share @ self.companions if self.companions is not None
                           else torch.zeros_like(tag_logits))
                tags_only = (tags_in.sum(1) > 0) & (content[:, -2:].sum(1) == 0)
                g = torch.where(tags_only, self.gate, torch.ones_like(self.gate))
                return state, (self.context(z), tag_logits, learned, g[:, None])
            if self.companions is not None:
                tag_logits = tag_logits + share @ self.companions
            return state, (self.context(z), tag_logits)

        def logits(self, out, extra, first=False):
            """Logits from LSTM outputs ``out`` (B, [T,] hidden) and the ``extra`` of ``start``."""
            if out.dim() == 3:
                extra = tuple(e[:, None] for e in extra)
            context, prior, *gating = extra
            hid = self.drop(torch.nn.functional.gelu(out + context))
            decoded = self.out(hid)
            if self.out_first is not None:  # the first step (of a sequence, or a step fed the start token)
                if out.dim() == 3:
                    decoded = torch.cat([self.out_first(hid[:, :1]), decoded[:, 1:]], 1)
                elif first:
                    decoded = self.out_first(hid)
            if not gating:
                return decoded + prior
            learned, g = gating
            return prior + g * (decoded + learned)

        def forward(self, content, tags_in, seq, prior=None, neighbour=None):
            """Logits (B, T, n_tags) for the input sequences ``seq`` (B, T) (start token, then the prefix)."""
            state, extra = self.start(content, tags_in, prior, neighbour)
            out, _ = self.lstm(self.drop(self.tag_emb(seq)), state)
            return self.logits(out, extra)

        def step(self, prev, state, extra, first=False):
            """One decoding step: logits (B, n_tags) after the tokens ``prev`` (B,), and the new state."""
            out, state = self.lstm(self.tag_emb(prev)[:, None, :], state)
            return self.logits(out[:, 0], extra, first), state

    return CnnLstm()


def ensemble_network(members):
    """Several networks of ``build_network`` (from different seeds) decoded as one: ``start`` and ``step`` as a
    member's, each member's LSTM state stacked on the state's first axis and their ``extra`` tensors joined, and the
    step's logits the mean of the members' logits, so that the beam's step distribution is their normalised
    geometric mean (a product of experts, which the beam's masking of tags already taken keeps exact)."""
    import torch
    from torch import nn

    class CnnLstmEnsemble(nn.Module):
        def __init__(self):
            super().__init__()
            self.members = nn.ModuleList(members)

        def start(self, content, tags_in, prior=None, neighbour=None):
            states, extras = zip(*(m.start(content, tags_in, prior, neighbour) for m in self.members))
            return ((torch.cat([h for h, _ in states]), torch.cat([c for _, c in states])),
                    tuple(e for extra in extras for e in extra))

        def step(self, prev, state, extra, first=False):
            (h, c), n = state, len(extra) // len(self.members)
            logits, hs, cs = [], [], []
            for i, m in enumerate(self.members):
                out, (hi, ci) = m.step(prev, (h[i: i + 1].contiguous(), c[i: i + 1].contiguous()),
                                       extra[i * n: (i + 1) * n], first)
                logits.append(out)
                hs.append(hi)
                cs.append(ci)
            return torch.stack(logits).mean(0), (torch.cat(hs), torch.cat(cs))

    return CnnLstmEnsemble()


GATE_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)  # the residual gates fit_gates tries


def fit_gate(net, rows: Sequence[np.ndarray], held: Sequence[int], tags: Sequence[str],
             grid: Sequence[float] = GATE_GRID, chunk: int = 2048, z: float = 0.0
             ) -> list[tuple[float, float, float, int]]:
    """Set a gated network's gate (``build_network``) on the held-out training posts ``held`` (their
    vocabulary-encoded tags in ``rows``), as the protocol scores a post of tags alone with one revealed: each tag of
    such a post revealed in turn, the others the targets, ranked by the first step's T + g x R with the revealed tag
    and the tags no model suggests (``unwanted_tags``, bait allowed where the revealed tag is bait) left out. The
    gate takes the g of ``grid`` with the most hits at 1, then at 5, then the smallest; with no held-out query it
    stays 1. With ``z`` above 0 a gate above 0 must also beat the table alone (g = 0) by more than chance at 1: its
    queries won minus queries lost against g = 0 at least ``z`` times the square root of their sum (a one-sided
    sign test of the paired hits, McNemar's); where no g passes, the gate is 0 and the post reads the table alone,
    so that a residual whose gain on the held-out posts is noise cannot cost the val posts either. Returns
    [(g, P@1, A@5, queries)], the curve it was chosen from."""
    import torch

    from ..knowledge.junk import is_bait
    from .base import unwanted_tags

    n_tags = len(tags)
    plain, bait_ok = unwanted_tags(()), unwanted_tags(("like4like",))
    unwanted = torch.tensor([[plain(t) for t in tags], [bait_ok(t) for t in tags]])
    bait = torch.tensor([is_bait(t) for t in tags], dtype=torch.long)
    queries = [(j, int(a)) for j in held for a in rows[j]]
    start = torch.full((chunk,), n_tags, dtype=torch.long)
    hits = np.zeros((len(grid), 2))
    won, lost = np.zeros(len(grid)), np.zeros(len(grid))  # queries each g hits at 1 and g = 0 misses, and back
    for lo in range(0, len(queries), chunk):
        part = queries[lo: lo + chunk]
        revealed = torch.tensor([a for _, a in part])
        tags_in = torch.nn.functional.one_hot(revealed, n_tags).float()
        gold = torch.zeros((len(part), n_tags), dtype=torch.bool)
        for r, (j, a) in enumerate(part):
            gold[r, torch.from_numpy(rows[j])] = True
        gold &= tags_in == 0
        with torch.no_grad():
            first = []
            for g in (0.0, 1.0):
                net.gate.fill_(g)
                state, extra = net.start(torch.zeros((len(part), CONTENT_DIM)), tags_in)
                first.append(net.step(start[: len(part)], state, extra, first=True)[0])
        table, resid = first[0], first[1] - first[0]
        banned = unwanted[bait[revealed]] | (tags_in > 0)
        at_zero = gold.gather(1, table.masked_fill(banned, float("-inf")).argmax(1, keepdim=True))[:, 0]
        for gi, g in enumerate(grid):
            scores = (table + g * resid).masked_fill(banned, float("-inf"))
            # the first tag by argmax, which of equal scores takes the lower index (the more frequent tag), as the
            # beam's stable sort does; topk breaks ties either way
            hit1 = gold.gather(1, scores.argmax(1, keepdim=True))[:, 0]
            hits[gi] += (int(hit1.sum()), int(gold.gather(1, torch.topk(scores, 5, dim=1).indices).any(1).sum()))
            won[gi] += int((hit1 & ~at_zero).sum())
            lost[gi] += int((~hit1 & at_zero).sum())
    n = max(len(queries), 1)
    curve = [(g, h1 / n, h5 / n, len(queries)) for g, (h1, h5) in zip(grid, hits)]
    sure = [gi for gi, g in enumerate(grid) if g == 0 or not z or won[gi] - lost[gi] >= z * np.sqrt(won[gi] + lost[gi])
            and won[gi] > lost[gi]]
    if sure:
        best = min(sure, key=lambda gi: (-hits[gi, 0], -hits[gi, 1], grid[gi]))
        net.gate.fill_(grid[best] if queries else 1.0)
    else:  # a grid without 0 and no g sure of its gain: the table alone
        net.gate.fill_(0.0 if queries else 1.0)
    log.info("cnn-lstm: gate %.2f on %d held-out queries (g: P@1/A@5 %s)", float(net.gate), len(queries),
             ", ".join(f"{g:g}: {p1:.4f}/{a5:.4f}" for g, p1, a5, _ in curve))
    return curve


class Best(NamedTuple):
    values: object
    indices: object


def beam_search(net, content: np.ndarray, tags_in: np.ndarray, depth: int, width: int,
                never: np.ndarray | None = None, neighbour: np.ndarray | None = None
                ) -> list[tuple[list[list[int]], np.ndarray, list[list[float]], np.ndarray, np.ndarray]]:
    """For each post (rows of ``content`` and of the 0/1 matrix ``tags_in``), all decoded together: (sequences,
    their probabilities normalised over the final beams, each tag's step probability, the first step's
    distribution over all tags, each tag's prefix marginal) of the ``width`` best tag sequences of length ``depth``.
    No tag repeats within a sequence or repeats one of the post's ``tags_in`` (their first-step probability is 0).
    A tag's prefix marginal is the mean over the depths d = 1..``depth`` of the share of the beam's probability
    mass at depth d (its live prefixes' probabilities normalised) whose prefix holds it: 1 for a tag every prefix
    holds from the first step on, less the later it enters and the fewer prefixes hold it. ``never`` (a boolean
    matrix as ``tags_in``) names more tags no step may emit (the tags ``finalize`` would drop), which, unlike
    ``tags_in``, do not condition the decoder. ``neighbour`` (rows as ``content``) is the visual neighbours' tag
    distribution of a network built with ``neighbours``."""
    import torch

    n_posts, n_tags = tags_in.shape
    shut = tags_in > 0 if never is None else (tags_in > 0) | never
    depth = min(depth, n_tags - int(shut.sum(1).max(initial=0)))
    if depth <= 0 or not n_posts:
        return [([], np.zeros(0), [], np.zeros(n_tags), np.zeros(n_tags)) for _ in range(n_posts)]
    width = min(width, n_tags)
    rows = n_posts * width
    with torch.inference_mode():
        (h, c), extra = net.start(torch.from_numpy(content), torch.from_numpy(tags_in), None,
                                  None if neighbour is None else torch.from_numpy(neighbour))
        h, c = h.repeat_interleave(width, 1), c.repeat_interleave(width, 1)  # (1, rows, hidden)
        extra = tuple(e.repeat_interleave(width, 0) for e in extra)
        banned = torch.from_numpy(shut).repeat_interleave(width, 0)  # (rows, n_tags)
        logp = torch.full((n_posts, width), float("-inf"))
        logp[:, 0] = 0.0  # one live beam a post at first
        seqs = torch.zeros((rows, 0), dtype=torch.long)
        steps = torch.zeros((rows, 0))
        prev = torch.full((rows,), n_tags, dtype=torch.long)
        base = (torch.arange(n_posts) * width)[:, None]
        first = None
        credit = torch.zeros(n_posts * n_tags, dtype=torch.float64)  # prefix marginals, summed over the depths
        owner = (torch.arange(rows) // width * n_tags)[:, None]
        for d in range(depth):
            logits, (h, c) = net.step(prev, (h, c), extra, first=d == 0)
            step_lp = torch.log_softmax(logits.masked_fill(banned, float("-inf")), dim=1)
            if first is None:
                first = step_lp[::width].exp().numpy().astype(np.float64)
            total = (logp.reshape(rows, 1) + step_lp).reshape(n_posts, width * n_tags)
            # a stable sort, not topk: of equal scores the lower index (the more frequent tag, in the first beam)
            # comes first, as co-occurrence breaks its ties; topk breaks them either way
            best = torch.sort(total, dim=1, descending=True, stable=True)
            best = Best(best.values[:, :width], best.indices[:, :width])
            parent = (base + torch.div(best.indices, n_tags, rounding_mode="floor")).reshape(-1)
            token = (best.indices % n_tags).reshape(-1)
            steps = torch.cat([steps[parent], step_lp[parent, token].exp()[:, None]], 1)
            seqs = torch.cat([seqs[parent], token[:, None]], 1)
            logp = best.values
            h, c = h[:, parent], c[:, parent]
            extra = tuple(e[parent] for e in extra)
            banned = banned[parent]
            banned[torch.arange(rows), token] = True
            prev = token
            share = torch.softmax(logp, 1).reshape(-1, 1).double()  # dead beams (-inf) get 0
            credit.index_add_(0, (owner + seqs).reshape(-1), share.expand(rows, d + 1).reshape(-1))
        probs = torch.softmax(logp, 1).numpy().astype(np.float64)
        credit = (credit / depth).reshape(n_posts, n_tags).numpy()
        seqs_l, steps_l = seqs.reshape(n_posts, width, depth).tolist(), steps.reshape(n_posts, width, depth).tolist()
    out = []
    for p in range(n_posts):
        live = [b for b in range(width) if probs[p, b] > 0]  # fewer tags than beams: the dead ones are left out
        out.append(([seqs_l[p][b] for b in live], probs[p, live], [steps_l[p][b] for b in live], first[p],
                    credit[p]))
    return out


def rank_beams(seqs: list[list[int]], probs: np.ndarray, steps: list[list[float]], first: np.ndarray | None = None,
               beam_weight: float = 1.0, k: int | None = None, prefix: np.ndarray | None = None
               ) -> list[tuple[int, float, int | None, float, float]]:
    """(tag, score, step of the best beam that chose it or None, that step's probability (else the first
    step's), the beam's share of it), best first. The beam's share of a tag is its marginal over the final beams
    (the summed probability of the sequences that hold it) or, with ``prefix`` (over every tag, from
    ``beam_search``), its prefix marginal. A tag's score is ``beam_weight`` times that share plus
    ``1 - beam_weight`` times its probability at the first step (``first``, over every tag); ties of the prefix
    marginal go to the tag of the higher first-step probability, then the more frequent (the lower index); other
    ties keep the best beam's order, then the other beams', then the first step's. At ``beam_weight`` 1 the beams'
    tags rank alone, and the first step only fills the ranks after them, each such tag scored below the last of the
    beam's. With ``k``, the first k only."""
    marginal: dict[int, float] = {}
    seen: dict[int, tuple[int, int, float]] = {}  # tag -> (beam, step, step probability) where first seen
    for b, (seq, p) in enumerate(zip(seqs, probs)):
        for s, t in enumerate(seq):
            marginal[t] = marginal.get(t, 0.0) + float(p)
            seen.setdefault(t, (b, s, steps[b][s]))
    if prefix is not None:
        marginal = {t: float(prefix[t]) for t in marginal}
    w = 1.0 if first is None else beam_weight
    score = {t: w * m + (1.0 - w) * (float(first[t]) if first is not None else 0.0) for t, m in marginal.items()}
    if first is not None:
        n = len(first) if k is None else min(len(first), k + len(marginal))
        floor = min(score.values(), default=1.0)  # the first step's fillers rank under every beam tag
        for t in (int(t) for t in np.argsort(-first, kind="stable")[:n] if first[t] > 0):
            if t not in score:
                score[t] = (1.0 - w) * float(first[t]) if w < 1.0 else floor * 0.5 * float(first[t])
    big = len(seqs) + 1
    if prefix is not None and first is not None:
        # equal prefix marginals: the first step's more probable tag, then the more frequent (the lower index), as
        # co-occurrence breaks its ties. Prefix marginals tie where the decoder cannot tell the tags apart (equal
        # first-step probabilities, and sequences that hold them in either order equally probable), and which of
        # those sequences the beam keeps first is float rounding (it differed between a post decoded alone and in a
        # batch of 32: 6 HARRISON val posts, 2 first hits net)
        def key(t):
            return -round(score[t], 12), -float(first[t]), t
    else:
        def key(t):
            return (-round(score[t], 12), *(seen[t][:2] if t in seen else (big, 0)),
                    -(first[t] if first is not None else 0.0), t)
    order = sorted(score, key=key)
    out = [(t, score[t], seen[t][1] if t in seen else None,
            seen[t][2] if t in seen else float(first[t]), marginal.get(t, 0.0)) for t in order]
    return out if k is None else out[:k]


class CnnLstmSuggester(NetworkSuggester):
    """Pooled CNN features, caption and existing tags initialise an LSTM that emits tags one at a time, decoded by
    beam search (see the module doc). Teacher forcing feeds at most ``max_len`` of a post's tags, in the order
    ``order`` ("frequency": most frequent first; "random": a new permutation each time a post is drawn); training
    runs ``epochs`` epochs, fewer where that would pass more than ``max_samples`` posts through the network (so
    the largest developer set trains in minutes on a 2-core CPU). ``smoothing`` mixes each step's target with the
    uniform distribution over the tags it may still emit; ``first_weight`` weighs the first step's multi-label loss
    (``first_loss``: "bce", one binary cross-entropy per tag, averaged over the tags, or "softmax", the sequence
    loss's first step again) against the sequence loss, and with ``first_softmax=False`` the sequence loss starts at
    the second step, so the first step, which the ranking reads, is trained by the multi-label loss alone;
    ``cooc_prior`` feeds co-occurrence's P(b | a) to every step (``cooc_form``: "count", every post counting once,
    through log1p; "reveal", the counts weighted by ``reveal_weights``, so that P estimates what the protocol
    scores, the chance that b is among a post's other tags given that a is the tag revealed, through a logit;
    "plain", co-occurrence's own P (every post counting once) through a logit, with the first step's losses
    weighted by ``split_weight`` so that their optimum at one revealed tag is that P, and the sequence softmax
    left off the first step of posts drawn with tags revealed; docs/EXPERIMENTS.md has them measured);
    ``companions`` adds a learned tag-to-tag matrix; ``gate_holdout`` (a share of the training posts, 0 for none)
    makes the output of a post of tags alone the co-occurrence table plus the network's residual times a gate fitted
    on that share, held out (``fit_gate``); ``bce_steps`` is how many steps the per-tag loss trains (the first
    alone at 1); the beam keeps ``beam`` sequences, ``beam_score`` is the tag's share of it that ranks ("prefix":
    the prefix marginal over the depths, "final": the marginal over the final beams), and ``beam_weight`` weighs
    that share against the first step's distribution (1: the beam alone, the first step only filling ranks after
    its tags); ``first_head`` gives the first step an output layer of its own, so that the later steps' losses do
    not pull the first step's; ``nets`` networks from seeds ``seed * nets`` to ``seed * nets + nets - 1`` are
    decoded together (``ensemble_network``); ``beam_unwanted`` keeps the tags ``finalize`` drops out of the beam.
    ``neighbours`` (0: none) training posts with the most similar photos vote, each with its similarity to the power
    ``nb_power``, for a tag distribution fed to every step (``ImageNeighbours``); ``gate_z`` is the sign test a
    gate above 0 must pass on the held-out posts (0: none). ``neighbours=0 gate_z=0`` is the eighth stop's model,
    ``nets=1 beam=4 beam_unwanted=false neighbours=0 gate_z=0`` the seventh stop's, both but for exact ties, which
    now go to the more frequent tag."""

    name = "cnn-lstm"

    def __init__(self, dim: int = 256, hidden: int = 512, max_tags: int = 1000, min_count: int = 2,
                 max_len: int = 8, epochs: int = 30, max_samples: int = 250_000, lr: float = 1e-3,
                 weight_decay: float = 1e-2, dropout: float = 0.5, batch_size: int = 64, drop_image: float = 0.25,
                 drop_text: float = 0.25, reveal_prob: float = 0.5, max_reveal: int = 3, order: str = "random",
                 smoothing: float = 0.0, first_loss: str = "bce", first_weight: float = 300.0,
                 first_softmax: bool = True, cooc_prior: bool = True, cooc_form: str = "count",
                 companions: bool = True, gate_holdout: float = 0.1, beam: int = 2, beam_weight: float = 1.0,
                 beam_score: str = "prefix", bce_steps: int = 8, first_head: bool = False, nets: int = 3,
                 beam_unwanted: bool = True, neighbours: int = 80, nb_power: float = 4.0, gate_z: float = 1.64,
                 seed: int = 0):
        keep_params(self, locals())

    def _check_params(self) -> None:
        if self.order not in ("frequency", "random"):
            raise ModelError(f"{self.name}: order must be 'frequency' or 'random', not {self.order!r}")
        if not 0.0 <= self.beam_weight <= 1.0 or not 0.0 <= self.smoothing < 1.0:
            raise ModelError(f"{self.name}: beam_weight must be in [0, 1] and smoothing in [0, 1)")
        if self.beam_score not in ("final", "prefix") or self.beam < 1 or self.bce_steps < 1:
            raise ModelError(f"{self.name}: beam_score must be 'final' or 'prefix', beam and bce_steps at least 1")
        if self.first_loss not in ("bce", "softmax") or self.first_weight < 0:
            raise ModelError(f"{self.name}: first_loss must be 'bce' or 'softmax' and first_weight at least 0")
        if self.cooc_form not in ("reveal", "count", "plain"):
            raise ModelError(f"{self.name}: cooc_form must be 'reveal', 'count' or 'plain', not {self.cooc_form!r}")
        if self.neighbours < 0 or self.nb_power <= 0:
            raise ModelError(f"{self.name}: neighbours must be at least 0 and nb_power above 0")
        if self.nets < 1:
            raise ModelError(f"{self.name}: nets must be at least 1, not {self.nets}")
        if not 0.0 <= self.gate_holdout < 1.0 or (self.gate_holdout and not self.cooc_prior):
            raise ModelError(f"{self.name}: gate_holdout must be in [0, 1), and above 0 only with cooc_prior")

    # -- training ---------------------------------------------------------------------------------------------
    def fit(self, posts: Sequence[Post]) -> "CnnLstmSuggester":
        import torch

        self._check_params()
        # a set of tag lists alone (HARRISON) teaches the decoder tag after tag, and the existing tags condition it
        posts, img, txt = training_content(posts, self.name, require=False)
        self.vocab_ = TagVocab.build([p.hashtags for p in posts], self.max_tags, self.min_count)
        # vocabulary indices are frequency ranks: sorting a post's indices gives its tags most frequent first
        rows = [np.array(sorted(self.vocab_.encode(p.hashtags)), np.int64) for p in posts]
        usable = [i for i, r in enumerate(rows) if len(r)]
        if not usable:
            raise DataError(f"{self.name}: no training post has a tag frequent enough to learn")
        self.n_train_ = len(posts)
        self.scaler_ = ContentScaler.fit(img)
        X = self.scaler_(img, txt)
        n_tags, start = len(self.vocab_), len(self.vocab_)
        self.nb_, nb_train = None, None
        if self.neighbours and np.any(img):  # the visual neighbours' tags, each post's own photo left out
            self.nb_ = ImageNeighbours.fit(img, rows, n_tags, self.neighbours, self.nb_power)
            own = np.full(len(posts), -1, np.int64)
            own[self.nb_.present_] = np.arange(len(self.nb_.present_))
            nb_train = self.nb_.neighbours_of(img, own)
        held = self._holdout(rows, usable)
        held_set = set(held)
        # a held-out post trains the network only as a post of content with nothing revealed (a post of tags alone,
        # nothing at all), and stays out of the table, so that the gate reads it as a val post of tags alone
        bare = ~np.any(X[:, -2:] > 0, axis=1)  # neither image nor caption: only its tags can condition it
        usable = [i for i in usable if i not in held_set or not bare[i]]
        counted = [i for i in usable if i not in held_set]
        weights = (reveal_weights([rows[i] for i in counted]) if self.cooc_form == "reveal"
                   else np.ones(len(counted), np.float32))
        co, per_tag = cooccurrence_table([rows[i] for i in counted], n_tags, weights)
        post_weight = dict(zip(counted, weights.tolist()))
        multi = [len(rows[i]) for i in counted if len(rows[i]) >= 2]
        mean_tags = float(np.mean(multi)) if multi else 1.0

        def batches(idx):
            idx = [usable[i] for i in idx]
            content = torch.from_numpy(drop_modalities(X[idx], rng, self.drop_image, self.drop_text))
            steps = min(self.max_len, max(len(rows[j]) for j in idx))
            tags_in = np.zeros((len(idx), n_tags), np.float32)
            seq = np.full((len(idx), steps), start, np.int64)
            targets = np.zeros((len(idx), steps, n_tags), np.float32)
            banned = np.zeros((len(idx), steps, n_tags), bool)
            prior = np.zeros((len(idx), n_tags), np.float32)
            first_w = np.ones(len(idx), np.float32)
            for r, j in enumerate(idx):
                tags = rows[j]
                n_rev = 0
                if len(tags) > 1 and (bare[j] or rng.random() < self.reveal_prob) and j not in held_set:
                    n_rev = int(rng.integers(1, min(self.max_reveal, len(tags) - 1) + 1))
                shown = rng.permutation(len(tags))
                revealed, rest = tags[np.sort(shown[:n_rev])], tags[np.sort(shown[n_rev:])]  # most frequent first
                if self.order == "random":
                    rest = rng.permutation(rest)
                tags_in[r, revealed] = 1.0
                banned[r, :, revealed] = True
                if self.cooc_form == "plain" and n_rev:
                    first_w[r] = split_weight(len(tags), mean_tags)
                if self.cooc_prior and n_rev:
                    prior[r] = leave_one_out_prior(co, per_tag, revealed, tags, post_weight[j])
                for s in range(min(steps, len(rest))):
                    if s:
                        seq[r, s] = rest[s - 1]
                        banned[r, s:, rest[s - 1]] = True
                    targets[r, s, rest[s:]] = 1.0
            neighbour = None
            if nb_train is not None:  # none where the photo was dropped
                neighbour = torch.from_numpy(nb_train[idx] * (content[:, -2:-1].numpy() > 0))
            return ((content, torch.from_numpy(tags_in), torch.from_numpy(seq), torch.from_numpy(prior), neighbour),
                    (torch.from_numpy(targets), torch.from_numpy(banned), torch.from_numpy(first_w)))

        def loss_fn(net, inputs, target):
            targets, banned, first_w = target
            logits = net(*inputs).masked_fill(banned, -1e4)
            count = targets.sum(2)
            valid = count > 0
            dist = targets / count.clamp(min=1.0)[..., None]
            if self.smoothing:
                allowed = (~banned).float()
                dist = (1 - self.smoothing) * dist + self.smoothing * allowed / allowed.sum(2, keepdim=True)
            per_step = -(dist * torch.log_softmax(logits, dim=2)).sum(2)
            seq_valid = valid
            if self.first_weight and not self.first_softmax:  # the first step is the multi-label loss's alone
                seq_valid = valid.clone()
                seq_valid[:, 0] = False
            elif self.first_weight and self.cooc_form == "plain":  # so too where tags are revealed (see split_weight)
                seq_valid = valid.clone()
                seq_valid[:, 0] &= inputs[1].sum(1) == 0
            loss = per_step[seq_valid].mean() if bool(seq_valid.any()) else logits.sum() * 0.0
            if self.first_weight:  # the first step again, as a multi-label classifier of every tag still to come
                first = valid[:, 0]
                if self.first_loss == "bce":
                    per_post = torch.nn.functional.binary_cross_entropy_with_logits(
                        logits[:, 0], targets[:, 0], reduction="none").mean(1)
                else:
                    per_post = per_step[:, 0]
                w = first_w[first]
                loss = loss + self.first_weight * (per_post[first] * w).sum() / w.sum().clamp(min=1e-6)
                later = valid[:, 1: self.bce_steps]
                if self.first_loss == "bce" and bool(later.any()):  # so too every later step, after its prefix
                    per_step_bce = torch.nn.functional.binary_cross_entropy_with_logits(
                        logits[:, 1: self.bce_steps], targets[:, 1: self.bce_steps], reduction="none").mean(2)
                    loss = loss + self.first_weight * per_step_bce[later].mean()
            return loss

        # a large set (HARRISON's 41,000 training posts) trains for fewer epochs: at most max_samples posts in all,
        # shared by the ``nets`` networks
        epochs = max(1, min(self.epochs, self.max_samples // (len(usable) * self.nets)))
        members = []
        for i in range(self.nets):  # each network its own initialisation, draws and order of the posts
            member_seed = self.seed * self.nets + i  # seeds 0, 1, 2 of 3 networks: networks 0-2, 3-5, 6-8
            torch.manual_seed(member_seed)
            net = self._member()
            rng = np.random.default_rng(member_seed + 1)  # the draws of ``batches``, which reads this name when called
            if self.cooc_prior:
                net.cooc.copy_(torch.from_numpy(np.clip(co / np.maximum(per_tag, 1e-6)[:, None], 0.0, 1.0)))
            train_module(net, batches, len(usable), epochs=epochs, lr=self.lr, weight_decay=self.weight_decay,
                         batch_size=self.batch_size, seed=member_seed, loss_fn=loss_fn,
                         desc=f"{self.name} {i + 1}/{self.nets}" if self.nets > 1 else self.name)
            members.append(net)
        if held:
            self.gate_curves_ = [fit_gate(net, rows, held, self.vocab_.tags, z=self.gate_z) for net in members]
            self.gate_curve_ = self.gate_curves_[0]
            # the table the model keeps counts every training post, the held-out ones too
            every = counted + held
            co, per_tag = cooccurrence_table([rows[i] for i in every], n_tags,
                                             reveal_weights([rows[i] for i in every])
                                             if self.cooc_form == "reveal" else None)
            for net in members:
                net.cooc.copy_(torch.from_numpy(np.clip(co / np.maximum(per_tag, 1e-6)[:, None], 0.0, 1.0)))
        self.net_ = members[0] if self.nets == 1 else ensemble_network(members)
        self.fitted_ = True
        return self

    def _holdout(self, rows: Sequence[np.ndarray], usable: Sequence[int]) -> list[int]:
        """The training posts (of 2+ tags) held out of the network's training and of the table it reads, on which
        ``fit_gates`` sets the residual's gate: a ``gate_holdout`` share of them, drawn with the seed."""
        multi = [i for i in usable if len(rows[i]) >= 2]
        n = int(round(self.gate_holdout * len(multi)))
        if not n or n >= len(usable):
            return []
        rng = np.random.default_rng(self.seed + 2)
        return sorted(int(i) for i in rng.choice(multi, n, replace=False))

    # -- suggesting -------------------------------------------------------------------------------------------
    def uses_input(self, post: Post) -> bool:
        return bool(post.images or model_caption(post) or any(t in self.vocab_.index for t in post.hashtags))

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        return self._rank_batch([post], k)[0]

    def _unwanted(self, post: Post) -> np.ndarray:
        """The vocabulary's tags ``finalize`` drops for ``post`` (``unwanted_tags``), as a boolean row; the test of
        every tag is made once per kind of post (its bait allowed or not, the bait and names its caption shows) and
        blocked-tags list."""
        from ..blocklist import blocked_tags
        from ..knowledge.junk import allow_generic_from_env, is_bait, named_tags, shown_bait

        key = (id(blocked_tags()), allow_generic_from_env(), any(is_bait(t) for t in post.hashtags),
               shown_bait(post.text), named_tags(post.text))
        cache = self.__dict__.setdefault("_unwanted_rows", {})
        if key not in cache:
            if len(cache) > 64:
                cache.clear()
            test = unwanted_tags(post.hashtags, post.text)
            cache[key] = np.array([test(t) for t in self.vocab_.tags], bool)
        return cache[key]

    def _rank_batch(self, posts: Sequence[Post], k: int) -> list[list[Suggestion]]:
        """Ranked suggestions of each post, its beams decoded together with the other posts'."""
        img, txt = query_content(posts)
        X = self.scaler_(img, txt)
        nb = None if getattr(self, "nb_", None) is None else self.nb_.neighbours_of(img)
        tags_in = np.zeros((len(posts), len(self.vocab_)), np.float32)
        for row, post in enumerate(posts):
            tags_in[row, self.vocab_.encode(post.hashtags)] = 1.0
        # the tags finalize would drop (blocked, junk, bait the post does not carry) are never emitted, so that the
        # beam spends no step on them and every step after reads a prefix of tags the list will show
        never = (np.stack([self._unwanted(post) for post in posts]) if self.beam_unwanted
                 else np.zeros(tags_in.shape, bool))
        depth = k if self.beam_weight > 0 else 1  # the beam's later steps count only through its marginal
        # posts that leave fewer than k tags to suggest (a tiny vocabulary) are decoded alone, to their own depth
        left = len(self.vocab_) - ((tags_in > 0) | never).sum(1)
        full = [i for i in range(len(posts)) if left[i] >= depth]
        decoded = dict(zip(full, beam_search(self.net_, X[full], tags_in[full], depth, self.beam, never[full],
                                             None if nb is None else nb[full])))
        for i in sorted(set(range(len(posts))) - set(full)):
            decoded[i] = beam_search(self.net_, X[i: i + 1], tags_in[i: i + 1], depth, self.beam,
                                     never[i: i + 1], None if nb is None else nb[i: i + 1])[0]
        out = []
        for i, post in enumerate(posts):
            seqs, probs, steps, first, prefix = decoded[i]
            source = input_source(post)
            ranked = []
            # a few more than k from the first step's distribution, so that finalize's drops (the post's own,
            # blocked and junk tags) rarely send a post back to be decoded alone
            for t, score, step, p, marginal in rank_beams(seqs, probs, steps, first, self.beam_weight,
                                                          3 * k + len(post.hashtags),
                                                          prefix if self.beam_score == "prefix" else None):
                reason = (f"decoded from the {source.replace('+', ', ')}: "
                          + (f"tag {step + 1} of the best sequence (step probability {p:.2f}), in "
                             f"{100 * marginal:.0f}% of the beam's mass" if step is not None and depth > 1 else
                             f"first-tag probability {p:.2f}"))
                ranked.append(Suggestion(self.vocab_.tags[t], score, source, reason))
            out.append(ranked)
        return out

    def suggest_batch(self, posts: Sequence[Post], k: int = 10) -> list[list[Suggestion]]:
        """``suggest`` for each post, with the beams of all posts decoded together (one pass of the network a
        step for the whole batch); a post that loses tags to the blocked-tags list is decoded again alone."""
        self._check_fitted()
        out = []
        for post, ranked in zip(posts, self._rank_batch(posts, k) if posts else []):
            got = finalize(ranked, post, k)
            out.append(got if len(got) >= k or len(ranked) < k else self.suggest(post, k))
        return out

    # -- persistence ------------------------------------------------------------------------------------------
    def _member(self):
        return build_network(len(self.vocab_), self.dim, self.hidden, self.dropout, self.companions,
                             self.cooc_form, gated=self.gate_holdout > 0, first_head=self.first_head,
                             neighbours=self.neighbours > 0)

    def _extra_tensors(self, directory) -> dict:
        nb = getattr(self, "nb_", None)
        return {} if nb is None else nb.state()

    def _restore_extra(self, state: dict, directory) -> None:
        self.nb_ = (ImageNeighbours.from_state(state, len(self.vocab_), self.neighbours, self.nb_power)
                    if "nb.mean" in state else None)

    def _network(self):
        return self._member() if self.nets == 1 else ensemble_network([self._member() for _ in range(self.nets)])


@register_suggester("cnn-lstm", description="images+text+tags: CNN features initialise an LSTM tag decoder, "
                                            "beam search (captioning-style)")
def cnn_lstm(**kw) -> CnnLstmSuggester:
    return CnnLstmSuggester(**kw)


@register_suggester("test_cnn_lstm", description="tiny cnn-lstm for tests")
def test_cnn_lstm(**kw) -> CnnLstmSuggester:
    return CnnLstmSuggester(**{"dim": 16, "hidden": 16, "epochs": 2, "min_count": 1, "max_tags": 200, "nets": 1,
                               **kw})
