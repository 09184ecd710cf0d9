"""Faces and people in a photo: how many faces, how large, where, and the tags each pattern supports.

OpenCV's frontal-face Haar cascade (shipped in the opencv-python wheel) runs on the photo shrunk to
``DETECT_SIDE`` pixels in grey, a few milliseconds a photo. Its parameters are tuned for precision: a face must
be found by at least ``MIN_NEIGHBORS`` overlapping windows and be at least ``MIN_FACE`` of the photo's shorter
side, so food, pets and landscapes rarely get a face (see docs/VISION.md for the measured rates).

The faces make one of a few patterns, each a different kind of post: a selfie or portrait ("one face, close
up"), a person in the frame ("one face"), a couple ("two faces"), a group ("several faces"), a small person
in a scene. :func:`pattern_tags` gives the tags a pattern supports, learned from the developer photo sets by
``scripts/build_face_tags.py`` (aggregate counts only) into ``resources/vision/face_tags.json``.

    >>> from taglens.vision.faces import face_evidence
    >>> pattern, tags = face_evidence(pil_image)
    >>> pattern.label, tags[:2]     # ('one face, close up', [('selfie', 0.41, 'one face, close up'), ...])
"""
from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

from . import VisionUnavailable, as_rgb_array, downscale, require

CASCADE = "haarcascade_frontalface_alt2.xml"  # fewer false faces than _default at the same recall
CAT_CASCADE = "haarcascade_frontalcatface_extended.xml"  # a "face" where a cat's face is found is a cat
DETECT_SIDE = 200  # longer side the detector sees: half the cost of 320 px, about the same recall
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 6  # overlapping detections a face needs (OpenCV's default 3 finds faces in food and pets)
MIN_FACE = 0.08  # smallest face side, as a share of the photo's shorter side
CLOSE_UP = 0.28  # a face at least this share of the shorter side makes a close-up
SMALL = 0.13  # a lone face under this share is a small person in a scene
CENTRE = (1 / 3, 2 / 3)  # a face whose centre lies in the middle third (horizontally) is centred

NO_FACE = "no face"
CLOSE = "one face, close up"
ONE = "one face"
SMALL_PERSON = "small person in a scene"
TWO = "two faces"
SEVERAL = "several faces"
PATTERNS = (NO_FACE, CLOSE, ONE, SMALL_PERSON, TWO, SEVERAL)
RESOURCE = "face_tags.json"


@dataclass(frozen=True)
class Face:
    """A face's box as shares of the photo (left, top, width, height) and how many detections agreed on it."""

    x: float
    y: float
    w: float
    h: float
    neighbors: int

    @property
    def centred(self) -> bool:
        return CENTRE[0] <= self.x + self.w / 2 <= CENTRE[1]


@dataclass(frozen=True)
class FacePattern:
    """The faces of a photo, largest first, with the pattern they make and the detector's seconds."""

    faces: tuple[Face, ...]
    label: str
    seconds: float = 0.0
    size: float = 0.0  # the largest face's side as a share of the photo's shorter side

    @property
    def count(self) -> int:
        return len(self.faces)

    @property
    def centred(self) -> bool:
        return bool(self.faces) and self.faces[0].centred

    @property
    def evidence(self) -> str:
        if not self.faces or self.label == SEVERAL:
            return self.label if self.count < 3 else f"{self.count} faces"
        return self.label if self.centred or self.label != CLOSE else f"{self.label}, off-centre"


@functools.lru_cache(maxsize=2)
def _cascade(name: str = CASCADE) -> Any:
    cv2 = require("cv2")
    path = cv2.data.haarcascades + name
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise VisionUnavailable(f"OpenCV's cascade {path} cannot be loaded")
    return cascade


def _inside(box: tuple[int, int, int, int], other: tuple[int, int, int, int]) -> bool:
    """Whether the centre of ``box`` lies inside ``other`` (boxes as x, y, w, h)."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return other[0] <= cx <= other[0] + other[2] and other[1] <= cy <= other[1] + other[3]


def detect_faces(img: Any) -> tuple[list[Face], float]:
    """The faces in a photo (a PIL image, an RGB array or a path), largest first, and the shorter side of
    the image the detector saw (pixels). Boxes are shares of the photo."""
    cv2 = require("cv2")
    a, _ = downscale(as_rgb_array(img), DETECT_SIDE)
    grey = cv2.equalizeHist(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY))
    h, w = grey.shape
    side = max(12, int(MIN_FACE * min(h, w)))
    rects, neighbors = _cascade().detectMultiScale2(grey, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBORS,
                                                    minSize=(side, side))
    found = list(zip(map(tuple, rects), neighbors))
    if found:  # only photos with a face pay for the cat check
        cats = _cascade(CAT_CASCADE).detectMultiScale(grey, scaleFactor=SCALE_FACTOR, minNeighbors=3,
                                                      minSize=(side, side))
        found = [(r, n) for r, n in found if not any(_inside(r, c) or _inside(c, r) for c in cats)]
    faces = [Face(float(x / w), float(y / h), float(fw / w), float(fh / h), int(n)) for (x, y, fw, fh), n in found]
    return sorted(faces, key=lambda f: -f.w * f.h), float(min(h, w))


def pattern_of(faces: list[Face], aspect: float = 1.0) -> tuple[str, float]:
    """The pattern label of ``faces`` (largest first) and the largest face's side as a share of the photo's
    shorter side; ``aspect`` is the photo's width over its height."""
    if not faces:
        return NO_FACE, 0.0
    f = faces[0]
    size = f.h if aspect >= 1.0 else f.w  # the box's side over the photo's shorter side
    if len(faces) >= 3:
        return SEVERAL, size
    if len(faces) == 2:
        return TWO, size
    if size >= CLOSE_UP:
        return CLOSE, size
    return (ONE if size >= SMALL else SMALL_PERSON), size


def face_pattern(img: Any) -> FacePattern:
    """The face pattern of a photo: its faces, label ("one face, close up", "several faces", ...) and cost."""
    t = time.perf_counter()
    a = as_rgb_array(img)
    faces, _ = detect_faces(a)
    label, size = pattern_of(faces, a.shape[1] / a.shape[0])
    return FacePattern(tuple(faces), label, time.perf_counter() - t, round(float(size), 4))


@functools.lru_cache(maxsize=1)
def pattern_table() -> dict[str, list[tuple[str, float]]]:
    """pattern label -> [(tag, score)], best first, from the packaged resource (built by
    scripts/build_face_tags.py)."""
    text = resources.files("taglens").joinpath("resources", "vision", RESOURCE).read_text(encoding="utf-8")
    data = json.loads(text)
    return {label: [(t, float(s)) for t, s in entry["tags"]] for label, entry in data["patterns"].items()}


def pattern_tags(pattern: FacePattern | str, k: int = 5) -> list[tuple[str, float, str]]:
    """The tags a face pattern supports, best first: (tag, score, evidence), the evidence naming the pattern
    ("one face, close up"). A photo without faces supports none."""
    label = pattern.label if isinstance(pattern, FacePattern) else pattern
    evidence = pattern.evidence if isinstance(pattern, FacePattern) else label
    if label not in PATTERNS:
        raise ValueError(f"unknown face pattern {label!r}; expected one of {', '.join(PATTERNS)}")
    return [(tag, score, evidence) for tag, score in pattern_table().get(label, [])[:k]]


def face_evidence(img: Any, k: int = 5) -> tuple[FacePattern | None, list[tuple[str, float, str]]]:
    """The photo's face pattern and the tags it supports; (None, []) without OpenCV (reported once on stderr)."""
    try:
        pattern = face_pattern(img)
    except VisionUnavailable:
        return None, []
    return pattern, pattern_tags(pattern, k)
