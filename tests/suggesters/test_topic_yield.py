"""A post that shows a one-topic corpus's topic (vape) keeps that topic's tags first: the thin word statistics of
the topic's tags fire (the topic gate asks for evidence of the topic anyway), a face's #selfie and the open-world
caption tags step back as far as the post shows the topic (issue 20's no-regression on the vape set)."""
from __future__ import annotations

import numpy as np
import pytest

from taglens.features import post_features
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base import topics
from taglens.suggesters.taglens_base.sources.caption_words import THIN_COUNT, CaptionWordStats
from taglens.types import Post

VAPE_CAPTION = "Our new Gold bar kit 🔥 customised coils"  # 'coils' is a vape tag: the caption shows the topic
EVERYDAY_CAPTION = "Sunday brunch with friends by the river"


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def features_of(text: str):
    return post_features([Post(text=text)], images=False)[0]


def test_thin_entries_of_a_topics_tags_fire_and_others_do_not():
    texts = ["flavour drop"] * 2 + ["flavour review"] * 4 + ["other words"] * 20
    tags = [np.array([0, 1])] * 2 + [np.array([], dtype=int)] * 4 + [np.array([2])] * 20
    stats = CaptionWordStats(min_df=1).fit(texts, tags, n_tags=3)
    assert stats.support("flavour", 0) == (2, 6) and 2 < THIN_COUNT  # 2 / 9: a thin entry
    assert 0 not in stats.scores("flavour") and 1 not in stats.scores("flavour")
    topic = np.array([True, False, False])  # tag 0 belongs to the topic, tag 1 does not
    got = stats.scores("flavour", unthinned=topic)
    assert 0 in got and 1 not in got
    assert got[0][0] == pytest.approx(2 / 9, abs=1e-3)
    # under a min_count (an emoji's single caption outside English) the topic's tags fire too
    assert 0 in stats.scores("flavour", min_count=lambda w: 3, unthinned=topic)
    assert 1 not in stats.scores("flavour", min_count=lambda w: 3, unthinned=topic)


def test_the_words_source_lets_only_the_vape_tags_thin_entries_through(model):
    words = model.source("words")
    mask = words._topic_mask()
    vape = topics.topic_tags()["vape"]
    assert mask.shape == (len(model.vocab_),)
    assert all(mask[j] == (t in vape) for j, t in enumerate(model.vocab_))
    assert not any(mask[model.index_[t]] for t in ("food", "travel", "maga", "gold") if t in model.index_)


def test_faces_yield_where_the_words_show_the_topic_not_for_an_everyday_post(model):
    face = {"faces": {"selfie": (1.0, "one face, close up")}}
    shop = features_of(VAPE_CAPTION)
    strength = topics.topic_strength(model, shop, face)
    # a caption alone spelling 'coils' (a vape tag that does not name vaping, ``topics.SPELLED_NAMES``) shows the topic
    # through the word's rate, not in full; the faces yield as far as it does
    assert 0.5 <= strength["vape"] < 1.0
    _, gains = topics.yield_to_topic(model, shop, face, strength, {"faces": 1.0})
    assert gains["faces"] == pytest.approx(1.0 - strength["vape"])
    everyday = features_of(EVERYDAY_CAPTION)
    strength = topics.topic_strength(model, everyday, face)
    _, gains = topics.yield_to_topic(model, everyday, face, strength, {"faces": 1.0})
    assert gains["faces"] == 1.0
    # a photo alone whose image head sees vape keeps its face: only the post's words and tags make faces yield
    photo = post_features([Post(text="")], images=False)[0]
    _, gains = topics.yield_to_topic(model, photo, face, {"vape": 1.0, "politics": 0.0}, {"faces": 1.0})
    assert gains["faces"] == 1.0


def test_caption_tags_outside_the_topic_yield_on_a_post_showing_it(model):
    shop = features_of(VAPE_CAPTION)
    ev = {"caption_tags": {"gold": (0.9, "mentions: gold"), "coils": (0.5, "mentions: coils")}}
    out, _ = topics.yield_to_topic(model, shop, ev, {"vape": 1.0, "politics": 0.0}, {})
    assert out["caption_tags"]["gold"][0] == pytest.approx(0.9 * (1 - topics.CAPTION_YIELD))
    share = topics._corpus_share("coils", "vape")
    assert share > 0.8
    assert out["caption_tags"]["coils"][0] == pytest.approx(0.5 * (1 - topics.CAPTION_YIELD * (1 - share)))
    out, _ = topics.yield_to_topic(model, shop, ev, {"vape": 0.0, "politics": 1.0}, {})
    assert out is ev  # politics is no one-topic corpus; an everyday post (no topic shown) is untouched
    hint = {"vape": topics.MIN_STRENGTH / 2, "politics": 0.0}
    assert topics.yield_to_topic(model, shop, ev, hint, {"faces": 1.0}) == (ev, {"faces": 1.0})  # a hint: nothing


def test_a_vape_shop_caption_keeps_its_vape_tags_above_generic_words(model, monkeypatch):
    tags = [s.tag for s in model.suggest(Post(text=VAPE_CAPTION), k=5)]
    vape = topics.topic_tags()["vape"]
    assert tags[0] in vape
    # the caption alone shows vape through 'coils' (not in full: ``topics.SPELLED_NAMES``): #gold, if at all, below
    # every vape tag of the top 5
    assert "gold" not in tags or all(tags.index(t) < tags.index("gold") for t in tags if t in vape)
    monkeypatch.setattr(topics, "CAPTION_YIELD", 0.0)
    without = [s.tag for s in model.suggest(Post(text=VAPE_CAPTION), k=5)]
    assert "gold" in without and without.index("gold") < (tags.index("gold") if "gold" in tags else 5)
    # an everyday caption is read as before
    monkeypatch.undo()
    assert not set(topics.topic_tags()["vape"]) & {s.tag for s in model.suggest(Post(text=EVERYDAY_CAPTION), k=5)}
