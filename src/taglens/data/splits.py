"""Deterministic development splits, shared by every training script so measured numbers are honest.

``dev_split(id)`` puts a post in "val" when ``sha1("taglens-val:" + id) % 10 < 2`` (about 20%): the default
model and every trained model are built on the "train" side and measured on the "val" side.
``user_split`` does the same by user, so no author is on both sides (for sets that know their users).
"""
from __future__ import annotations

import hashlib
from typing import Sequence, TypeVar

T = TypeVar("T")


def _bucket(key: str, salt: str = "taglens-val") -> int:
    return int(hashlib.sha1(f"{salt}:{key}".encode("utf-8")).hexdigest(), 16) % 10


def dev_split(key: str, val_buckets: int = 2) -> str:
    return "val" if _bucket(key) < val_buckets else "train"


def split_records(records: Sequence[T], by_user: bool = False, val_buckets: int = 2) -> tuple[list[T], list[T]]:
    """(train, val) by post id, or by user where ``by_user`` and the record has one."""
    train: list[T] = []
    val: list[T] = []
    for r in records:
        key = (getattr(r, "user", None) if by_user else None) or getattr(r, "id")
        (val if dev_split(str(key), val_buckets) == "val" else train).append(r)
    return train, val
