"""``caption_tags``: the places, things, events and activities a caption names, where they read as hashtags
(:func:`taglens.knowledge.vocabulary.Vocabulary.caption_candidates`): "Paris never gets old" -> #paris, "the Eiffel
Tower" -> #eiffeltower; in a language without training captions, its words' English glosses ("θάλασσα" -> #sea,
``knowledge.glosses``). Each candidate is weighted by how often people who write the word also tag it, in the
caption's language (detected once per caption), shrunk by its counts; the evidence shows them. Open world: the
tags come from the broad vocabulary, not from the model's."""
from __future__ import annotations

import re
from functools import lru_cache

from ....knowledge.glosses import english_phrases, english_words
from ..language_gate import LEARNED_LANGUAGES, caption_language
from ..source import Source

MAX_TAGS = 30
# the caption head's top probability over which caption_tags defers to the trained caption sources: full weight at
# HEAD_SURE_LOW or less, none at HEAD_SURE_FULL. A caption like the training tweets (an Instagram check-in "I love this
# city @ Griffith Observatory", whose authors tag #la) is read by the head; the named things lead where the head is
# unsure (everyday captions: median top probability 0.095 on the lifestyle tweets, 0.12 on the tweets). Val side,
# re-fused: tweets P@1/A@5 0.0980/0.1951 -> 0.1010/0.1957, lifestyle 0.1417/0.2267 -> 0.1383/0.2283 (0.3-0.8:
# 0.0991/0.1951, 0.1400/0.2267; caption_tags off: 0.1038/0.1963, 0.1033/0.1883)
HEAD_SURE_LOW, HEAD_SURE_FULL = 0.1, 0.5
GLOSS_TRUST = 0.8  # a word read through its English gloss ("Καφές" -> #coffee): one sense of several, so a little less
GLOSSED_TAG_COUNT = 10  # posts tagged with a gloss's English form for it to stand as a tag no caption writes
GLOSSED_GAIN = 1.3  # the gain under a caption in a language the trained caption sources did not learn (caption_kinds')
# an adjective written before the noun it describes ("hot tea", "cold beer") says what that thing is like, and the
# thing is the post's: as a tag of its own it is the word's sense as a hashtag (#hot: a person's looks), not the
# caption's ("Rainy day, hot tea and a good book" got #hot). Such a tag keeps this share of its weight; a compound of
# the two words (#rainyday, #goodbook) and a word WordNet reads as a noun first ("vintage") are not touched
ATTRIBUTIVE = 0.25
_WORDS = re.compile(r"[^\W\d_][\w'’]*")


@lru_cache(maxsize=1024)
def named_tags(text: str) -> dict[str, tuple[float, str]]:
    """{tag: (weight, evidence)} of the things ``text`` names (``caption_tags``' evidence; read once per caption:
    ``caption_kinds`` asks which tags it gives). Do not change the returned dict."""
    from ....knowledge.junk import junk_reason
    from ....knowledge.vocabulary import PHRASE_PRIOR, get_vocabulary

    vocab, lang = get_vocabulary(), caption_language(text)
    out = {c.tag: (c.weight, c.evidence) for c in vocab.caption_candidates(text, lang, MAX_TAGS)}
    if lang == "en":
        for word, noun in attributive_adjectives(text).items():
            if word in out:
                weight, evidence = out[word]
                out[word] = (ATTRIBUTIVE * weight, f"{evidence}; said of the {noun}")
    # a language without training captions, read through its words' glosses; an English phrase that names a thing
    # without its word ("good boy": a dog)
    for said, english in english_words(text, lang) + (english_phrases(text) if lang == "en" else ()):
        found = False
        for c in vocab.caption_candidates(english, "en", 3):
            if c.tag == english:
                found = True
                if GLOSS_TRUST * c.weight > out.get(c.tag, (0.0,))[0]:
                    out[c.tag] = (GLOSS_TRUST * c.weight, c.evidence.replace(f"mentions: {english}",
                                                                              f"mentions: {said} ({english})", 1))
        # a gloss that is a tag people use but never write as words ("桜": #cherryblossom, tagged in 71 posts, no
        # caption writes "cherryblossom"): the word names that thing, as a phrase WordNet lists as one lemma does
        # (a word people write and seldom tag, "next", "house", stays out as before)
        count = vocab.tag_count(english)
        if not found and english not in out and count >= GLOSSED_TAG_COUNT and not junk_reason(english) and (
                vocab.hashtag_rate(english, "en")[1] == 0):
            out[english] = (GLOSS_TRUST * PHRASE_PRIOR, f"caption mentions: {said} ({english}), a hashtag of "
                                                        f"{count} posts")
    return out


def attributive_adjectives(text: str) -> dict[str, str]:
    """The caption's words (lower case) that are adjectives in their usual part of speech (WordNet: the most attested
    senses) written right before a word that is a noun in its usual one, with that noun ("hot tea" -> {"hot": "tea"};
    "the tea is hot", "Rainy day, hot" and "vintage camera", vintage being a noun first, give none)."""
    from ....knowledge.topic_kinds import _usual_pos
    from ....wordnet import WordNetUnavailable, get_lookup

    try:
        lookup = get_lookup()
    except WordNetUnavailable:
        return {}
    text = re.split(r"(?:^|\s)@ (?=[A-Z0-9])", text or "")[0]  # not a check-in's place ("... @ USS Midway CV-41")
    spans = list(_WORDS.finditer(text))
    found = {}
    for a, b in zip(spans, spans[1:]):
        # a capitalised word inside a sentence is a name's ("the Little Yellow Plane"), as is the word after it
        opens = a.start() == 0 or text[:a.start()].rstrip()[-1:] in ".!?\n"
        if a.group()[0].isupper() and not opens or b.group()[0].isupper():
            continue
        if text[a.end():b.start()].isspace() and len(a.group()) > 2:
            adj, noun = a.group().lower(), b.group().lower()
            if _usual_pos(lookup, adj) == "a" and _usual_pos(lookup, noun) == "n":
                found[adj] = noun
    return found


class CaptionKnowledge(Source):
    name = "caption_tags"
    # lifestyle tweets' P@1 0.055 -> 0.100 at 1.0, while the tweets' val P@1 (gold: event tags no word names)
    # loses 0.011 at 1.0, 0.005 at 0.5 (1,200 val tweets)
    weight = 0.4

    def evidence(self, post, features):
        if not features.text:
            return {}
        return dict(named_tags(features.text))

    def gain(self, post, features):
        """1 for an English caption; ``GLOSSED_GAIN`` for a caption in a language the trained caption sources did
        not learn: they are gated to nearly nothing there, and the things it names are most of what it says
        ("満月がきれいな夜": #fullmoon at 0.8 x 0.4 x 0.22 = 0.07 fell under the default --min-score)."""
        if not features.text:
            return 0.0
        return 1.0 if caption_language(features.text) in LEARNED_LANGUAGES else GLOSSED_GAIN

    @staticmethod
    def deference(evidence: dict, read: float = 1.0) -> float:
        """The share of its gain caption_tags keeps beside the other sources' ``evidence`` of the post: less as the
        caption head is surer of a tag (``HEAD_SURE_LOW`` .. ``HEAD_SURE_FULL``), its sureness counted as far as the
        head ``read`` the caption (its language gate: a Spanish caption it reads through two words is not its)."""
        # to 4 decimals: the batched head's float32 rounding (it differs with the batch's other posts) must not move
        # the gain, so that one post gets the same scores in any batch
        sure = read * round(max((score for score, _ in evidence.get("caption", {}).values()), default=0.0), 4)
        return 1.0 - min(1.0, max(0.0, (sure - HEAD_SURE_LOW) / (HEAD_SURE_FULL - HEAD_SURE_LOW)))
