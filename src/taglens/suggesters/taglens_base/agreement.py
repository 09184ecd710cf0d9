"""Whether what the ImageNet classifier sees in a photo supports the tags of the trained image sources (issue 20:
a rocket is not #travel #selfie, a daisy not #food, coins not #fitness).

The trained image sources (``image``, ``image_protos``) learned six Instagram topics, vape shops and plated food,
and answer with those topics on photos unlike them. The classifier's 1,000 classes say what is in the photo. For
each tag, the *support* of a photo is how often the training photos with the photo's classes carry the tag:
``probs @ R[:, tag]``, where ``R[c, tag]`` is the rate of the tag among the training photos, each counted by its
probability of class ``c`` (shrunk towards 0 by ``SHRINK`` photos, so a class the training photos never show
supports nothing), over the support a quarter of the training photos that carry the tag reach (``full``): 1 =
as well supported as a typical photo of that tag. ``R`` ships as a rank-64 factorisation in
``resources/vision/image_agreement.npz``, built by ``scripts/build_image_agreement.py`` from the train side of
instagram6, vape, pexels_food and the everyday scene, flower and pet photos (aggregates only).

For a photo alone, a trained source's tag keeps ``agree ** POWER`` of its score (a caption, which carries the
topic itself, takes the share back to 1 as it grows), and the open-world sources rise with the share of the image
head's belief that the classifier does not support (``doubt``): ``image_tags`` by ``1 + OPEN_BOOST[s] * doubt``,
never above its gain on a photo unlike any training photo (``familiarity.OPEN``: the moon, read as a nematode,
already has it).
Measured on the val side (docs/EVERYDAY.md): instagram6 0.6657/0.8750 -> 0.6628/0.8634, vape 0.6034 -> 0.6089
P@1, everyday photos P@1 0.087 -> 0.148.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

RESOURCE = Path(__file__).resolve().parents[2] / "resources" / "vision" / "image_agreement.npz"
SHRINK = 10.0  # pseudo-photos of no tag per class (build time)
FULL_QUANTILE = 25  # percentile of the support of the training photos that carry a tag that counts as full
POWER = 0.5  # a tag keeps agree ** POWER of a trained source's score (0.25 of the support keeps half)
# the open-world sources' extra gain per unit of doubt above DOUBT_FROM (rescaled to 0..1): 12 and 1 keep
# instagram6 within its limit (25: P@1 -0.006); the everyday photos' P@1 0.122 -> 0.148 against no boost
OPEN_BOOST = {"image_tags": 12.0, "conse": 1.0}
DOUBT_FROM = 0.3
# #food on a photo alone needs food among the classes when the classifier is sure of something else: the trained
# sources' #food is supported by the vases, pots and cups that food photos show too (roses in a vase, an espresso
# cup got #food first). The photo's food mass: each class's probability times the strongest of FOOD_TAGS the
# ImageNet map gives it (a dish 0.9, a fruit or a vegetable 0.6); under FOOD_FROM, with the most probable class read
# at NOT_FOOD_SURE or more, or under UNFAMILIAR_FOOD_FROM on a photo of familiarity under UNFAMILIAR (the trained
# sources' guess on a photo unlike theirs: a horse sketch, coins, a daisy), the trained sources' #food is left out
# (offline on the val side: instagram6 P@1 -1 post, a ping-pong ball tagged #food, A@5 -1; a sure class at 0.4
# costs 2 posts, a food mass alone 3, familiarity 0.15 2)
FOOD_TAGS = frozenset("food foodie foodporn instafood dessert bread vegetables fruit seafood dinner lunch "
                      "sandwich".split())
FOOD_FROM = 0.03
NOT_FOOD_SURE = 0.45
UNFAMILIAR = 0.1
UNFAMILIAR_FOOD_FROM = 0.1
# the trained sources' tags that praise or mood-tag a photo rather than say what it shows, left out of a photo alone
# whose familiarity is under FILLER_FAMILIAR, as #love is (issue 20, ninth stop: a scanned page's #motivation #happy,
# a navy portrait's #style). Offline (val): of the trained fillers only #photography and #fashion are ever a top-5
# hit on an instagram6 photo under 0.3 (5 and 1 posts), so they stay; these never are
FILLERS = ("style", "happy", "instagood", "photooftheday", "picoftheday", "motivation", "inspiration", "art", "amazing",
           "beautiful", "instagram")
FILLER_FAMILIAR = 0.3
# the trained sources' tags that say nothing of what a photo alone shows, left out where its familiarity is under
# the figure: #love (the horse sketch's, the rocket's) filled the top 5 of photos unlike the training photos; offline
# (val): everyday photos' fitting tags in the top 5 +0.027, instagram6 unchanged (0.5: A@5 -1 post)
FILLER_UNDER = {"love": 0.3, **{t: FILLER_FAMILIAR for t in FILLERS}}
# the trained sources' set labels that name a person's occasion, left out of a photo alone unlike the training
# photos (familiarity under SET_LABELS_UNDER) where the classifier is sure (SET_LABELS_SURE) of what it shows: a
# camera on a tripod (94%) got #fitness #travel. Offline (val): no bench post moves; the sure class at 0.45-0.6 or
# familiarity 0.1-0.2 cost instagram6 A@5 (0.8576-0.8488, limit 0.8592)
SET_LABELS = ("travel", "selfie", "fitness")
# #animals on a photo alone needs animals among the classes, as #food needs food: the photo's animal mass (each
# class's probability times the map's strength of #animals or #animal for it) under ANIMALS_FROM, or under
# UNFAMILIAR_ANIMALS_FROM on a photo of familiarity under ANIMALS_UNFAMILIAR, leaves the trained sources' #animals
# out (a scanned page 0.07, a wall of signs 0.04, a motorcycle 0.04 got #animals in their top 5). Offline (val): the
# instagram6 photos whose #animals is a top-5 hit have a mass of 0.065 or more (that one at familiarity 0.9; under
# 0.5 familiarity, 0.092 or more); everyday photos: a street's and a rose's #animals go
ANIMAL_TAGS = ("animals", "animal")
ANIMALS_FROM = 0.05
UNFAMILIAR_ANIMALS_FROM = 0.08
ANIMALS_UNFAMILIAR = 0.5
# a person in formal dress (the classifier's mass on faces.FORMAL's classes at POSED_FROM or more) on a photo alone
# unlike the training photos (familiarity under POSED_UNFAMILIAR) is a posed portrait: the trained sources, which
# learned six topics' selfies, say nothing of it (a navy portrait's #love #travel #style), and only what the photo
# shows is left (#portrait from the face, #clothing). Offline (val): without the familiarity bound instagram6 lost a
# graduation selfie's first hit (mortarboard, familiarity 0.88) and a suit portrait's top-5 #travel (0.84)
POSED_FROM = 0.4
# the trained sources' kind of thing that is a sibling of what the classifier is sure of (its most probable read class
# at SIBLING_SURE or more): #cars for a moped (both vehicles), #dog for a tabby (both animals), left out of a photo
# alone unlike the training photos (familiarity under SIBLING_UNFAMILIAR). The map's strengths: a class's
# basic-level category's first two forms (KIND_FORMS) and its broader category's (BROADER); a kind is a word for a
# thing (WordNet's usual sense in THINGS: the map's #nature #sea #summer are a category's forms, not kinds).
# Offline (val): without the familiarity bound instagram6 lost 2 first hits (a pickup and a garbage truck whose gold
# is #cars, at familiarity 0.40 and 0.90: the cars feed holds trucks); without THINGS dogs lost a top-5 #nature
SIBLING_SURE = 0.3
KIND_FORMS = (0.9, 0.75)
BROADER = (0.5,)
SIBLING_UNFAMILIAR = 0.3
THINGS = frozenset({"noun.animal", "noun.artifact", "noun.food", "noun.plant"})
POSED_UNFAMILIAR = 0.5
SET_LABELS_UNDER = 0.05
SET_LABELS_SURE = 0.8
# ... or where it reads a kind of thing (``_kinds``: #rocket, #dog, #cup) at KIND_SURE or more, the map's noisy-or
# over the kind's classes: sibling classes add up, so a launch read as a missile (30%) and a projectile (20%) is a
# rocket as surely as one class at 0.4 is, and the trained sources' #travel #selfie on it are their guess (issue 20,
# thirteenth stop: the rocket led with #travel and showed #selfie)
KIND_SURE = 0.35


@dataclass(frozen=True)
class Agreement:
    """``R ~ classes @ tags``; ``full``: each tag's full support; ``names``: the tags."""

    classes: np.ndarray  # (n_classes, rank)
    tags: np.ndarray  # (rank, n_tags)
    full: np.ndarray  # (n_tags,)
    names: tuple[str, ...]

    def rates(self, probs: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """How often training photos of these class probabilities carry the tags of columns ``cols`` (``R``'s rows,
        weighted by ``probs``)."""
        return (probs @ self.classes) @ self.tags[:, cols]

    @functools.cached_property
    def base_rates(self) -> np.ndarray:
        """Each tag's rate on an average class (the mean of ``R`` over the classes), at least 1e-6: a rate's lift."""
        return np.maximum(self.classes.mean(0) @ self.tags, 1e-6)

    def support(self, probs: np.ndarray) -> np.ndarray:
        """Each tag's agreement in [0, 1] with a photo of these class probabilities, ``** POWER``."""
        s = (np.asarray(probs, np.float32) @ self.classes) @ self.tags
        return np.clip(s / self.full, 0.0, 1.0) ** POWER


@lru_cache(maxsize=1)
def table(path: Path = RESOURCE) -> Agreement | None:
    """The shipped table; None (the trained sources unchecked) when it is missing or unreadable, said once."""
    try:
        with np.load(path, allow_pickle=False) as z:
            names = tuple(str(t) for t in z["names"])
            out = Agreement(z["classes"].astype(np.float32), z["tags"].astype(np.float32),
                            np.maximum(z["full"].astype(np.float32), 1e-6), names)
        if out.tags.shape[1] != len(names) or out.full.shape != (len(names),):
            raise ValueError("shapes disagree")
        return out
    except (OSError, ValueError, KeyError) as exc:
        log.warning("image agreement table %s unusable (%s): the trained image sources are not checked", path, exc)
        return None


def over_vocab(agreement: Agreement, index: dict[str, int], size: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows of the vocabulary, columns of the table) of the tags both hold."""
    pairs = [(index[t], j) for j, t in enumerate(agreement.names) if t in index]
    rows = np.array([p[0] for p in pairs], np.int64)
    cols = np.array([p[1] for p in pairs], np.int64)
    assert rows.size == 0 or rows.max() < size
    return rows, cols


def doubt(head_probs: np.ndarray, agree: np.ndarray) -> float:
    """The share of the image head's belief that the classifier does not support, above ``DOUBT_FROM``,
    rescaled to 0..1."""
    p = np.asarray(head_probs, np.float64)
    p = p / max(float(p.sum()), 1e-12)
    d = float(p @ (1.0 - agree))
    return max(0.0, (d - DOUBT_FROM) / (1.0 - DOUBT_FROM))


@lru_cache(maxsize=1)
def _food_weights() -> np.ndarray:
    """Each ImageNet class's strongest ``FOOD_TAGS`` strength in the map (0 for a class that is no food)."""
    from ...knowledge.image_tags import get_image_tag_map

    return np.array([max((s for t, s in tags if t in FOOD_TAGS), default=0.0)
                     for tags in get_image_tag_map().tags], np.float64)


def not_food(class_probs: np.ndarray, familiarity: float | None) -> bool:
    """Whether a photo alone shows no food: the classifier sees almost none (``FOOD_FROM``) and is sure of another
    class (``NOT_FOOD_SURE``), or sees little (``UNFAMILIAR_FOOD_FROM``) on a photo unlike the training photos."""

    p = np.asarray(class_probs, np.float64).reshape(-1)
    mass = float(p @ _food_weights())
    if familiarity is not None and familiarity < UNFAMILIAR and mass < UNFAMILIAR_FOOD_FROM:
        return True
    return _sure_of(p, NOT_FOOD_SURE) and mass < FOOD_FROM


@lru_cache(maxsize=1)
def _animal_weights() -> np.ndarray:
    """Each ImageNet class's strongest ``ANIMAL_TAGS`` strength in the map (0 for a class that is no animal)."""
    from ...knowledge.image_tags import get_image_tag_map

    return np.array([max((s for t, s in tags if t in ANIMAL_TAGS), default=0.0)
                     for tags in get_image_tag_map().tags], np.float64)


def no_animals(class_probs: np.ndarray, familiarity: float | None) -> bool:
    """Whether a photo alone shows no animal: the classifier's animal mass is under ``ANIMALS_FROM``, or under
    ``UNFAMILIAR_ANIMALS_FROM`` on a photo of familiarity under ``ANIMALS_UNFAMILIAR``."""
    mass = float(np.asarray(class_probs, np.float64).reshape(-1) @ _animal_weights())
    if familiarity is not None and familiarity < ANIMALS_UNFAMILIAR and mass < UNFAMILIAR_ANIMALS_FROM:
        return True
    return mass < ANIMALS_FROM


def posed(class_probs: np.ndarray, familiarity: float | None) -> bool:
    """Whether a photo alone unlike the training photos (familiarity under ``POSED_UNFAMILIAR``) is a posed
    portrait: the classifier's mass on formal dress and a photographer's kit (``faces.FORMAL``) reaches
    ``POSED_FROM``."""
    from .sources.faces import formal_classes

    if familiarity is None or familiarity >= POSED_UNFAMILIAR:
        return False
    return float(np.asarray(class_probs, np.float64).reshape(-1)[formal_classes()].sum()) >= POSED_FROM


@lru_cache(maxsize=1)
def _kinds() -> dict[str, frozenset[str]]:
    """Each tag the ImageNet map gives as a kind of thing (a class's basic-level category, its first two forms: #car
    #cars for a jeep) -> the broader categories of the classes it names (#vehicle)."""
    from ...knowledge.image_tags import get_image_tag_map
    from ...wordnet import WordNetUnavailable, get_lookup

    out: dict[str, set[str]] = {}
    for tags in get_image_tag_map().tags:
        broader = {t for t, s in tags if round(s, 2) in BROADER}
        for t, s in tags:
            if round(s, 2) in KIND_FORMS and broader:
                out.setdefault(t, set()).update(broader)
    try:  # only words for things: the map's #nature #sea #summer are forms of a category, no kind of thing
        lookup = get_lookup()
        return {t: frozenset(b) for t, b in out.items() if lookup.usual_noun_lexname(t) in THINGS}
    except WordNetUnavailable:  # said once elsewhere: no kind is checked
        return {}


def other_kinds(class_probs: np.ndarray, familiarity: float | None) -> frozenset[str]:
    """The kinds of thing (``_kinds``) that are siblings of the class the classifier is sure of (``SIBLING_SURE``):
    of one of its categories, and not among its tags (#cars for a moped: both vehicles). Empty when it is sure of
    none."""
    from ...knowledge.image_tags import get_image_tag_map

    if familiarity is None or familiarity >= SIBLING_UNFAMILIAR:
        return frozenset()
    tag_map = get_image_tag_map()
    p = np.asarray(class_probs, np.float64).reshape(-1)
    read = tag_map.read_classes(p)
    if not read or p[read[0]] < SIBLING_SURE:
        return frozenset()
    tags = dict(tag_map.class_tags(read[0]))
    cats = {t for t, s in tags.items() if s >= min(BROADER)}
    return frozenset(t for t, broader in _kinds().items() if t not in tags and broader & cats)


def sure_and_unfamiliar(class_probs: np.ndarray, familiarity: float | None) -> bool:
    """Whether a photo alone is unlike the training photos (``SET_LABELS_UNDER``) and the classifier is sure of
    what it shows (a class at ``SET_LABELS_SURE``, or a kind of thing at ``KIND_SURE``): the trained sources'
    ``SET_LABELS`` are their guess, not the photo's."""
    if familiarity is None or familiarity >= SET_LABELS_UNDER:
        return False
    p = np.asarray(class_probs, np.float64).reshape(-1)
    return _sure_of(p, SET_LABELS_SURE) or _kind_read(p, KIND_SURE)


def _kind_read(p: np.ndarray, at: float) -> bool:
    """Whether the ImageNet map reads a kind of thing at map score ``at`` or more: a tag it gives at a kind's strength
    (a class's basic-level category or its forms, 0.75-0.9, as ``kind_forms`` proposes them: a missile's #rocket),
    scored by the noisy-or of its classes' probabilities x strengths (``image_tags``), that is a word for a thing
    (``_thing``) and not a set label."""
    from ...knowledge.image_tags import get_image_tag_map, image_tags
    from .sources.kind_forms import KIND

    strengths = get_image_tag_map().strengths(p)
    return any(KIND[0] <= strengths.get(tag, 0.0) <= KIND[1] and tag not in SET_LABELS and _thing(tag)
               for tag, _, _ in image_tags(p, k=30, min_score=at))


@lru_cache(maxsize=4096)
def _thing(tag: str) -> bool:
    """Whether WordNet's usual sense of ``tag`` is a thing (``THINGS``: an animal, an artifact, a food, a plant);
    False without WordNet."""
    from ...wordnet import WordNetUnavailable, get_lookup

    try:
        return get_lookup().usual_noun_lexname(tag) in THINGS
    except WordNetUnavailable:
        return False


def _sure_of(p: np.ndarray, at: float) -> bool:
    """Whether the most probable class the ImageNet map reads (``read_classes``) has probability ``at`` or more."""
    from ...knowledge.image_tags import get_image_tag_map

    read = get_image_tag_map().read_classes(p)
    return bool(read) and p[read[0]] >= at


__all__ = ["Agreement", "DOUBT_FROM", "FILLER_UNDER", "FOOD_TAGS", "OPEN_BOOST", "POWER", "SET_LABELS", "doubt",
           "not_food", "over_vocab", "sure_and_unfamiliar", "table"]
