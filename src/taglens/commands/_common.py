"""Small helpers shared by the subcommands."""
from __future__ import annotations

import argparse
import re
import sys

DEFAULT_MODEL = "taglens-base"


def add_model_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=DEFAULT_MODEL, metavar="NAME_OR_DIR",
                   help=f"a registered model name (see 'taglens models') or a trained model directory "
                        f"(default: {DEFAULT_MODEL})")


def parse_tag_list(spec: str | None) -> list[str]:
    """'#a #b, c' -> ['a', 'b', 'c'] (normalised)."""
    from ..types import normalize_tag

    if not spec:
        return []
    return [t for t in (normalize_tag(x) for x in re.split(r"[\s,]+", spec)) if t]


def progress_bar(total: int | None, desc: str, unit: str = "post"):
    """A tqdm bar on stderr, silent when stderr is not a terminal unless TAGLENS_PROGRESS=1."""
    import os

    from tqdm import tqdm

    disable = not (sys.stderr.isatty() or os.environ.get("TAGLENS_PROGRESS") == "1")
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=disable, dynamic_ncols=True)
