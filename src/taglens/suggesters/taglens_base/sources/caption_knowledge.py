"""``caption_tags``: the places, things, events and activities a caption names, where they read as hashtags
(:func:`taglens.knowledge.vocabulary.Vocabulary.caption_candidates`): "Paris never gets old" -> #paris, "the Eiffel
Tower" -> #eiffeltower; in a language without training captions, its words' English glosses ("θάλασσα" -> #sea,
``knowledge.glosses``). Each candidate is weighted by how often people who write the word also tag it, in the
caption's language (detected once per caption), shrunk by its counts; the evidence shows them. Open world: the
tags come from the broad vocabulary, not from the model's."""
from __future__ import annotations

from ....knowledge.glosses import english_words
from ..language_gate import caption_language
from ..source import Source

MAX_TAGS = 30
GLOSS_TRUST = 0.8  # a word read through its English gloss ("Καφές" -> #coffee): one sense of several, so a little less


class CaptionKnowledge(Source):
    name = "caption_tags"
    # lifestyle tweets' P@1 0.055 -> 0.100 at 1.0, while the tweets' val P@1 (gold: event tags no word names)
    # loses 0.011 at 1.0, 0.005 at 0.5 (1,200 val tweets)
    weight = 0.4

    def evidence(self, post, features):
        if not features.text:
            return {}
        from ....knowledge.vocabulary import get_vocabulary

        vocab, lang = get_vocabulary(), caption_language(features.text)
        out = {c.tag: (c.weight, c.evidence) for c in vocab.caption_candidates(features.text, lang, MAX_TAGS)}
        for said, english in english_words(features.text, lang):  # a language without training captions
            for c in vocab.caption_candidates(english, "en", 3):
                if c.tag == english and GLOSS_TRUST * c.weight > out.get(c.tag, (0.0,))[0]:
                    out[c.tag] = (GLOSS_TRUST * c.weight, c.evidence.replace(f"mentions: {english}",
                                                                              f"mentions: {said} ({english})", 1))
        return out

    def gain(self, post, features):
        return 1.0 if features.text else 0.0
