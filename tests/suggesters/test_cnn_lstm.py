"""The captioning-style CNN -> LSTM tag decoder: beam search, order-free training, save/load."""
from __future__ import annotations

import json

import numpy as np
import pytest

from taglens.exceptions import ModelError
from taglens.model_folder import load_suggester
from taglens.registry import create_suggester
from taglens.suggesters.cnn_lstm import (CONTENT_DIM, GATE_GRID, ImageNeighbours, beam_search, build_network,
                                         cooccurrence_table, fit_gate, leave_one_out_prior, rank_beams,
                                         reveal_weights, split_weight)
from taglens.types import Post


@pytest.fixture(scope="module")
def posts(tmp_path_factory, synthetic_posts):
    return synthetic_posts(tmp_path_factory.mktemp("cnn_lstm"), n_per_theme=8)


@pytest.fixture(scope="module")
def model(posts):
    return create_suggester("test_cnn_lstm", epochs=40, dim=32, hidden=32, dropout=0.0, lr=1e-2,
                            batch_size=8).fit(posts)


def test_beam_search_never_repeats_nor_suggests_existing_tags():
    import torch

    torch.manual_seed(0)
    net = build_network(n_tags=12, dim=8, hidden=8, dropout=0.0).eval()
    tags_in = np.zeros(12, np.float32)
    tags_in[[3, 7]] = 1.0
    content = np.random.default_rng(0).normal(size=CONTENT_DIM).astype(np.float32)
    seqs, probs, steps, first, prefix = beam_search(net, content[None], tags_in[None], depth=6, width=4)[0]
    assert len(seqs) == 4 and np.isclose(probs.sum(), 1.0) and list(probs) == sorted(probs, reverse=True)
    assert np.isclose(first.sum(), 1.0) and first[3] == first[7] == 0.0 and (np.delete(first, [3, 7]) > 0).all()
    assert all(np.isclose(step[0], first[seq[0]]) for seq, step in zip(seqs, steps))  # the first step's probabilities
    for seq, step in zip(seqs, steps):
        assert len(seq) == 6 == len(set(seq)) == len(step)
        assert not {3, 7} & set(seq) and all(0 < p <= 1 for p in step)
    # prefix marginals: each depth's prefixes share a mass of 1 over their d tags, so they sum to (1 + ... + 6) / 6;
    # the best beam's first tag, held by every prefix that starts with it, has at least its beams' final share
    assert np.isclose(prefix.sum(), 3.5) and prefix[3] == prefix[7] == 0.0 and (prefix <= 1 + 1e-9).all()
    starts = {seq[0] for seq in seqs}
    assert prefix[seqs[0][0]] >= sum(p for seq, p in zip(seqs, probs) if seq[0] == seqs[0][0]) - 1e-9
    assert all(prefix[t] > 0 for t in starts)
    # asked for more tags than there are: every tag not given, once
    seqs, *_ = beam_search(net, content[None], tags_in[None], depth=50, width=3)[0]
    assert sorted(seqs[0]) == [t for t in range(12) if t not in (3, 7)]
    # posts decoded together get what each gets alone
    other = np.zeros(12, np.float32)
    together = beam_search(net, np.stack([content, -content]), np.stack([tags_in, other]), depth=5, width=3)
    for row, (c, t) in enumerate(((content, tags_in), (-content, other))):
        alone = beam_search(net, c[None], t[None], depth=5, width=3)[0]
        assert together[row][0] == alone[0] and np.allclose(together[row][1], alone[1], atol=1e-5)
        assert np.allclose(together[row][3], alone[3], atol=1e-6)


def test_rank_beams_orders_by_marginal_then_best_beam():
    seqs = [[5, 1, 2], [5, 2, 9], [1, 5, 4]]
    probs = np.array([0.5, 0.3, 0.2])
    steps = [[0.6, 0.5, 0.4], [0.6, 0.3, 0.2], [0.2, 0.9, 0.1]]
    ranked = rank_beams(seqs, probs, steps)
    assert [t for t, *_ in ranked] == [5, 2, 1, 9, 4]
    assert np.allclose([m for _, m, *_ in ranked], [1.0, 0.8, 0.7, 0.3, 0.2])
    # a tie keeps the best beam's order: both in every beam, 7 comes before 8 as in the best beam
    assert [t for t, *_ in rank_beams([[7, 8], [8, 7]], np.array([0.6, 0.4]), [[0.5, 0.5], [0.4, 0.5]])] == [7, 8]
    assert ranked[0][2:] == (0, 0.6, 1.0)  # chosen at the first step of the best beam, with that step's probability


def test_rank_beams_mixes_the_first_step_distribution():
    seqs, probs, steps = [[5, 1, 2], [5, 2, 9], [1, 5, 4]], np.array([0.5, 0.3, 0.2]), [[0.6] * 3] * 3
    first = np.zeros(12)
    first[[5, 1, 2, 9, 4, 0, 11]] = [0.4, 0.1, 0.05, 0.05, 0.05, 0.3, 0.05]
    # the first step alone: its order over every tag, beyond the beams (tag 0 never decoded comes second)
    alone = rank_beams(seqs, probs, steps, first, beam_weight=0.0)
    assert [t for t, *_ in alone] == [5, 0, 1, 2, 9, 4, 11] and alone[1][2] is None and alone[1][3] == 0.3
    # half and half: 5 (marginal 1.0, first 0.4) first; tag 0 (0.15) now below 2 (0.425), 1 (0.4) and 9 (0.175)
    mixed = rank_beams(seqs, probs, steps, first, beam_weight=0.5, k=5)
    assert [t for t, *_ in mixed] == [5, 2, 1, 9, 0] and np.isclose(mixed[0][1], 0.7)
    # the beam alone: its tags by their marginal, then the first step's other tags (0, 11) below every one of them
    alone = rank_beams(seqs, probs, steps, first, beam_weight=1.0)
    assert [t for t, *_ in alone] == [5, 2, 1, 9, 4, 0, 11] and alone[5][2] is None
    assert alone[5][1] < alone[4][1] and [s for _, s, *_ in alone] == sorted((s for _, s, *_ in alone), reverse=True)
    # prefix marginals in place of the final ones reorder the beam's tags by them
    prefix = np.zeros(12)
    prefix[[5, 1, 2, 9, 4]] = [0.9, 0.6, 0.3, 0.1, 0.05]
    assert [t for t, *_ in rank_beams(seqs, probs, steps, first, 1.0, k=6, prefix=prefix)] == [5, 1, 2, 9, 4, 0]


def test_learns_from_each_modality_and_the_existing_tags(model, tmp_path, make_image):
    red = make_image(tmp_path / "r.jpg", (205, 35, 30), seed=7)
    blue = make_image(tmp_path / "b.jpg", (30, 65, 205), seed=8)
    assert "red" in [s.tag for s in model.suggest(Post(images=(red,)), k=3)]
    assert "blue" in [s.tag for s in model.suggest(Post(images=(blue,)), k=3)]
    assert "pasta" in [s.tag for s in model.suggest(Post(text="tomato pasta"), k=3)]
    assert "sea" in [s.tag for s in model.suggest(Post(text="the blue sea"), k=3)]
    assert "pasta" in [s.tag for s in model.suggest(Post(hashtags=("red",)), k=3)]
    assert "sea" in [s.tag for s in model.suggest(Post(hashtags=("blue",)), k=3)]
    got = model.suggest(Post(text="tomato pasta", images=(red,)), k=4)  # the beam's ranking, the default
    assert got[0].source == "image+text" and "tag 1 of the best sequence" in got[0].reason
    assert len({s.tag for s in got}) == 4
    model.beam_weight = 0.0  # the first step alone
    try:
        first = model.suggest(Post(text="tomato pasta", images=(red,)), k=4)
    finally:
        model.beam_weight = 1.0
    assert "first-tag probability" in first[0].reason and len({s.tag for s in first}) == 4
    assert [s.score for s in got] == sorted((s.score for s in got), reverse=True)
    assert len({s.tag for s in model.suggest(Post(images=(red,)), k=20)}) == len(model.vocab_)  # all, once


def test_round_trip_and_mismatched_config(model, posts, tmp_path):
    folder = model.save(tmp_path / "m")
    loaded = load_suggester(folder)
    q = Post(text="tomato", images=posts[0].images, hashtags=("food",))
    assert [(s.tag, round(s.score, 5)) for s in loaded.suggest(q, k=5)] == [
        (s.tag, round(s.score, 5)) for s in model.suggest(q, k=5)]
    config = json.loads((folder / "config.json").read_text())
    config["params"]["hidden"] = 24
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="do not match"):
        load_suggester(folder)


def test_bad_order_or_weight_is_a_model_error(posts):
    with pytest.raises(ModelError, match="order must be"):
        create_suggester("test_cnn_lstm", order="alphabetical").fit(posts)
    with pytest.raises(ModelError, match="beam_weight"):
        create_suggester("test_cnn_lstm", beam_weight=2.0).fit(posts)
    with pytest.raises(ModelError, match="first_loss must be"):
        create_suggester("test_cnn_lstm", first_loss="hinge").fit(posts)
    with pytest.raises(ModelError, match="beam_score must be"):
        create_suggester("test_cnn_lstm", beam_score="mean").fit(posts)
    with pytest.raises(ModelError, match="bce_steps at least 1"):
        create_suggester("test_cnn_lstm", bce_steps=0).fit(posts)


@pytest.mark.parametrize("order, beam_weight, smoothing, extra", [
    ("random", 0.0, 0.1, {}), ("frequency", 0.25, 0.0, {"bce_steps": 1}),
    ("random", 1.0, 0.0, {"beam_score": "final", "first_head": True, "beam": 2})])
def test_learns_from_tag_lists_alone(order, beam_weight, smoothing, extra, tmp_path):
    """A set without images or captions (HARRISON) still trains the decoder, conditioned on the existing tags."""
    lists = [("red", "pasta", "food"), ("blue", "sea", "beach"), ("red", "pasta"), ("blue", "sea")] * 4
    model = create_suggester("test_cnn_lstm", epochs=40, dim=16, hidden=16, dropout=0.0, lr=1e-2, batch_size=8,
                             order=order, beam_weight=beam_weight, smoothing=smoothing, **extra
                             ).fit([Post(hashtags=t) for t in lists])
    loaded = load_suggester(model.save(tmp_path / "m"))
    assert [s.tag for s in loaded.suggest(Post(hashtags=("red",)), k=3)] == [
        s.tag for s in model.suggest(Post(hashtags=("red",)), k=3)]
    assert model.suggest(Post(hashtags=("red",)), k=1)[0].tag == "pasta"
    assert model.suggest(Post(hashtags=("blue",)), k=1)[0].tag == "sea"
    assert model.suggest(Post(hashtags=("blue",)), k=1)[0].source == "tags"


def test_leave_one_out_prior_is_what_the_other_posts_count():
    rng = np.random.default_rng(3)
    rows = [np.sort(rng.choice(9, size=rng.integers(1, 5), replace=False)) for _ in range(40)]
    co, per_tag = cooccurrence_table(rows, 9)
    assert per_tag.sum() == sum(len(r) for r in rows) and not np.diag(co).any()
    assert co[rows[0][0], rows[0][-1]] >= 1 or len(rows[0]) == 1
    for i in (0, 5, 17):
        revealed = rows[i][:2]
        got = leave_one_out_prior(co, per_tag, revealed, rows[i])
        co_o, n_o = cooccurrence_table(rows[:i] + rows[i + 1:], 9)
        want = np.mean([co_o[a] / max(n_o[a], 1.0) for a in revealed], axis=0)
        assert np.allclose(got, want)


def test_cooccurrence_path_alone_ranks_as_cooccurrence():
    """With the network's own output silenced, one revealed tag's first-step ranking is co-occurrence's P(b | a)."""
    import torch

    rows = [np.array(r) for r in ([0, 1, 2], [0, 1], [0, 3], [0, 1, 4], [2, 3], [1, 4], [0, 2])]
    co, per_tag = cooccurrence_table(rows, 5)
    torch.manual_seed(0)
    net = build_network(n_tags=5, dim=8, hidden=8, dropout=0.0).eval()
    with torch.no_grad():
        net.cooc.copy_(torch.from_numpy(co / per_tag[:, None]))
        net.out.weight.zero_()
        net.out.bias.zero_()
    tags_in = np.zeros((1, 5), np.float32)
    tags_in[0, 0] = 1.0
    first = beam_search(net, np.zeros((1, CONTENT_DIM), np.float32), tags_in, depth=1, width=2)[0][3]
    p = co[0] / per_tag[0]  # P(b | 0): 1 in 3 of 5 posts, 2 in 2, 3 and 4 in 1
    assert list(np.argsort(-first, kind="stable")[:4]) == list(np.argsort(-p, kind="stable")[:4]) == [1, 2, 3, 4]
    assert first[0] == 0.0 and first[1] > first[2] > first[3]


def test_reveal_weighted_counts_estimate_what_the_protocol_scores():
    """cooc_form="reveal": a post of n >= 2 tags counts 1 / n (the chance that a given tag of it is the revealed
    one), a post of one tag not at all; P(b | a) is then the chance that b is among the other tags of a post whose
    revealed tag is a, and leave-one-out takes out exactly the post's own weight."""
    long = [0, 2, 3, 4, 5, 6]
    rows = [np.array(r) for r in ([0, 1], [0, 1], long, long, long, [1])]
    w = reveal_weights(rows)
    assert np.allclose(w, [1 / 2, 1 / 2, 1 / 6, 1 / 6, 1 / 6, 0.0])
    co, per_tag = cooccurrence_table(rows, 7, w)
    assert np.isclose(per_tag[0], 1.5) and np.isclose(per_tag[1], 1.0)
    # #0 revealed: its post is one of the two short ones 2 times in 3 (1 / 1.5), so #1 is the likelier other tag,
    # though #2 shares more posts with #0 (3 against 2), as the unweighted counts have it
    assert np.isclose(co[0, 1] / per_tag[0], 2 / 3) and np.isclose(co[0, 2] / per_tag[0], 1 / 3)
    plain, n_plain = cooccurrence_table(rows, 7)
    assert plain[0, 2] == 3 > plain[0, 1] == 2 and n_plain[1] == 3
    for i in (0, 2):
        got = leave_one_out_prior(co, per_tag, rows[i][:1], rows[i], w[i])
        co_o, n_o = cooccurrence_table(rows[:i] + rows[i + 1:], 7, np.delete(w, i))
        assert np.allclose(got, co_o[rows[i][0]] / n_o[rows[i][0]], atol=1e-6)


def test_reveal_feature_alone_ranks_by_the_weighted_probability():
    """With the network's own output silenced, the first step's logits are the logit of the weighted P(b | a): its
    per-tag sigmoid is P itself (the first step's logistic loss starts at co-occurrence's answer)."""
    import torch

    rows = [np.array(r) for r in ([0, 1], [0, 2, 3, 4], [0, 2, 3, 4], [0, 2, 3, 4], [0, 1, 2])]
    co, per_tag = cooccurrence_table(rows, 5, reveal_weights(rows))
    p = co / per_tag[:, None]
    net = build_network(n_tags=5, dim=8, hidden=8, dropout=0.0, companions=False, cooc_form="reveal").eval()
    assert net.companions is None
    with torch.no_grad():
        net.cooc.copy_(torch.from_numpy(p))
        net.out.weight.zero_()
        net.out.bias.zero_()
        tags_in = torch.zeros((1, 5))
        tags_in[0, 0] = 1.0
        _, (_, logits) = net.start(torch.zeros((1, CONTENT_DIM)), tags_in)
    assert np.allclose(torch.sigmoid(logits)[0, 1:].numpy(), p[0, 1:], atol=2e-3)


def test_plain_split_weights_make_the_logistic_optimum_cooccurrences_own_probability():
    """cooc_form="plain": drawn with one tag revealed at random (each of a post's n tags 1 time in n), a post weighted
    by split_weight counts every (revealed tag, other tags) split once, so the first step's logistic optimum at a
    revealed tag a, the weighted mean of "b is among the other tags", is co-occurrence's P(b | a) from plain counts;
    unweighted it is the 1 / n-weighted P of cooc_form="reveal", which ranks #1 over #2 where the plain counts rank
    #2 first."""
    long = [0, 2, 3, 4, 5, 6]
    rows = [np.array(r) for r in ([0, 1], [0, 1], long, long, long, [1])]
    mean = float(np.mean([len(r) for r in rows if len(r) >= 2]))
    plain, per_tag = cooccurrence_table(rows, 7)
    weighted, per_w = cooccurrence_table(rows, 7, reveal_weights(rows))
    for weigh, want in ((True, plain[0] / per_tag[0]), (False, weighted[0] / per_w[0])):
        num, den = np.zeros(7), 0.0
        for r in rows:
            if len(r) < 2 or 0 not in r:
                continue
            w = (1 / len(r)) * (split_weight(len(r), mean) if weigh else 1.0)  # the chance #0 is the one revealed
            num[r[r != 0]] += w
            den += w
        assert np.allclose(num / den, want)
    assert plain[0, 2] > plain[0, 1] and weighted[0, 1] > weighted[0, 2]


def test_companions_off_and_reveal_form_round_trip(posts, tmp_path):
    q = Post(images=posts[0].images, hashtags=("food",))
    for i, kw in enumerate(({"companions": False, "first_softmax": True}, {"cooc_form": "plain"})):
        model = create_suggester("test_cnn_lstm", **kw).fit(posts)
        loaded = load_suggester(model.save(tmp_path / f"m{i}"))
        assert [s.tag for s in loaded.suggest(q, k=5)] == [s.tag for s in model.suggest(q, k=5)]
    with pytest.raises(ModelError, match="cooc_form must be"):
        create_suggester("test_cnn_lstm", cooc_form="pairs").fit(posts)


def _first_logits(net, content, tags_in):
    import torch

    with torch.no_grad():
        state, extra = net.start(torch.from_numpy(content), torch.from_numpy(tags_in))
        return net.step(torch.full((len(content),), tags_in.shape[1], dtype=torch.long), state, extra)[0].numpy()


def test_gated_output_is_the_table_plus_the_gated_residual():
    """gated: a post of tags alone reads T + g x R (at g = 0 co-occurrence's table alone, so its ranking); a post
    with content, or without existing tags, reads T + R whatever the gate; the table's scale is not trained."""
    import torch

    rows = [np.array(r) for r in ([0, 1, 2], [0, 1], [0, 3], [0, 1, 4], [2, 3], [1, 4], [0, 2])]
    co, per_tag = cooccurrence_table(rows, 5)
    torch.manual_seed(0)
    net = build_network(n_tags=5, dim=8, hidden=8, dropout=0.0, cooc_form="plain", gated=True).eval()
    assert not net.cooc_scale.requires_grad and float(net.gate) == 1.0
    with torch.no_grad():
        net.cooc.copy_(torch.from_numpy(co / per_tag[:, None]))
        net.companions.normal_()
        net.out.bias.normal_(std=3.0)
    tags_in = np.zeros((3, 5), np.float32)
    tags_in[[0, 1], 0] = 1.0
    content = np.zeros((3, CONTENT_DIM), np.float32)
    content[1] = np.random.default_rng(1).normal(size=CONTENT_DIM)
    content[1, -2:] = 1.0  # row 0: tags alone; row 1: tags and content; row 2: content nothing, tags nothing
    whole = _first_logits(net, content, tags_in)
    net.gate.fill_(0.0)
    table = _first_logits(net, content, tags_in)
    p = co[0] / per_tag[0]
    assert list(np.argsort(-table[0][1:], kind="stable") + 1) == list(np.argsort(-p[1:], kind="stable") + 1)
    assert np.allclose(table[0], np.log((p + 1e-3) / (1 - p + 1e-3)), atol=1e-5)
    assert np.allclose(table[1:], whole[1:]) and not np.allclose(table[0], whole[0])
    net.gate.fill_(0.3)
    assert np.allclose(_first_logits(net, content, tags_in)[0], table[0] + 0.3 * (whole[0] - table[0]), atol=1e-5)


def test_fit_gate_keeps_the_residual_only_where_it_helps_held_out_posts():
    """fit_gate scores each tag of a held-out post revealed in turn: a residual that pushes a tag no post pairs
    with the revealed one is gated off (the table alone); where the table is blank and the residual knows each
    tag's companion, the smallest gate that lets it speak is kept."""
    import torch

    rows = [np.array(r) for r in ([0, 1], [2, 3], [0, 1], [2, 3], [1, 0])]
    co, per_tag = cooccurrence_table(rows, 5)
    tags = ["cat", "kitten", "sea", "beach", "car"]
    for blank, want in ((False, 0.0), (True, 0.05)):
        torch.manual_seed(0)
        net = build_network(n_tags=5, dim=8, hidden=8, dropout=0.0, cooc_form="plain", gated=True).eval()
        with torch.no_grad():
            net.out.weight.zero_()
            if blank:  # no table (every P is 0); a learned matrix holds the companions
                net.companions.copy_(torch.from_numpy(10.0 * (co > 0)))
            else:  # the table; the residual puts #car, which no post pairs with anything, first
                net.cooc.copy_(torch.from_numpy(co / np.maximum(per_tag, 1.0)[:, None]))
                net.out.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 0.0, 20.0]))
        curve = fit_gate(net, rows, [0, 1, 2, 3], tags)
        assert float(net.gate) == pytest.approx(want) and [g for g, *_ in curve] == list(GATE_GRID)
        assert all(n == 8 for *_, n in curve)
        at = {g: p1 for g, p1, *_ in curve}
        assert at[want] == 1.0 and (at[1.0] == 0.0 if not blank else at[0.0] < 1.0)


def test_gate_holdout_fits_the_gate_counts_every_post_and_round_trips(tmp_path):
    lists = [("red", "pasta", "food"), ("blue", "sea", "beach"), ("red", "pasta"), ("blue", "sea")] * 5
    posts = [Post(hashtags=t) for t in lists]
    model = create_suggester("test_cnn_lstm", epochs=20, dim=16, hidden=16, dropout=0.0, lr=1e-2, batch_size=8,
                             gate_holdout=0.25).fit(posts)
    assert np.isclose(GATE_GRID, float(model.net_.gate)).any()
    assert 10 <= model.gate_curve_[0][3] <= 15  # the queries of the 5 posts held out, each of 2 or 3 tags
    rows = [np.array(sorted(model.vocab_.encode(t)), np.int64) for t in lists]
    co, per_tag = cooccurrence_table(rows, len(model.vocab_))
    assert np.allclose(model.net_.cooc.numpy(), co / per_tag[:, None])  # the held-out posts counted in the end
    assert model.suggest(Post(hashtags=("red",)), k=1)[0].tag == "pasta"
    loaded = load_suggester(model.save(tmp_path / "gated"))
    assert float(loaded.net_.gate) == float(model.net_.gate)
    q = Post(hashtags=("blue",))
    assert [(s.tag, round(s.score, 5)) for s in loaded.suggest(q, k=4)] == [
        (s.tag, round(s.score, 5)) for s in model.suggest(q, k=4)]
    for bad in ({"gate_holdout": 1.0}, {"gate_holdout": 0.1, "cooc_prior": False}):
        with pytest.raises(ModelError, match="gate_holdout"):
            create_suggester("test_cnn_lstm", **bad).fit(posts)


def test_nets_decode_as_the_mean_of_their_logits_and_round_trip(tmp_path):
    """``nets`` networks from their own seeds, decoded together: the beam's step logits are the mean of theirs; the
    first network is the single network of the same seed, and the ensemble saves and loads whole."""
    import torch

    lists = [("red", "pasta", "food"), ("blue", "sea", "beach"), ("red", "pasta"), ("blue", "sea")] * 4
    posts = [Post(hashtags=t) for t in lists]
    kw = {"epochs": 30, "dim": 16, "hidden": 16, "dropout": 0.0, "lr": 1e-2, "batch_size": 8}
    model = create_suggester("test_cnn_lstm", nets=3, **kw).fit(posts)
    single = create_suggester("test_cnn_lstm", **kw).fit(posts)
    members = list(model.net_.members)
    assert len(members) == 3 and len(model.gate_curves_) == 3
    pairs = zip(members[0].state_dict().values(), single.net_.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    assert not torch.equal(members[0].out.weight, members[1].out.weight)
    n = len(model.vocab_)
    tags_in = torch.zeros((2, n))
    tags_in[0, model.vocab_.index["red"]] = 1.0
    content, start = torch.zeros((2, CONTENT_DIM)), torch.full((2,), n)
    with torch.no_grad():
        got, _ = model.net_.step(start, *model.net_.start(content, tags_in), first=True)
        each = [m.step(start, *m.start(content, tags_in), first=True)[0] for m in members]
    assert torch.allclose(got, torch.stack(each).mean(0))
    assert model.suggest(Post(hashtags=("red",)), k=1)[0].tag == "pasta"
    assert model.suggest(Post(hashtags=("blue",)), k=1)[0].tag == "sea"
    loaded = load_suggester(model.save(tmp_path / "nets"))
    assert len(loaded.net_.members) == 3
    for q in (Post(hashtags=("blue",)), Post(hashtags=("pasta", "red"))):
        assert [(s.tag, round(s.score, 5)) for s in loaded.suggest(q, k=4)] == [
            (s.tag, round(s.score, 5)) for s in model.suggest(q, k=4)]
    with pytest.raises(ModelError, match="nets must be at least 1"):
        create_suggester("test_cnn_lstm", nets=0).fit(posts)


def test_beam_never_emits_the_tags_finalize_drops():
    """``never`` tags take no step of the beam and do not condition it; the model passes the tags ``finalize``
    would drop (here bait, on a post without any), so every decoded step is a tag the list can show."""
    import torch

    torch.manual_seed(0)
    net = build_network(n_tags=12, dim=8, hidden=8, dropout=0.0).eval()
    content = np.random.default_rng(1).normal(size=CONTENT_DIM).astype(np.float32)[None]
    tags_in, never = np.zeros((1, 12), np.float32), np.zeros((1, 12), bool)
    tags_in[0, 3], never[0, [0, 5]] = 1.0, True
    seqs, probs, steps, first, prefix = beam_search(net, content, tags_in, depth=9, width=3, never=never)[0]
    assert all(len(seq) == 9 == len(set(seq)) and not {0, 3, 5} & set(seq) for seq in seqs)
    assert first[[0, 3, 5]].sum() == prefix[[0, 3, 5]].sum() == 0.0 and np.isclose(first.sum(), 1.0)
    plain = beam_search(net, content, tags_in, depth=9, width=3)[0][3]
    assert np.allclose(first[1:5:2], plain[1:5:2] / (1 - plain[[0, 5]].sum()))  # the same step, renormalised

    lists = [("like4like", "red", "pasta"), ("like4like", "blue", "sea"), ("red", "pasta"), ("blue", "sea")] * 4
    kw = {"epochs": 30, "dim": 16, "hidden": 16, "dropout": 0.0, "lr": 1e-2, "batch_size": 8, "gate_holdout": 0.0}
    model = create_suggester("test_cnn_lstm", **kw).fit([Post(hashtags=t) for t in lists])
    bait = model.vocab_.index["like4like"]
    assert model._unwanted(Post(hashtags=("red",)))[bait]
    assert not model._unwanted(Post(hashtags=("red", "instagood")))[bait]  # a post that carries bait may get more
    got = model.suggest(Post(hashtags=("red",)), k=3)
    assert "like4like" not in [s.tag for s in got] and got[0].tag == "pasta"
    assert "tag 2 of the best sequence" in got[1].reason  # the beam's own second step, not a step spent on bait
    old = create_suggester("test_cnn_lstm", beam_unwanted=False, **kw).fit([Post(hashtags=t) for t in lists])
    assert [s.tag for s in old.suggest(Post(hashtags=("red",)), k=1)] == ["pasta"]


def test_beam_breaks_ties_toward_the_more_frequent_tag():
    """Tags of equal score are taken in vocabulary order (most frequent first), as co-occurrence breaks its ties:
    a stable sort, where torch.topk would return 700 before 5 here."""
    import torch

    n = 2000
    torch.manual_seed(0)
    net = build_network(n_tags=n, dim=8, hidden=8, dropout=0.0, companions=False, gated=True).eval()
    with torch.no_grad():
        net.out.weight.zero_()
        net.out.bias.zero_()
        net.gate.fill_(0.0)
        net.cooc[0, [5, 700, 1500]] = 0.5  # three companions of tag 0, tied
    tags_in = np.zeros((1, n), np.float32)
    tags_in[0, 0] = 1.0
    seqs, probs, steps, first, prefix = beam_search(net, np.zeros((1, CONTENT_DIM), np.float32), tags_in, depth=3,
                                                    width=2)[0]
    assert seqs[0] == [5, 700, 1500] and seqs[1] == [5, 1500, 700]
    assert [t for t, *_ in rank_beams(seqs, probs, steps, first, 1.0, k=3, prefix=prefix)] == [5, 700, 1500]


def test_fit_gate_with_z_keeps_the_residual_only_when_its_gain_is_sure():
    """With ``z``, a gate above 0 must win more held-out queries at 1 than it loses against the table alone by z
    standard errors of a sign test; a one-query gain is noise and leaves the table alone."""
    import torch

    rows = [np.array(r) for r in ([0, 1], [2, 3], [0, 1], [2, 3], [1, 0])]
    co, per_tag = cooccurrence_table(rows, 5)
    tags = ["cat", "kitten", "sea", "beach", "car"]
    torch.manual_seed(0)
    net = build_network(n_tags=5, dim=8, hidden=8, dropout=0.0, cooc_form="plain", gated=True).eval()
    with torch.no_grad():
        net.out.weight.zero_()
        net.companions.copy_(torch.from_numpy(10.0 * (co > 0)))  # no table; the residual knows every companion
    curve = fit_gate(net, rows, [0, 1, 2, 3], tags, z=1.64)
    at = {g: p1 for g, p1, *_ in curve}
    assert float(net.gate) == pytest.approx(0.05) and at[0.05] == 1.0 and at[0.0] <= 0.5  # 4+ of 8 won, none lost
    fit_gate(net, rows, [0, 1, 2, 3], tags, z=3.0)  # 8 queries: a sure gain at z = 3 needs 9 won
    assert float(net.gate) == 0.0


def test_image_neighbours_vote_with_their_tags_and_leave_a_post_out_of_its_own():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(2, 1280)).astype(np.float32)
    img = np.stack([base[0], base[0] + 0.01, base[1], base[1] + 0.01, np.zeros(1280, np.float32)]) + 5.0
    img[4] = 0.0  # no photo
    rows = [np.array(r) for r in ([0, 1], [0], [2], [2, 3], [4])]
    nb = ImageNeighbours.fit(img, rows, 5, k=1, power=4.0)
    assert list(nb.present_) == [0, 1, 2, 3] and nb.features.shape == (4, 1280)
    own = np.array([0, 1, 2, 3, -1])
    got = nb.neighbours_of(img, own)
    assert np.allclose(got[0], [1, 0, 0, 0, 0]) and np.allclose(got[1], [0.5, 0.5, 0, 0, 0])  # post 1 reads post 0
    assert np.allclose(got[2], [0, 0, 0.5, 0.5, 0]) and np.allclose(got[3], [0, 0, 1, 0, 0]) and not got[4].any()
    alone = nb.neighbours_of(img[:1])  # a query is not left out of anything: its own photo is its neighbour
    assert np.allclose(alone[0], [0.5, 0.5, 0, 0, 0])


def test_neighbour_feature_trains_round_trips_and_switches_off(model, posts, tmp_path):
    assert model.nb_ is not None and all(m.nb_scale is not None for m in [model.net_])
    loaded = load_suggester(model.save(tmp_path / "nb"))
    assert np.array_equal(loaded.nb_.features, model.nb_.features) and loaded.nb_.k == model.neighbours
    off = create_suggester("test_cnn_lstm", epochs=1, neighbours=0).fit(posts)
    assert off.nb_ is None and off.net_.nb_scale is None
    assert not any("nb." in k for k in off._extra_tensors(tmp_path))
    with pytest.raises(ModelError, match="neighbours"):
        create_suggester("test_cnn_lstm", neighbours=-1).fit(posts)


def test_prefix_ties_go_to_the_first_step_then_the_more_frequent_tag():
    """Tags of equal prefix marginal and equal first-step probability go to the lower index (the more frequent), as
    co-occurrence breaks its ties, not to the best beam's order: that order is float rounding where the decoder
    cannot tell the tags apart (#fashion and #shoe after #jean on HARRISON's tag lists). With ``beam_score="final"``
    (no ``prefix``) ties still keep the best beam's order."""
    seqs, probs, steps = [[58, 6, 9], [58, 6, 4]], np.array([0.5, 0.5]), [[0.02, 0.02, 0.01]] * 2
    first = np.zeros(60)
    first[[6, 58, 9, 4, 30]] = [0.02, 0.02, 0.01, 0.01, 0.03]
    prefix = np.zeros(60)
    prefix[[6, 58, 9, 4]] = [0.95, 0.95, 0.5, 0.5]
    ranked = [t for t, *_ in rank_beams(seqs, probs, steps, first, 1.0, k=5, prefix=prefix)]
    assert ranked == [6, 58, 4, 9, 30]  # 4 and 9 tie too, at equal first-step probability: the lower index first
    first[58] = 0.021  # a first step that tells them apart decides
    assert [t for t, *_ in rank_beams(seqs, probs, steps, first, 1.0, k=2, prefix=prefix)] == [58, 6]
    assert [t for t, *_ in rank_beams(seqs, probs, steps, first, 1.0, k=2)] == [58, 6]  # final: the best beam's order
