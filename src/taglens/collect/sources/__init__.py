"""Collection sources behind one interface (:class:`~taglens.collect.sources.base.Source`), and
:func:`open_source`, which builds one from a ``--source`` spec."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ...exceptions import InputError
from .base import ALL as ALL
from .base import MediaMissing as MediaMissing
from .base import MediaRef as MediaRef
from .base import Page as Page
from .base import PermanentSourceError as PermanentSourceError
from .base import RateLimited as RateLimited
from .base import RawPost as RawPost
from .base import Source as Source
from .base import TransientSourceError as TransientSourceError

SPECS = "mastodon:URL | instagram[:USER] | instaloader-dir:PATH | jsonl:PATH"


def open_source(spec: str, **options: Any) -> Source:
    """A source from its spec (``SPECS``). ``options``: ``session_file`` for instagram, ``sleep`` for all,
    ``deadline`` (seconds per request) and ``max_bytes`` (per image) for mastodon."""
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    sleep = options.get("sleep")
    extra = {"sleep": sleep} if sleep is not None else {}
    if kind == "mastodon":
        if not arg:
            raise InputError("mastodon source needs a server URL: --source mastodon:https://mastodon.social")
        from .mastodon import MastodonSource

        for name in ("deadline", "max_bytes"):
            if options.get(name) is not None:
                extra[name] = options[name]
        return MastodonSource(arg, only_media=options.get("only_media", True), **extra)
    if kind == "instagram":
        from .instagram import InstagramSource

        return InstagramSource(arg or None, options.get("session_file"), **extra)
    if kind in ("instaloader-dir", "instaloader"):
        from .local import InstaloaderDirSource

        return InstaloaderDirSource(Path(arg))
    if kind == "jsonl":
        from .local import JsonlSource

        return JsonlSource(Path(arg))
    raise InputError(f"unknown source {spec!r}; expected {SPECS}")
