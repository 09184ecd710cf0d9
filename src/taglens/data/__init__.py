"""Datasets: the posts.jsonl format, splits, and (in submodules) collection and storage."""
