#!/usr/bin/env python
"""Does a change of code keep taglens-base's behaviour? Val figures and rankings, before and after.

Measures the bundled taglens-base on the val side (``taglens.data.splits.split_records``) of the four tasks of
``scripts/build_default_model.py --eval`` with the official protocol (``taglens.eval``), and ranks the first
``--posts`` queries of each task with ``suggest_batch`` and (the first ``--single`` of them) ``suggest``.
Writes one JSON file OUTSIDE the repository (it holds rankings of developer posts); compare two with
``--compare``:

    PYTHONPATH=<old tree>/src python bench/check_identical.py --out /tmp/before.json
    PYTHONPATH=$PWD/src python bench/check_identical.py --out /tmp/after.json --compare /tmp/before.json

``--compare`` also says how many first hits (posts whose first suggestion is a target) each task lost and won, where
both runs kept them (runs from before they were kept: not compared).

The tweets' figures are also given by TweetEval task group (``GROUPS``, not compared): the hate and offensive tasks,
whose gold is mostly US-politics tags (#maga on 179 of the 406 offensive val tweets, tags a post must show the topic
to get: ``topics.py``), apart from the other tasks, so that a change's effect on everyday-like tweets is not hidden
in one figure.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TASKS = {  # task -> (posts file under the data folder, inputs, reveal), as scripts/build_default_model.py
    "instagram6": ("instagram6/posts.jsonl", ("images",), 0),
    "vape": ("vape/posts.jsonl", ("images", "text"), 0),
    "harrison": ("harrison/posts.jsonl", ("tags",), 1),
    "tweets": ("tweets/posts.jsonl", ("text",), 0),
}
# per task, the groups of its posts reported apart: record id -> group name (tweets: "<TweetEval task>/<split>/<line>")
GROUPS = {
    "tweets": lambda rid: "hate+offensive" if rid.split("/")[0] in ("hate", "offensive") else "other tasks",
}


def group_figures(per_post: list, group) -> dict:
    """{group: {"n", "P@1", "A@5"}} of ``evaluate``'s ``per_post`` (record, metrics) pairs."""
    sums: dict[str, list[float]] = {}
    for rec, metrics in per_post:
        acc = sums.setdefault(group(rec.id), [0, 0.0, 0.0])
        acc[0] += 1
        acc[1] += metrics["P@1"]
        acc[2] += metrics["A@5"]
    return {g: {"n": n, "P@1": round(p1 / n, 4), "A@5": round(a5 / n, 4)} for g, (n, p1, a5) in sorted(sums.items())}


def run(data: Path, n_posts: int, n_single: int, tasks: list[str]) -> dict:
    import taglens
    from taglens.data.posts import read_records
    from taglens.data.splits import split_records
    from taglens.eval.protocol import evaluate, prepare_query
    try:
        from taglens.model_folder import load_suggester
    except ImportError:  # a tree from before taglens.model_folder
        from taglens.registry import load_suggester

    model = load_suggester("taglens-base")
    out: dict = {"code": str(Path(taglens.__file__).parent), "tasks": {}}
    for task in tasks:
        rel, inputs, reveal = TASKS[task]
        val = split_records(read_records(data / rel))[1]
        t0 = time.time()
        per_post: list = []
        res = evaluate(val, model, inputs=inputs, reveal=reveal, per_post=per_post)
        figures = {"n": res["n"], "P@1": res["P@1"], "A@5": res["A@5"], "errors": res["errors"]}
        groups = group_figures(per_post, GROUPS[task]) if task in GROUPS else None
        posts = [p for p, _, targets in (prepare_query(r, inputs, reveal) for r in val) if targets][:n_posts]
        batch = [[(s.tag, round(s.score, 6), s.source, s.reason) for s in ranked]
                 for ranked in model.suggest_batch(posts, k=10)]
        single = [[(s.tag, round(s.score, 6), s.source, s.reason) for s in model.suggest(p, k=10)]
                  for p in posts[:n_single]]
        out["tasks"][task] = {"figures": figures, "batch": batch, "single": single,
                              "seconds": round(time.time() - t0, 1), "first_hits": first_hits(per_post)}
        if groups:  # not compared: an earlier run may not have them
            out["tasks"][task]["groups"] = groups
        print(json.dumps({"task": task, **{k: (round(v, 4) if isinstance(v, float) else v)
                                           for k, v in figures.items()}, **({"groups": groups} if groups else {})}),
              flush=True)
    return out


def first_hits(per_post: list) -> list[str]:
    """The ids of the posts whose first suggestion is a target (``evaluate``'s ``per_post``), sorted."""
    return sorted(rec.id for rec, metrics in per_post if metrics["P@1"] > 0)


def first_hit_changes(now: list[str], before: list[str]) -> str:
    """How the first hits moved between two runs: a figure can hold while posts trade places (a new image encoder
    loses some first hits and wins others), and one lost first hit of instagram6 fails its guard rail."""
    lost, won = sorted(set(before) - set(now)), sorted(set(now) - set(before))
    return f"first hits {len(before)} -> {len(now)}: {len(lost)} lost, {len(won)} won"


def compare(now: dict, before: dict) -> int:
    now = json.loads(json.dumps(now))  # rankings as read back from a file (lists, not tuples)
    bad = 0
    for task, cur in now["tasks"].items():
        old = before["tasks"].get(task)
        if old is None:
            print(f"{task}: not in the earlier run")
            continue
        same_fig = cur["figures"] == old["figures"]
        diff_b, diff_s = (sum(a != b for a, b in zip(cur[kind], old[kind])) + abs(len(cur[kind]) - len(old[kind]))
                          for kind in ("batch", "single"))
        verdict = "identical" if same_fig else f"DIFFER {old['figures']} -> {cur['figures']}"
        hits = (f"; {first_hit_changes(cur['first_hits'], old['first_hits'])}"
                if "first_hits" in cur and "first_hits" in old else "")  # runs from before first_hits: not compared
        print(f"{task}: figures {verdict}; {len(cur['batch'])} batch rankings, {diff_b} differ; "
              f"{len(cur['single'])} single, {diff_s} differ{hits}")
        bad += (not same_fig) + diff_b + diff_s
    return 1 if bad else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, required=True, help="a JSON file outside the repository")
    ap.add_argument("--posts", type=int, default=300, help="queries per task whose top 10 are kept")
    ap.add_argument("--single", type=int, default=40, help="of those, ranked one at a time with suggest too")
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--compare", type=Path, help="an earlier run's JSON: exit 1 unless all is identical")
    args = ap.parse_args(argv)
    if args.out.resolve().is_relative_to(REPO):
        ap.error(f"--out {args.out}: rankings of developer posts stay outside the repository")
    result = run(args.data, args.posts, args.single, args.tasks.split(","))
    args.out.write_text(json.dumps(result), encoding="utf-8")
    if args.compare:
        return compare(result, json.loads(args.compare.read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
