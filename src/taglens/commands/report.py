"""``taglens report``: train and evaluate several models side by side, and write a Markdown + HTML report."""
from __future__ import annotations

import argparse
import sys

HELP = "compare models side by side under the evaluation protocol (Markdown + HTML report with plots)"
DESCRIPTION = """Split the posts into a train and an evaluation side (by user where users are known), train each
registered model on the train side (a model directory is used as saved), run the protocol of EVALUATION.md for
each input setting (images, text, tags, all; 0 and 1 revealed tags), and write report.md, report.html,
results.json and plots to DIR."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("report")
    g.add_argument("--data", required=True, action="append", metavar="DATA.jsonl",
                   help="posts to split into train and evaluation sides (repeat for several files)")
    g.add_argument("--models", required=True, metavar="A,B,C", help="comma-separated model names or directories")
    g.add_argument("--out", required=True, metavar="DIR", help="folder for the report files")
    g.add_argument("--settings", metavar="SPEC",
                   help="comma-separated NAME[:REVEAL], NAME in images,text,tags,all,images+text "
                        "(default: images, text, tags, all with 0 and 1 revealed)")
    g.add_argument("--by-post", action="store_true", help="split by post id even where users are known")
    g.add_argument("--seed", type=int, default=0, help="seed of the protocol's tag order (default 0)")
    g.add_argument("-k", type=int, default=10, help="suggestions per post (default 10)")


def run(args: argparse.Namespace) -> int:
    if args.k < 10:
        from ..exceptions import UsageError

        raise UsageError("-k must be at least 10 (NDCG@10 needs ten suggestions)")
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:  # the plots come last: say so before any model trains
        raise ModuleNotFoundError("No module named 'matplotlib'", name="matplotlib")
    from ..blocklist import blocked_tags
    from ..data.posts import read_records
    from ..eval.report import parse_settings, run_report
    from ..exceptions import DataError, UsageError

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not models:
        raise UsageError("--models: no model named; `taglens models` lists the names")
    settings = parse_settings(args.settings)
    records = read_records(args.data)
    if not records:
        raise DataError(f"no posts in {', '.join(args.data)}")
    blocked_tags()  # an unreadable blocked-tags list fails now, not after the first model has trained
    payload = run_report(records, models, args.out, settings=settings, by_user=not args.by_post, seed=args.seed,
                         k=args.k, progress=lambda msg: print(msg, file=sys.stderr))
    failed = [r["model"] for r in payload["results"] if r.get("error")]
    print(f"report written to {args.out}/report.md and report.html"
          + (f"; failed: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    return 1 if failed and len(failed) == len(models) else 0
