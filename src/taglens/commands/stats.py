"""``taglens stats``: the frontier, what was collected per hashtag, and why each hashtag was chosen."""
from __future__ import annotations

import argparse
import json

HELP = "show a collection store: totals, frontier, posts per hashtag and the reason each hashtag was followed"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", required=True, help="store folder written by `taglens collect`")
    p.add_argument("--rejected", type=int, default=20, help="how many rejected hashtags to list (default 20)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")


def run(args: argparse.Namespace) -> int:
    from ..collect.stats import format_summary, summarize
    from ..collect.store import Store

    with Store(args.store, read_only=True) as store, store.guard():  # read-only: works on read-only media too
        summary = summarize(store, args.rejected)
    print(json.dumps(summary, ensure_ascii=False) if args.json else format_summary(summary))
    return 0
