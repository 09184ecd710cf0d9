"""What people tag a photo of each ImageNet class with: ``image_tags(probs) -> [(tag, score, evidence)]``.

``resources/image_tags.tsv`` (built by ``scripts/build_image_tags.py`` from WordNet and checked against the tag
corpora, corrected by the hand-curated ``resources/image_tags_overrides.tsv``) gives, for each of the 1,000
classes in the encoder's logit order, its hashtags with a strength in (0, 1]: 1 for the class's own names
(#goldenretriever), 0.9 for its basic-level category (#dog), less for further forms (#dogs #puppy
#dogsofinstagram) and broader categories (#animals).

A tag's score is the noisy-or over the classes of ``probability x strength``: it follows the classifier's
confidence, and classes agreeing on a category add up (ten dog breeds at 10% each give #dog 0.61 while no breed
name gets over 0.1).

A few classes are the classifier's fallbacks for what it has no class for (the moon reads as a nematode at 47%, the
Hubble deep field as a flatworm, coins as a bubble, a brick wall as a maze and a racket's strings): the overrides
give them a *floor* (an optional fourth column of the map), the probability under which the class is not read at
all (``floors``; ``conse`` reads the same floors).

A class's own name says that this thing is seen, so the source that reads the map may ask for it only from a class
read at ``name_from`` or more (``ImageTagMap.suggest``): a tag that is only ever a name (no class has it as its
kind) from a class read under that is the classifier choosing among look-alikes (a tulip read as a daisy at 3%,
handwriting as a rubber eraser at 5%), while the kinds still add up from such readings (#flower).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

RESOURCE = Path(__file__).resolve().parents[1] / "resources" / "image_tags.tsv"
OVERRIDES = Path(__file__).resolve().parents[1] / "resources" / "image_tags_overrides.tsv"
MIN_CLASS_PROB = 0.01  # classes below this probability are not read
MAX_CLASSES = 20
NAME = 1.0  # the strength of a class's own names


def read_overrides(path: Path) -> dict[str, list[tuple[str, str]]]:
    """wnid -> [(op, tag)] from the overrides file: ``wnid<TAB>-tag +tag =tag >0.6 ...  # comment``; ``=`` with a
    tag starts the list anew with it; ``>p`` reads the class only at probability p or more (a fallback reading)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for lineno, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        wnid, _, ops = line.partition("\t")
        items = ops.split()
        if not wnid.startswith("n") or not items or any(i[:1] not in "+-=>" or len(i) < 2 or
                                                         (i[0] == ">" and not _is_probability(i[1:])) for i in items):
            raise ValueError(f"{path}:{lineno}: expected 'wnid<TAB>+tag -tag =tag >p ...', got {line!r}")
        out.setdefault(wnid, []).extend((i[0], i[1:]) for i in items)
    return out


def _is_probability(text: str) -> bool:
    try:
        return 0.0 < float(text) <= 1.0
    except ValueError:
        return False


class ImageTagMap:
    def __init__(self, path: Path = RESOURCE):
        from ..exceptions import ModelError

        self.wnids: list[str] = []
        self.names: list[str] = []
        self.tags: list[list[tuple[str, float]]] = []
        floors: list[float] = []
        try:
            rows = path.read_text("utf-8").splitlines()
        except OSError as exc:
            raise ModelError(f"cannot read the image tag map {path}: {exc.strerror or exc}") from None
        for row in rows:
            wnid, name, items, *floor = row.split("\t")
            self.wnids.append(wnid)
            self.names.append(name)
            self.tags.append([(t, float(w)) for t, w in (i.rsplit(":", 1) for i in items.split())])
            floors.append(float(floor[0]) if floor else 0.0)
        if len(self.wnids) != 1000:
            raise ModelError(f"the image tag map {path} has {len(self.wnids)} classes, not 1,000")
        self.floors = np.array(floors)  # a fallback class's floor, else 0
        kinds = {t for tags in self.tags for t, w in tags if w < NAME}
        self.only_names = frozenset(t for tags in self.tags for t, w in tags if w >= NAME and t not in kinds)
        # {name: its class's first name} for the classes with two or more names: one meaning (``forms.class_names``)
        self.name_groups: dict[str, str] = {}
        for tags in self.tags:
            names = [t for t, w in tags if w >= NAME]
            if len(names) > 1:
                for name in names:
                    self.name_groups.setdefault(name, names[0])

    def class_tags(self, index: int) -> list[tuple[str, float]]:
        return list(self.tags[index])

    def read_classes(self, probs: np.ndarray) -> list[int]:
        """The classes read for class probabilities (1000,): the ``MAX_CLASSES`` most probable at
        ``MIN_CLASS_PROB`` or more (and their floor), most probable first."""
        return [int(i) for i in np.argsort(-probs, kind="stable")[:MAX_CLASSES]
                if probs[i] >= max(MIN_CLASS_PROB, self.floors[i])]

    def reads_no_class(self, probs: Sequence[float] | np.ndarray, diffuse: float) -> bool:
        """Whether the classifier reads no class of ``probs`` (1000,): its first class is under ``diffuse`` or is a
        fallback under its floor (a handwritten page read as a maze at 37%: what ImageNet has no class for)."""
        probs = np.asarray(probs, dtype=np.float64).reshape(-1)
        first = int(np.argmax(probs))
        return bool(probs[first] < diffuse or probs[first] < self.floors[first])

    def strengths(self, probs: Sequence[float] | np.ndarray) -> dict[str, float]:
        """Each tag's largest strength over the classes read: 1 names a class seen, 0.9 its basic-level category."""
        out: dict[str, float] = {}
        for c in self.read_classes(np.asarray(probs, dtype=np.float64).reshape(-1)):
            for tag, strength in self.tags[c]:
                out[tag] = max(out.get(tag, 0.0), strength)
        return out

    def suggest(self, probs: Sequence[float] | np.ndarray, k: int = 20, min_score: float = 0.02,
                name_from: float = 0.0) -> list[tuple[str, float, str]]:
        """(tag, score in [0, 1], evidence) for class probabilities (1000,), best first; a tag that is only ever a
        class's name (``only_names``) is read from the classes at ``name_from`` or more only."""
        probs = np.asarray(probs, dtype=np.float64).reshape(-1)
        if probs.shape[0] != len(self.wnids):
            raise ValueError(f"expected {len(self.wnids)} class probabilities, got {probs.shape[0]}")
        order = self.read_classes(probs)
        miss: dict[str, float] = {}
        support: dict[str, list[tuple[float, int]]] = {}
        for c in order:
            p = float(probs[c])
            for tag, strength in self.tags[c]:
                if p < name_from and tag in self.only_names:
                    continue
                miss[tag] = miss.get(tag, 1.0) * (1.0 - p * strength)
                support.setdefault(tag, []).append((p, c))
        out = []
        for tag, m in miss.items():
            score = 1.0 - m
            if score < min_score:
                continue
            seen = ", ".join(f"{self.names[c]} ({p:.0%})" for p, c in sorted(support[tag], reverse=True)[:3])
            out.append((tag, round(score, 4), f"seen in the image: {seen}"))
        out.sort(key=lambda x: (-x[1], x[0]))
        return out[:k]


@lru_cache(maxsize=1)
def get_image_tag_map() -> ImageTagMap:
    return ImageTagMap()


def image_tags(probs: Sequence[float] | np.ndarray, k: int = 20, min_score: float = 0.02,
               name_from: float = 0.0) -> list[tuple[str, float, str]]:
    """(tag, score, evidence like "seen in the image: golden retriever (62%)") from ImageNet class probabilities
    (1000,), in the encoder's class order; see the module docstring."""
    return get_image_tag_map().suggest(probs, k=k, min_score=min_score, name_from=name_from)
