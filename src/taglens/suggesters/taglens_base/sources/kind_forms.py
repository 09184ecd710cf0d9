"""``kind_forms``: the kind of thing the classifier sees, in the forms people post it under, for a photo alone unlike
the training photos (issue 20, eleventh stop: a motorcycle read as a moped is #motorbike #biker as well as
#motorcycle; a launch read as a missile and a projectile is #rocket).

The ImageNet map (``image_tags``) gives each class its basic-level kind and its usual forms (``KIND``: a strength
from 0.75 to 0.9: #dog #dogs, #motorcycle #motorbike, a missile's #rocket), beside its own names (1: #moped, #missile,
the most specific and the classifier's most frequent confusions) and broader categories (0.5 and less: #vehicle,
#animals). A kind's map score is the noisy-or of its classes' probabilities x strengths, so sibling classes add up
(a moped at 48% and a motor scooter at 16% both say #motorbike). On a photo alone unlike the training photos, the
trained sources answer with their six topics and the map speaks quietly (``image_tags`` at weight 0.1), so a kind
read at ``SURE`` or more scored under the shown confidence and the top 5 filled with the trained sets' labels
(#travel #selfie) or stayed short.

This source proposes those kinds at their map score, with a gain falling from 1 at familiarity 0 to 0 at
``FAMILIAR`` (``class_rates``' reading of the photo's familiarity), and only *under the first tag* (``under_first``:
``fusion.fuse`` keeps its contributions from lifting any tag above the first tag the other sources rank): the first
tag of a photo is what the trained sources and the class-agreement table learned to put first (instagram6's gold is
its topic, #animals before #dog), the places under it are where a kind of what is seen is missing. The set labels
(``agreement.SET_LABELS``) and the topics' vocabularies (``topics``) are never a kind here.

Offline (val, every post's evidence re-fused): instagram6's 228 first hits and 299 top-5 hits kept; everyday photos'
fitting tags in the top 5 3.246 -> 3.291 (first fits 0.783 kept); ordinary photos 1.80 -> 1.95. Without
``under_first`` instagram6 lost 4 first hits (weight 1) or 2 (0.5).
"""
from __future__ import annotations

from functools import lru_cache

from .. import agreement as agr
from ..source import Source
from .class_rates import alone_familiarity, photo_probs

KIND = (0.75, 0.9)  # the map strengths of a kind's forms (scripts/build_image_tags.py): a name is 1, a broader 0.5
SURE = 0.2  # the least map score of a kind proposed (the noisy-or over its classes)
FAMILIAR = 0.3  # familiarity at which the source is silent (instagram6 val: 19% under it; everyday photos 71%)
MAX_TAGS = 8
# instagram6's six topics, which its gold puts first (#food before #cheese, #animals before #dog): never a category a
# kind passes (``names_category``): a food photo's #food stays first
TRAINED_TOPICS = frozenset("animals cars fitness food selfie travel".split())


class KindForms(Source):
    name = "kind_forms"
    weight = 1.0
    weight_with_caption = 0.0
    under_first = True

    def evidence(self, post, features):
        if features.images is None or self.gain(post, features) <= 0:
            return {}
        from ....knowledge.image_tags import get_image_tag_map, image_tags
        from ..topics import topic_of

        probs = photo_probs(features)
        strengths = get_image_tag_map().strengths(probs)
        topical = topic_of()
        out = {}
        for tag, score, reason in image_tags(probs, k=30, min_score=SURE):
            if (KIND[0] <= strengths.get(tag, 0.0) <= KIND[1] and tag not in agr.SET_LABELS
                    and tag not in topical):
                out[tag] = (float(score), reason)
                if len(out) >= MAX_TAGS:
                    break
        return out

    def gain(self, post, features):
        """For a photo alone: 1 on a photo unlike any training photo, falling to 0 at familiarity ``FAMILIAR``; 0 with
        any caption or tag (they carry the post's topic) or without a familiarity calibration."""
        familiarity = alone_familiarity(self, features)
        return 0.0 if familiarity is None else max(0.0, 1.0 - familiarity / FAMILIAR)


@lru_cache(maxsize=4096)
def names_category(kind: str, other: str) -> bool:
    """Whether ``other`` names the category right above ``kind``: a lemma of a direct hypernym of ``kind``'s usual
    noun senses (``common_synsets``). #rocket is a #vehicle, #coffee a #drink, #beetle an #insect: the category is as
    true of the photo, but the kind is the word a person posts first, so a kind may rise above it (``fusion.fuse``'s
    ``passes``). Only one level up: #dog's is #canine and #domesticanimal, never #animals (instagram6's gold puts its
    topic #animals before #dog). In the singular only: a plural, a street's #buildings, names a scene of many, which
    a kind of one thing does not replace (#architecture, WordNet's "architectural work", stays under it). A tag the
    ImageNet map gives as a kind itself to the classes that give ``kind`` (``kinds_beside``: a daisy's #flower) is
    no category to pass: #daisy stays under #flower (a kind read wrongly, a dahlia's #daisy, would otherwise take
    the place of a category that is right); nor is one of the trained topics (``TRAINED_TOPICS``: #cheese is a #food).
    False without WordNet."""
    from ....wordnet import WordNetUnavailable, get_lookup, lemma_tag

    if other in TRAINED_TOPICS or other in kinds_beside(kind):
        return False
    try:
        lookup = get_lookup()
        return any(lemma_tag(lemma) == other
                   for synset in lookup.common_synsets(kind) if synset.pos == "n"
                   for key in lookup.hypernyms(*synset.key)
                   for lemma in lookup.synset_at(*key).lemma_names)
    except WordNetUnavailable:
        return False


@lru_cache(maxsize=4096)
def kinds_beside(kind: str) -> frozenset[str]:
    """The tags the ImageNet map gives at a kind's strength (``KIND``) to the classes it gives ``kind`` at that
    strength or as their name: a daisy's #flower beside #daisy; nothing beside a missile's #rocket (its #vehicle is
    ConSE's)."""
    from ....knowledge.image_tags import get_image_tag_map

    out: set[str] = set()
    for tags in get_image_tag_map().tags:
        if any(t == kind and round(s, 2) >= KIND[0] for t, s in tags):  # its name or its kind
            out.update(t for t, s in tags if KIND[0] <= round(s, 2) <= KIND[1])
    return frozenset(out - {kind})


def kind_before_category(shown: list) -> list:
    """``shown`` (suggestions, best first) with the second placed first where the first names its category
    (``names_category``): a photo alone's #drink #coffee is #coffee #drink (the second takes a score just above the
    first, so the order holds when sorted)."""
    if len(shown) < 2 or not names_category(shown[1].tag, shown[0].tag):
        return shown
    from dataclasses import replace

    return [replace(shown[1], score=shown[0].score * (1.0 + 1e-6)), shown[0], *shown[2:]]
