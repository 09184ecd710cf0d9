"""The metric arithmetic of ../shared/EVALUATION.md on hand-made cases."""
import math

import pytest

from taglens.eval import metrics as m


@pytest.mark.parametrize("pred, gold, k, p, r, a", [
    (["a", "b", "c", "d", "e"], {"a", "c", "x"}, 1, 1.0, 1 / 3, 1.0),
    (["a", "b", "c", "d", "e"], {"a", "c", "x"}, 5, 2 / 5, 2 / 3, 1.0),
    (["b", "d"], {"a"}, 5, 0.0, 0.0, 0.0),
    (["a"], {"a", "b"}, 5, 1 / 5, 1 / 2, 1.0),  # a short list is divided by k, not by its length
    ([], {"a"}, 1, 0.0, 0.0, 0.0),
])
def test_precision_recall_accuracy(pred, gold, k, p, r, a):
    assert m.precision_at_k(pred, gold, k) == pytest.approx(p)
    assert m.recall_at_k(pred, gold, k) == pytest.approx(r)
    assert m.accuracy_at_k(pred, gold, k) == a


def test_f1_is_harmonic_mean_and_zero_without_hits():
    pred, gold = ["a", "b", "c", "d", "e"], {"a", "c", "x"}
    p, r = 2 / 5, 2 / 3
    assert m.f1_at_k(pred, gold, 5) == pytest.approx(2 * p * r / (p + r))
    assert m.f1_at_k(["q"], {"a"}, 5) == 0.0


def test_ndcg_binary_relevance_with_ideal_over_min_targets_and_10():
    # hits at ranks 2 and 4 of 3 targets: DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3) + 1/log2(4)
    got = m.ndcg_at_k(["x", "a", "y", "b"], {"a", "b", "c"}, 10)
    want = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    assert got == pytest.approx(want)
    assert m.ndcg_at_k(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)
    # 12 targets: the ideal DCG counts only 10 hits
    gold = {f"t{i}" for i in range(12)}
    assert m.ndcg_at_k([f"t{i}" for i in range(10)], gold, 10) == pytest.approx(1.0)
    assert m.ndcg_at_k([], {"a"}, 10) == 0.0


def test_mrr_and_post_metrics_keys():
    assert m.mrr(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert m.mrr(["x"], {"a"}) == 0.0
    keys = m.post_metrics(["a"], {"a"})
    assert set(m.HEADLINE) <= set(keys)


def test_a_repeated_tag_counts_once():
    assert m.precision_at_k(["a", "a"], {"a"}, 2) == 0.5
    assert m.hits_at_k(["a", "a", "b"], {"a", "b"}, 2) == 2  # the repeat gives its place to the next tag
    assert m.ndcg_at_k(["a", "a"], {"a"}) == 1.0
    assert m.mrr(["x", "x", "a"], {"a"}) == 0.5
