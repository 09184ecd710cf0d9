"""Authors' habits: the tags each known author uses again and again.

Many accounts tag every post with the same few tags (a shop's name, its city, its favourite community tags),
so for a post whose author has posted before, their habitual tags are the surest suggestions. Only tags an
author used in at least ``min_uses`` of their posts are kept, and only for authors with at least ``min_posts``
posts, so what is stored is counts over several posts, never one post's tag list; authors are stored as salted
hashes of their ids, not by name.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Sequence

from ..exceptions import ModelError
from ..types import Post
from .tags import Evidence


def user_key(user: str) -> str:
    return hashlib.sha1(f"taglens-user:{user}".encode("utf-8")).hexdigest()[:16]


class UserHistory:
    def __init__(self, min_posts: int = 2, min_uses: int = 2, max_tags: int = 40):
        self.min_posts = min_posts
        self.min_uses = min_uses
        self.max_tags = max_tags

    def fit(self, posts: Sequence[Post]) -> "UserHistory":
        n_posts: Counter = Counter()
        uses: dict[str, Counter] = defaultdict(Counter)
        for p in posts:
            if p.user:
                n_posts[p.user] += 1
                uses[p.user].update(set(p.hashtags))
        self.users_: dict[str, tuple[int, dict[str, int]]] = {}
        for user, n in n_posts.items():
            if n < self.min_posts:
                continue
            tags = [(t, c) for t, c in uses[user].items() if c >= self.min_uses]
            tags.sort(key=lambda tc: (-tc[1], tc[0]))
            if tags:
                self.users_[user_key(user)] = (n, dict(tags[: self.max_tags]))
        return self

    def evidence(self, user: str | None) -> Evidence:
        """{tag: (share of the author's posts with the tag, reason)}; empty for an unknown author."""
        entry = self.users_.get(user_key(user)) if user else None
        if entry is None:
            return {}
        n, tags = entry
        return {t: (c / n, f"the author's habit: in {c} of their {n} posts") for t, c in tags.items()}

    def knows(self, user: str | None) -> bool:
        return bool(user) and user_key(user) in self.users_

    def save(self, path: Path) -> None:
        payload = {"min_posts": self.min_posts, "min_uses": self.min_uses,
                   "users": {k: {"posts": n, "tags": tags} for k, (n, tags) in sorted(self.users_.items())}}
        path.write_text(json.dumps(payload, ensure_ascii=False, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "UserHistory":
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            self = cls(payload["min_posts"], payload["min_uses"])
            self.users_ = {k: (int(v["posts"]), {str(t): int(c) for t, c in v["tags"].items()})
                           for k, v in payload["users"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise ModelError(f"{path}: unreadable user history ({e})") from e
        return self
