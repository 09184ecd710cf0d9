"""The two-layer MLP heads of taglens-base (image, caption) at suggestion time, in numpy (no torch needed), and
their arrays in weights.safetensors (trained by ``taglens.training.train_head``)."""
from __future__ import annotations

import numpy as np

from ..prototypes import _normalize


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
