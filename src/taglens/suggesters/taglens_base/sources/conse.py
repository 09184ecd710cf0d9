"""``conse``: the zero-shot path (ImageNet classes -> WordNet -> tags, :mod:`taglens.suggesters.zeroshot`), for
photos of things no training post shows; its gain rises on photos unlike the training photos (``familiarity``).

A tag is taken only where it names the WordNet concept it came from (``related``: its words are among the
concept's, the concept's last word among them): #worm for a nematode (a kind of worm), #goldenretriever for a
golden retriever, #cat for a house cat, not #house. MiniLM's likeness alone matched words by their
look or their neighbourhood, not their sense: a nematode gave #animation (a kind of "animate being") and #dog
(a kind of animal), a missile #gun, coins five unrelated tags; the curated map (``image_tags``) covers the
categories. Nor is a concept whose word usually means no thing (``NO_THING``: WordNet's usual sense of the word is
an act, a state, an attribute ...): every class is a thing, so it reached the class through a rarer sense, and the
tag reads in the usual one (a tripod is a kind of support, but #support is help; a pagoda a construction, #craft
for a boat)."""
from __future__ import annotations

import functools

from ...zeroshot import ZeroShotSuggester
from ..source import PER_SOURCE, Source, State, TrainingSet

# WordNet's lexicographer files of senses that are no thing one sees (tried on the val side: no figure of
# instagram6, vape or the everyday photos moves; #support #construction #craft leave the ordinary photos' top 5)
NO_THING = frozenset({"noun.act", "noun.attribute", "noun.cognition", "noun.communication", "noun.event",
                      "noun.feeling", "noun.motive", "noun.possession", "noun.process", "noun.relation", "noun.state",
                      "noun.time"})

# a class's concept whose word, as a hashtag, reads in another sense than the one WordNet files the class under: a
# moped or an ambulance is a wheeled vehicle, which WordNet also files as a container (#container is a box), a flute
# a wind and a wood(wind) instrument (#wind #woods are weather and a forest), a hen a beast (#beast is a strong man), a
# palace a home (#home is one's own), a manhole cover a cover (#cover is a song or a magazine's); an espresso or a red
# wine is a liquid (#liquid is a state of matter, or eyeliner), a shower curtain a blind (#blind is unable to see), a
# bottlecap a top (#top is the best, or a garment)
OTHER_SENSE = frozenset({"container", "wind", "wood", "beast", "home", "cover", "liquid", "blind", "top"})


def _stems(text: str) -> frozenset[str]:
    """The words of ``text``, lowercased, a plural's final s dropped. Short words count too: #standup ("stand up")
    does not name a stand."""
    out = set()
    for w in text.lower().replace("-", " ").replace("'", " ").split():
        out.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return frozenset(out)


@functools.lru_cache(maxsize=4096)
def _no_thing(phrase: str) -> bool:
    """Whether the phrase's usual noun sense is no thing (``NO_THING``); False without WordNet (said once
    elsewhere) or for a phrase it lacks."""
    from ....wordnet import WordNetUnavailable, get_lookup

    try:
        return get_lookup().usual_noun_lexname(phrase.replace(" ", "_")) in NO_THING
    except WordNetUnavailable:
        return False


class Conse(Source):
    name = "conse"
    weight = 0.1
    weight_with_caption = 0.1

    def fit(self, data: TrainingSet) -> None:
        self.conse_ = ZeroShotSuggester().fit_vocab(self.model.vocab_, self.model.tag_emb_)

    def evidence(self, post, features):
        if features.images is None:
            return {}
        from ....knowledge.image_tags import get_image_tag_map

        # the map's fallback classes (the moon read as a nematode) are not read under their floor here either
        return self.conse_.evidence_from_logits(features.images["logits"], PER_SOURCE, features.images.get("labels"),
                                                related=self.related, floors=get_image_tag_map().floors)

    def related(self, j: int, phrase: str) -> bool:
        """Whether the ``j``-th tag of the zero-shot vocabulary names the concept ``phrase``: its words are among
        the phrase's and hold the phrase's last word (plurals read as singulars)."""
        words = self.__dict__.get("_words")
        if words is None or words[0] is not self.conse_.vocab_:
            index, tag_words = self.model.index_, self.model.tag_words_
            words = self._words = (self.conse_.vocab_, [
                _stems(tag_words[index[t]] if t in index else t) for t in self.conse_.vocab_], {})
        known = words[2]  # (j, phrase) -> the answer: ~200 pairs per photo, most seen before (speed)
        if (j, phrase) not in known:
            tag, concept = words[1][j], _stems(phrase)
            head = _stems(phrase.split()[-1]) if phrase.split() else frozenset()
            known[(j, phrase)] = (bool(tag) and tag <= concept and bool(head & tag) and not _no_thing(phrase)
                                  and phrase.lower() not in OTHER_SENSE)
        return known[(j, phrase)]

    def gain(self, post, features):
        return self.model.source("image").image_gain(self.name, features)

    def save(self, state: State) -> None:
        self.conse_.save(state.directory / "conse")

    def load(self, state: State) -> None:
        self.conse_ = ZeroShotSuggester.load(state.directory / "conse")  # of its own type, or a clear error
