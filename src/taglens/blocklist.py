"""Tags taglens never suggests unasked: profanity, sexual content, insults, and slogans against a group of people.

The list and its criteria are in ``resources/blocked_tags.txt``: one tag per line (with or without '#', so
``#profanity`` is the tag "profanity"); a line starting with '# ' is a comment. An entry of four letters or more
also blocks every tag that the segmenter splits into words holding the entry's own words in a row: ``fuck``
blocks #fuckoff and #ohfuck, ``whitegenocide`` blocks #stopwhitegenocide, and ``shit`` leaves #shitzu (one
word). A shorter entry blocks only itself, since short words hide in others (``ass`` is not #glass, and #badass
stays). A post may still carry a blocked tag: it is read as input like any other. ``TAGLENS_BLOCKED_TAGS=FILE``
replaces the list; ``TAGLENS_BLOCKED_TAGS=none`` turns blocking off, for research on such tags.

    >>> is_blocked("womensuck"), is_blocked("fuckoff"), is_blocked("glass")
    (True, True, False)
"""
from __future__ import annotations

import functools
import os
import time
from pathlib import Path

from .exceptions import InputError
from .types import normalize_tag, parse_tag_list

ENV = "TAGLENS_BLOCKED_TAGS"
DEFAULT_LIST = Path(__file__).resolve().parent / "resources" / "blocked_tags.txt"
MIN_WORD_LEN = 4  # entries this long also block tags that contain them as a word
RECHECK_S = 1.0  # how often the list file's size and time are looked at (every tag of every post asks)
_last: list = [None, float("-inf"), frozenset()]  # (TAGLENS_BLOCKED_TAGS, when looked at, its tags)


def read_tag_list(path: str | Path) -> frozenset[str]:
    """The tags of a list file, normalised; an InputError names a line that is not exactly one hashtag."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise _unreadable(path, e) from e
    tags = set()
    for n, line in enumerate(lines, 1):
        item = line.strip()
        if not item or item == "#" or item.startswith("# "):
            continue
        parsed, ignored = parse_tag_list(item)
        if len(parsed) != 1 or ignored or parsed[0] != normalize_tag(item):
            raise InputError(f"{path}, line {n}: {item!r} is not one hashtag (one tag per line; a comment line "
                             f"starts with '# ')")
        tags.add(parsed[0])
    return frozenset(tags)


def _unreadable(path: str | Path, e: Exception) -> InputError:
    return InputError(f"{path}: cannot read the blocked-tags list ({ENV}): {e}")


@functools.lru_cache(maxsize=4)
def _read_cached(path: str, _mtime_ns: int, _size: int) -> frozenset[str]:
    return read_tag_list(path)


def blocked_tags() -> frozenset[str]:
    """The tags no suggester returns: the packaged list, or the one ``TAGLENS_BLOCKED_TAGS`` names (looked at
    again at most once a second, and read again when the file changed)."""
    spec = os.environ.get(ENV, "").strip()
    now = time.monotonic()
    if _last[0] == spec and now - _last[1] < RECHECK_S:
        return _last[2]
    if spec.lower() == "none":
        tags = frozenset()
    else:
        path = Path(spec) if spec else DEFAULT_LIST
        try:
            st = path.stat()
        except OSError as e:
            raise _unreadable(path, e) from e
        tags = _read_cached(str(path.resolve()), st.st_mtime_ns, st.st_size)
    _last[:] = [spec, now, tags]
    return tags


def is_blocked(tag: str, blocked: frozenset[str] | None = None) -> bool:
    """Whether ``tag`` (normalised) is blocked: listed, or split by the segmenter into words that hold a listed
    entry of at least ``MIN_WORD_LEN`` letters as a run of its own words (``whitegenocide`` blocks
    #stopwhitegenocide). ``blocked``: the list, when the caller asks about many tags (default: ``blocked_tags()``)."""
    if blocked is None:
        blocked = blocked_tags()
    return tag in blocked or _has_blocked_words(tag, blocked)


def fingerprint(tags: frozenset[str]) -> str:
    """A short digest of a list and of the word rule, to tell whether two runs blocked the same tags."""
    import hashlib

    text = f"{MIN_WORD_LEN}\n" + "\n".join(sorted(tags))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12] if tags else ""


@functools.lru_cache(maxsize=8)
def _entry_words(blocked: frozenset[str]) -> dict[str, tuple[str, ...]]:
    from .segmentation import segment

    return {w: tuple(segment(w)) for w in blocked if len(w) >= MIN_WORD_LEN}


@functools.lru_cache(maxsize=1 << 16)
def _has_blocked_words(tag: str, blocked: frozenset[str]) -> bool:
    inside = [w for w in blocked if len(w) >= MIN_WORD_LEN and w in tag]
    if not inside:
        return False  # the common case: no entry inside the tag at all, and no segmenter needed
    from .segmentation import segment

    words, entries = tuple(segment(tag)), _entry_words(blocked)
    for w in inside:
        run = entries[w]
        if any(words[i: i + len(run)] == run for i in range(len(words) - len(run) + 1)):
            return True
    return False
