"""``prior``: tag popularity, a weak fallback so that an empty post still gets sensible tags."""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from ....exceptions import ModelError
from ..source import Source, State, TrainingSet


class Prior(Source):
    name = "prior"
    weight = 0.05

    def fit(self, data: TrainingSet) -> None:
        """The mean over data sets (``meta["source"]``) of each set's tag frequencies: no set drowns the others."""
        per_group: dict[str, Counter] = defaultdict(Counter)
        n_group: Counter = Counter()
        for p, g in zip(data.posts, data.groups):
            n_group[g] += 1
            per_group[g].update(t for t in p.hashtags if t in data.index)
        prior = np.zeros(len(data.index), np.float64)
        for g, c in per_group.items():
            for t, n in c.items():
                prior[data.index[t]] += n / n_group[g] / len(per_group)
        self.prior_ = prior.astype(np.float32)
        self._evidence = None

    def evidence(self, post, features):
        if getattr(self, "_evidence", None) is None:  # the same for every post
            top = self.top(self.prior_.astype(np.float32), "popular tag")
            self._evidence = {t: (s, f"popular: used in {100 * s:.0f}% of posts") for t, (s, _) in top.items()}
        return self._evidence

    def save(self, state: State) -> None:
        state.arrays["prior"] = self.prior_.astype(np.float32)

    def load(self, state: State) -> None:
        self.prior_, self._evidence = state.arrays["prior"], None
        if len(self.prior_) != len(self.model.vocab_):
            raise ModelError(f"{state.directory}: vocab.txt and weights.safetensors disagree")
