"""A post that shows a one-topic corpus's topic (vape) keeps that topic's tags first: the thin word statistics of
the topic's tags fire (the topic gate asks for evidence of the topic anyway), a face's #selfie and the open-world
caption tags step back as far as the post shows the topic (issue 20's no-regression on the vape set)."""
from __future__ import annotations

import numpy as np
import pytest

from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base import topics
from taglens.suggesters.taglens_base.sources.caption_words import THIN_COUNT, CaptionWordStats


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


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
