"""Ranking metrics over (predicted, gold) lists, as defined in ../shared/EVALUATION.md. Pure functions."""
from __future__ import annotations

import math
from typing import Collection, Sequence

HEADLINE = ("P@1", "P@5", "R@5", "A@5", "F1@5", "NDCG@10")


def _unique(predicted: Sequence[str]) -> list[str]:
    """The ranking without repeats (a tag suggested twice counts once, at its first place)."""
    return list(dict.fromkeys(predicted))


def hits_at_k(predicted: Sequence[str], gold: Collection[str], k: int) -> int:
    gold = set(gold)
    return sum(1 for tag in _unique(predicted)[:k] if tag in gold)


def precision_at_k(predicted: Sequence[str], gold: Collection[str], k: int) -> float:
    """|top-k ∩ T| / k (k, not the number predicted: a short list is not rewarded)."""
    return hits_at_k(predicted, gold, k) / k


def recall_at_k(predicted: Sequence[str], gold: Collection[str], k: int) -> float:
    return hits_at_k(predicted, gold, k) / len(set(gold)) if gold else 0.0


def accuracy_at_k(predicted: Sequence[str], gold: Collection[str], k: int) -> float:
    """1 if any of the top k is a target, else 0."""
    return 1.0 if hits_at_k(predicted, gold, k) else 0.0


def f1_at_k(predicted: Sequence[str], gold: Collection[str], k: int) -> float:
    p, r = precision_at_k(predicted, gold, k), recall_at_k(predicted, gold, k)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def ndcg_at_k(predicted: Sequence[str], gold: Collection[str], k: int = 10) -> float:
    """Binary-relevance NDCG; the ideal DCG places min(|T|, k) hits first."""
    gold = set(gold)
    dcg = sum(1.0 / math.log2(i + 2) for i, tag in enumerate(_unique(predicted)[:k]) if tag in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal if ideal else 0.0


def mrr(predicted: Sequence[str], gold: Collection[str]) -> float:
    gold = set(gold)
    for i, tag in enumerate(_unique(predicted)):
        if tag in gold:
            return 1.0 / (i + 1)
    return 0.0


def post_metrics(predicted: Sequence[str], gold: Collection[str],
                 ks: Sequence[int] = (1, 3, 5, 10)) -> dict[str, float]:
    """Every metric of one post: P@k, R@k, A@k, F1@k for each k, and NDCG@10."""
    out: dict[str, float] = {}
    for k in ks:
        out[f"P@{k}"] = precision_at_k(predicted, gold, k)
        out[f"R@{k}"] = recall_at_k(predicted, gold, k)
        out[f"A@{k}"] = accuracy_at_k(predicted, gold, k)
        out[f"F1@{k}"] = f1_at_k(predicted, gold, k)
    out["NDCG@10"] = ndcg_at_k(predicted, gold, 10)
    return out
