"""``taglens train``: train a registered model on posts.jsonl files and save it to a directory."""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Iterator

HELP = "train a model on posts.jsonl files and save it to a directory"
DESCRIPTION = """Train a registered model (see `taglens models`) on one or more posts.jsonl files and save it to
DIR, which `--model DIR` then loads in every command. Posts without hashtags, and posts with an unreadable image,
are skipped with a warning. Captions are used without their hashtags, as in evaluation."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("training")
    g.add_argument("--model", required=True, metavar="NAME", help="registered model name, e.g. effnet-mlp")
    g.add_argument("--data", required=True, action="append", metavar="TRAIN.jsonl",
                   help="training posts (repeat for several files)")
    g.add_argument("--out", required=True, metavar="DIR", help="directory to save the trained model to")
    g.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a hyperparameter (VALUE is read as JSON when it parses, e.g. --set epochs=10)")
    g.add_argument("--features", action="append", default=[], metavar="DIR",
                   help="the image and caption features written by `taglens features` (read instead of encoding "
                        "those images and captions again)")
    g.add_argument("--force", action="store_true",
                   help="replace DIR when it holds another trained taglens model (never a folder with anything else)")


def parse_overrides(items: list[str]) -> dict:
    from ..exceptions import UsageError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def check_out(out: Path, force: bool) -> None:
    """Refuse, before training, an --out the model cannot be saved to or must not replace."""
    from ..exceptions import InputError, OutputError
    from ..outputs import check_writable_folder
    from ..model_folder import is_model_dir

    check_writable_folder(out, "--out")
    if not out.is_dir():
        return
    try:
        entries = [p.name for p in out.iterdir()]
    except OSError as exc:
        raise InputError(f"--out {out}: unreadable folder ({exc.strerror or exc})") from None
    if not entries:
        return
    if not is_model_dir(out):
        what = "a config.json that is not a taglens model's" if "config.json" in entries else "no taglens model"
        raise OutputError(f"--out {out}: folder is not empty and holds {what}; taglens will not overwrite it "
                          f"(not even with --force): choose another folder")
    if not force:
        raise OutputError(f"--out {out}: already holds a trained model; add --force to overwrite it")


@contextlib.contextmanager
def _features(folders: list[str], posts: list) -> Iterator[None]:
    """Training reads the image and caption features of ``taglens features`` outputs instead of encoding."""
    if not folders:
        yield
        return
    from ..scale.features import training_features

    with training_features(folders, posts) as read:
        print(f"read {read['images']} image features and {read['captions']} caption embeddings from "
              f"{', '.join(folders)}", file=sys.stderr)
        yield


def run(args: argparse.Namespace) -> int:
    from ..exceptions import DataError, ModelError
    from ..registry import create_suggester
    from ..training import load_training_posts

    overrides = parse_overrides(args.set)
    try:
        model = create_suggester(args.model, **overrides)  # an unknown name fails before any data is read
    except TypeError as exc:
        raise ModelError(f"model {args.model!r}: bad hyperparameter ({exc})") from None
    out = Path(args.out)
    check_out(out, args.force)  # before any data is read or any training
    posts = load_training_posts(args.data)
    n_tagged = sum(1 for p in posts if p.hashtags)
    if not n_tagged:
        raise DataError(f"none of the {len(posts)} posts in {', '.join(args.data)} has a hashtag: nothing to learn")
    with _features(args.features, posts):
        start = time.perf_counter()
        model.fit(posts)
        seconds = time.perf_counter() - start
    model.save(out)
    used = getattr(model, "n_train_", n_tagged)  # models that need an image report the posts they could read
    left = [f"{len(posts) - n_tagged} without hashtags"] if n_tagged < len(posts) else []
    left += [f"{n_tagged - used} without a usable input"] if used < n_tagged else []
    what = f"{used} of {len(posts)} posts ({', '.join(left)})" if left else f"{used} posts"
    print(f"trained {args.model} on {what} in {seconds:.1f} s; saved to {out}", file=sys.stderr)
    return 0
