"""What an evidence source of taglens-base is (``EvidenceSource``), a base class with its defaults, and what a
source is given: the training set at ``fit``, one post's features at ``evidence``, the model folder at
``save``/``load``.

A source reads one kind of evidence of a post (its photo, its caption, its tags, its author) and says which tags
it points to: ``{tag: (score, reason)}`` (``Evidence``), scores in [0, 1] roughly. ``gain`` says how much of
its kind of evidence the post carries (1 = full): it scales the source's fusion weight (``fusion.fuse``).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ClassVar, Protocol, Sequence, runtime_checkable

import numpy as np

from ...features import PostFeatures
from ...types import Post, strip_hashtags
from ..tags import Evidence

if TYPE_CHECKING:
    from .model import TaglensBase

PER_SOURCE = 100  # evidence entries kept per source and post


def no_caption_or_tags(features: PostFeatures) -> bool:
    """Whether the post carries neither a caption nor a tag of the author's: what a photo alone has to speak for
    (``class_rates`` speaks only then; the image head leaves #food and #love out of such a photo's evidence)."""
    return not features.post.hashtags and not (features.text or "").strip()


@dataclass
class State:
    """A model folder being written or read: ``directory`` for a source's own files, and ``arrays``, the one
    ``weights.safetensors`` every source's arrays go into (keys prefixed by the source)."""

    directory: Path
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@runtime_checkable
class EvidenceSource(Protocol):
    """One kind of evidence of taglens-base. ``name`` keys its fusion weight and names it in suggestions;
    ``weight`` is its default weight, and ``weight_with_caption`` (None: the same) its weight when the post also
    has a full caption (mixed by the caption's gain); ``firm``: its tags are never discounted by the diversified
    ranking; ``learned_languages``: the caption languages its statistics were learned from (None: not bound to a
    language), its gain scaled on other languages' captions by ``language_gate.language_gate``."""

    name: ClassVar[str]
    weight: ClassVar[float]
    weight_with_caption: ClassVar[float | None]
    firm: ClassVar[bool]
    learned_languages: ClassVar[tuple[str, ...] | None]

    def fit(self, data: "TrainingSet") -> None: ...

    def evidence(self, post: Post, features: PostFeatures) -> Evidence: ...

    def gain(self, post: Post, features: PostFeatures) -> float: ...

    def deference(self, evidence: dict[str, Evidence], read: float = 1.0) -> float: ...

    def save(self, state: State) -> None: ...

    def load(self, state: State) -> None: ...


class Source:
    """The defaults of an ``EvidenceSource``: nothing learned, no evidence, full gain. A source is created with the
    model it belongs to (``self.model``: the tag vocabulary ``vocab_``, its words and embeddings, the
    hyperparameters, and the other sources by name through ``model.source(name)``)."""

    name: ClassVar[str] = "source"
    weight: ClassVar[float] = 1.0
    weight_with_caption: ClassVar[float | None] = None
    firm: ClassVar[bool] = False
    learned_languages: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, model: "TaglensBase"):
        self.model = model

    def fit(self, data: "TrainingSet") -> None:
        """Learn from the training set (a source with nothing to learn does nothing)."""

    def evidence(self, post: Post, features: PostFeatures) -> Evidence:
        return {}

    def gain(self, post: Post, features: PostFeatures) -> float:
        return 1.0

    def deference(self, evidence: dict[str, Evidence], read: float = 1.0) -> float:
        """The share of its gain the source keeps beside the other sources' ``evidence`` of the post (1: all; a
        source that gives way to surer ones says less: ``caption_tags`` to a sure caption head, whose sureness counts
        as far as the head reads the caption: ``read``, its language gate)."""
        return 1.0

    def save(self, state: State) -> None:
        """Put the learned state into ``state`` (a source with no state writes nothing)."""

    def load(self, state: State) -> None:
        """Read what ``save`` wrote."""

    def per_post(self, slot: str, features: PostFeatures, compute):
        """``compute(features)`` once per post: the value for the last post asked about is kept (in ``slot``) for
        the other steps that ask for it again (the evidence, then the gains). ``slot`` is an attribute name of its
        own (not a method's: the memo replaces it on the instance)."""
        known = self.__dict__.get(slot)
        if known is None or known[0] is not features:
            known = (features, compute(features))
            setattr(self, slot, known)
        return known[1]

    def top(self, scores: np.ndarray, reason: str, k: int = PER_SOURCE) -> Evidence:
        """The ``k`` best-scored vocabulary tags with a positive score; ``reason`` may name ``{tag}`` and
        ``{words}`` (the tag's segmented words)."""
        model = self.model
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        reasons = model.reasons(reason)
        vocab = model.vocab_
        return {vocab[j]: (s, reasons[j]) for j, s in zip(top.tolist(), scores[top].tolist()) if s > 0}


class TrainingSet:
    """The posts taglens-base learns from (those with hashtags), its tag vocabulary, each post's targets, and the
    features the sources share, computed once when first asked for."""

    def __init__(self, posts: Sequence[Post], model: "TaglensBase",
                 embed: Callable[[list[str]], np.ndarray], progress: bool = False):
        self.posts = list(posts)
        self.model = model
        self.embed = embed
        self.progress = progress
        self.groups = [str((p.meta or {}).get("source") or "") for p in self.posts]
        self.index = {t: i for i, t in enumerate(model.vocab_)}

    def targets(self, p: Post) -> np.ndarray | None:
        ids = [self.index[t] for t in p.hashtags if t in self.index]
        return np.array(ids) if ids else None

    def topic_weights(self, p: Post) -> np.ndarray:
        """The heads' target mass over a post's tags: its collection topic (the seed hashtag its feed was read
        from, which every post of that feed carries) gets ``topic_boost`` times the mass of all its other tags
        together, so the heads learn to put first the tag a post is surest to have."""
        topic = set(str((p.meta or {}).get("topic") or "").split(","))
        tags = [t for t in p.hashtags if t in self.index]
        return np.array([1.0 + self.model.topic_boost * len(tags) * (t in topic) for t in tags])

    @functools.cached_property
    def photos(self) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]] | None:
        """(pooled image features averaged over each post's images, targets, target weights) of the posts with
        an image and a vocabulary tag (posts with an unreadable image are left out); None when there is none."""
        from ...features import post_image_features

        posts = [p for p in self.posts if p.images and self.targets(p) is not None]
        feats = post_image_features(posts, skip_unreadable=True)
        rows = [(f["pooled"].astype(np.float32).mean(0), self.targets(p), self.topic_weights(p))
                for p, f in zip(posts, feats) if f is not None]
        if not rows:
            return None
        return np.stack([r[0] for r in rows]), [r[1] for r in rows], [r[2] for r in rows]

    @functools.cached_property
    def captioned(self) -> list[Post]:
        """The posts with a caption (without its hashtags) and a vocabulary tag."""
        return [p for p in self.posts if strip_hashtags(p.text) and self.targets(p) is not None]

    @functools.cached_property
    def caption_texts(self) -> tuple[list[str], list[np.ndarray]] | None:
        """(captions without hashtags, targets) of ``captioned``, for the sources that read words only; None when
        there is none."""
        if not self.captioned:
            return None
        return [strip_hashtags(p.text) for p in self.captioned], [self.targets(p) for p in self.captioned]

    @functools.cached_property
    def captions(self) -> tuple[list[str], list[np.ndarray], np.ndarray] | None:
        """(captions without hashtags, targets, MiniLM embeddings) of ``captioned``; None when there is none."""
        if self.caption_texts is None:
            return None
        texts, targets = self.caption_texts
        return texts, targets, np.asarray(self.embed(texts))
