"""bench/check_identical.py's tweets figures by TweetEval task group (hate and offensive apart from the rest)."""
import pytest

from taglens.data.posts import Record
from taglens.eval.protocol import evaluate
from taglens.suggesters.base import BaseSuggester
from taglens.types import Suggestion


class Fixed(BaseSuggester):
    name = "fixed"
    needs_training = False

    def __init__(self, rankings):
        self.rankings = rankings

    def _rank(self, post, k):
        return [Suggestion(t, 1.0 - i / 100) for i, t in enumerate(self.rankings[post.post_id])][:k]


def test_tweets_figures_by_task_group(bench_module):
    check = bench_module("check_identical")
    records = [Record(id=f"{task}/val/{i}", user=None, images=(), text=text, hashtags=tuple(tags))
               for i, (task, text, tags) in enumerate([
                   ("offensive", "@user not again #maga", ["maga"]),
                   ("hate", "they must go #buildthatwall", ["buildthatwall"]),
                   ("emoji", "sunset walk @ Venice Beach #venicebeach", ["venicebeach"]),
                   ("emoji", "coffee first #coffee #monday", ["coffee", "monday"]),
                   ("irony", "great, rain again #weather", ["weather"])])]
    model = Fixed({"offensive/val/0": ["maga"], "hate/val/1": ["wall", "a", "b", "c", "d", "buildthatwall"],
                   "emoji/val/2": ["beach", "venicebeach"], "emoji/val/3": ["coffee"], "irony/val/4": ["rain"]})
    per_post: list = []
    whole = evaluate(records, model, inputs="text", per_post=per_post)
    groups = check.group_figures(per_post, check.GROUPS["tweets"])
    assert groups == {"hate+offensive": {"n": 2, "P@1": 0.5, "A@5": 0.5},
                      "other tasks": {"n": 3, "P@1": pytest.approx(1 / 3, abs=1e-4),
                                      "A@5": pytest.approx(2 / 3, abs=1e-4)}}
    # the groups' figures weighted by their sizes are the whole set's
    assert sum(g["n"] * g["P@1"] for g in groups.values()) / whole["n"] == pytest.approx(whole["P@1"], abs=1e-3)
    assert sum(g["n"] * g["A@5"] for g in groups.values()) / whole["n"] == pytest.approx(whole["A@5"], abs=1e-3)


def test_compare_counts_first_hits_lost_and_won(bench_module, capsys):
    """Two runs with the same P@1 whose first hits traded places: the figures look alike, the rankings differ, and
    --compare says how many first hits were lost and won (the guard rail counts them)."""
    check = bench_module("check_identical")
    records = [Record(id=f"p{i}", user=None, images=(), text="x", hashtags=("a",)) for i in range(3)]
    per_post = [(records[0], {"P@1": 1.0}), (records[1], {"P@1": 0.0}), (records[2], {"P@1": 1.0})]
    assert check.first_hits(per_post) == ["p0", "p2"]
    figures = {"n": 3, "P@1": 2 / 3, "A@5": 1.0, "errors": 0}
    before = {"tasks": {"t": {"figures": figures, "batch": [[["a", 1.0]]], "single": [], "first_hits": ["p0", "p2"]}}}
    now = {"tasks": {"t": {"figures": figures, "batch": [[["b", 1.0]]], "single": [], "first_hits": ["p1", "p2"]}}}
    assert check.compare(now, before) == 1
    assert "first hits 2 -> 2: 1 lost, 1 won" in capsys.readouterr().out
    del before["tasks"]["t"]["first_hits"]  # an earlier run that kept none: nothing said about them
    check.compare(now, before)
    assert "first hits" not in capsys.readouterr().out
