"""``class_rates``: which of the open-world map's tags photos like this one are actually tagged with, for a photo
unlike the trained image sources' training photos (issue 20: a dandelion is #flower, not #food; a mountain #mountain,
not #travel).

On a photo the trained sources (``image``, ``image_protos``) do not know, they answer with their six Instagram
topics (#travel for a mountain or a street, #food for a rose in a vase), and the ImageNet map (``image_tags``)
proposes many tags of which only some fit (#mountains #landscape beside #volcano, #flower beside #cardoon). The
class-agreement table (``agreement``: how often the training photos showing each ImageNet class carry each tag)
says which: a tag's *rate* on this photo is ``probs @ R[:, tag]``, its *lift* that rate over the tag's rate on an
average class (``R``'s mean over the classes). A tag of the map scores ``rate x clip(lift - 1, 0, 1)``: a tag the
photo's classes carry no more often than any class (#love, #photography, #travel on most photos) says nothing, and
the source proposes only tags the map proposes too, so a class the training photos never show (a rocket, the
Hubble deep field) gets nothing from it, and neither do the topics' own vocabularies (vape: ``topics``).

Of the map's tags it proposes only what the photo's classes *are* (``NAMED``: a tag the map gives a class read at
strength 0.75 or more, the class's names and its basic-level category's first forms), not the broader categories
and what surrounds them (#animals, #pets, #drink for an espresso, #travel for a valley): those the other sources
give, and the table's rates put them first where the thing itself should lead (#drink before #coffee, #travel on a
forest).
Where the classifier is sure of its most probable class (``SURE``), that class's further basic-level forms follow
its named tag (``FORMS``: #puppy #dogsofinstagram #pets after #dog), so the top 5 carries them rather than the
training topics' fillers.

It speaks for a photo alone (no caption, no tag) that is unlike the training photos: the gain falls linearly
from 1 at familiarity 0 to 0 at ``FAMILIAR`` (``familiarity``). Measured on the val side (docs/EVERYDAY.md):
everyday photos' judged first tag fits 0.471 -> 0.653, fitting tags in the top 5 2.33 -> 2.54; instagram6
0.6628/0.8663 -> 0.6657/0.8634; vape, harrison and tweets unchanged. Built without the everyday training photos,
the table gives the top 5 the same gain but not the first tag (0.460): the first tags come from what the everyday
training photos are tagged with.
"""
from __future__ import annotations

import numpy as np

from .. import agreement as agr
from ..source import Source, no_caption_or_tags
from .image_knowledge import DIFFUSE

FAMILIAR = 0.2  # familiarity at which the source is silent (instagram6's val photos: 15% below; everyday: 63%)
# the least map strength of a tag it proposes: 0.75 took the everyday photos' first fits 0.653 -> 0.664 (#travel
# first on forests and glaciers, #drink on coffee gone) and instagram6 A@5 0.8663 -> 0.8692, fitting tags in the
# top 5 2.57 -> 2.55 (a dog's #puppy #pets); 0.8 or 0.9 cost instagram6 P@1 0.006 and the top 5 0.06-0.13
NAMED = 0.75
MAX_TAGS = 10
MIN_SCORE = 0.005
# the further forms of what the classifier is sure of (its most probable read class at SURE or more): the map's tags
# of that class at the strengths of a basic-level category's third to fifth forms (FORMS: scripts/build_image_tags.py
# gives the i-th form 0.9 - 0.15 i; a broader category's 0.5 and 0.35, #drink for an espresso, #animals for a dog,
# are left out): #puppy #dogsofinstagram #pets beside #dog, #cafe #coffeelover beside #coffee, each at the class's
# best named tag's score x its strength over that tag's. They fill the places #huntingdog, #nature and #love took.
# Offline (val): everyday photos' fitting tags in the top 5 +0.07 (dogs 3.83 -> 4.25), first fits and instagram6
# unchanged; sure at 0.1 +0.08, at 0.5 +0.06; the broader categories too (from 0.3) the same, but #drink second on
# an espresso. The set labels (agreement.SET_LABELS: a valley's, a cliff's, a megalith's #travel at 0.6) name an
# occasion, not what is seen: never a form
SURE = 0.3
FORMS = (0.6, 0.45, 0.3)
# a photo that neither the training photos nor the classifier know: familiarity under UNKNOWN and no class read at
# image_knowledge.DIFFUSE (a grass or gravel texture, a star field). The table's rates over such a photo's many small
# readings are noise (a grass texture's soccer ball 5%, armadillo 3% made #animals its first tag), and the source
# says nothing there. Offline (val, re-fused evidence): no instagram6 or everyday photos' top 5 moves at 0.02 (2
# everyday photos are such photos, their lists unchanged); at 0.05 instagram6 loses a first hit (a savanna read as
# impala 4%, familiarity 0.043, whose gold #animals the table gave), as did reading the map's diffuse floor here
UNKNOWN = 0.02


class ClassRates(Source):
    name = "class_rates"
    # rates are small (a mountain photo's #mountain: 0.07): 25 puts a fitting tag of an unfamiliar photo first;
    # offline, 15 and 35 gave the same instagram6 P@1 and 0.640/0.656 first fits on the everyday photos (25: 0.653)
    weight = 25.0
    weight_with_caption = 0.0

    def evidence(self, post, features):
        table = photo_table(self, post, features)
        if table is None:
            return {}
        from ....knowledge.image_tags import image_tags

        probs = photo_probs(features)
        if probs.max() < DIFFUSE and alone_familiarity(self, features) < UNKNOWN:  # nothing known of the photo
            return {}
        from ....knowledge.image_tags import get_image_tag_map
        from ..topics import topic_of

        column, topical = self._columns(table), topic_of()  # a topic's tags need evidence of it, not a photo's classes
        named = get_image_tag_map().strengths(probs)
        cols = np.array(sorted(column[t] for t, _, _ in image_tags(probs, k=30)
                               if t in column and t not in topical and named.get(t, 0.0) >= NAMED), np.int64)
        if not len(cols):
            return {}
        rate = table.rates(probs, cols)
        lift = rate / table.base_rates[cols]
        score = rate * np.clip(lift - 1.0, 0.0, 1.0)
        out = {}
        for i in np.argsort(-score, kind="stable")[:MAX_TAGS]:
            if score[i] < MIN_SCORE:
                break
            tag = table.names[int(cols[i])]
            seen = showing(table, probs, cols[i])
            reason = f"training photos showing {seen} are tagged #{tag} ({float(rate[i]):.0%} of them)"
            out[tag] = (float(score[i]), reason)
        self._forms(probs, out, topical)
        return out

    @staticmethod
    def _forms(probs: np.ndarray, out: dict, topical) -> None:
        """Adds to ``out`` the further forms (``FORMS``) of the most probable read class, where it is read at ``SURE``
        or more and one of its named tags is in ``out``."""
        from ....knowledge.image_tags import get_image_tag_map

        tag_map = get_image_tag_map()
        read = tag_map.read_classes(np.asarray(probs, np.float64))
        if not read or probs[read[0]] < SURE:
            return
        tags = tag_map.class_tags(read[0])
        named = [(out[t][0], t, strength) for t, strength in tags if strength >= NAMED and t in out]
        if not named:
            return
        best, name, strength0 = max(named)
        for tag, strength in tags:
            if round(strength, 2) in FORMS and tag not in out and tag not in topical and tag not in agr.SET_LABELS:
                out[tag] = (best * strength / strength0, f"a form of #{name}: seen in the image: "
                                                         f"{tag_map.names[read[0]]} ({float(probs[read[0]]):.0%})")

    def gain(self, post, features):
        """For a photo alone: 1 on a photo unlike any training photo, falling to 0 at familiarity ``FAMILIAR`` (and
        without a calibration, so with no familiarity, 0); 0 with any caption or tag, which carries the post's topic
        itself (a three-word caption about a sketch kept half the weight and put #dog before #sketch)."""
        familiarity = alone_familiarity(self, features)
        return 0.0 if familiarity is None else max(0.0, 1.0 - familiarity / FAMILIAR)

    def _columns(self, table: agr.Agreement) -> dict[str, int]:
        """The table's column of each of its tags, once per table."""
        return once_per_table(self, table, lambda t: {tag: j for j, tag in enumerate(t.names)})


def photo_table(source: Source, post, features) -> agr.Agreement | None:
    """The class-agreement table, where ``source`` (class_rates, scene_rates) speaks for ``post``: it has a photo,
    the table is built and the source's gain is above 0; else None."""
    table = agr.table()
    if features.images is None or table is None or source.gain(post, features) <= 0:
        return None
    return table


def once_per_table(source: Source, table: agr.Agreement, columns):
    """``columns(table)``, computed once per table and kept on ``source`` (the table's columns it reads)."""
    cached = source.__dict__.get("_cols")
    if cached is None or cached[0] is not table:
        cached = source._cols = (table, columns(table))
    return cached[1]


def photo_probs(features) -> np.ndarray:
    """The ImageNet class probabilities of a post's photos, averaged over them (float32)."""
    from ....encoders.image import softmax

    return softmax(features.images["logits"].astype("float64")).mean(0).astype(np.float32)


def showing(table: agr.Agreement, probs: np.ndarray, col: int) -> str:
    """The two classes of the photo that give most of the table's rate of column ``col`` ("streetcar, palace")."""
    from ....knowledge.image_tags import get_image_tag_map

    by_class = probs * (table.classes @ table.tags[:, col])  # each class's part of the rate
    names = get_image_tag_map().names
    return ", ".join(names[int(c)] for c in np.argsort(-by_class)[:2] if by_class[c] > 0)


def alone_familiarity(source: Source, features) -> float | None:
    """The photo's familiarity (the image source's) for a photo alone; None with any caption or tag, which carries
    the post's topic itself, or where the model has no familiarity calibration."""
    if not no_caption_or_tags(features):
        return None
    try:
        return source.model.source("image").familiarity(features)
    except KeyError:
        return None
