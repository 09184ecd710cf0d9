"""The suggester contract, checked for every registered model (timm's test_models / sklearn's estimator checks):
fit returns self, suggest is sorted and respects k, existing tags are excluded, fitting is deterministic, and a
saved model gives the same suggestions after loading; every model carries its registered name and answers
uses_input and evidence."""
from __future__ import annotations

import math

import pytest

from taglens.model_folder import load_suggester
from taglens.registry import create_suggester, list_suggesters
from taglens.suggesters.base import Suggester
from taglens.types import Post, Suggestion

# Smaller settings for the full-size models, so the whole check runs in seconds (the contract does not depend on them).
FAST = {
    "coattention": {"epochs": 2, "dim": 32},
    "effnet-linear": {"epochs": 3},
    "effnet-mlp": {"epochs": 3, "hidden": 32},
    "minilm-mlp": {"epochs": 3, "hidden": 32},
    "tfidf-linear": {"epochs": 3},
    "ensemble": {"members": ["popularity", "test_effnet_linear", "tfidf-linear"]},
}


@pytest.fixture(scope="module")
def posts(tmp_path_factory, synthetic_posts):
    return synthetic_posts(tmp_path_factory.mktemp("conformance"))


def queries(posts):
    image = next(p.images[0] for p in posts if p.images)
    return [
        Post(text="tomato pasta tonight", hashtags=("red",), images=(image,)),
        Post(text="a day at the sea"),
        Post(images=(image,)),
        Post(hashtags=("blue",)),
        Post(),
    ]


def fitted(name, posts):
    model = create_suggester(name, **FAST.get(name, {}))
    assert model.fit(posts) is model
    return model


def same(a, b):
    """The same tags in the same order, with scores equal up to float rounding."""
    return [s.tag for s in a] == [s.tag for s in b] and all(
        math.isclose(x.score, y.score, rel_tol=1e-4, abs_tol=1e-6) for x, y in zip(a, b))


@pytest.mark.parametrize("name", list_suggesters(hidden=True))
def test_suggester_contract(name, posts, tmp_path):
    model = fitted(name, posts)
    for query in queries(posts):
        for k in (1, 3, 10):
            got = model.suggest(query, k=k)
            assert isinstance(got, list) and len(got) <= k
            assert all(isinstance(s, Suggestion) and s.tag for s in got)
            scores = [s.score for s in got]
            assert all(math.isfinite(s) for s in scores)
            assert scores == sorted(scores, reverse=True)
            assert not set(s.tag for s in got) & set(query.hashtags)
            assert len({s.tag for s in got}) == len(got)
        assert model.uses_input(query) in (True, False)
        if name != "taglens-base":  # its evidence() is per source (issue 20 is rewriting that module)
            evidence = model.evidence(query, k=5)
            assert isinstance(evidence, dict) and len(evidence) <= 5
            assert all(isinstance(score, float) and isinstance(why, str) for score, why in evidence.values())
    assert isinstance(model, Suggester) and model.name == name
    # deterministic: a second fit gives the same suggestions
    again = fitted(name, posts)
    for query in queries(posts):
        assert same(again.suggest(query, k=5), model.suggest(query, k=5))
    # save/load round trip
    model.save(tmp_path / "saved")
    loaded = load_suggester(tmp_path / "saved")
    assert type(loaded) is type(model) and loaded.name == name
    for query in queries(posts):
        assert same(loaded.suggest(query, k=5), model.suggest(query, k=5))
    assert [s.tag for s in model.suggest_batch(queries(posts), k=4)[1]] == [s.tag for s in model.suggest(
        queries(posts)[1], k=4)]
