"""Non-learned baselines over tag lists: ``popularity``, ``cooccurrence`` and ``synonyms``.

They also serve as components of the default model (``taglens-base``), which reads their evidence through
``evidence(post) -> {tag: (score, reason)}``, so the reasons shown to users stay the same everywhere.

Example:
    >>> from taglens import Post
    >>> from taglens.suggesters.baselines import CooccurrenceSuggester
    >>> model = CooccurrenceSuggester().fit([Post(hashtags=("dog", "puppy")), Post(hashtags=("dog", "cute"))])
    >>> [(s.tag, s.reason) for s in model.suggest(Post(hashtags=("dog",)), k=2)]
    [('cute', 'used with #dog in 50% of posts'), ('puppy', 'used with #dog in 50% of posts')]
"""
from __future__ import annotations

import functools
import json
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..exceptions import ModelError
from ..registry import register_suggester
from ..types import MAX_POST_HASHTAGS, Post, Suggestion, normalize_tag
from .base import BaseSuggester, keep_params
from .tags import Evidence, read_vocab, tag_words, to_evidence_suggestions, write_vocab

def _tag_lists(posts: Iterable[Post]) -> list[tuple[str, ...]]:
    return [p.hashtags for p in posts if p.hashtags]


class PopularitySuggester(BaseSuggester):
    """The most frequent tags of the training posts, the same for every post (a floor every model must beat)."""

    name = "popularity"

    def __init__(self, max_tags: int = 1000):
        self.max_tags = max_tags

    def fit(self, posts: Sequence[Post]) -> "PopularitySuggester":
        lists = _tag_lists(posts)
        counts = Counter(t for tags in lists for t in tags)
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: self.max_tags]
        self.tags_ = [t for t, _ in top]
        self.freq_ = np.array([c / max(len(lists), 1) for _, c in top], dtype=np.float32)
        self.fitted_ = True
        return self

    def evidence(self, post: Post, k: int = 50) -> Evidence:
        have = set(post.hashtags)
        out: Evidence = {}
        for tag, f in zip(self.tags_, self.freq_):
            if tag not in have:
                out[tag] = (float(f), f"popular: used in {100 * f:.0f}% of posts")
                if len(out) >= k:
                    break
        return out

    def uses_input(self, post: Post) -> bool:
        """Never: the answer is the same for every post (an ensemble uses it only when no member answers)."""
        return False

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        return to_evidence_suggestions(self.evidence(post, k + len(post.hashtags)), "popularity", k)

    def _save_state(self, directory: Path) -> None:
        write_vocab(directory / "vocab.txt", self.tags_)
        np.save(directory / "freq.npy", self.freq_)

    def _load_state(self, directory: Path) -> None:
        self.tags_ = read_vocab(directory / "vocab.txt")
        self.freq_ = np.load(directory / "freq.npy")
        if len(self.freq_) != len(self.tags_):
            raise ModelError(f"{directory}: vocab.txt and freq.npy disagree")


class CooccurrenceSuggester(BaseSuggester):
    """Tags that co-occur with the post's own tags: score(b) = mean over its known tags a of P(b | a).

    Keeps, per tag, its ``max_neighbors`` most likely companions (aggregate counts only). A post without a
    known tag gets the popular tags.
    """

    name = "cooccurrence"

    def __init__(self, min_count: int = 2, max_neighbors: int = 100, max_vocab: int = 50000, list_size: int = 0):
        keep_params(self, locals())

    def fit(self, posts: Sequence[Post]) -> "CooccurrenceSuggester":
        from scipy import sparse

        lists = _tag_lists(posts)
        counts = Counter(t for tags in lists for t in tags)
        kept = sorted((t for t, c in counts.items() if c >= self.min_count), key=lambda t: (-counts[t], t))
        vocab = kept[: self.max_vocab]
        index = {t: i for i, t in enumerate(vocab)}
        rows, cols, weights = [], [], []
        for r, tags in enumerate(lists):
            # a post with a long tag list counts as list_size / len(tags) posts, so that a few sets with
            # twenty tags a post do not drown the companions seen in short lists (0: every post counts once)
            w = min(1.0, self.list_size / len(tags)) if self.list_size else 1.0
            for t in tags:
                if t in index:
                    rows.append(r)
                    cols.append(index[t])
                    weights.append(w)
        x = sparse.csr_matrix((np.sqrt(np.asarray(weights, np.float32)), (rows, cols)), shape=(len(lists), len(vocab)))
        co = (x.T @ x).tocsr()
        n = np.asarray(x.multiply(x).sum(axis=0)).ravel()
        co.setdiag(0)
        co.eliminate_zeros()
        indptr, indices, values = [0], [], []
        for a in range(len(vocab)):
            start, end = co.indptr[a], co.indptr[a + 1]
            nb, c = co.indices[start:end], co.data[start:end]
            if len(nb) > self.max_neighbors:
                top = np.argpartition(-c, self.max_neighbors)[: self.max_neighbors]
                nb, c = nb[top], c[top]
            order = np.lexsort((nb, -c))
            indices.extend(nb[order].tolist())
            values.extend((c[order] / max(n[a], 1.0)).tolist())
            indptr.append(len(indices))
        self.vocab_ = vocab
        self.counts_ = n.astype(np.int64)
        self.n_posts_ = len(lists)
        self.indptr_ = np.asarray(indptr, dtype=np.int64)
        self.indices_ = np.asarray(indices, dtype=np.int32)
        self.values_ = np.asarray(values, dtype=np.float16)
        self.fitted_ = True
        return self

    @functools.cached_property
    def index_(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.vocab_)}

    def neighbors(self, tag: str) -> tuple[np.ndarray, np.ndarray]:
        """(neighbour indices, P(neighbour | tag)) of a known tag; empty arrays for an unknown one."""
        a = self.index_.get(normalize_tag(tag))
        if a is None:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        s, e = self.indptr_[a], self.indptr_[a + 1]
        return self.indices_[s:e], self.values_[s:e].astype(np.float32)

    def known_tags(self, post: Post) -> list[str]:
        return [t for t in post.hashtags if t in self.index_]

    def uses_input(self, post: Post) -> bool:
        """Whether the post has a tag seen in training (else the answer is the popularity prior)."""
        return bool(self.known_tags(post))

    def evidence(self, post: Post, k: int = 200) -> Evidence:
        known = self.known_tags(post)
        if not known:
            return {}
        scores: dict[int, float] = {}
        best: dict[int, tuple[float, str]] = {}
        for tag in known:
            nb, p = self.neighbors(tag)
            for j, v in zip(nb.tolist(), p.tolist()):
                scores[j] = scores.get(j, 0.0) + v
                if v > best.get(j, (0.0, ""))[0]:
                    best[j] = (v, tag)
        top = sorted(scores.items(), key=lambda kv: -kv[1])[:k]
        return {self.vocab_[j]: (s / len(known), f"used with #{best[j][1]} in {100 * best[j][0]:.0f}% of posts")
                for j, s in top}

    def popular(self, k: int) -> Evidence:
        out: Evidence = {}
        for j in range(min(k, len(self.vocab_))):  # the vocabulary is sorted by count
            f = self.counts_[j] / max(self.n_posts_, 1)
            out[self.vocab_[j]] = (float(f), f"popular: used in {100 * f:.0f}% of posts")
        return out

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        ev = self.evidence(post, k + len(post.hashtags))
        out = to_evidence_suggestions(ev, "cooccurrence", k + len(post.hashtags))
        # fill up with popular tags, scored below every co-occurrence score
        floor = min((s.score for s in out), default=1.0)
        for tag, (f, reason) in self.popular(k + len(post.hashtags)).items():
            out.append(Suggestion(tag, floor * 0.5 * f, "popularity", reason))
        return out

    def _save_state(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        write_vocab(directory / "vocab.txt", self.vocab_)
        save_file({"counts": self.counts_, "indptr": self.indptr_, "indices": self.indices_,
                   "values": self.values_}, str(directory / "cooccurrence.safetensors"),
                  metadata={"n_posts": str(self.n_posts_)})

    def _load_state(self, directory: Path) -> None:
        from safetensors import safe_open

        self.vocab_ = read_vocab(directory / "vocab.txt")
        with safe_open(str(directory / "cooccurrence.safetensors"), "np") as f:
            self.n_posts_ = int(f.metadata()["n_posts"])
            for key in ("counts", "indptr", "indices", "values"):
                setattr(self, f"{key}_", f.get_tensor(key))
        if len(self.indptr_) != len(self.vocab_) + 1:
            raise ModelError(f"{directory}: vocab.txt and cooccurrence.safetensors disagree")
        self.__dict__.pop("index_", None)


class SynonymSuggester(BaseSuggester):
    """A synonym finder, with no learning: WordNet synonyms of the post's own tags and their nearest neighbours
    among text embeddings of tags.

    * WordNet: the lemmas of each tag's usual senses (``dog`` -> ``domesticdog``; not ``frump``, a rare sense);
    * embedding neighbours: tags whose words' MiniLM embedding is at least ``min_similarity`` (cosine) from the
      tag's own, the ``neighbours`` closest (``dog`` -> ``puppy``, ``pup``, ``pet``; ``nyc`` -> ``newyork``).

    ``fit`` only records the tags seen in training: then only synonyms that people use as tags are suggested,
    ranked by closeness and use, and neighbours are looked for among them. Untrained, a WordNet synonym may be
    any lemma and neighbours come from the vocabulary of the bundled ``taglens-base``.
    """

    name = "synonyms"
    needs_training = False

    def __init__(self, max_senses: int = 3, min_count: int = 2, neighbours: int = 5, min_similarity: float = 0.7):
        keep_params(self, locals())

    def fit(self, posts: Sequence[Post]) -> "SynonymSuggester":
        counts = Counter(t for tags in _tag_lists(posts) for t in tags)
        self.vocab_counts_ = {t: c for t, c in counts.items() if c >= self.min_count}
        if self.neighbours > 0:
            from .tags import embed_tags

            self.tags_ = sorted(self.vocab_counts_)
            self.tag_emb_ = embed_tags(self.tags_).astype(np.float16).astype(np.float32)  # as saved
        self.table_ = self.synonym_table()
        self.fitted_ = True
        return self

    def synonym_table(self) -> dict[str, list[tuple[str, float, str]]]:
        """The used synonyms of every training tag, looked up once, so that suggesting a known tag needs neither
        WordNet nor the text encoder: {tag: [(synonym, closeness, "wordnet" or "embedding"), ...]}."""
        near = self._neighbour_table() if self.neighbours > 0 else {}
        table = {}
        for tag in sorted(self.vocab_counts_):
            found = [(c, round(v, 4), "wordnet") for c, v in self.wordnet_synonyms(tag) if c in self.vocab_counts_]
            seen = {c for c, _, _ in found}
            found += [(c, v, "embedding") for c, v in near.get(tag, ()) if c not in seen]
            if found:
                table[tag] = found
        return table

    def _neighbour_table(self, chunk: int = 2048) -> dict[str, list[tuple[str, float]]]:
        """{training tag: its closest other training tags}, from ``tags_`` and their embeddings."""
        out = {}
        for start in range(0, len(self.tags_), chunk):
            sims = self.tag_emb_[start: start + chunk] @ self.tag_emb_.T
            for row, tag in enumerate(self.tags_[start: start + chunk]):
                sims[row, start + row] = -1.0
                out[tag] = self._closest(sims[row], self.tags_)
        return out

    def _closest(self, sims: np.ndarray, tags: Sequence[str]) -> list[tuple[str, float]]:
        n = min(self.neighbours, len(sims))
        if n <= 0:
            return []
        top = np.argpartition(-sims, n - 1)[:n]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(tags[j], round(float(sims[j]), 4)) for j in top if sims[j] >= self.min_similarity]

    def _search_space(self) -> tuple[list[str], np.ndarray] | None:
        """(tags, their L2-normalised embeddings) that neighbours are looked for in, or None."""
        if getattr(self, "tag_emb_", None) is not None:
            return self.tags_, self.tag_emb_
        if getattr(self, "vocab_counts_", None) is None:
            return _bundled_tag_embeddings()
        return None

    @functools.lru_cache(maxsize=8192)
    def synonyms(self, tag: str) -> tuple[tuple[str, float, str], ...]:
        """(synonym tag, closeness in (0, 1], "wordnet" or "embedding") for a tag, closest first."""
        table = getattr(self, "table_", None)
        if table is not None and tag in self.vocab_counts_:
            return tuple((str(e[0]), float(e[1]), str(e[2]) if len(e) > 2 else "wordnet") for e in table.get(tag, ()))
        found = [(c, v, "wordnet") for c, v in self.wordnet_synonyms(tag)]
        space = self._search_space() if self.neighbours > 0 else None
        if space is not None:
            tags, emb = space
            seen = {c for c, _, _ in found} | {tag}
            sims = emb @ self._embedding(tag)
            found += [(c, v, "embedding") for c, v in self._closest(sims, tags) if c not in seen]
        return tuple(sorted(found, key=lambda e: -e[1]))

    def _embedding(self, tag: str) -> np.ndarray:
        cache = self.__dict__.setdefault("_unseen_emb", {})
        if tag not in cache:
            self._embed_unseen([tag])
        return cache[tag]

    def _embed_unseen(self, tags: Sequence[str]) -> None:
        """Embed, in one call of the text encoder, the tags whose neighbours are not in the table yet."""
        from .tags import embed_tags

        cache = self.__dict__.setdefault("_unseen_emb", {})
        table, counts = getattr(self, "table_", None), getattr(self, "vocab_counts_", None) or {}
        todo = list(dict.fromkeys(t for t in tags if t not in cache and not (table is not None and t in counts)))
        if todo:
            if len(cache) > 4096:
                cache.clear()
            cache.update(zip(todo, embed_tags(todo)))

    def wordnet_synonyms(self, tag: str) -> tuple[tuple[str, float], ...]:
        """The lemmas of the tag's usual WordNet senses (at most ``max_senses``), with 1 / (1 + sense rank)."""
        from ..wordnet import WordNetUnavailable, synonym_tags

        words = tag_words(tag)
        try:
            found = synonym_tags("_".join(words) if len(words) <= 3 else tag, self.max_senses)
        except WordNetUnavailable:
            return ()
        return tuple((cand, 1.0 / (1 + rank)) for cand, rank, _ in found if cand != tag)

    def evidence(self, post: Post, k: int = 50) -> Evidence:
        counts = getattr(self, "vocab_counts_", None)
        out: Evidence = {}
        tags = post.hashtags[:MAX_POST_HASHTAGS]
        if self.neighbours > 0 and len(tags) > 1 and self._search_space() is not None:
            self._embed_unseen(tags)  # one encoder call for all of them (100 new tags took 1.2 s one by one)
        for tag in tags:
            for cand, closeness, kind in self.synonyms(tag):
                if counts is not None:
                    if cand not in counts:
                        continue
                    closeness *= 0.5 + 0.5 * min(1.0, np.log1p(counts[cand]) / 8.0)
                if closeness > out.get(cand, (0.0, ""))[0]:
                    reason = (f"synonym of #{tag}" if kind == "wordnet"
                              else f"close in meaning to #{tag}")
                    out[cand] = (float(closeness), reason)
        return dict(sorted(out.items(), key=lambda kv: -kv[1][0])[:k])

    def uses_input(self, post: Post) -> bool:
        return bool(post.hashtags) and bool(self.evidence(post, k=1))

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        return to_evidence_suggestions(self.evidence(post, k + len(post.hashtags)), "synonyms", k)

    def _save_state(self, directory: Path) -> None:
        if getattr(self, "vocab_counts_", None) is not None:
            (directory / "tag_counts.json").write_text(json.dumps(self.vocab_counts_, sort_keys=True), "utf-8")
        if getattr(self, "table_", None) is not None:
            (directory / "table.json").write_text(json.dumps(self.table_, sort_keys=True), "utf-8")
        if getattr(self, "tag_emb_", None) is not None:
            np.save(directory / "tag_emb.npy", self.tag_emb_.astype(np.float16))

    def _load_state(self, directory: Path) -> None:
        path = directory / "tag_counts.json"
        if path.is_file():
            self.vocab_counts_ = {str(k): int(v) for k, v in json.loads(path.read_text("utf-8")).items()}
        table = directory / "table.json"
        if table.is_file() and path.is_file():
            self.table_ = json.loads(table.read_text("utf-8"))
        emb = directory / "tag_emb.npy"
        if self.neighbours > 0 and emb.is_file() and path.is_file():
            self.tags_ = sorted(self.vocab_counts_)
            self.tag_emb_ = np.load(emb).astype(np.float32)
            if self.tag_emb_.shape != (len(self.tags_), EMBEDDING_DIM):
                raise ModelError(f"{emb} holds {self.tag_emb_.shape} embeddings for {len(self.tags_)} tags")


EMBEDDING_DIM = 384


@functools.lru_cache(maxsize=1)
def _bundled_tag_embeddings() -> tuple[list[str], np.ndarray] | None:
    """The bundled taglens-base's vocabulary and its tag embeddings, the untrained synonym finder's search space,
    or None where that model is missing."""
    from safetensors import safe_open

    folder = Path(__file__).resolve().parents[1] / "models" / "taglens-base"
    try:
        tags = read_vocab(folder / "vocab.txt")
        with safe_open(str(folder / "weights.safetensors"), "np") as fh:
            emb = fh.get_tensor("tag_emb").astype(np.float32)
    except (OSError, ValueError, KeyError):
        return None
    return (tags, emb) if emb.shape == (len(tags), EMBEDDING_DIM) else None


@register_suggester("popularity", "the most frequent training tags (baseline)")
def popularity(**kw) -> PopularitySuggester:
    return PopularitySuggester(**kw)


@register_suggester("cooccurrence", "tags that co-occur with the post's own tags (baseline)")
def cooccurrence(**kw) -> CooccurrenceSuggester:
    return CooccurrenceSuggester(**kw)


@register_suggester("synonyms", "WordNet synonyms and embedding neighbours of the post's own tags (baseline)",
                    trainable=False)
def synonyms(**kw) -> SynonymSuggester:
    return SynonymSuggester(**kw)
