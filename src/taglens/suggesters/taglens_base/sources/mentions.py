"""``mentions``: tags formed from the caption's own words and word pairs, scored by how often such a word is also
used as a tag; a word no training caption spelled often enough (a new product, place or name) is scored by its
form instead (key phrases, :mod:`taglens.suggesters.phrases`)."""
from __future__ import annotations

import json
from collections import Counter
from typing import Sequence

from ....exceptions import ModelError
from ....types import Post, strip_hashtags
from ...phrases import KeyPhrases
from ..language_gate import LEARNED_LANGUAGES
from ..source import Source, State, TrainingSet
from ..wording import STOPWORDS, caption_gain, caption_terms


def mention_rates(posts: Sequence[Post], smoothing: float = 2.0) -> dict[str, float]:
    """P(word is a tag of the post | the caption spells the word), smoothed, for words seen as tags."""
    seen: Counter = Counter()
    hit: Counter = Counter()
    for p in posts:
        text = strip_hashtags(p.text)
        if not text:
            continue
        tags = set(p.hashtags)
        for term in caption_terms(text):
            seen[term] += 1
            if term in tags:
                hit[term] += 1
    return {t: round((hit[t] + 0.02 * smoothing) / (seen[t] + smoothing), 4) for t in hit if seen[t] >= 2}


BARE_MENTIONS = 3  # captions of the corpora that write the bare word, at least, and this many times its 's form's tags


def bare_word(word: str) -> bool:
    """Whether a word written with a possessive ending names the bare word: the corpora write it by itself at least
    ``BARE_MENTIONS`` times as often as they tag the form with its 's ("Bernie's rally": 30 captions write "bernie",
    #bernies is no one's tag; "Mom's cooking": #mom). A name no caption writes bare keeps its ending, as a shop's
    name is tagged ("Peet's", "McDonald's": #peets #mcdonalds)."""
    from ....knowledge.vocabulary import get_vocabulary

    vocab = get_vocabulary()
    mentions = vocab.hashtag_rate(word)[1]
    return mentions >= BARE_MENTIONS * max(1, vocab.tag_count(word + "s"))


class Mentions(Source):
    name = "mentions"
    weight = 0.6
    learned_languages = LEARNED_LANGUAGES

    def fit(self, data: TrainingSet) -> None:
        self.rates_ = mention_rates(data.posts)
        captioned = [(text, set(p.hashtags)) for p in data.posts if (text := strip_hashtags(p.text))]
        self.phrases_ = KeyPhrases(seed=self.model.seed).fit([t for t, _ in captioned], [g for _, g in captioned],
                                                             STOPWORDS)

    def evidence(self, post, features):
        text = features.text
        if not text:
            return {}
        out = {}
        known = self.rates_.__contains__
        for term in caption_terms(text, bare=bare_word):
            rate = self.rates_.get(term)
            if rate is not None and rate > 0:
                out[term] = (rate, f"caption mentions: {term}")
        # terms no training caption spelled often enough: scored by their form (capitals, rarity, ...)
        for term, p in self.phrases_.scores(text, STOPWORDS, skip=known, bare=bare_word).items():
            out[term] = (p, f"key phrase of the caption: {term}")
        return out

    def gain(self, post, features):
        return caption_gain(features.text, self.model.text_words_full)

    def save(self, state: State) -> None:
        (state.directory / "mentions.json").write_text(json.dumps(self.rates_, sort_keys=True, ensure_ascii=False),
                                                       encoding="utf-8")
        (state.directory / "phrases.json").write_text(json.dumps(self.phrases_.to_json()), encoding="utf-8")

    def load(self, state: State) -> None:
        self.rates_ = json.loads((state.directory / "mentions.json").read_text(encoding="utf-8"))
        phrases = state.directory / "phrases.json"
        try:
            self.phrases_ = KeyPhrases.from_json(json.loads(phrases.read_text(encoding="utf-8")))
        except (ValueError, AttributeError, TypeError, ModelError) as e:
            raise ModelError(f"{phrases}: unreadable key-phrase model ({e})") from e
