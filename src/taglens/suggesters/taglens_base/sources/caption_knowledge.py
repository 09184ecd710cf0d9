"""``caption_tags``: the places, things, events and activities a caption names, where they read as hashtags
(:func:`taglens.knowledge.vocabulary.Vocabulary.caption_candidates`): "Paris never gets old" -> #paris, "the Eiffel
Tower" -> #eiffeltower. Each candidate is weighted by how often people who write the word also tag it, in the
caption's language (detected once per caption), shrunk by its counts; the evidence shows them. Open world: the
tags come from the broad vocabulary, not from the model's."""
from __future__ import annotations

from ..language_gate import caption_language
from ..source import Source

MAX_TAGS = 30


class CaptionKnowledge(Source):
    name = "caption_tags"
    # lifestyle tweets' P@1 0.055 -> 0.100 at 1.0, while the tweets' val P@1 (gold: event tags no word names)
    # loses 0.011 at 1.0, 0.005 at 0.5 (1,200 val tweets)
    weight = 0.4

    def evidence(self, post, features):
        if not features.text:
            return {}
        from ....knowledge.vocabulary import get_vocabulary

        found = get_vocabulary().caption_candidates(features.text, caption_language(features.text), MAX_TAGS)
        return {c.tag: (c.weight, c.evidence) for c in found}

    def gain(self, post, features):
        return 1.0 if features.text else 0.0
