"""What the network models (``cnn-lstm``, ``user-conditional``, ``coattention``) share: the per-post content
features (pooled EfficientNet-Lite0 vector and MiniLM caption embedding, standardised by ``ContentScaler``), and
``NetworkSuggester``, the save/load of a vocabulary, one network and its content scaler, so the encoders are reached
and the weights restored from one place.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..exceptions import DataError
from ..training import (TagVocab, load_module_state, load_tensors, model_caption, pooled_image_vector,
                        posts_with_tags, save_tensors)
from ..types import Post
from .base import BaseSuggester

IMG_DIM, TXT_DIM = 1280, 384
TEXT_SCALE = 10.0  # caption embeddings are unit vectors: scaled up for the first layer (as minilm-mlp)


def training_content(posts: Sequence[Post], desc: str, require: bool = True
                     ) -> tuple[list[Post], np.ndarray, np.ndarray]:
    """(usable posts, pooled image vectors (n, 1280), caption embeddings (n, 384)) of the tagged posts; a row of
    zeros where a post has no image or no caption. Posts with an unreadable image are left out with a warning;
    with ``require``, a DataError when no post has a readable image or a caption."""
    from ..features import post_image_features

    posts = posts_with_tags(posts)
    feats = post_image_features(posts, skip_unreadable=True)
    vectors = {i: pooled_image_vector(f) for i, f in enumerate(feats) if f is not None and f["pooled"].shape[0]}
    usable = [i for i, p in enumerate(posts) if not p.images or i in vectors]
    posts = [posts[i] for i in usable]
    img = np.zeros((len(posts), IMG_DIM), np.float32)
    for row, i in enumerate(usable):
        if i in vectors:
            img[row] = vectors[i]
    txt = caption_vectors([model_caption(p) for p in posts])
    if require and not np.any(img) and not np.any(txt):
        raise DataError(f"{desc}: none of the training posts has a readable image or caption text")
    return posts, img, txt


def caption_vectors(texts: Sequence[str], cache: bool | None = None) -> np.ndarray:
    """MiniLM embeddings (n, 384) of the captions, zeros for an empty one; cached on disk (``taglens.encoders``'
    cache, per list of captions) with ``cache``, by default for more than 32 captions (a training set)."""
    from ..encoders.cache import text_embeddings
    from ..encoders.text import encode_texts

    out = np.zeros((len(texts), TXT_DIM), np.float32)
    rows = [i for i, t in enumerate(texts) if t]
    if rows:
        chosen = [texts[i] for i in rows]
        cache = len(chosen) > 32 if cache is None else cache
        out[rows] = (text_embeddings(chosen) if cache else encode_texts(chosen)).astype(np.float32)
    return out


def query_content(posts: Sequence[Post]) -> tuple[np.ndarray, np.ndarray]:
    """(pooled image vectors (n, 1280), caption embeddings (n, 384)) of query posts, zeros for what a post lacks;
    raises the InputError of an unreadable image. The captions of a batch (an evaluation's) are encoded together
    and cached, so that models and settings evaluated on the same posts encode them once."""
    from ..features import post_image_features

    img = np.zeros((len(posts), IMG_DIM), np.float32)
    for row, feats in enumerate(post_image_features(posts)):
        if feats is not None and feats["pooled"].shape[0]:
            img[row] = pooled_image_vector(feats)
    return img, caption_vectors([model_caption(p) for p in posts], cache=len(posts) > 1)


class ContentScaler:
    """Standardises image vectors by the training mean and spread (over posts with an image); caption embeddings
    are scaled by ``TEXT_SCALE``. Missing parts stay zero."""

    def __init__(self, mean: np.ndarray, std: np.ndarray):
        self.mean, self.std = mean.astype(np.float32), std.astype(np.float32)

    @classmethod
    def fit(cls, img: np.ndarray) -> "ContentScaler":
        present = img[np.any(img, axis=1)]
        if not len(present):
            return cls(np.zeros(IMG_DIM, np.float32), np.ones(IMG_DIM, np.float32))
        return cls(present.mean(0), present.std(0) + 1e-3)

    def __call__(self, img: np.ndarray, txt: np.ndarray) -> np.ndarray:
        """(n, 1280 + 384 + 2): standardised image, scaled caption, and whether each is present."""
        has_img = np.any(img, axis=-1, keepdims=True)
        has_txt = np.any(txt, axis=-1, keepdims=True)
        img = np.where(has_img, (img - self.mean) / self.std, 0.0)
        return np.concatenate([img, txt * TEXT_SCALE, has_img, has_txt], axis=-1).astype(np.float32)

    def state(self, prefix: str = "content.") -> dict[str, np.ndarray]:
        return {f"{prefix}mean": self.mean, f"{prefix}std": self.std}

    @classmethod
    def from_state(cls, state: dict, prefix: str = "content.") -> "ContentScaler":
        return cls(state[f"{prefix}mean"].numpy(), state[f"{prefix}std"].numpy())


CONTENT_DIM = IMG_DIM + TXT_DIM + 2


def network_tensors(net, scaler: ContentScaler) -> dict:
    """The tensors to save of a network (under ``net.``) and its content scaler."""
    return {**{f"net.{k}": v for k, v in net.state_dict().items()}, **scaler.state()}


def restore_network(net, state: dict, directory: Path) -> ContentScaler:
    """Load the ``net.`` tensors of ``state`` into ``net`` (a ModelError when they do not fit it), switch it to
    evaluation, and return the saved content scaler."""
    load_module_state(net, {k[4:]: v for k, v in state.items() if k.startswith("net.")}, directory)
    net.eval()
    return ContentScaler.from_state(state)


def drop_modalities(x: np.ndarray, rng: np.random.Generator, drop_image: float, drop_text: float) -> np.ndarray:
    """Rows of ``ContentScaler`` output with the image or the caption dropped at random (only where a post has both),
    so one model serves image-only, text-only and full queries."""
    x = x.copy()
    both = (x[:, -2] > 0) & (x[:, -1] > 0)
    u = rng.random(len(x))
    no_img = both & (u < drop_image)
    no_txt = both & (u >= drop_image) & (u < drop_image + drop_text)
    x[no_img, :IMG_DIM] = 0.0
    x[no_img, -2] = 0.0
    x[no_txt, IMG_DIM: IMG_DIM + TXT_DIM] = 0.0
    x[no_txt, -1] = 0.0
    return x


def input_source(post: Post) -> str:
    """'image', 'text', 'tags' or their '+' join: what a post gives a model ('prior' when nothing)."""
    used = [n for n, on in (("image", bool(post.images)), ("text", bool(model_caption(post))),
                            ("tags", bool(post.hashtags))) if on]
    return "+".join(used) or "prior"


class NetworkSuggester(BaseSuggester):
    """A model whose learned state is a tag vocabulary, one torch network (``net_``, built by ``_network()`` from the
    hyperparameters and whatever ``_load_tables`` read) and its ``ContentScaler`` (``scaler_``). Subclasses add
    tensors of their own with ``_extra_tensors`` (saved beside the network's) and ``_restore_extra``."""

    def _network(self):
        raise NotImplementedError

    def _extra_tensors(self, directory: Path) -> dict[str, Any]:
        """More tensors to save (a subclass may also write its own files into ``directory``)."""
        return {}

    def _load_tables(self, directory: Path) -> None:
        """Read what ``_network`` needs besides the vocabulary (called after the vocabulary is loaded)."""

    def _restore_extra(self, state: dict, directory: Path) -> None:
        """Restore the ``_extra_tensors`` from the loaded ``state``."""

    def _save_state(self, directory: Path) -> None:
        self.vocab_.save(directory)
        save_tensors(directory, {**network_tensors(self.net_, self.scaler_), **self._extra_tensors(directory)})

    def _load_state(self, directory: Path) -> None:
        self.vocab_ = TagVocab.load(directory)
        self._load_tables(directory)
        state = load_tensors(directory)
        self.net_ = self._network()
        self.scaler_ = restore_network(self.net_, state, directory)
        self._restore_extra(state, directory)
