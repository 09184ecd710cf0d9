"""The protocol: hash-ordered reveal, hashtag-free captions, dropping revealed tags, means over scored posts."""
import hashlib
import math

import pytest

from taglens.data.posts import Record
from taglens.eval.protocol import evaluate, order_tags, parse_inputs, prepare_query
from taglens.exceptions import TaglensError
from taglens.suggesters.base import BaseSuggester
from taglens.types import Suggestion


class Scripted(BaseSuggester):
    """Returns a fixed ranking per post id (and records what it was shown), to check the arithmetic."""

    name = "scripted"
    needs_training = False

    def __init__(self, rankings=None):
        self.rankings = rankings or {}
        self.seen = []

    def _rank(self, post, k):
        self.seen.append(post)
        return [Suggestion(t, 1.0 - i / 100) for i, t in enumerate(self.rankings.get(post.post_id, []))]

    def suggest(self, post, k=10):  # keep the revealed tags in the ranking: the protocol must drop them
        return self._rank(post, k)[:k]


def rec(pid, tags, text="", images=()):
    return Record(id=pid, user=None, images=tuple(images), text=text, hashtags=tuple(tags))


def test_order_is_sha1_of_seed_id_tag():
    tags = ["beach", "sun", "sea", "summer"]
    want = sorted(tags, key=lambda t: hashlib.sha1(f"0:p1:{t}".encode()).hexdigest())
    assert order_tags("p1", tags, 0) == want
    assert order_tags("p1", tags, 7) == sorted(tags, key=lambda t: hashlib.sha1(f"7:p1:{t}".encode()).hexdigest())


def test_prepare_query_reveals_first_r_and_strips_hashtags():
    r = rec("p1", ["beach", "sun", "sea"], text="Lovely  day #beach at the #sea\n#sun", images=("a.jpg",))
    post, revealed, targets = prepare_query(r, {"text", "tags"}, reveal=1)
    assert revealed == order_tags("p1", ["beach", "sun", "sea"])[:1]
    assert sorted(revealed + targets) == ["beach", "sea", "sun"]
    assert post.hashtags == tuple(revealed)
    assert post.text == "Lovely day at the"
    assert post.images == ()  # images is not an input
    post, _, _ = prepare_query(r, {"images"}, reveal=1)
    assert post.hashtags == () and post.text == "" and len(post.images) == 1


def test_evaluate_means_over_scored_posts_and_drops_revealed():
    records = [rec("a", ["x", "y"]), rec("b", ["z"]), rec("c", [])]  # c has no target: skipped
    _, rev_a, tgt_a = prepare_query(records[0], {"tags"}, reveal=1)
    model = Scripted({"a": [rev_a[0], tgt_a[0], "junk"], "b": ["junk", "z"]})
    out = evaluate(records, model, inputs="tags", reveal=1, k=10)
    # with reveal=1, post b's single tag is revealed, so it has no target and is skipped as well
    assert out["n"] == 1
    assert out["P@1"] == 1.0  # the revealed tag was dropped, so the target is first
    out0 = evaluate(records, model, inputs="tags", reveal=0, k=10)
    assert out0["n"] == 2
    # post a: targets {x,y}; ranking [rev, tgt, junk] -> two hits in top 5; post b: hit at rank 2
    assert out0["P@1"] == pytest.approx((1.0 + 0.0) / 2)
    assert out0["R@5"] == pytest.approx((1.0 + 1.0) / 2)
    assert out0["A@5"] == 1.0
    assert out0["P@5"] == pytest.approx((2 / 5 + 1 / 5) / 2)


def test_revealed_tags_are_dropped_before_the_top_k_is_cut():
    """A model not shown the revealed tags may rank them first; they must not cost it a place in the top k."""
    tags = ["t0", "t1", "t2", "t3", "t4", "t5"]
    record = rec("p", tags)
    _, revealed, targets = prepare_query(record, {"text"}, reveal=2)
    ranking = revealed + [f"junk{i}" for i in range(9)] + [targets[0]]  # the target is 12th, 10th after dropping
    out = evaluate([record], Scripted({"p": ranking}), inputs="text", reveal=2, k=10)
    assert out["A@10"] == 1.0 and out["P@10"] == pytest.approx(0.1)
    assert out["NDCG@10"] == pytest.approx((1 / math.log2(11)) / sum(1 / math.log2(i + 2) for i in range(4)))


def test_progress_counts_every_record_once():
    records = [rec("a", ["x", "y"]), rec("b", []), rec("c", ["z"])]
    done = []
    evaluate(records, Scripted(), inputs="tags", reveal=1, progress=done.append)
    assert sum(done) == len(records)


def test_evaluate_counts_unreadable_posts_as_errors(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")

    class NeedsImages(Scripted):
        def suggest(self, post, k=10):
            from taglens.media import load_visuals

            load_visuals(post.images)
            return super().suggest(post, k)

    records = [rec("ok", ["a"]), rec("bad", ["a"], images=(bad,))]
    out = evaluate(records, NeedsImages({"ok": ["a"], "bad": ["a"]}), inputs="images,tags")
    assert out["n"] == 2 and out["errors"] == 1 and out["P@1"] == 0.5


def test_parse_inputs():
    assert parse_inputs("all") == {"images", "text", "tags"}
    assert parse_inputs("text, images") == {"images", "text"}
    with pytest.raises(TaglensError, match="subset"):
        parse_inputs("pixels")


def test_no_scored_post_still_reports_every_metric():
    out = evaluate([rec("a", ["x"]), rec("b", [])], Scripted(), inputs="tags", reveal=1)
    assert out["n"] == 0 and out["P@1"] == 0.0 and out["NDCG@10"] == 0.0 and "A@5" in out
