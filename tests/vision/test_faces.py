"""taglens.vision.faces: the real Haar detector on public-domain photos, face patterns and their tags."""
from __future__ import annotations

from pathlib import Path

import pytest

from taglens.vision import faces
from taglens.vision.faces import (
    CLOSE,
    NO_FACE,
    PATTERNS,
    SEVERAL,
    SMALL_PERSON,
    TWO,
    Face,
    pattern_of,
    pattern_tags,
)

REPO = Path(__file__).resolve().parents[2]
PERSON = REPO / "tests" / "fixtures" / "people" / "0000826.jpg"  # a man holding an ice cream (Pexels)


@pytest.fixture(scope="module")
def cv2():
    return pytest.importorskip("cv2", reason="opencv-python is not installed")


def test_a_face_is_found_in_a_photo_of_a_man(cv2):
    pattern = faces.face_pattern(PERSON)
    assert pattern.count == 1 and pattern.label == CLOSE
    f = pattern.faces[0]
    assert 0.5 < f.x + f.w / 2 < 0.8 and f.y + f.h / 2 < 0.5  # his face: a little right of centre, upper half
    assert pattern.centred and pattern.evidence == CLOSE
    assert 0.3 < pattern.size < 0.6


def test_food_photos_have_no_face(cv2, food_images):
    assert food_images
    for path in food_images:
        assert faces.face_pattern(path).label == NO_FACE, path.name


def test_the_detector_takes_pil_images_arrays_and_large_photos_alike(cv2):
    import numpy as np
    from PIL import Image

    img = Image.open(PERSON)
    big = img.resize((img.width * 6, img.height * 6))
    for given in (img, np.asarray(img.convert("RGB")), big, img.convert("L")):
        assert faces.face_pattern(given).label == CLOSE


def test_patterns_from_face_boxes():
    def face(side):
        return Face(0.4, 0.2, side, side, 8)

    assert pattern_of([]) == (NO_FACE, 0.0)
    assert pattern_of([face(0.5)])[0] == CLOSE
    assert pattern_of([face(0.2)])[0] == "one face"
    assert pattern_of([face(0.09)])[0] == SMALL_PERSON
    assert pattern_of([face(0.3), face(0.2)])[0] == TWO
    assert pattern_of([face(0.3), face(0.2), face(0.1)])[0] == SEVERAL


def test_the_learned_table_gives_people_tags_and_no_topic_tags():
    table = faces.pattern_table()
    assert set(table) == set(PATTERNS)
    assert table[NO_FACE] == []
    close = [t for t, _ in table[CLOSE]]
    assert close, "no tag learned for close-up faces"
    assert {"selfie", "me", "portrait", "selfies", "girl", "model"} & set(close[:5])
    for label in PATTERNS:
        assert not {"food", "travel", "cars", "fitness", "animals", "vape", "like4like"} & {t for t, _ in table[label]}
    got = pattern_tags(CLOSE, 3)
    assert len(got) == 3 and all(e == CLOSE for _, _, e in got)
    assert [s for _, s, _ in got] == sorted((s for _, s, _ in got), reverse=True)


def test_an_unknown_pattern_is_refused():
    with pytest.raises(ValueError, match="unknown face pattern"):
        pattern_tags("a dog")


def test_a_missing_opencv_is_reported_once_and_gives_no_evidence(monkeypatch, capsys):
    import importlib

    from taglens import vision

    real = importlib.import_module

    def no_cv2(name, *a, **k):
        if name == "cv2":
            raise ImportError("No module named 'cv2'")
        return real(name, *a, **k)

    monkeypatch.setattr(vision.importlib, "import_module", no_cv2)
    monkeypatch.setattr(vision, "_REPORTED", set())
    monkeypatch.setattr(faces, "_cascade", faces._cascade.__wrapped__)
    assert faces.face_evidence(PERSON) == (None, [])
    assert faces.face_evidence(PERSON) == (None, [])
    err = capsys.readouterr().err
    assert err.count("cv2 is not installed") == 1 and "pip install 'opencv-python<5'" in err
