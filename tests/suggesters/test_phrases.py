"""Key phrases: which caption terms never seen in training would also be written as hashtags."""
import json

import numpy as np
import pytest

from taglens.exceptions import ModelError
from taglens.registry import create_suggester
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base.wording import STOPWORDS, caption_terms
from taglens.suggesters.phrases import FEATURES, KeyPhrases, term_features, term_spans
from taglens.types import Post

# Made-up captions in which authors tag the capitalised place or brand they name, never the common words.
PLACES = ["Zorbin", "Quellmar", "Travik", "Ostrova", "Belquin", "Margath", "Velloria", "Dunkarrow"]
COMMON = ["morning walk with friends", "lovely day at the market", "coffee and a good book", "back home again"]


def captions():
    texts, tags = [], []
    for i, place in enumerate(PLACES * 3):
        texts.append(f"{COMMON[i % len(COMMON)]} in {place}")
        tags.append({place.lower(), "travel"})
    return texts, tags


def test_term_spans_are_caption_terms():
    text = "The Golden Gate at sunset! golden"
    assert [t for t, *_ in term_spans(text, STOPWORDS)] == caption_terms(text)
    assert caption_terms(text) == ["golden", "goldengate", "gate", "sunset", "sunsetgolden"]


def test_term_features_describe_the_form():
    f = term_features("lovely day in Quellmar, QUELLMAR again", STOPWORDS)
    q = dict(zip(FEATURES, f["quellmar"]))
    assert q["capitalized"] == 1 and q["not_a_word"] == 1 and q["pair"] == 0 and q["repeated"] == 1
    day = dict(zip(FEATURES, f["day"]))
    assert day["capitalized"] == 0 and day["not_a_word"] == 0 and day["zipf_joined"] > 0.5
    assert dict(zip(FEATURES, f["lovelyday"]))["pair"] == 1


def test_learns_that_named_places_become_tags_and_common_words_do_not():
    texts, tags = captions()
    kp = KeyPhrases().fit(texts, tags, STOPWORDS)
    # a place no training caption named still scores far above the common words around it
    scores = kp.scores("sunny afternoon walk in Harroway", STOPWORDS, floor=0.0)
    assert scores["harroway"] > 0.5
    assert max(scores[w] for w in ("sunny", "afternoon", "walk")) < 0.2
    assert kp.scores("sunny afternoon walk in Harroway", STOPWORDS, skip={"harroway"}.__contains__,
                     floor=0.0).keys() == scores.keys() - {"harroway"}


def test_nothing_to_learn_gives_no_scores():
    kp = KeyPhrases().fit(["a walk in the park", "coffee time"], [{"x"}, {"y"}], STOPWORDS)
    assert kp.coef_ is None and kp.scores("a walk in Harroway", STOPWORDS) == {}
    assert KeyPhrases.from_json(kp.to_json()).scores("a walk in Harroway", STOPWORDS) == {}


def test_json_round_trip_and_malformed_files():
    texts, tags = captions()
    kp = KeyPhrases().fit(texts, tags, STOPWORDS)
    back = KeyPhrases.from_json(json.loads(json.dumps(kp.to_json())))
    assert np.allclose(back.coef_, kp.coef_, atol=1e-5)
    with pytest.raises(ModelError, match="other features"):
        KeyPhrases.from_json({"features": ["bias"], "coef": [1.0]})
    with pytest.raises(ModelError, match="malformed"):
        KeyPhrases.from_json({"features": list(FEATURES), "coef": [1.0, 2.0]})


def test_default_model_suggests_a_new_place_from_the_caption(tmp_path):
    texts, tags = captions()
    posts = [Post(text=t, hashtags=tuple(sorted(g))) for t, g in zip(texts, tags)]
    model = create_suggester("taglens-base", min_count=2, text_epochs=2, text_hidden=8).fit(posts)
    from taglens.features import post_features

    post = Post(text="sunny afternoon walk in Harroway")
    ev = model.source("mentions").evidence(post, post_features([post], images=False, text=False)[0])
    assert ev["harroway"][1] == "key phrase of the caption: harroway"
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / "phrases.json").is_file()
    loaded = load_suggester(tmp_path / "m")
    got = [s.tag for s in loaded.suggest(Post(text="sunny afternoon walk in Harroway"), k=5)]
    assert "harroway" in got
    (tmp_path / "m" / "phrases.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="phrases.json"):
        load_suggester(tmp_path / "m")
    (tmp_path / "m" / "phrases.json").write_text(json.dumps({"features": ["bias"], "coef": [1.0]}))
    with pytest.raises(ModelError, match="phrases.json.*other features"):
        load_suggester(tmp_path / "m")


def test_model_folder_without_key_phrases_is_a_clear_error(tmp_path):
    """No released model lacks phrases.json: a folder without it is damaged, and loading it says which file."""
    texts, tags = captions()
    posts = [Post(text=t, hashtags=tuple(sorted(g))) for t, g in zip(texts, tags)]
    model = create_suggester("taglens-base", min_count=2, text_epochs=2, text_hidden=8).fit(posts)
    model.save(tmp_path / "m")
    (tmp_path / "m" / "phrases.json").unlink()
    with pytest.raises(ModelError, match="phrases.json"):
        load_suggester(tmp_path / "m")
