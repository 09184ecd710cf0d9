"""taglens.vision.faces: the real BlazeFace detector (ONNX, shipped) on public-domain photos and pictures made from
them, face patterns and their tags."""
from __future__ import annotations

from pathlib import Path

import pytest

from taglens.vision import faces
from taglens.vision.faces import (
    CLOSE,
    NO_FACE,
    ONE,
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
LOOKALIKES = sorted((REPO / "tests" / "fixtures" / "lookalikes").glob("*.jpg"))  # breakfast; hands and a sandwich


def person_image():
    from PIL import Image

    return Image.open(PERSON).convert("RGB")


def side_by_side(img, n: int):
    from PIL import Image

    row = Image.new("RGB", (img.width * n, img.height))
    for i in range(n):
        row.paste(img, (i * img.width, 0))
    return row


def test_a_face_is_found_in_a_photo_of_a_man():
    pattern = faces.face_pattern(PERSON)
    assert pattern.count == 1 and pattern.label == CLOSE
    f = pattern.faces[0]
    assert 0.5 < f.x + f.w / 2 < 0.8 and f.y + f.h / 2 < 0.5  # his face: a little right of centre, upper half
    assert pattern.centred and pattern.evidence == CLOSE
    assert 0.3 < pattern.size < 0.6
    assert 0.6 <= f.score <= 1.0


def test_two_and_three_people_side_by_side_are_two_faces_and_several_faces():
    img = person_image()
    two = faces.face_pattern(side_by_side(img, 2))
    assert two.label == TWO and two.evidence == TWO
    three = faces.face_pattern(side_by_side(img, 3))
    assert three.label == SEVERAL and three.evidence == "3 faces"
    centres = sorted(f.x + f.w / 2 for f in three.faces)
    assert [round(3 * c - 0.5) for c in centres] == [0, 1, 2]  # one face in each third


def test_a_person_pasted_small_into_a_food_photo_is_one_face_not_a_close_up(food_images):
    from PIL import Image

    scene = Image.open(food_images[0]).convert("RGB").resize((1200, 800))
    person = person_image()
    person = person.resize((round(person.width * 360 / person.height), 360))
    scene.paste(person, (700, 300))
    pattern = faces.face_pattern(scene)
    assert pattern.label == ONE and 0.13 <= pattern.size < 0.28
    f = pattern.faces[0]
    assert 700 / 1200 < f.x + f.w / 2 < 1 and 300 / 800 < f.y + f.h / 2 < 660 / 800  # inside the pasted photo


def test_what_the_finder_takes_for_a_face_in_food_photos_the_checker_rejects():
    from taglens.vision import as_rgb_array

    assert len(LOOKALIKES) == 2
    for path in LOOKALIKES:
        a = as_rgb_array(path)
        found = [f for f in faces._run(faces.FULL_RANGE, a, faces.MIN_SCORE) if f[4] >= faces.MIN_SCORE]
        assert found, f"{path.name}: the full-range model alone no longer sees a face here; pick another lookalike"
        assert not any(faces._confirmed(a, f[:4]) for f in found)
        assert faces.face_pattern(path).label == NO_FACE
    person = as_rgb_array(PERSON)
    assert all(faces._confirmed(person, f[:4]) for f in faces._run(faces.FULL_RANGE, person, faces.MIN_SCORE))


def test_food_photos_have_no_face(food_images):
    assert food_images
    for path in food_images:
        assert faces.face_pattern(path).label == NO_FACE, path.name


def test_the_detector_takes_pil_images_arrays_and_large_photos_alike():
    import numpy as np
    from PIL import Image

    img = Image.open(PERSON)
    big = img.resize((img.width * 6, img.height * 6))
    for given in (img, np.asarray(img.convert("RGB")), big, img.convert("L")):
        assert faces.face_pattern(given).label == CLOSE


def test_patterns_from_face_boxes():
    def face(side):
        return Face(0.4, 0.2, side, side, 0.9)

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
        assert not {"food", "travel", "cars", "fitness", "animals", "vape", "ecigar", "like4like", "instapic",
                    "explorepage"} & {t for t, _ in table[label]}
    got = pattern_tags(CLOSE, 3)
    assert len(got) == 3 and all(e == CLOSE for _, _, e in got)
    assert [s for _, s, _ in got] == sorted((s for _, s, _ in got), reverse=True)


def test_an_unknown_pattern_is_refused():
    with pytest.raises(ValueError, match="unknown face pattern"):
        pattern_tags("a dog")


def test_a_missing_onnxruntime_is_reported_once_and_gives_no_evidence(monkeypatch, capsys):
    import importlib

    from taglens import vision

    real = importlib.import_module

    def no_ort(name, *a, **k):
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'")
        return real(name, *a, **k)

    monkeypatch.setattr(vision.importlib, "import_module", no_ort)
    monkeypatch.setattr(vision, "_REPORTED", set())
    monkeypatch.setattr(faces, "_detector", faces._detector.__wrapped__)
    assert faces.face_evidence(PERSON) == (None, [])
    assert faces.face_evidence(PERSON) == (None, [])
    err = capsys.readouterr().err
    assert err.count("onnxruntime is not installed") == 1 and "pip install 'onnxruntime'" in err


@pytest.mark.parametrize("which", ["FULL_RANGE", "SHORT_RANGE"])
def test_a_damaged_detector_file_is_refused(monkeypatch, tmp_path, which):
    import dataclasses

    from taglens.exceptions import ModelError

    model = getattr(faces, which)
    damaged = tmp_path / model.file.name
    data = bytearray(model.file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(faces, which, dataclasses.replace(model, file=damaged))
    with pytest.raises(ModelError, match="sha256"):
        faces.face_pattern(PERSON)  # the checker runs on the face the finder found
