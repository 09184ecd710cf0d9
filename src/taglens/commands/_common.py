"""Small helpers shared by the subcommands."""
from __future__ import annotations

import argparse
import sys

DEFAULT_MODEL = "taglens-base"


def add_model_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=DEFAULT_MODEL, metavar="NAME_OR_DIR",
                   help=f"a registered model name (see 'taglens models') or a trained model directory "
                        f"(default: {DEFAULT_MODEL})")


def int_at_least(low: int):
    """An argparse type: a whole number >= ``low`` (a bad value is a usage error, exit code 2)."""

    def parse(value: str) -> int:
        try:
            n = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
        if n < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {n}")
        return n

    parse.__name__ = f"int>={low}"
    return parse


def read_tag_option(spec: str | None, what: str = "--tags", prog: str = "taglens") -> list[str]:
    """'#a #b, c;#d#e.' -> ['a', 'b', 'c', 'd', 'e']: each item read like a hashtag in a caption
    (``taglens.types.parse_tag_list``); what is not part of a hashtag is named in a note on stderr."""
    from ..types import parse_tag_list as parse

    tags, ignored = parse(spec)
    if ignored:
        shown = ", ".join(repr(x[:40] + ("..." if len(x) > 40 else "")) for x in ignored[:5])
        more = f" and {len(ignored) - 5} more" if len(ignored) > 5 else ""
        print(f"{prog}: note: ignored {shown}{more} in {what} (a hashtag is a letter or digit, then letters, digits "
              f"or '_', and not all digits)", file=sys.stderr)
    return tags


def progress_bar(total: int | None, desc: str, unit: str = "post"):
    """A tqdm bar on stderr, silent when stderr is not a terminal unless TAGLENS_PROGRESS=1."""
    import os

    from tqdm import tqdm

    disable = not (sys.stderr.isatty() or os.environ.get("TAGLENS_PROGRESS") == "1")
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=disable, dynamic_ncols=True)


def add_engine_arguments(p: argparse.ArgumentParser, out_help: str | None = None) -> None:
    """--engine, --address (and --out where the command has none) of the commands that run on Ray."""
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: this process (default); ray: a Ray Data job, embedded here or on --address")
    p.add_argument("--address", metavar="ADDR", help="with --engine ray: a Ray cluster's address (ray start --head)")
    if out_help:
        p.add_argument("--out", metavar="DIR", help=out_help)
