"""Late fusion of several suggesters: each member ranks tags on its own, its top scores are normalised to sum to
one, and the weighted sums decide. A member that has nothing to go on for a post (an image model for a post without
image: ``uses_input(post)`` is false) is left out for that post, so its prior does not dilute the others.

Members are registered names (trained by ``fit`` on the same posts) or saved model directories (loaded as they are).

Example:
    >>> model = create_suggester("ensemble", members=["cooccurrence", "tfidf-linear", "effnet-mlp"])  # doctest: +SKIP
    >>> model.fit(train_posts).save("models/fused")   # doctest: +SKIP
"""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from pathlib import Path
from typing import Sequence

from ..exceptions import DataError, ModelError
from ..registry import register_suggester
from ..types import Post, Suggestion
from .base import BaseSuggester

log = logging.getLogger(__name__)
# Fast members by default (coattention trains slowly and did no better: docs/EXPERIMENTS.md); add it with
# --set 'members=[...]'. effnet-knn keeps the training posts' image features, so a trained ensemble stays with its
# training data.
DEFAULT_MEMBERS = ("cooccurrence", "tfidf-linear", "effnet-mlp", "effnet-knn")


def _member_dir(i: int, name: str) -> str:
    return f"{i:02d}-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(name).name or "model")


class EnsembleSuggester(BaseSuggester):
    """Weighted late fusion of ``members`` (names or model directories); ``weights`` default to equal."""

    name = "ensemble"

    def __init__(self, members: Sequence[str] = DEFAULT_MEMBERS, weights: Sequence[float] | None = None,
                 top_n: int = 50):
        self.members = list(members)
        self.weights = None if weights is None else [float(w) for w in weights]
        self.top_n = top_n

    def _check(self) -> None:
        if not self.members:
            raise ModelError(f"{self.name}: an ensemble needs at least one member")
        if self.weights is not None and len(self.weights) != len(self.members):
            raise ModelError(f"{self.name}: {len(self.weights)} weights for {len(self.members)} members")

    def fit(self, posts: Sequence[Post]) -> "EnsembleSuggester":
        from ..registry import create_suggester
        from ..model_folder import load_suggester

        self._check()
        self.models_ = []
        kept: list[int] = []
        reasons = []
        for i, member in enumerate(self.members):
            if Path(member).is_dir():
                log.info("%s: using the trained model in %s", self.name, member)
                self.models_.append(load_suggester(member))
                kept.append(i)
                continue
            model = create_suggester(member)
            log.info("%s: training member %s", self.name, member)
            try:
                self.models_.append(model.fit(posts))
            except (DataError, ModelError) as exc:  # e.g. a text model on posts without captions: the others fuse
                log.warning("%s: member %s left out: %s", self.name, member, exc)
                reasons.append((member, exc))
                continue
            kept.append(i)
        if not kept:
            error = DataError if all(isinstance(e, DataError) for _, e in reasons) else ModelError
            why = "; ".join(str(e) if str(e).startswith(f"{m}:") else f"{m}: {e}" for m, e in reasons)
            raise error(f"{self.name}: no member could be trained ({why})")
        self.members = [self.members[i] for i in kept]
        if self.weights is not None:
            self.weights = [self.weights[i] for i in kept]
        self.fitted_ = True
        return self

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        weights = self.weights or [1.0] * len(self.models_)
        fused: dict[str, float] = defaultdict(float)
        sources: dict[str, list[str]] = defaultdict(list)
        answered = 0
        for model, weight, member in zip(self.models_, weights, self.members):
            if not model.uses_input(post):
                continue
            ranked = model.suggest(post, k=max(k, self.top_n))
            if not ranked:
                continue
            answered += 1
            for tag, score in _normalised(ranked):
                fused[tag] += weight * score
                sources[tag].append(model.name)
        if not answered:  # no member has input for this post: fall back on each one's own answer (its prior)
            for model, weight in zip(self.models_, weights):
                for tag, score in _normalised(model.suggest(post, k=max(k, self.top_n))):
                    fused[tag] += weight * score
                    sources[tag].append("prior")
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        return [Suggestion(tag, score, "+".join(sorted(set(sources[tag]))), "agreed on by " +
                           ", ".join(sorted(set(sources[tag])))) for tag, score in ranked[: k + len(post.hashtags)]]

    def _save_state(self, directory: Path) -> None:
        import json

        for i, (member, model) in enumerate(zip(self.members, self.models_)):
            model.save(directory / "members" / _member_dir(i, member))
        types = {_member_dir(i, member): model.name for i, (member, model) in enumerate(zip(self.members,
                                                                                              self.models_))}
        (directory / "members" / "types.json").write_text(json.dumps(types, indent=2, sort_keys=True) + "\n",
                                                          encoding="utf-8")

    def _load_state(self, directory: Path) -> None:
        import json

        from ..model_folder import load_model_dir

        self._check()
        path = directory / "members" / "types.json"
        try:  # the type of every member, as saved
            types = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{path}: unreadable list of the ensemble's members ({exc})") from None
        self.models_ = []
        for i, member in enumerate(self.members):
            name = _member_dir(i, member)
            sub = directory / "members" / name
            if not sub.is_dir():
                raise ModelError(f"{directory}: ensemble member {member!r} is missing ({sub})")
            model = load_model_dir(sub)
            expected = types.get(name) if isinstance(types, dict) else None
            if model.name != expected:
                raise ModelError(f"{sub}: holds a {model.name!r} model, but the ensemble was saved with a "
                                 f"{expected!r} model there")
            self.models_.append(model)


def _normalised(ranked: Sequence[Suggestion]) -> list[tuple[str, float]]:
    """Scores shifted to be non-negative and scaled to sum to one (equal shares when they are all equal)."""
    scores = [float(s.score) for s in ranked]
    low = min(scores)
    shifted = [s - low if low < 0 else s for s in scores]
    total = sum(shifted)
    if total <= 0:
        return [(s.tag, 1.0 / len(ranked)) for s in ranked]
    return [(s.tag, v / total) for s, v in zip(ranked, shifted)]


@register_suggester("ensemble", description="late fusion of several models (names or trained directories)")
def ensemble(**kw) -> EnsembleSuggester:
    return EnsembleSuggester(**kw)


@register_suggester("test_ensemble", description="tiny late-fusion ensemble for tests")
def test_ensemble(**kw) -> EnsembleSuggester:
    return EnsembleSuggester(**{"members": ["test_effnet_linear", "test_coattention"], **kw})
