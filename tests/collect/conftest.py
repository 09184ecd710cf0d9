"""Fixtures of the collection tests: the local Mastodon server, a fast expander, a no-op sleep."""
from __future__ import annotations

import pytest
from mastodon_server import MastodonTestServer, World  # tests/collect is on sys.path: pytest puts it there

from taglens.collect.expand import Expander, LexicalEmbedder, default_segmenter


class Sleeps(list):
    """A sleep() that records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def world() -> World:
    return World(posts_per_tag=30)


@pytest.fixture
def server(world: World):
    with MastodonTestServer(world) as srv:
        yield srv


@pytest.fixture
def fast_expander() -> Expander:
    """Lexical similarity and no WordNet, so expansion tests need neither MiniLM nor WordNet loading."""
    return Expander(embedder=LexicalEmbedder(), segmenter=default_segmenter(), synonyms=lambda word: [], max_new=5)
