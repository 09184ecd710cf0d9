"""Late fusion of several models."""
from __future__ import annotations

import pytest

from taglens.exceptions import DataError, ModelError
from taglens.registry import create_suggester
from taglens.model_folder import load_suggester
from taglens.suggesters.ensemble import _normalised
from taglens.types import Post, Suggestion


@pytest.fixture(scope="module")
def posts(tmp_path_factory, synthetic_posts):
    return synthetic_posts(tmp_path_factory.mktemp("ensemble"))


def test_normalised_scores_sum_to_one():
    got = dict(_normalised([Suggestion("a", 3.0), Suggestion("b", 1.0)]))
    assert got == {"a": 0.75, "b": 0.25}
    got = dict(_normalised([Suggestion("a", 1.0), Suggestion("b", -1.0)]))
    assert got == {"a": 1.0, "b": 0.0}
    assert dict(_normalised([Suggestion("a", 0.0), Suggestion("b", 0.0)])) == {"a": 0.5, "b": 0.5}


def test_members_without_input_are_left_out(posts, tmp_path):
    text = create_suggester("tfidf-linear", epochs=50, lr=5e-2, min_df=1, min_count=1).fit(posts)
    model = create_suggester("ensemble", members=["popularity", "test_effnet_linear", str(text.save(tmp_path / "t"))],
                             weights=[0.1, 1.0, 1.0]).fit(posts)
    got = model.suggest(Post(text="tomato pasta"), k=3)
    assert all("test_effnet_linear" not in s.source for s in got)  # no image: the image model's prior is skipped
    assert "pasta" in [s.tag for s in got]
    assert model.suggest(Post(), k=3)  # nothing to go on: every member's own fallback


def test_a_member_that_cannot_learn_from_the_data_is_left_out(posts, tmp_path, caplog):
    """An image-only data set (instagram6 has no captions) must not stop an ensemble with a text member."""
    no_text = [Post(images=p.images, hashtags=p.hashtags) for p in posts]
    model = create_suggester("ensemble", members=["cooccurrence", "tfidf-linear", "test_effnet_linear"],
                             weights=[0.5, 1.0, 2.0]).fit(no_text)
    assert model.members == ["cooccurrence", "test_effnet_linear"] and model.weights == [0.5, 2.0]
    assert any("member tfidf-linear left out" in r.getMessage() for r in caplog.records)
    loaded = load_suggester(model.save(tmp_path / "ens"))
    q = Post(images=posts[0].images)
    assert [s.tag for s in loaded.suggest(q, k=3)] == [s.tag for s in model.suggest(q, k=3)]
    with pytest.raises(DataError, match="no member could be trained .*tfidf-linear"):
        create_suggester("ensemble", members=["tfidf-linear"]).fit(no_text)
    once = [Post(hashtags=(f"tag{i}",)) for i in range(4)]  # no caption, no photo, no tag used twice
    with pytest.raises(DataError, match=r"\(tfidf-linear: none of .*; conse: the tag vocabulary is empty"):
        create_suggester("ensemble", members=["tfidf-linear", "conse"]).fit(once)


def test_priors_do_not_dilute_members_with_evidence(posts):
    """Co-occurrence without a known tag, and popularity always, answer with the same prior for every post."""
    image = create_suggester("test_effnet_linear").fit(posts)
    cooc = create_suggester("cooccurrence").fit(posts)
    assert not cooc.uses_input(Post(images=posts[0].images)) and cooc.uses_input(Post(hashtags=posts[0].hashtags))
    assert not create_suggester("popularity").fit(posts).uses_input(Post(hashtags=posts[0].hashtags))
    model = create_suggester("ensemble", members=["cooccurrence", "popularity", "test_effnet_linear"]).fit(posts)
    q = Post(images=posts[3].images)
    assert [s.tag for s in model.suggest(q, k=5)] == [s.tag for s in image.suggest(q, k=5)]


def test_trained_member_directories_and_round_trip(posts, tmp_path):
    member = create_suggester("tfidf-linear", epochs=5).fit(posts).save(tmp_path / "text")
    model = create_suggester("ensemble", members=["cooccurrence", str(member)]).fit(posts)
    folder = model.save(tmp_path / "ens")
    loaded = load_suggester(folder)
    q = Post(text="sea and sky", hashtags=("blue",))
    assert [(s.tag, s.source) for s in loaded.suggest(q, k=5)] == [(s.tag, s.source) for s in model.suggest(q, k=5)]
    import shutil

    shutil.rmtree(next((folder / "members").glob("01-*")))
    with pytest.raises(ModelError, match="member .* is missing"):
        load_suggester(folder)


def test_bad_configurations_are_clear_errors(posts):
    with pytest.raises(ModelError, match="at least one member"):
        create_suggester("ensemble", members=[]).fit(posts)
    with pytest.raises(ModelError, match="1 weights for 2 members"):
        create_suggester("ensemble", members=["popularity", "cooccurrence"], weights=[1.0]).fit(posts)


def test_a_member_replaced_by_another_type_is_refused(posts, tmp_path):
    import shutil

    member = create_suggester("tfidf-linear", epochs=5).fit(posts).save(tmp_path / "text")
    folder = create_suggester("ensemble", members=["cooccurrence", str(member)]).fit(posts).save(tmp_path / "ens")
    swapped = next((folder / "members").glob("01-*"))
    shutil.rmtree(swapped)
    create_suggester("popularity").fit(posts).save(swapped)
    with pytest.raises(ModelError, match="holds a 'popularity' model, but the ensemble was saved with a "
                                         "'tfidf-linear' model there"):
        load_suggester(folder)
