"""Faces and people in a photo: how many faces, how large, where, and the tags each pattern supports.

The detector is MediaPipe's BlazeFace (Apache-2.0), converted to ONNX by ``scripts/build_face_detector.py`` and
shipped in ``resources/vision/`` (sha256 checked at load); it runs on the ONNX Runtime the encoders use, ~5 ms
CPU a photo. The full-range model finds faces on the whole photo letterboxed to 192 pixels (a face must score
``MIN_SCORE`` and be at least ``MIN_FACE`` of the photo's shorter side); the short-range (selfie) model confirms
each on a crop around it (``CONFIRM``), which rejects the textures of food photos that pass the first. It finds
turned, tilted and small faces that OpenCV's frontal Haar cascade missed (docs/VISION.md has the comparison).

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
from pathlib import Path
from typing import Any

from . import VisionUnavailable, as_rgb_array, require

VISION = Path(__file__).resolve().parents[1] / "resources" / "vision"


@dataclass(frozen=True)
class Model:
    """One of the two BlazeFace models: its file, sha256 (as scripts/build_face_detector.py wrote it; a damaged or
    replaced file is refused), input side and SSD anchor strides (MediaPipe's ssd_anchors_calculator)."""

    file: Path
    sha256: str
    side: int
    strides: tuple[int, ...]


# the finder: faces from close-ups down to ~5 m away, on the whole photo
FULL_RANGE = Model(VISION / "blazeface_full_range.onnx",
                   "14dba687f5f2246730da9ac91ac33407ef5c63f62a0443e2b13e2a3b3a8bde56", 192, (4,))
# the checker: the selfie model, on a crop around each face found (textures in food photos pass the finder at
# 0.6-0.73, and fail here)
SHORT_RANGE = Model(VISION / "blazeface_short_range.onnx",
                    "71ad64457778e06f505a29bab41b9dee9c3e1569c7b2cc2b0036c1e71968e06b", 128, (8, 16, 16, 16))
MIN_SCORE = 0.6  # the finder's threshold (MediaPipe's own is 0.5)
CONFIRM = 0.75  # the checker's score a face needs on its crop
CROP = 3.0  # the checker's crop: this many times the face's side, centred on it
NMS_IOU = 0.3  # boxes overlapping more than this are one face (their boxes averaged by score)
MIN_FACE = 0.05  # smallest face side, as a share of the photo's shorter side
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
    """A face's box as shares of the photo (left, top, width, height) and the detector's score (0-1)."""

    x: float
    y: float
    w: float
    h: float
    score: float

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
def _detector(model: Model) -> tuple[Any, Any]:
    """A model's ONNX Runtime session and its anchors' centres (n x 2, shares of the input)."""
    import numpy as np

    require("onnxruntime")
    from ..encoders import onnx_session

    anchors, i = [], 0
    while i < len(model.strides):  # consecutive layers of one stride share a grid: two anchors per cell each
        j = i
        while j < len(model.strides) and model.strides[j] == model.strides[i]:
            j += 1
        cells = model.side // model.strides[i]
        grid = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        centres = np.stack(np.meshgrid(grid, grid), -1).reshape(-1, 2)  # x fastest
        repeats = 1 if len(model.strides) == 1 else 2 * (j - i)
        anchors.append(np.repeat(centres, repeats, axis=0))
        i = j
    return onnx_session(model.file, model.sha256), np.concatenate(anchors)


def _letterbox(a: Any, side: int) -> tuple[Any, tuple[int, int, int, int]]:
    """``a`` resized to fit side x side and centred on black, as a model's input tensor (1, 3, side, side) in
    [-1, 1], and where the photo lies in it (left, top, width, height in pixels)."""
    import numpy as np

    h, w = a.shape[:2]
    f = side / max(h, w)
    nw, nh = max(1, round(w * f)), max(1, round(h * f))
    if (nw, nh) != (w, h):
        from PIL import Image

        resample = Image.Resampling.BOX if f < 1 else Image.Resampling.BILINEAR  # BOX: an area average
        a = np.asarray(Image.fromarray(np.ascontiguousarray(a)).resize((nw, nh), resample))
    canvas = np.zeros((side, side, 3), np.uint8)
    left, top = (side - nw) // 2, (side - nh) // 2
    canvas[top:top + nh, left:left + nw] = a
    return (canvas.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None], (left, top, nw, nh)


def _iou(box: Any, boxes: Any) -> Any:
    import numpy as np

    x0, y0 = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    x1, y1 = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area - inter, 1e-9)


def _run(model: Model, a: Any, min_score: float) -> list[tuple[float, float, float, float, float]]:
    """A model's faces in the RGB array ``a``: (x0, y0, x1, y1 as shares of ``a``, score), after MediaPipe's
    weighted non-maximum suppression, best first."""
    import numpy as np

    session, anchors = _detector(model)
    x, (left, top, nw, nh) = _letterbox(a, model.side)
    regressors, logits = session.run(None, {session.get_inputs()[0].name: x})
    if regressors.shape[-1] < logits.shape[-1]:
        regressors, logits = logits, regressors
    score = 1.0 / (1.0 + np.exp(-np.clip(logits[0, :, 0], -80, 80)))
    keep = np.flatnonzero(score >= min_score)
    reg = regressors[0, keep, :4] / model.side  # box centre offset and size, shares of the input
    centre = anchors[keep] + reg[:, :2]
    boxes = np.concatenate([centre - reg[:, 2:] / 2, centre + reg[:, 2:] / 2], 1)
    order = np.argsort(-score[keep])
    boxes, score = boxes[order], score[keep][order]
    free = np.ones(len(boxes), bool)
    out = []
    for i in range(len(boxes)):
        if not free[i]:
            continue
        group = free & (_iou(boxes[i], boxes) > NMS_IOU)
        group[i] = True
        free &= ~group
        b = (boxes[group] * score[group, None]).sum(0) / score[group].sum() * model.side
        x0, y0, x1, y1 = (b[0] - left) / nw, (b[1] - top) / nh, (b[2] - left) / nw, (b[3] - top) / nh
        out.append((max(0.0, float(x0)), max(0.0, float(y0)), min(1.0, float(x1)), min(1.0, float(y1)),
                    float(score[i])))
    return out


def _confirmed(a: Any, box: tuple[float, float, float, float]) -> bool:
    """Whether the short-range model, on a crop CROP times the face's side around it, scores a face >= CONFIRM."""
    h, w = a.shape[:2]
    x0, y0, x1, y1 = box[0] * w, box[1] * h, box[2] * w, box[3] * h
    half = max(x1 - x0, y1 - y0) * CROP / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    crop = a[max(0, int(cy - half)):min(h, int(cy + half)), max(0, int(cx - half)):min(w, int(cx + half))]
    return bool(crop.size) and any(f[4] >= CONFIRM for f in _run(SHORT_RANGE, crop, CONFIRM))


def detect_faces(img: Any) -> list[Face]:
    """The faces in a photo (a PIL image, an RGB array or a path), largest first; boxes are shares of the photo.
    The full-range model finds them on the whole photo, the short-range model confirms each on a crop."""
    a = as_rgb_array(img)
    h, w = a.shape[:2]
    faces = []
    for x0, y0, x1, y1, score in _run(FULL_RANGE, a, MIN_SCORE):
        if x1 > x0 and y1 > y0 and min((x1 - x0) * w, (y1 - y0) * h) >= MIN_FACE * min(w, h) \
                and _confirmed(a, (x0, y0, x1, y1)):
            faces.append(Face(x0, y0, x1 - x0, y1 - y0, score))
    return sorted(faces, key=lambda f: -f.w * f.h)


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
    faces = detect_faces(a)
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
    """The photo's face pattern and the tags it supports; (None, []) without ONNX Runtime or OpenCV (reported
    once on stderr)."""
    try:
        pattern = face_pattern(img)
    except VisionUnavailable:
        return None, []
    return pattern, pattern_tags(pattern, k)
