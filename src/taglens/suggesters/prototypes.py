"""Tag prototypes: k-means centroids of training vectors, each holding the tag frequencies of its members.

A post is matched to its nearest centroids and inherits their tags, weighted by similarity: nearest-neighbour
tag voting, but over clusters of at least ``min_size`` posts, so what is stored is aggregate statistics
(cluster means and tag counts), never one post's vector.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def _normalize(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9, None)


class TagPrototypes:
    def __init__(self, per_cluster: int = 20, min_size: int = 5, max_tags: int = 40, neighbors: int = 10,
                 temperature: float = 0.05, seed: int = 0, others_only: bool = False):
        self.per_cluster = per_cluster
        self.min_size = min_size
        self.max_tags = max_tags
        self.neighbors = neighbors
        self.temperature = temperature
        self.seed = seed
        self.others_only = others_only

    def fit(self, x: np.ndarray, targets: Sequence[np.ndarray], n_tags: int) -> "TagPrototypes":
        """``x``: (n, d) vectors; ``targets``: the tag ids of each row."""
        from sklearn.cluster import KMeans, MiniBatchKMeans

        xn = _normalize(np.asarray(x, dtype=np.float32))
        n_clusters = max(1, min(len(xn) // max(self.min_size, 1), max(1, len(xn) // self.per_cluster)))
        if len(xn) > 5000:  # full k-means on tens of thousands of captions takes minutes
            km = MiniBatchKMeans(n_clusters=n_clusters, batch_size=4096, n_init=1, max_iter=30,
                                 random_state=self.seed).fit(xn)
        else:
            km = KMeans(n_clusters=n_clusters, n_init=1, max_iter=60, random_state=self.seed).fit(xn)
        labels = km.labels_
        sizes = np.bincount(labels, minlength=n_clusters)
        keep = [c for c in range(n_clusters) if sizes[c] >= self.min_size]
        centroids, tag_ids, tag_freq = [], [], []
        for c in keep:
            counts = np.bincount(np.concatenate([targets[i] for i in np.flatnonzero(labels == c)]),
                                 minlength=n_tags)
            top = np.argsort(-counts, kind="stable")[: self.max_tags]
            top = top[counts[top] > 0]
            ids = np.full(self.max_tags, -1, np.int32)
            freq = np.zeros(self.max_tags, np.float32)
            ids[: len(top)] = top
            freq[: len(top)] = counts[top] / sizes[c]
            centroids.append(_normalize(xn[labels == c].mean(0)))
            tag_ids.append(ids)
            tag_freq.append(freq)
        d = xn.shape[1]
        # float32 in memory (no conversion per post), rounded to the float16 they are saved as
        as_saved = lambda rows, width: (np.stack(rows).astype(np.float16).astype(np.float32) if rows  # noqa: E731
                                        else np.zeros((0, width), np.float32))
        self.centroids_ = as_saved(centroids, d)
        self.tag_ids_ = np.stack(tag_ids) if keep else np.zeros((0, self.max_tags), np.int32)
        self.tag_freq_ = as_saved(tag_freq, self.max_tags)
        self.sizes_ = sizes[keep].astype(np.int32)
        self.votes_ = self._votes()
        return self

    def _votes(self) -> np.ndarray:
        """Each cluster's tag votes: its tag rates, or with ``others_only`` the rates as the other members see them,
        (count - 1) / (size - 1), the rate of a tag among a cluster's other posts averaged over the posts that carry
        it. Then a tag one post of the cluster carries (one author's #usmc among captions about a new job) votes 0
        and the cluster's common tags keep nearly their rate."""
        if not self.others_only:
            return self.tag_freq_
        size = self.sizes_[:, None].astype(np.float32)
        counts = np.rint(self.tag_freq_ * size)
        return np.clip(counts - 1.0, 0.0, None) / np.clip(size - 1.0, 1.0, None)

    def scores(self, x: np.ndarray, n_tags: int) -> np.ndarray:
        """Tag scores in [0, 1] for one vector: the similarity-weighted tag frequencies of the nearest clusters."""
        out = np.zeros(n_tags, np.float32)
        if len(self.centroids_) == 0:
            return out
        sim = self.centroids_ @ _normalize(np.asarray(x, np.float32))
        k = min(self.neighbors, len(sim))
        near = np.argpartition(-sim, k - 1)[:k]
        w = np.exp((sim[near] - sim[near].max()) / self.temperature)
        w /= w.sum()
        # every near cluster's votes at once, cluster after cluster as they are summed (np.add.at adds in the order
        # given: the same floats as one np.add.at per cluster, in a tenth of the calls)
        ids = self.tag_ids_[near]
        valid = ids >= 0
        np.add.at(out, ids[valid], (w[:, None] * self.votes_[near])[valid])
        return out

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.centroids": self.centroids_.astype(np.float16), f"{prefix}.tag_ids": self.tag_ids_,
                f"{prefix}.tag_freq": self.tag_freq_.astype(np.float16), f"{prefix}.sizes": self.sizes_}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str, others_only: bool = False
                    ) -> "TagPrototypes | None":
        if f"{prefix}.centroids" not in arrays:
            return None
        self = cls(others_only=others_only)
        self.centroids_ = arrays[f"{prefix}.centroids"].astype(np.float32)
        self.tag_ids_ = arrays[f"{prefix}.tag_ids"].astype(np.int32)
        self.tag_freq_ = arrays[f"{prefix}.tag_freq"].astype(np.float32)
        self.sizes_ = arrays[f"{prefix}.sizes"].astype(np.int32)
        self.votes_ = self._votes()
        return self
