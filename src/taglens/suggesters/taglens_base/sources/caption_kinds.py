"""``caption_kinds``: the topic tags of what a caption's words are kinds of (``knowledge.topic_kinds``, WordNet's
hypernyms under a hand-written map): "Pizza night with friends" -> #food, "Great run by the river" -> #running
#fitness, "Paris never gets old" -> #travel #france, "Leg day done, 5 sets of squats" -> #fitness #workout. The
caption's own words name the thing (#pizza, from ``caption_tags``); this source says the topic people file it under,
which no word of the caption spells. English captions are read word by word; a caption in a language with a
glossary (``knowledge.glosses``: Greek, Japanese, the hand-written Spanish list) through its words' English glosses.
Open world: the tags need not be in the model's vocabulary."""
from __future__ import annotations

from ....knowledge.glosses import english_words
from ..language_gate import caption_language
from ..source import Source
from .caption_knowledge import CaptionKnowledge

GLOSS_TRUST = 0.8  # a word read through its English gloss: one sense of several


class CaptionKinds(Source):
    name = "caption_kinds"
    weight = 0.25

    def evidence(self, post, features):
        if not features.text:
            return {}
        from ....knowledge.topic_kinds import topic_kinds
        from ....knowledge.vocabulary import caption_tokens

        lang = caption_language(features.text)
        glossed = dict((english, said) for said, english in english_words(features.text, lang))
        if lang == "en":
            found, trust = topic_kinds(caption_tokens(features.text)), 1.0
        elif glossed:
            found, trust = topic_kinds(glossed), GLOSS_TRUST
        else:
            return {}
        out = {}
        for tag, (strength, word, kind) in found.items():
            said = f"{glossed[word]} ({word})" if word in glossed else word.replace("_", " ")
            out[tag] = (trust * strength, f"caption says {said}: a kind of {kind} (WordNet)")
        return out

    def gain(self, post, features):
        return 1.0 if features.text else 0.0

    deference = staticmethod(CaptionKnowledge.deference)  # as caption_tags: a sure caption head leads
