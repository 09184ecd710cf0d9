"""``caption_kinds``: the topic tags of what a caption's words are kinds of (``knowledge.topic_kinds``, WordNet's
hypernyms under a hand-written map): "Pizza night with friends" -> #food, "Great run by the river" -> #running
#fitness, "Paris never gets old" -> #travel #france, "Leg day done, 5 sets of squats" -> #fitness #workout. The
caption's own words name the thing (#pizza, from ``caption_tags``); this source says the topic people file it under,
which no word of the caption spells. English captions are read word by word; a caption in a language with a
glossary (``knowledge.glosses``: Greek, Japanese, the hand-written Spanish list) through its words' English glosses.
Open world: the tags need not be in the model's vocabulary."""
from __future__ import annotations

from ....knowledge.glosses import english_phrases, english_words
from ..language_gate import caption_language
from ..source import Source

GLOSS_TRUST = 0.8  # a word read through its English gloss: one sense of several
# a caption in a language the trained caption sources did not learn (their gain is gated to nearly 0 there) has
# few other sources to speak for it: this source's gain there (0.15 x 1.7 x 0.8 = 0.2 of a full word's score; the
# multilingual tweets' figures do not move at any gain, measured up to 0.25 / 0.8)
GLOSSED_GAIN = 1.7
# the caption head's top probability over which this source defers to the trained caption sources: full weight at
# HEAD_SURE_LOW or less, none at HEAD_SURE_FULL (sooner than caption_tags' 0.1-0.5: the tweets' check-ins and replies
# the head knows keep their lists). Val side, re-fused (weight 0.1): tweets P@1/A@5 0.1012/0.1953 -> 0.1015/0.1942 at
# 0.1-0.5, 0.1015/0.1945 at 0.05-0.2; lifestyle 0.1383/0.2267 -> 0.1367/0.2267 at either
HEAD_SURE_LOW, HEAD_SURE_FULL = 0.05, 0.2


class CaptionKinds(Source):
    name = "caption_kinds"
    # val side, re-fused (deferring at 0.05-0.2): tweets P@1/A@5 0.1012/0.1953 (off) -> 0.1015/0.1943 at 0.1,
    # 0.1012/0.1942 at 0.15, 0.1010/0.1940 at 0.2, 0.1006/0.1937 at 0.25; lifestyle 0.1383/0.2267 -> 0.1367/0.2267
    weight = 0.15

    def evidence(self, post, features):
        if not features.text:
            return {}
        from ....knowledge.forms import singular
        from ....knowledge.topic_kinds import EITHER, kind_words, topic_kinds, written_names
        from ....knowledge.vocabulary import caption_tokens
        from ..compounds import inner_things
        from ..places import CHECK_IN
        from .caption_knowledge import named_tags

        lang = caption_language(features.text)
        glossed = dict((english, said) for said, english in english_words(features.text, lang))
        # a check-in ("... @ Griffith Observatory") says where the post was made, not that it is a trip
        names = set() if CHECK_IN.search(features.text) else written_names(features.text)
        if lang == "en":
            # with the words of its everyday phrases that name a thing without its word ("good boy": a dog)
            phrases = dict((english, said) for said, english in english_phrases(features.text))
            inner = inner_things(features.text)  # a hot dog's dog is no dog (compounds.py)
            words = [w for w in kind_words(features.text) if w not in inner]
            found, trust = topic_kinds(words + list(phrases), names), 1.0
            found = {tag: (GLOSS_TRUST * s if word in phrases else s, word, kind)
                     for tag, (s, word, kind) in found.items()}
            glossed.update(phrases)
        elif glossed:
            found, trust = topic_kinds(glossed), GLOSS_TRUST
        else:
            return {}
        said_forms = set(caption_tokens(features.text)) | set(glossed)
        said_forms |= {singular(w) for w in said_forms}
        named = set(named_tags(features.text))
        named |= {singular(t) for t in named}
        out = {}
        for tag, (strength, word, kind) in found.items():
            # "our dog": caption_tags says #dog already; but a word whose every sense is filed under its own tag
            # ("bike": a motorcycle or a bicycle, #bike either way) is that topic, however seldom its writers tag it
            # (7 of 37), and a word the corpora seldom write ("old coins": 3 mentions, none tagged) is not among
            # caption_tags' names, so its topic's own tag (#coins) comes from here
            if (tag in said_forms or singular(tag) in said_forms) and EITHER not in kind and (
                    tag in named or singular(tag) in named):
                continue
            said = f"{glossed[word]} ({word})" if word in glossed else word.replace("_", " ")
            out[tag] = (trust * strength, f"caption says {said}: a kind of {kind} (WordNet)")
        return out

    def gain(self, post, features):
        if not features.text:
            return 0.0
        return 1.0 if caption_language(features.text) == "en" else GLOSSED_GAIN

    @staticmethod
    def deference(evidence: dict, read: float = 1.0) -> float:
        """As ``caption_tags``' (a sure caption head leads, as far as it ``read`` the caption), between HEAD_SURE_LOW
        and HEAD_SURE_FULL; the head's place tags do not count (#vegas at 0.17 for "Pizza night with friends" is no
        sureness of the topic)."""
        from ..places import is_place

        sure = read * round(max((score for tag, (score, _) in evidence.get("caption", {}).items()
                                 if not is_place(tag)), default=0.0), 4)
        return 1.0 - min(1.0, max(0.0, (sure - HEAD_SURE_LOW) / (HEAD_SURE_FULL - HEAD_SURE_LOW)))
