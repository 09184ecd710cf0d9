"""``conse``: open-vocabulary image tags without training data (ConSE, Norouzi et al. 2014).

An image's ImageNet class probabilities (EfficientNet-Lite0) are mapped onto WordNet concepts: each class's
own lemmas and its hypernyms (golden retriever -> dog -> canine -> ... -> animal, weighted down with every
step up, abstract top-level synsets skipped). Each concept is matched to the tag vocabulary by MiniLM
similarity between the concept's words and the tag's segmented words. The result is precomputed as a sparse
class x tag matrix ``S``; a photo scores tag ``t`` with ``sum_c p(c | photo) * S[c, t]`` over its top classes.

``fit`` only records the tag vocabulary (tags used at least ``min_count`` times) and rebuilds ``S``. Untrained,
the model uses the vocabulary bundled with ``taglens-base``, so it works out of the box.

Example:
    >>> from taglens.registry import create_suggester
    >>> model = create_suggester("conse")
    >>> model.suggest(Post(images=("dog.jpg",)), k=2)  # doctest: +SKIP
    [Suggestion(tag='goldenretriever', score=0.61, source='conse', reason='seen in the image: golden retriever'),
     Suggestion(tag='dog', score=0.55, source='conse', reason='seen in the image: golden retriever (a dog)')]
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..exceptions import DataError, ModelError
from ..registry import register_suggester
from ..types import Post, Suggestion
from .base import BaseSuggester, keep_params
from .tags import Evidence, embed_tags, read_vocab, to_evidence_suggestions, write_vocab

BUNDLED = Path(__file__).resolve().parents[1] / "models" / "taglens-base" / "conse"
# hypernyms closer than this to the WordNet root (entity, object, whole, artifact, ...) say nothing about a photo
MIN_HYPERNYM_DEPTH = 5


def class_concepts(max_up: int = 8, decay: float = 0.85) -> list[list[tuple[str, float]]]:
    """Per ImageNet class: (concept phrase, weight) for its lemmas (weight 1) and useful hypernyms."""
    from ..encoders.image import imagenet_synsets
    from ..wordnet import get_lookup

    wn = get_lookup()
    out = []
    for wnid in imagenet_synsets():
        concepts: dict[str, float] = {}
        for depth, level in enumerate(wn.climb((wnid[0], int(wnid[1:])), wn.hypernyms, max_up + 1)):
            for s in level:
                if depth == 0 or wn.min_depth(*s) >= MIN_HYPERNYM_DEPTH:
                    for lemma in wn.synset_at(*s).lemma_names[:3]:
                        concepts.setdefault(lemma.replace("_", " ").lower(), decay ** depth)
        out.append(list(concepts.items()))
    return out


def class_names() -> list[str]:
    from ..encoders.image import imagenet_synsets
    from ..wordnet import get_lookup

    wn = get_lookup()
    return [wn.synset_at(w[0], int(w[1:])).lemma_names[0].replace("_", " ") for w in imagenet_synsets()]


def build_class_tag_matrix(tag_emb: np.ndarray, per_class: int = 40, floor: float = 0.45,
                           exact: Sequence[str] | None = None) -> dict[str, np.ndarray | list[str]]:
    """The sparse class x tag matrix: per class its ``per_class`` best tags, with the concept behind each.

    ``S[c, t] = max over concepts k of c: weight_k * relu((cos(k, t) - floor) / (1 - floor))``.
    """
    from ..encoders.cache import text_embeddings

    concepts = class_concepts()
    phrases = sorted({p for cs in concepts for p, _ in cs})
    pindex = {p: i for i, p in enumerate(phrases)}
    pemb = text_embeddings(phrases).astype(np.float32)
    sim = np.clip((pemb @ tag_emb.T - floor) / (1.0 - floor), 0.0, None)  # (phrases, tags)
    if exact is not None:  # a tag spelled exactly like the concept is the concept
        tindex = {t: j for j, t in enumerate(exact)}
        for p, i in pindex.items():
            j = tindex.get(p.replace(" ", "").replace("-", "").replace("'", ""))
            if j is not None:
                sim[i, j] = 1.0
    per_class = min(per_class, tag_emb.shape[0])
    indices = np.zeros((len(concepts), per_class), np.int32)
    values = np.zeros((len(concepts), per_class), np.float16)
    concept_of = np.zeros((len(concepts), per_class), np.int32)
    for c, cs in enumerate(concepts):
        rows = np.array([pindex[p] for p, _ in cs])
        weighted = sim[rows] * np.array([w for _, w in cs], np.float32)[:, None]
        best = weighted.argmax(0)
        score = weighted[best, np.arange(weighted.shape[1])]
        top = np.argsort(-score, kind="stable")[:per_class]
        indices[c], values[c], concept_of[c] = top, score[top], rows[best[top]]
    return {"indices": indices, "values": values, "concept": concept_of, "phrases": phrases}


class ZeroShotSuggester(BaseSuggester):
    """ConSE over WordNet: ImageNet probabilities -> WordNet concepts -> tags by MiniLM similarity."""

    name = "conse"
    needs_training = False

    def __init__(self, top_classes: int = 5, min_count: int = 3, max_vocab: int = 20000, per_class: int = 40,
                 floor: float = 0.45):
        keep_params(self, locals())

    def fit(self, posts: Sequence[Post]) -> "ZeroShotSuggester":
        counts = Counter(t for p in posts for t in p.hashtags)
        vocab = sorted((t for t, c in counts.items() if c >= self.min_count), key=lambda t: (-counts[t], t))
        return self.fit_vocab(vocab[: self.max_vocab])

    def fit_vocab(self, vocab: Sequence[str], tag_emb: np.ndarray | None = None) -> "ZeroShotSuggester":
        """Build the class x tag matrix for a tag vocabulary (and its embeddings, when already computed)."""
        if not vocab:
            raise DataError("conse: the tag vocabulary is empty (no tag was used min_count times)")
        vocab = list(vocab)
        emb = embed_tags(vocab) if tag_emb is None else np.asarray(tag_emb, np.float32)
        m = build_class_tag_matrix(emb, self.per_class, self.floor, exact=vocab)
        self.vocab_, self.phrases_ = vocab, list(m["phrases"])
        self.indices_, self.values_, self.concept_ = m["indices"], m["values"], m["concept"]
        self.class_names_ = class_names()
        self.fitted_ = True
        return self

    def _ensure_state(self) -> None:
        if not self.is_fitted:
            if not (BUNDLED / "vocab.txt").is_file():
                raise ModelError("conse: no bundled vocabulary (models/taglens-base/conse) and not fitted; call fit()")
            self._load_state(BUNDLED)
            self.fitted_ = True

    def evidence_from_logits(self, logits: np.ndarray, k: int = 100, labels: Sequence[str] | None = None,
                             related: Callable[[int, str], bool] | None = None,
                             floors: np.ndarray | None = None) -> Evidence:
        """Tag evidence from the ImageNet logits of a post's images (m, 1000): probabilities averaged. With
        ``labels`` (one per row, e.g. the file each frame came from) and more than one distinct label, each reason
        names the image where its class is most probable ("seen in image 2 (dog.jpg): golden retriever").
        ``related(tag index, concept phrase)``, if given, keeps only the pairs it accepts; ``floors`` (1000,), if
        given, the probability under which each class is not read (the image map's fallback classes)."""
        from ..encoders.image import softmax

        self._ensure_state()
        if len(logits) == 0:
            return {}
        per_row = softmax(np.asarray(logits, np.float32))
        probs = per_row.mean(0)
        if labels is not None and (len(labels) != len(per_row) or len(set(labels)) < 2):
            labels = None
        top = np.argsort(-probs)[: self.top_classes]
        scores: dict[int, float] = {}
        why: dict[int, tuple[float, int, int]] = {}
        for c in top.tolist():
            p = float(probs[c])
            if floors is not None and p < floors[c]:
                continue
            for j, v, concept in self._pairs(c, related):
                scores[j] = scores.get(j, 0.0) + p * v
                if p * v > why.get(j, (0.0, 0, 0))[0]:
                    why[j] = (p * v, c, concept)
        best = sorted(scores.items(), key=lambda kv: -kv[1])[:k]
        where = (lambda c: labels[int(np.argmax(per_row[:, c]))]) if labels is not None else (lambda c: None)
        return {self.vocab_[j]: (s, self._reason(*why[j][1:], where(why[j][1]))) for j, s in best}

    def _pairs(self, c: int, related: Callable[[int, str], bool] | None) -> list[tuple[int, float, int]]:
        """The (tag index, value, concept) pairs of class ``c`` that ``evidence_from_logits`` reads: those with a
        positive value up to the first that has none, that ``related`` accepts; once per class and ``related`` (it
        is a fixed test of a tag and a concept: a photo asked ~200 of them; speed)."""
        cached = self.__dict__.get("_pairs_cache")
        if cached is None or cached[0] is not self.indices_:
            cached = self._pairs_cache = (self.indices_, {})
        key = (c, related)
        pairs = cached[1].get(key)
        if pairs is None:
            pairs = []
            for j, v, concept in zip(self.indices_[c].tolist(), self.values_[c].tolist(), self.concept_[c].tolist()):
                if v <= 0:
                    break
                if related is None or related(j, self.phrases_[concept]):
                    pairs.append((j, v, concept))
            if len(cached[1]) > 16384:  # a caller passing a new test each time: do not grow without end
                cached[1].clear()
            cached[1][key] = pairs
        return pairs

    def _reason(self, c: int, concept: int, image: str | None = None) -> str:
        name, phrase = self.class_names_[c], self.phrases_[concept]
        seen = f"seen in {image}" if image else "seen in the image"
        if phrase.lower() == name.lower():
            return f"{seen}: {name}"
        return f"{seen}: {name} (a kind of {phrase})"

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        if not post.images:
            return []
        from ..features import post_image_features

        feats = post_image_features([post])[0]
        return to_evidence_suggestions(self.evidence_from_logits(feats["logits"], k + len(post.hashtags),
                                                                 feats["labels"]), "conse", k)

    # -- persistence ------------------------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        self._ensure_state()
        write_vocab(directory / "vocab.txt", self.vocab_)
        write_vocab(directory / "concepts.txt", self.phrases_)
        write_vocab(directory / "class_names.txt", self.class_names_)
        save_file({"indices": self.indices_, "values": self.values_, "concept": self.concept_},
                  str(directory / "classes.safetensors"))

    def _load_state(self, directory: Path) -> None:
        from safetensors.numpy import load_file

        self.vocab_ = read_vocab(directory / "vocab.txt")
        self.phrases_ = read_vocab(directory / "concepts.txt")
        arrays = load_file(str(directory / "classes.safetensors"))
        self.indices_, self.values_, self.concept_ = arrays["indices"], arrays["values"], arrays["concept"]
        if self.indices_.shape[0] != 1000 or int(self.indices_.max(initial=0)) >= len(self.vocab_):
            raise ModelError(f"{directory}: conse state does not match its vocabulary")
        self.class_names_ = read_vocab(directory / "class_names.txt")
        if len(self.class_names_) != 1000:
            raise ModelError(f"{directory}: class_names.txt must list the 1000 ImageNet classes")


@register_suggester("conse", "zero-shot image tags: ImageNet classes -> WordNet -> tags (ConSE)", trainable=False)
def conse(**kw) -> ZeroShotSuggester:
    return ZeroShotSuggester(**kw)
