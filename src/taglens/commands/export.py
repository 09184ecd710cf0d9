"""``taglens export``: a collection store as posts.jsonl + images, optionally split by user."""
from __future__ import annotations

import argparse
import json
import sys

HELP = "export a collection store as posts.jsonl + images (optionally train/dev/test disjoint by user)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", required=True, help="store folder written by `taglens collect`")
    p.add_argument("--out", required=True,
                   help="output folder (posts.jsonl, images/, and the split files): new, empty, or a previous "
                        "taglens export (marked by its .taglens-export.json), whose files are replaced if unchanged "
                        "since (other files in it are left alone)")
    p.add_argument("--split", choices=("user",), default=None,
                   help="also write train/dev/test.jsonl (80/10/10), no user on two sides")
    p.add_argument("--force", action="store_true",
                   help="export into a non-empty folder that holds no previous export, or whose exported files were "
                        "changed since (files of the same names are replaced; nothing else is removed)")
    p.add_argument("--link", action="store_true",
                   help="hard-link the images from the store instead of copying them (faster, no extra space; "
                        "but the exported images are then the store's own files: editing one changes the store)")
    p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl",
                   help="parquet: also write the posts as Parquet shards (part-*.parquet), for --engine ray jobs")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")


def run(args: argparse.Namespace) -> int:
    from ..collect.export import export_store
    from ..collect.store import Store

    # read-only: the store is never changed by an export, and read-only media or a store being collected into work
    with Store(args.store, read_only=True) as store, store.guard():
        if args.format == "parquet":
            from ..scale.export import export_parquet
            result = export_parquet(store, args.out, args.split, force=args.force, link=args.link)
        else:
            result = export_store(store, args.out, args.split, force=args.force, link=args.link)
    if result["missing_images"]:
        print(f"taglens export: warning: {result['missing_images']} image file(s) missing from the store "
              f"{args.store} were left out ({result['posts_with_missing_images']} post(s) lost an image; they keep "
              f"their other images, text and hashtags)", file=sys.stderr)
    if result["removed"]:
        print(f"taglens export: note: removed {result['removed']} file(s) of the previous export in {args.out}",
              file=sys.stderr)
    if result["left_over"]:
        shown = ", ".join(result["left_over"][:5])
        more = f" and {len(result['left_over']) - 5} more" if len(result["left_over"]) > 5 else ""
        print(f"taglens export: warning: {args.out} still holds {shown}{more} from before, not written by this "
              f"export (--force replaces files, it removes none)", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    else:
        files = ", ".join(f"{name}: {n}" for name, n in result["files"].items())
        skipped = f", {result['missing_images']} missing skipped" if result["missing_images"] else ""
        print(f"wrote {args.out} ({files}; {result['images']} images{skipped})")
    return 0
