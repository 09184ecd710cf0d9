"""``user``: the author's habitual tags, for authors seen in training (:mod:`taglens.suggesters.history`). They are
sure bets of their own, not alternatives: the diversified ranking never discounts them (``firm``)."""
from __future__ import annotations

import logging

from ...history import UserHistory
from ..source import Source, State, TrainingSet

log = logging.getLogger(__name__)


class AuthorHistory(Source):
    name = "user"
    weight = 1.0
    firm = True

    def fit(self, data: TrainingSet) -> None:
        self.history_ = UserHistory().fit(data.posts)
        log.info("taglens-base: %d authors' habits", len(self.history_.users_))

    def evidence(self, post, features):
        return self.history_.evidence(post.user)

    def save(self, state: State) -> None:
        self.history_.save(state.directory / "users.json")

    def load(self, state: State) -> None:
        self.history_ = UserHistory.load(state.directory / "users.json")
