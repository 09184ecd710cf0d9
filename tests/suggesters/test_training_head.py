"""The shared head-training helpers: the sparse (TF-IDF) path gives the dense path's results, and training runs
on a fixed number of threads."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from taglens.training import (_sparse_batch, adamw, apply_head, fit_head, make_head, predict_head, train_module,
                              training_threads, warmup_share)


@pytest.mark.parametrize("hidden", [0, 7])
def test_sparse_first_layer_matches_dense(hidden):
    import torch

    torch.manual_seed(0)
    X = sp.random(9, 30, density=0.15, format="csr", random_state=1, dtype=np.float32)
    X[4] = 0.0  # a row without any non-zero (an empty caption after the vocabulary cut)
    X.eliminate_zeros()
    head = make_head(30, 5, hidden=hidden, dropout=0.0).eval()
    xs = _sparse_batch(X, np.arange(9))
    dense = head(torch.from_numpy(X.toarray()))
    assert torch.allclose(apply_head(head, xs), dense, atol=1e-5)  # training path (embedding_bag)
    with torch.inference_mode():
        assert torch.allclose(apply_head(head, xs), dense, atol=1e-5)  # suggesting path (sparse.mm)
    # gradients reach the first layer the same way
    head.zero_grad()
    apply_head(head, xs).pow(2).sum().backward()
    g_sparse = head[1].weight.grad.clone()
    head.zero_grad()
    head(torch.from_numpy(X.toarray())).pow(2).sum().backward()
    assert torch.allclose(g_sparse, head[1].weight.grad, atol=1e-5)


def test_sparse_and_dense_training_agree():
    rng = np.random.default_rng(0)
    X = (rng.random((40, 12)) < 0.3).astype(np.float32) * rng.random((40, 12)).astype(np.float32)
    rows = [[int(np.argmax(x)) % 3] for x in X]
    kw = dict(epochs=3, lr=1e-2, dropout=0.0, batch_size=8, seed=0, loss="softmax")
    a = predict_head(fit_head(X, rows, 3, **kw), X)
    b = predict_head(fit_head(sp.csr_matrix(X), rows, 3, **kw), sp.csr_matrix(X))
    assert a.shape == (40, 3) and np.allclose(a, b, atol=1e-4)


def test_adamw_steps_reduce_a_loss():
    import torch

    w = torch.nn.Parameter(torch.ones(4))
    opt = adamw([w], lr=0.1, weight_decay=0.0)
    for _ in range(20):
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()
    assert float((w.detach() ** 2).sum()) < 1.0


def test_weighted_multilabel_loss_is_a_weighted_mean_over_posts():
    import torch

    from taglens.training import multilabel_loss

    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [0.5, 0.5, 3.0]])
    targets = torch.tensor([[1.0, 0, 0], [0, 1, 1], [1, 0, 0]])
    for loss in ("softmax", "bce"):
        plain = multilabel_loss(logits, targets, loss)
        assert torch.allclose(multilabel_loss(logits, targets, loss, torch.full((3,), 2.5)), plain)
        only_first = multilabel_loss(logits, targets, loss, torch.tensor([1.0, 0.0, 0.0]))
        assert torch.allclose(only_first, multilabel_loss(logits[:1], targets[:1], loss))
        assert not torch.allclose(only_first, plain)


def test_training_runs_on_fixed_threads_whatever_the_caller_set(monkeypatch, optimizer_threads):
    """Every optimizer step runs on training_threads(), not on the count the caller (or the encoders, on a busy
    machine) left, so a model trains to the same weights on an idle and on a busy machine (the thread counts seen
    are the guard: a problem this small rounds alike on any count); TAGLENS_THREADS chooses the count; the
    caller's count is restored, also when training fails."""
    import torch

    monkeypatch.delenv("TAGLENS_THREADS", raising=False)
    X = np.random.default_rng(0).normal(size=(32, 6)).astype(np.float32)
    rows = [[i % 3] for i in range(32)]
    before = torch.get_num_threads()
    try:
        for n in (1, 3):
            torch.set_num_threads(n)
            fit_head(X, rows, 3, hidden=4, epochs=2, batch_size=8, seed=0)
            assert torch.get_num_threads() == n
        assert optimizer_threads and set(optimizer_threads) == {training_threads()}

        monkeypatch.setenv("TAGLENS_THREADS", "3")
        torch.set_num_threads(1)
        optimizer_threads.clear()
        fit_head(X, rows, 3, epochs=1, batch_size=8)
        assert set(optimizer_threads) == {3} and torch.get_num_threads() == 1

        def failing_loss(module, inputs, targets):
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            train_module(make_head(6, 3), lambda idx: (None, None), 32, epochs=1, lr=1e-2, weight_decay=0.0,
                         batch_size=8, seed=0, loss_fn=failing_loss)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("value, expected", [("3", 3), (" 2 ", 2), ("0", None), ("", None), ("two", None),
                                             ("²", None), ("-1", None)])
def test_taglens_threads_is_read_one_way(monkeypatch, value, expected):
    from taglens.encoders import user_threads

    monkeypatch.setenv("TAGLENS_THREADS", value)
    assert user_threads() == expected


@pytest.mark.parametrize("epochs", [1, 2, 3, 10, 19, 20])
def test_data_in_one_batch_trains_for_any_number_of_epochs(epochs):
    """One batch per epoch makes epochs the number of steps; OneCycleLR divided by zero at 10 (warmup_share)."""
    X = np.random.default_rng(0).normal(size=(8, 5)).astype(np.float32)
    head = fit_head(X, [[i % 2] for i in range(8)], 2, epochs=epochs, batch_size=64, seed=0)
    assert np.isfinite(predict_head(head, X)).all()


def test_the_schedule_reaches_its_peak_for_any_number_of_steps():
    """For every number of steps, OneCycleLR with warmup_share runs without dividing by zero; from 2 steps on a
    step comes within half of the peak learning rate; from 20 steps on the share is the usual tenth."""
    import torch

    for steps in range(1, 41):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=steps, pct_start=warmup_share(steps))
        lrs = []
        for _ in range(steps):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        assert steps < 2 or max(lrs) >= 0.5, (steps, lrs)
    assert warmup_share(20) == warmup_share(500) == 0.1
