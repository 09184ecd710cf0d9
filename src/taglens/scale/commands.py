"""The ``--engine ray`` side of the CLI commands (suggest --batch, evaluate, features): argument checks, the job,
and what it prints."""
from __future__ import annotations

import argparse
import sys


def suggest_ray(args: argparse.Namespace) -> int:
    from ..exceptions import ExitCode, UsageError
    from .ray_jobs import suggest_job

    if args.engine != "ray" or not args.out:
        raise UsageError("--batch --out DIR needs --engine ray, and --engine ray needs --out DIR (Parquet shards)")
    if args.json:
        raise UsageError("--engine ray writes Parquet to --out; --json is the local batch's output")
    if args.batch == "-":
        raise UsageError("--engine ray reads a posts.jsonl or a folder of Parquet files, not standard input ('-')")
    result = suggest_job(args.batch, args.out, args.model, args.k, address=args.address, min_score=args.min_score,
                         allow_generic=args.allow_generic or None)
    _report("suggest", result, args.out)
    if result["errors"]:
        print(f"taglens suggest: {result['errors']} post(s) could not be answered (see their \"error\" in {args.out})",
              file=sys.stderr)
        return int(ExitCode.PARTIAL)
    return 0


def _report(command: str, result: dict, out: str) -> None:
    skipped = f", {result['skipped']} already written" if result["skipped"] else ""
    print(f"taglens {command}: wrote {result['written']} of {result['shards']} shard(s) to {out}{skipped}: "
          f"{result['rows']} posts in {result['seconds']:.1f} s on {len(result['nodes'])} node(s)", file=sys.stderr)


def evaluate_ray(args: argparse.Namespace, inputs, seed) -> dict:
    from .ray_jobs import evaluate_job

    result = evaluate_job(args.data, args.model, inputs, args.reveal, seed, args.k, address=args.address)
    nodes = result.pop("nodes")
    print(f"taglens evaluate: {result['n']} posts scored on {len(nodes)} node(s) in {result['seconds']:.1f} s",
          file=sys.stderr)
    return result


def features_ray(args: argparse.Namespace) -> int:
    from ..exceptions import ExitCode, UsageError
    from .ray_jobs import features_job

    if args.engine != "ray":
        raise UsageError("taglens features runs as a Ray Data job: add --engine ray (embedded here, or --address)")
    result = features_job(args.data, args.out, address=args.address)
    _report("features", result, args.out)
    if result["errors"]:
        print(f"taglens features: {result['errors']} post(s) could not be encoded (see their \"error\" in "
              f"{args.out})", file=sys.stderr)
        return int(ExitCode.PARTIAL)
    return 0
