#!/usr/bin/env python
"""Build the politics probe (``resources/topic_politics_probe.npz``): how far a caption reads as US politics.

A logistic regression on MiniLM caption embeddings (taglens's own text encoder, ``encoders.text``), trained on the
training side only (``dev_split(id) == "train"``) of:

- positives: the posts that carry a politics tag (``topics.topic_tags()["politics"]``: the packaged list and the
  learned tags, #maga #trump #walkaway #immigration): 2,423 tweets (``tweets/posts.jsonl``), 301 lifestyle tweets;
- negatives: the other tweets, and the everyday lifestyle and multilingual tweets (``everyday/``), which are about
  food, travel, sport, music and daily life in eight languages; one in ``NEGATIVE_SHARE`` of the tweets and
  lifestyle tweets (a hash of the id), all the multilingual ones: 20,253 captions in all, not 54k.

Every caption loses its hashtags first (EVALUATION.md: the model never sees the tags it is asked for). The classes
are weighted to equal mass, so the probe's probability is a balanced one (0.5: as likely one as the other).
``topics.topic_strength`` scales the caption's other evidence of politics by it (``PROBE_LOW``..``PROBE_FULL``).
What ships is 384 weights and a bias (aggregate learned weights, no caption); the embeddings are cached
(``encoders.cache.text_embeddings``), so a rebuild after the first costs seconds (the first: about 15 CPU minutes).
Deterministic (Newton's method from zero).

Usage: nice -n 10 python scripts/build_politics_probe.py [--data ../shared/data] [--out src/taglens/resources]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from build_default_model import EmbeddingTable  # noqa: E402
from taglens.data.splits import dev_split  # noqa: E402
from taglens.types import strip_hashtags  # noqa: E402

SETS = ("tweets/posts.jsonl", "everyday/lifestyle_tweets/posts.jsonl", "everyday/multilingual_tweets/posts.jsonl")
NEGATIVE_SHARE = 4  # one in this many of the negative tweets and lifestyle tweets (hash of the id): 20k captions in all
L2 = 1.0  # ridge on the weights (not the bias), in units of the mean sample weight
OUT_NAME = "topic_politics_probe.npz"


def _bucket(record_id: str) -> int:
    return int(hashlib.sha1(f"politics-probe:{record_id}".encode("utf-8")).hexdigest(), 16)


def load(data: Path, side: str = "train") -> tuple[list[str], list[int], list[str]]:
    """(captions without hashtags, 1 where the post carries a politics tag, the set of each) of one side."""
    from taglens.suggesters.taglens_base.topics import topic_tags

    politics = topic_tags()["politics"]
    texts, labels, sets = [], [], []
    for rel in SETS:
        with open(data / rel, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                text = strip_hashtags(rec.get("text") or "")
                if dev_split(str(rec["id"])) != side or not text:
                    continue
                label = int(bool(politics & set(rec.get("hashtags") or ())))
                if not label and "multilingual" not in rel and _bucket(str(rec["id"])) % NEGATIVE_SHARE:
                    continue
                texts.append(text)
                labels.append(label)
                sets.append(rel.split("/")[-2])
    return texts, labels, sets


def fit(x, y, l2: float = L2, iters: int = 25):
    """Weighted L2 logistic regression by Newton's method: (weights (d,), bias), classes at equal total weight."""
    import numpy as np

    y = np.asarray(y, np.float64)
    pos = y.sum()
    w_s = np.where(y > 0, 0.5 / pos, 0.5 / (len(y) - pos)) * len(y)  # balanced, mean 1
    xb = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    beta = np.zeros(xb.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(xb @ beta)))
        grad = xb.T @ (w_s * (p - y)) + reg * beta
        hess = (xb * (w_s * p * (1 - p))[:, None]).T @ xb + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1].astype(np.float32), np.float32(beta[-1])


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "resources")
    args = ap.parse_args(argv)
    texts, labels, sets = load(args.data)
    emb = EmbeddingTable(texts)(texts)
    weights, bias = fit(emb, labels)
    out = args.out / OUT_NAME
    tmp = out.with_name(out.stem + ".tmp.npz")
    np.savez_compressed(tmp, weights=weights, bias=np.array([bias], np.float32))
    tmp.replace(out)
    prob = 1.0 / (1.0 + np.exp(-(emb @ weights + bias)))
    y = np.asarray(labels)
    report = {"captions": len(texts), "politics": int(y.sum())}
    for name in sorted(set(sets)):
        mask = np.asarray(sets) == name
        for label in (0, 1):
            m = mask & (y == label)
            if m.any():
                report[f"{name}/{label}: p>=0.5, p>=0.9"] = [round(float((prob[m] >= 0.5).mean()), 4),
                                                             round(float((prob[m] >= 0.9).mean()), 4), int(m.sum())]
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
