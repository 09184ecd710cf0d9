"""``taglens export``: a collection store as posts.jsonl + images, optionally split by user."""
from __future__ import annotations

import argparse
import json

HELP = "export a collection store as posts.jsonl + images (optionally train/dev/test disjoint by user)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", required=True, help="store folder written by `taglens collect`")
    p.add_argument("--out", required=True, help="output folder (posts.jsonl, images/, and the split files)")
    p.add_argument("--split", choices=("user",), default=None,
                   help="also write train/dev/test.jsonl (80/10/10), no user on two sides")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")


def run(args: argparse.Namespace) -> int:
    from ..collect.export import export_store
    from ..collect.store import Store

    with Store(args.store, create=False) as store:
        result = export_store(store, args.out, args.split)
    if args.json:
        print(json.dumps(result))
    else:
        files = ", ".join(f"{name}: {n}" for name, n in result["files"].items())
        print(f"wrote {args.out} ({files}; {result['images']} images)")
    return 0
