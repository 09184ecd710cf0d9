"""Denton et al.'s user-conditional model: the author's metadata conditions the content, unknown authors take the
unconditioned path, histories are leave-one-out in training, and authors are stored as salted hashes."""
from __future__ import annotations

import json

import numpy as np
import pytest

from taglens.exceptions import ModelError
from taglens.model_folder import load_suggester
from taglens.registry import create_suggester
from taglens.suggesters.network import CONTENT_DIM
from taglens.suggesters.user_conditional import build_network, caption_language
from taglens.types import Post

KW = dict(epochs=60, dim=16, user_dim=8, dropout=0.0, lr=1e-2, batch_size=8)


@pytest.fixture(scope="module")
def shop_posts(tmp_path_factory, make_image):
    """Two shops post the same red pasta photos with the same caption; each adds its own tag."""
    folder = tmp_path_factory.mktemp("user_conditional")
    posts = []
    for i in range(12):
        image = make_image(folder / f"p{i}.jpg", (200, 30, 30), seed=i)
        shop = "bakery" if i % 2 else "pizzeria"
        posts.append(Post(text="fresh tomato pasta today", hashtags=("pasta", shop), images=(image,),
                          post_id=f"p{i}", user=f"owner-{shop}", meta={"source": "synthetic"}))
    return posts


@pytest.fixture(scope="module")
def model(shop_posts):
    return create_suggester("test_user_conditional", **KW).fit(shop_posts)


def _rank_of(model, post, tag):
    return [s.tag for s in model.suggest(post, k=3)].index(tag)


def test_the_author_decides_between_look_alike_posts(model, shop_posts):
    image = shop_posts[0].images
    for shop in ("bakery", "pizzeria"):
        other = "pizzeria" if shop == "bakery" else "bakery"
        got = model.suggest(Post(text="fresh tomato pasta today", images=image, user=f"owner-{shop}"), k=3)
        tags = [s.tag for s in got]
        assert tags.index(shop) < tags.index(other)
        top = next(s for s in got if s.tag == shop)
        assert top.source == "image+text+user" and "the author used it in 100% of their posts" in top.reason
    unknown = model.suggest(Post(images=image, user="someone-new"), k=3)
    assert all(s.source == "image" and "unconditioned path" in s.reason for s in unknown)


def test_unconditioned_variant_cannot_tell_the_authors_apart(shop_posts):
    plain = create_suggester("test_user_conditional", condition="none", **KW).fit(shop_posts)
    image = shop_posts[0].images
    a = plain.scores(Post(images=image, user="owner-bakery"))
    b = plain.scores(Post(images=image, user="owner-pizzeria"))
    assert np.array_equal(a, b) and not plain.user_keys_


@pytest.mark.parametrize("condition", ["gated", "concat"])
def test_unknown_user_is_exactly_the_unconditioned_path(condition):
    import torch

    torch.manual_seed(0)
    net = build_network(n_tags=7, n_users=3, n_langs=2, n_sources=2, dim=8, user_dim=4, dropout=0.0,
                        condition=condition).eval()
    x = torch.randn(2, CONTENT_DIM)
    zero = torch.zeros(2, dtype=torch.long)
    with torch.no_grad():
        out = net(x, zero, torch.zeros(2, 7), zero, zero)
        assert torch.allclose(out, net.tags(torch.tanh(net.content(x))), atol=1e-6)
        known = net(x, torch.tensor([1, 2]), torch.zeros(2, 7), zero, zero)
    assert not torch.allclose(out, known)


def test_training_histories_leave_the_post_out(shop_posts):
    from taglens.training import TagVocab

    extra = Post(text="x", hashtags=("pasta", "oneoff"), user="owner-bakery")  # a tag the author used once
    posts = shop_posts + [extra]
    fresh = create_suggester("test_user_conditional")
    fresh.vocab_ = TagVocab.build([p.hashtags for p in posts], 200, 1)
    index = fresh.vocab_.index
    users, history, _, sources = fresh._training_metadata(posts, [fresh.vocab_.encode(p.hashtags) for p in posts])
    row = history[len(posts) - 1].toarray()[0]
    assert row[index["bakery"]] == 1.0 and row[index["pasta"]] == 1.0  # 6 other posts, each with both
    assert row[index["oneoff"]] == 0.0  # its own tag is not part of its history
    first_a = history[1].toarray()[0]  # a bakery post: 6 other posts (5 with bakery, 1 without)
    assert np.isclose(first_a[index["bakery"]], 5 / 6) and first_a[index["oneoff"]] == 0.0
    assert len(set(users.tolist())) == 2 and not sources.any()  # one source: not an input
    # the stored history (for held-out posts) counts every post, and only tags used at least twice
    author = fresh.history_[users[len(posts) - 1]].toarray()[0]
    assert np.isclose(author[index["bakery"]], 6 / 7) and author[index["oneoff"]] == 0.0


def test_round_trip_stores_hashed_authors_only(model, shop_posts, tmp_path):
    folder = model.save(tmp_path / "m")
    text = (folder / "users.json").read_text()
    assert "owner-bakery" not in text and len(json.loads(text)["users"]) == 2
    loaded = load_suggester(folder)
    for user in ("owner-bakery", "owner-pizzeria", None):
        q = Post(text="tomato pasta", images=shop_posts[0].images, user=user)
        assert np.allclose(loaded.scores(q), model.scores(q), atol=1e-6)
    meta = json.loads(text)
    meta["users"] = meta["users"][:1]
    (folder / "users.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="do not match"):
        load_suggester(folder)


def test_bad_condition_is_a_model_error(shop_posts):
    with pytest.raises(ModelError, match="condition must be one of none, concat, gated"):
        create_suggester("test_user_conditional", condition="bilinear").fit(shop_posts)


def test_caption_language():
    assert caption_language("we went to the beach with the whole family today") == "en"
    assert caption_language("hoy fuimos a la playa con toda la familia") == "es"
    assert caption_language("🔥🔥 :)") is None


def test_image_only_query_of_a_known_author(model, tmp_path, make_image):
    blue = make_image(tmp_path / "blue.jpg", (30, 60, 200), seed=3)
    got = model.suggest(Post(images=(blue,), user="owner-bakery"), k=2)
    assert got[0].source == "image+user"
