"""Text-only suggesters: TF-IDF + linear one-vs-rest, MiniLM + MLP."""
from __future__ import annotations

import logging

import pytest

from taglens.exceptions import DataError
from taglens.registry import create_suggester
from taglens.model_folder import load_suggester
from taglens.types import Post

FAST = {"tfidf-linear": {"epochs": 50, "lr": 5e-2, "min_df": 1, "min_count": 1, "dropout": 0.0},
        "minilm-mlp": {"epochs": 50, "lr": 1e-2, "hidden": 64, "min_count": 1, "dropout": 0.0}}


@pytest.fixture(scope="module")
def posts(tmp_path_factory, synthetic_posts):
    return synthetic_posts(tmp_path_factory.mktemp("text"))


@pytest.mark.parametrize("name", sorted(FAST))
def test_learns_caption_words_without_their_hashtags(name, posts):
    model = create_suggester(name, **FAST[name]).fit(posts)
    red = [s.tag for s in model.suggest(Post(text="tomato pasta with sauce"), k=3)]
    blue = [s.tag for s in model.suggest(Post(text="the sea at the beach"), k=3)]
    assert "pasta" in red and "red" in red
    assert "sea" in blue and "blue" in blue
    assert model.suggest(Post(text="tomato pasta"), k=1)[0].source == "text"


def test_tfidf_sees_no_hashtag_tokens(posts):
    model = create_suggester("tfidf-linear", **FAST["tfidf-linear"]).fit(posts)
    assert "pasta" in model.words_ and not [w for w in model.words_ if "vibes" in w]  # '#redvibes' was stripped


@pytest.mark.parametrize("name", sorted(FAST))
def test_empty_caption_falls_back_on_the_prior(name, posts):
    model = create_suggester(name, **FAST[name]).fit(posts)
    got = model.suggest(Post(images=posts[0].images), k=3)
    assert len(got) == 3 and {s.source for s in got} == {"prior"}
    assert not model.uses_input(Post(text="#only #hashtags"))


def test_save_load_keeps_the_vocabulary_and_idf(posts, tmp_path):
    model = create_suggester("tfidf-linear", **FAST["tfidf-linear"]).fit(posts)
    loaded = load_suggester(model.save(tmp_path / "m"))
    assert loaded.words_ == model.words_
    q = Post(text="spicy red sauce")
    assert [s.tag for s in loaded.suggest(q, k=5)] == [s.tag for s in model.suggest(q, k=5)]


def test_posts_without_captions_or_hashtags_are_clear_errors(caplog):
    with pytest.raises(DataError, match="caption text"):
        create_suggester("tfidf-linear").fit([Post(hashtags=("a",)), Post(text="#b", hashtags=("b",))])
    with pytest.raises(DataError, match="has a hashtag"):
        create_suggester("tfidf-linear").fit([Post(text="no tags here")])
    with caplog.at_level(logging.WARNING):
        create_suggester("tfidf-linear", min_df=1, min_count=1, epochs=1).fit(
            [Post(text="cats", hashtags=("cat",)), Post(text="untagged")])
    assert "skipping 1 of 2 training posts without hashtags" in caplog.text


@pytest.mark.parametrize("text, emoji", [
    ("💨 cloud 💨 ☕, é ñ 1", ["💨", "☕"]),
    ("Greetings from Stockholm 🇸🇪 and 🇺🇸", ["🇸🇪", "🇺🇸"]),  # a flag is one emoji, not its two letters
    ("👍🏽 ok ❤️", ["👍", "❤"]),  # skin tones and variation selectors dress the emoji before them
    ("👩\u200d👧 ‼ 🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
     ["👩", "👧", "‼", "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"]),  # England's flag whole
    ("🇸🇪🇺 🇺", ["🇸🇪"]),  # a regional indicator alone is a letter, not a flag
    ("©2020 ©️ 25° ™ \u2800 \ufffc → Café", []),  # signs that are not emoji, caption padding
    ("Ⓢⓐⓛⓔ 🅐🅢 🆂🅴 ─━ █▓ ■●◆► ♪ ✓", []),  # letters dressed as symbols, box drawing, shapes
    ("1️⃣ #️⃣", []),  # keycaps are emoji, but of digits: left out by design
    ("\U0001FA77 🫶", ["\U0001FA77", "🫶"]),  # emoji newer than some Pythons' Unicode tables
])
def test_emoji_symbols_are_the_distinct_emoji(text, emoji):
    from taglens.suggesters.text import emoji_symbols

    assert emoji_symbols(text) == emoji
