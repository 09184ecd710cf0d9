"""Tags taglens never suggests unasked: profanity, sexual content, insults, and slogans against a group of people.

The list and its criteria are in ``resources/blocked_tags.txt``. A post may still carry such a tag: it is read as
input like any other. ``TAGLENS_BLOCKED_TAGS=FILE`` replaces the list (same format: one tag per line, ``#`` starts
a comment line); ``TAGLENS_BLOCKED_TAGS=none`` turns blocking off, for research on such tags.

    >>> "womensuck" in blocked_tags()
    True
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

from .exceptions import InputError
from .types import normalize_tag

ENV = "TAGLENS_BLOCKED_TAGS"
DEFAULT_LIST = Path(__file__).resolve().parent / "resources" / "blocked_tags.txt"


def read_tag_list(path: str | Path) -> frozenset[str]:
    """The tags of a list file: one per line, normalised; blank lines and lines starting with ``#`` skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the blocked-tags list ({ENV}): {e}") from e
    tags = (normalize_tag(line) for line in lines if line.strip() and not line.lstrip().startswith("#"))
    return frozenset(t for t in tags if t)


@functools.lru_cache(maxsize=4)
def _cached(path: str) -> frozenset[str]:
    return read_tag_list(path)


def blocked_tags() -> frozenset[str]:
    """The tags no suggester returns: the packaged list, or the one ``TAGLENS_BLOCKED_TAGS`` names."""
    spec = os.environ.get(ENV, "").strip()
    if spec.lower() == "none":
        return frozenset()
    return _cached(spec or str(DEFAULT_LIST))
