"""Learned sources over one vector of a post (a photo's pooled features, a caption's embedding): two-layer MLP
heads (run in numpy at suggestion time, no torch needed; trained by ``taglens.training.train_head``) and tag
prototypes, with their arrays in weights.safetensors."""
from __future__ import annotations

import logging
from typing import ClassVar

import numpy as np

from ..prototypes import _normalize
from .source import Source, State, TrainingSet

log = logging.getLogger(__name__)


def mlp_forward(x: np.ndarray, p: dict[str, np.ndarray], loss: str = "bce") -> np.ndarray:
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


def head_arrays(prefix: str, head: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """The head's arrays as stored (``prefix.w1``, ...); none for an untrained head."""
    return {f"{prefix}.{key}": np.ascontiguousarray(value) for key, value in (head or {}).items()}


def read_head(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
    """The head stored under ``prefix`` (float32), None when there is none."""
    head = {k.split(".", 1)[1]: v.astype(np.float32) for k, v in arrays.items() if k.startswith(prefix + ".")}
    return head or None


def batch_top(source: Source, vectors: list, scores, reason: str, adjust=None) -> list:
    """Per vector (None: a post without one, no evidence): ``source.top`` of its row of ``scores`` (rows of a
    stacked matrix -> rows of tag scores), computed for all the vectors at once; ``adjust(i, row)``, if given,
    turns the i-th vector's row into the scores ``top`` reads."""
    out: list = [{} for _ in vectors]
    rows = [i for i, v in enumerate(vectors) if v is not None]
    if rows:
        for i, row in zip(rows, scores(np.stack([vectors[i] for i in rows]))):
            out[i] = source.top(row if adjust is None else adjust(i, row), reason)
    return out


class HeadSource(Source):
    """A source that is an MLP head over one vector of the post (``vector``), trained on ``training_rows``;
    its arrays are stored under ``prefix``."""

    prefix: ClassVar[str]
    reason: ClassVar[str]  # with {tag}

    def training_rows(self, data: TrainingSet) -> tuple[np.ndarray, list, list, int, int, bool] | None:
        """(inputs, targets, target weights, hidden units, epochs, centre the inputs), None with nothing to learn."""
        raise NotImplementedError

    def vector(self, features) -> np.ndarray | None:
        raise NotImplementedError

    def fit(self, data: TrainingSet) -> None:
        from ...training import train_head

        self.head_ = None
        rows = self.training_rows(data)
        if rows is not None:
            x, ys, ws, hidden, epochs, center = rows
            model = self.model
            log.info("taglens-base: %s head on %d posts", self.name, len(x))
            self.head_ = train_head(x, ys, len(model.vocab_), hidden, epochs, seed=model.seed, loss=model.head_loss,
                                    target_weights=ws, center=center)

    def checked(self, features, probs: np.ndarray) -> np.ndarray:
        """The head's tag scores for the post as its evidence shows them: as they are here; a subclass may check
        them against other evidence (``ImageHead``: a topic's tags need the similar photos to agree)."""
        return probs

    def evidence(self, post, features):
        x = self.vector(features) if self.head_ is not None else None
        if x is None:
            return {}
        return self.top(self.checked(features, mlp_forward(x[None, :], self.head_, self.model.head_loss)[0]),
                        self.reason)

    def evidence_batch(self, posts, features) -> list:
        """``evidence`` of each post, the head run once over all their vectors (a matrix product where one per post
        reads the head's weights from memory each time: ~5x less CPU; the same scores up to float32 rounding)."""
        vectors = [self.vector(f) for f in features] if self.head_ is not None else [None] * len(features)

        def adjust(i: int, row: np.ndarray) -> np.ndarray:
            self.remember(features[i], vectors[i], row)
            return self.checked(features[i], row)

        return batch_top(self, vectors, lambda x: mlp_forward(x, self.head_, self.model.head_loss), self.reason,
                         adjust)

    def remember(self, features, vector: np.ndarray, probs: np.ndarray) -> None:
        """Told each post's vector and head probabilities as ``evidence_batch`` computes them; a subclass that reads
        them again per post keeps them (``ImageHead``: the gains of the image sources)."""

    def save(self, state: State) -> None:
        state.arrays.update(head_arrays(self.prefix, self.head_))

    def load(self, state: State) -> None:
        self.head_ = read_head(self.prefix, state.arrays)


class PrototypeSource(Source):
    """A source that is ``TagPrototypes`` over one vector of the post (``vector``), fitted on
    ``training_rows``; its arrays are stored under the source's name."""

    reason: ClassVar[str]  # with {tag}
    others_only: ClassVar[bool] = False  # vote with the rates a cluster's other members show (TagPrototypes)

    def training_rows(self, data: TrainingSet) -> tuple[np.ndarray, list] | None:
        """(vectors, targets), None with nothing to learn."""
        raise NotImplementedError

    def vector(self, features) -> np.ndarray | None:
        raise NotImplementedError

    def fit(self, data: TrainingSet) -> None:
        from ..prototypes import TagPrototypes

        rows = self.training_rows(data)
        protos = TagPrototypes(seed=self.model.seed, others_only=self.others_only)
        self.protos_ = None if rows is None else protos.fit(*rows, len(self.model.vocab_))

    def evidence(self, post, features):
        x = self.vector(features) if self.protos_ is not None else None
        if x is None:
            return {}
        return self.top(self.protos_.scores(x, len(self.model.vocab_)), self.reason)

    def save(self, state: State) -> None:
        if self.protos_ is not None:
            state.arrays.update(self.protos_.arrays(self.name))

    def load(self, state: State) -> None:
        from ..prototypes import TagPrototypes

        self.protos_ = TagPrototypes.from_arrays(state.arrays, self.name, self.others_only)
