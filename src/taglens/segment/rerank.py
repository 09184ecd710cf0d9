"""Reranker placeholder (replaced below)."""
from __future__ import annotations


def load_reranker():
    return None
