"""taglens evaluate: the protocol of ../shared/EVALUATION.md over a posts.jsonl."""
from __future__ import annotations

import argparse
import json

from ._common import add_engine_arguments, add_model_argument, progress_bar

HELP = "measure a model on a posts.jsonl with the one evaluation protocol"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA.jsonl", help="posts to evaluate on (their hashtags are the gold)")
    add_model_argument(p)
    p.add_argument("--inputs", default="images,text,tags",
                   help="comma-separated inputs the model may see: images,text,tags or all (default: all three)")
    p.add_argument("--reveal", type=int, default=0, metavar="R", help="tags revealed to the model per post")
    p.add_argument("--seed", default="0", help="seed of the tag order (default 0)")
    p.add_argument("-k", type=int, default=10, help="suggestions scored per post, at least 10 (default 10)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_engine_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ..data.posts import read_records
    from ..eval.protocol import evaluate, parse_inputs, require_trained
    from ..exceptions import DataError, UsageError
    from ..model_folder import load_suggester

    if args.reveal < 0:
        raise UsageError("--reveal must be 0 or more")
    if args.k < 10:
        raise UsageError("-k must be at least 10 (NDCG@10 needs ten suggestions)")
    inputs = parse_inputs(args.inputs)
    # the seed is hashed as written (f"{seed}:{id}:{tag}"): "007" stays "007"; a plain integer prints as one
    seed = args.seed if not _canonical_int(args.seed) else int(args.seed)
    if args.engine == "ray":
        from ..scale.commands import evaluate_ray
        result = evaluate_ray(args, inputs, seed)
        read = result.pop("posts")
    else:
        records = read_records(args.data)
        read = len(records)
        if records:
            model = load_suggester(args.model)
            require_trained(model)
            with progress_bar(len(records), "evaluate") as bar:
                result = evaluate(records, model, inputs=inputs, reveal=args.reveal, seed=seed, k=args.k,
                                  progress=bar.update)
    if not read:
        raise DataError(f"{args.data}: no posts to evaluate on (the file is empty or blank)")
    if not result["n"]:
        raise DataError(f"{args.data}: no post could be scored ({read} read): a post is scored on the "
                        f"hashtags left after the {args.reveal} revealed; none has any")
    return _print(args, seed, inputs, result)


def _print(args: argparse.Namespace, seed, inputs, result: dict) -> int:
    from ..eval.metrics import HEADLINE

    result = {"data": str(args.data), "model": str(args.model), "inputs": ",".join(sorted(inputs)),
              "reveal": args.reveal, "seed": seed, **result}
    if args.json:
        print(json.dumps({k: (round(v, 6) if isinstance(v, float) else v) for k, v in result.items()}))
    else:
        print(f"{args.model} on {args.data} (inputs={result['inputs']}, reveal={args.reveal}): n={result['n']}")
        for key in HEADLINE:
            print(f"  {key:<8} {result.get(key, 0.0):.4f}")
        if result["errors"]:
            print(f"  ({result['errors']} posts had unreadable inputs)")
    return 0


def _canonical_int(text: str) -> bool:
    """True for text that an int writes back the same ("7", "-3"), so hashing either gives the same order."""
    try:
        return str(int(text)) == text
    except ValueError:
        return False
