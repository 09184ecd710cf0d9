"""The co-attention network (Zhang et al. 2017) with tag conditioning."""
from __future__ import annotations

import numpy as np
import pytest

from taglens.exceptions import DataError, ModelError
from taglens.registry import create_suggester
from taglens.model_folder import load_suggester
from taglens.suggesters.attention import build_network, token_vectors
from taglens.types import Post


@pytest.fixture(scope="module")
def posts(tmp_path_factory, synthetic_posts):
    return synthetic_posts(tmp_path_factory.mktemp("attention"), n_per_theme=8)


@pytest.fixture(scope="module")
def model(posts):
    return create_suggester("test_coattention", epochs=30, dim=32, dropout=0.0, lr=1e-2, batch_size=8).fit(posts)


def test_network_handles_missing_modalities():
    import torch

    net = build_network(n_tags=5, dim=8, dropout=0.0, region_dim=6)
    img, img_mask = torch.zeros((2, 3, 6)), torch.tensor([[True, True, False], [False, False, False]])
    txt, txt_mask = torch.zeros((2, 1, 384)), torch.tensor([[False], [True]])
    tags = torch.tensor([[0.0, 1, 0, 0, 0], [0, 0, 0, 0, 0]])
    out = net(img, img_mask, txt, txt_mask, tags)
    assert out.shape == (2, 5) and torch.isfinite(out).all()


def test_token_vectors_drop_special_tokens():
    vecs = token_vectors(["hello world", ""], max_tokens=8)
    assert vecs[0].shape == (2, 384) and vecs[1].shape == (0, 384)


def test_learns_from_each_modality(model, tmp_path, make_image):
    red = make_image(tmp_path / "r.jpg", (205, 35, 30), seed=7)
    blue = make_image(tmp_path / "b.jpg", (30, 65, 205), seed=8)
    assert "red" in [s.tag for s in model.suggest(Post(images=(red,)), k=3)]
    assert "blue" in [s.tag for s in model.suggest(Post(images=(blue,)), k=3)]
    assert "pasta" in [s.tag for s in model.suggest(Post(text="tomato pasta"), k=3)]
    assert "sea" in [s.tag for s in model.suggest(Post(text="the blue sea"), k=3)]
    got = model.suggest(Post(text="tomato pasta", images=(red,)), k=2)
    assert got[0].source == "image+text"


def test_existing_tags_condition_the_ranking(model):
    with_red = [s.tag for s in model.suggest(Post(hashtags=("red",)), k=3)]
    with_blue = [s.tag for s in model.suggest(Post(hashtags=("blue",)), k=3)]
    assert with_red != with_blue
    assert "pasta" in with_red and "sea" in with_blue


def test_round_trip_and_mismatched_weights(model, posts, tmp_path):
    folder = model.save(tmp_path / "m")
    loaded = load_suggester(folder)
    q = Post(text="tomato", images=posts[0].images, hashtags=("food",))
    assert np.allclose(loaded.scores(q), model.scores(q), atol=1e-6)
    import json

    config = json.loads((folder / "config.json").read_text())
    config["params"]["dim"] = 24
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="do not match"):
        load_suggester(folder)


def test_needs_some_input():
    with pytest.raises(DataError, match="readable image or caption"):
        create_suggester("test_coattention").fit([Post(hashtags=("a",)), Post(hashtags=("b",))])


def test_pooled_summaries_handle_missing_modalities():
    import torch

    net = build_network(n_tags=5, dim=8, dropout=0.0, region_dim=6, pooled=True)
    assert net.out[0].in_features == 40  # [v2, t1, g] plus the two plain means
    img, img_mask = torch.randn((2, 3, 6)), torch.tensor([[True, True, False], [False, False, False]])
    txt, txt_mask = torch.randn((2, 1, 384)), torch.tensor([[False], [True]])
    out = net(img, img_mask, txt, txt_mask, torch.zeros((2, 5)))
    assert out.shape == (2, 5) and torch.isfinite(out).all()
    # the masked-out third region of the first post must not change its scores
    img2 = img.clone()
    img2[0, 2] += 100.0
    assert torch.allclose(net(img2, img_mask, txt, txt_mask, torch.zeros((2, 5))), out)


def test_pooled_model_round_trip_and_config_mismatch(posts, tmp_path):
    import json

    model = create_suggester("test_coattention", pooled=True, epochs=2).fit(posts)
    folder = model.save(tmp_path / "pooled")
    q = Post(text="tomato", images=posts[0].images)
    assert np.allclose(load_suggester(folder).scores(q), model.scores(q), atol=1e-6)
    config = json.loads((folder / "config.json").read_text())
    config["params"]["pooled"] = False
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="do not match"):
        load_suggester(folder)


def test_user_balance_weighs_each_author_alike(posts):
    """One author with many posts: with user_balance the network learns less of that author's tags."""
    import dataclasses

    prolific = [dataclasses.replace(p, user="shop") for p in posts if "red" in p.hashtags]
    others = [dataclasses.replace(p, user=f"u{i}") for i, p in enumerate(posts) if "red" not in p.hashtags]
    train = prolific + others
    kw = dict(epochs=10, dim=16, dropout=0.0, lr=1e-2, batch_size=8)
    plain = create_suggester("test_coattention", **kw).fit(train)
    balanced = create_suggester("test_coattention", user_balance=1.0, **kw).fit(train)
    empty = Post()
    red = plain.vocab_.index["red"]
    assert balanced.scores(empty)[red] < plain.scores(empty)[red]


def test_several_networks_are_averaged_and_saved(posts, tmp_path):
    """``nets`` networks from seeds seed, seed+1, ...: the scores are their mean; one net is the seed's own."""
    kw = dict(epochs=3, dim=16, dropout=0.0, lr=1e-2, batch_size=8)
    pair = create_suggester("test_coattention", nets=2, **kw).fit(posts)
    first = create_suggester("test_coattention", nets=1, **kw).fit(posts)
    second = create_suggester("test_coattention", nets=1, seed=1, **kw).fit(posts)
    q = Post(text="tomato", images=posts[0].images)
    assert np.allclose(pair.scores(q), (first.scores(q) + second.scores(q)) / 2, atol=1e-5)
    loaded = load_suggester(pair.save(tmp_path / "pair"))
    assert len(loaded.nets_) == 2 and np.allclose(loaded.scores(q), pair.scores(q), atol=1e-6)
    # weights of another number of networks than the config says: a clear error naming the folder
    import json

    config = json.loads((tmp_path / "pair" / "config.json").read_text())
    config["params"]["nets"] = 3
    (tmp_path / "pair" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="holds 2 networks, its config says 3"):
        load_suggester(tmp_path / "pair")
    with pytest.raises(ModelError, match="at least 1"):
        create_suggester("test_coattention", nets=0).fit(posts)
