"""Data collection for any topic: seed hashtags -> segment -> expand -> scrape -> store -> repeat.

``taglens collect`` drives :class:`~taglens.collect.loop.Collector` over one or more sources
(:mod:`taglens.collect.sources`), storing into a :class:`~taglens.collect.store.Store`; ``taglens export``
writes the store as posts.jsonl + images, ``taglens stats`` shows the frontier and the expansion decisions.
Heavy dependencies (httpx, instaloader, the text encoder) are imported only by the parts that need them.
"""
from __future__ import annotations
