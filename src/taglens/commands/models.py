"""taglens models: list the registered models, one line each."""
from __future__ import annotations

import argparse

HELP = "list the available models"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern (default: all)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..registry import describe_suggester, list_suggesters

    bundled = Path(__file__).resolve().parents[1] / "models"
    for name in list_suggesters(args.pattern):
        mark = " [bundled, ready]" if (bundled / name / "config.json").is_file() else ""
        print(f"{name:<20} {describe_suggester(name)}{mark}")
    return 0
