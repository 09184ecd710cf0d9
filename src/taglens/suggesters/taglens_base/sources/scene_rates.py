"""``scene_rates``: the kind of scene a photo alone shows where ImageNet has no class for it (issue 20: a plain street
photo is #street, not #travel; a forest #forest, not #animals; a rose in a vase #flower, not #food).

ImageNet has no street class, so the open-world map (``image_tags``) cannot name a street, ``class_rates`` (which
proposes only the map's tags) stays silent, and the trained image sources answer #travel: instagram6's travel photos
are such streets. What the classifier does see on a street (a streetcar, a moving van, a monastery's facade, a
prison's windows, a mobile home) the class-agreement table (``agreement``) ties to the tag: ``probs @ R[:, tag]``
is how often training photos showing these classes carry it (its *rate*), and its lift over the tag's rate on an
average class says the tie is specific. A ``SCENES`` tag whose rate reaches its bar there, with a lift of
``LIFT_FROM`` or more, is proposed with the rate as its score.
Each brings the forms people post the scene under (``FORMS``: a street's #city #streetphotography #urban) below it,
and #buildings, which the model's vocabulary lacks, has an exact column of its own in the table.

It speaks for a photo alone (no caption, no tag), at full weight up to familiarity ``FAMILIAR_FROM`` and fading to
nothing at ``FAMILIAR_TO`` (a photo the trained sources know well keeps their answer: instagram6's palace photo at
familiarity 0.87, street rate 0.16, is a #travel post). Listed after ``class_rates``, so every other sum keeps its
order. Measured on the val side (docs/EVERYDAY.md, seventh stop; offline re-fusion): everyday street photos' first
tag fits 0.00 -> 0.58, forests 0.43 -> 0.57, roses 0.15 -> 0.55, tulips 0.35 -> 0.70, sunflowers 0.63 -> 0.89, all
everyday photos 0.667 -> 0.767; instagram6 P@1 -1 post (a vase photo tagged #food gets #flower first), paid for by
``photo_text``'s whole-line names (+1); vape, harrison and tweets unchanged.

Caveat: the rates are learned from the train side of the everyday scene and flower photos (the table holds them since
issue 20's fourth stop); the val photos are other photos of the same label, so read the gain as in-distribution.
"""
from __future__ import annotations

import numpy as np

from .. import agreement as agr
from ..source import Source
from .class_rates import alone_familiarity, once_per_table, photo_probs, photo_table, showing

# the kinds of scene or plant ImageNet has no class for (a street, a forest; a rose, a tulip, a sunflower: it has a
# daisy class and few other flowers), each with the least rate that proposes it. The map never names a street or a
# forest and names #flower only for its few flower classes; the table learned the tags from the everyday scene and
# flower photos and from what the classifier sees on them (a vase, a pot, a greenhouse, a rose hip for a flower).
# Offline (val): #street at 0.06 put it first on 3 more street photos (0.71 first fits) but cost instagram6 a first
# hit, 0.1 gave 0.42 of the streets; #forest at 0.08 moved 3 forests at no cost; #flower at 0.1 / 0.12 / 0.15 / 0.2
# gave first fits 0.780 / 0.778 / 0.767 / 0.754 for instagram6 P@1 -3 / -2 / -1 / -1 posts (photos read as a
# vase or a pot whose gold is #food); #tulip (0.08) put #tulip first on a rose
# #buildings (0.08, the street's bar) needs the table's column of its own (the everyday label is no tag of the
# model's vocabulary: scripts/build_image_agreement.py appends such labels exactly): buildings' first fits 0.03 ->
# 0.22, instagram6 unchanged; 0.06 gave 0.41 but cost instagram6 a first hit
SCENES = {"street": 0.08, "forest": 0.08, "flower": 0.15, "buildings": 0.08}
# the forms people post a scene under beside its own tag, most used first (hand-written, as the ImageNet map's
# categories are: the tag's most frequent companions in the training tag lists that name the scene, not its colours,
# season-free for a street, and the map's forms of flower.n.01): each scores the scene's rate x FORM_STRENGTHS[i],
# so the top 5 of an unfamiliar photo alone carries the scene's kind instead of the training topics (#travel
# #photography #love). #flowers and #building are the one meaning of #flower and #buildings (one form per meaning
# keeps only the first in the top 5), so they are not listed. Offline (val): everyday photos' fitting tags in the top
# 5 2.69 -> 3.07 with the buildings bar, instagram6 A@5 +1 post
FORMS = {"street": ("city", "streetphotography", "urban"), "forest": ("nature", "trees"),
         "flower": ("nature", "spring", "garden"), "buildings": ("architecture", "city")}
FORM_STRENGTHS = (0.75 / 0.9, 0.6 / 0.9, 0.45 / 0.9)  # the map's category forms after the first (0.9)
LIFT_FROM = 5.0
# familiarity at which the source starts to fade, and where it is silent (the open-world sources' quieter end,
# familiarity.SURE_FROM..SURE, shifted: 0.5 cost 2 street photos; the everyday street photos reach 0.74)
FAMILIAR_FROM, FAMILIAR_TO = 0.6, 0.9


class SceneRates(Source):
    name = "scene_rates"
    # 12.5 x a rate of 0.08-0.25 (1-3) puts #street before the trained sources' #travel (0.3-0.7) on an unfamiliar
    # street; offline, 2.5 and 6.25 moved 2 and 7 of the 24 street photos, 12.5 14
    weight = 12.5
    weight_with_caption = 0.0

    def evidence(self, post, features):
        table = photo_table(self, post, features)
        if table is None:
            return {}
        cols = self._columns(table)
        if not len(cols):
            return {}
        probs = photo_probs(features)
        rate = table.rates(probs, cols)
        base = table.base_rates[cols]
        out = {}
        bars = np.array([SCENES[table.names[int(j)]] for j in cols], np.float32)
        for i in np.flatnonzero((rate >= bars) & (rate / base >= LIFT_FROM)):
            tag = table.names[int(cols[i])]
            seen = showing(table, probs, cols[i])
            out[tag] = (float(rate[i]), f"training photos showing {seen} are tagged #{tag} ({float(rate[i]):.0%})")
            for form, strength in zip(FORMS.get(tag, ()), FORM_STRENGTHS):
                score = float(rate[i]) * strength
                if score > out.get(form, (0.0, ""))[0]:
                    out[form] = (score, f"a form of #{tag}: training photos showing {seen} are tagged #{tag}")
        return out

    def gain(self, post, features):
        """For a photo alone: 1 up to familiarity ``FAMILIAR_FROM``, falling to 0 at ``FAMILIAR_TO`` (0 without a
        familiarity); 0 with any caption or tag, which carries the post's topic itself."""
        familiarity = alone_familiarity(self, features)
        if familiarity is None:
            return 0.0
        return float(np.clip((FAMILIAR_TO - familiarity) / (FAMILIAR_TO - FAMILIAR_FROM), 0.0, 1.0))

    def _columns(self, table: agr.Agreement) -> np.ndarray:
        """The table's columns of ``SCENES`` (those it holds), once per table."""
        return once_per_table(self, table, lambda t: np.array([j for j, tag in enumerate(t.names) if tag in SCENES],
                                                              np.int64))

