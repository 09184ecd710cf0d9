"""``caption_topics``: what an everyday caption is about, as the topic tags people put on such posts (#food #travel
#fitness #music #love #family): P(topic tag | word) of the caption's words and emoji, learned from everyday tweets
in several languages (``resources/vocab/caption_topics.npz``, built by scripts/build_caption_topics.py: counts
only), shrunk by each word's count, with the counts as the reason (``tags.Counted``: the wording and the counts as
data). Each word's statistics fire only on a caption in the language they were learned in
(``language_gate.word_fits``); emoji read the same in every language ("🍝" -> #food under a Greek or Japanese
caption). A caption in a language without training captions (Greek, Japanese) is also read through its words'
English glosses (``knowledge.glosses``: "Καφές" -> coffee). Open world: its tags need not be in the model's
vocabulary."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ....knowledge.glosses import english_words
from ...tags import Counted
from ..language_gate import caption_language, word_fits
from ..source import Source
from ..wording import glossed_gain
from .caption_words import CaptionWordStats

RESOURCE = Path(__file__).resolve().parents[3] / "resources" / "vocab" / "caption_topics.npz"
MAX_TAGS = 20


@lru_cache(maxsize=1)
def topic_statistics() -> tuple[CaptionWordStats, list[str]]:
    """(the statistics, their tag list), loaded once."""
    import numpy as np

    from ....exceptions import ModelError

    try:
        with np.load(RESOURCE, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the caption topic statistics {RESOURCE}: {exc}") from None
    stats = CaptionWordStats.from_arrays(arrays.pop("words").tolist(), arrays)
    return stats, arrays["tags"].tolist()


class CaptionTopics(Source):
    name = "caption_topics"
    # val side: lifestyle tweets P@1 0.097 (without) -> 0.113 at 0.3 -> 0.133 at 1.0 (A@5 0.163 -> 0.227), tweets
    # 0.0910 -> 0.0907, vape unchanged; caption_topics tags are never another topic's, so leakage does not rise
    weight = 1.0

    def evidence(self, post, features):
        if not features.text:
            return {}
        stats, tags = topic_statistics()
        lang = caption_language(features.text)
        got = stats.scores(features.text, fits=lambda w: word_fits(w, lang))
        said = {}
        english = english_words(features.text, lang)
        if english:  # a language without training captions, read through its words' English glosses
            said = {e: w for w, e in english}
            for j, (v, w, p) in stats.scores(" ".join(said)).items():
                if v > got.get(j, (0.0,))[0]:
                    got[j] = (v, w, p)
        out = {}
        for j, (v, w, _) in sorted(got.items(), key=lambda kv: -kv[1][0])[:MAX_TAGS]:
            word = f"'{said[w]} ({w})'" if w in said else f"'{w}'"
            counted = stats.support(w, j)
            if counted is None:  # statistics saved without their counts
                out[tags[j]] = (v, f"everyday posts with {word} use #{tags[j]}")
                continue
            hit, seen = counted  # the counts travel with the reason as data (support.py reads them so)
            out[tags[j]] = (v, Counted(f"{hit} of {seen} everyday posts with {word} use #{tags[j]}", hit, seen))
        return out

    def gain(self, post, features):
        return glossed_gain(features.text, self.model.text_words_full)
