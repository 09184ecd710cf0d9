"""Fixtures of the collection tests: the local Mastodon server, a fast expander, a no-op sleep."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mastodon_server import MastodonTestServer, World  # noqa: E402

from taglens.collect.expand import Expander, LexicalEmbedder, default_segmenter  # noqa: E402


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
