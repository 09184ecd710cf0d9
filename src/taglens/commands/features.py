"""``taglens features``: the image and caption features of every post, as Parquet shards (a Ray Data job)."""
from __future__ import annotations

import argparse

from ._common import add_engine_arguments

HELP = "encode every post's images and caption once, into Parquet shards that training reads (--engine ray)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, metavar="INPUT",
                   help="posts.jsonl or a folder of Parquet files (a local path or a URI pyarrow reads)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder of Parquet shards (rerun with the same --out to resume a job that was stopped)")
    add_engine_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ..scale.commands import features_ray

    return features_ray(args)
