"""taglens-base's ``faces`` and ``photo_text`` sources and their gates (``taglens.vision.probes``), with the real
encoder, probes, BlazeFace detector and RapidOCR on public-domain Pexels photos and text rendered over them."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from taglens.features import post_features
from taglens.model_folder import load_suggester
from taglens.types import Post
from taglens.vision.probes import gated_frames, margins

REPO = Path(__file__).resolve().parents[2]
PERSON = REPO / "tests" / "fixtures" / "people" / "0000826.jpg"  # a man holding an ice cream (Pexels)
PEOPLE = {"selfie", "smile", "happy", "style", "girl", "portrait", "model", "friends", "photo", "beauty"}


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


@pytest.fixture(scope="module")
def sign(tmp_path_factory, food_images):
    """A food photo with "FRESH COFFEE" written over it, as a café's sign would be."""
    sys.path.insert(0, str(REPO / "bench"))
    import random

    from render_text import find_fonts, render_one

    fonts = [f for f in find_fonts() if "Bold" in f.stem] or find_fonts()
    if not fonts:
        pytest.skip("no TrueType font on this machine to render text with")
    img, _ = render_one(food_images[2], "FRESH COFFEE", fonts[0], random.Random(1), 0, "box")
    path = tmp_path_factory.mktemp("sign") / "sign.jpg"
    img.save(path, quality=90)
    return path


def pooled(path) -> np.ndarray:
    return post_features([Post(images=(path,))], text=False)[0].images["pooled"]


def test_probes_pass_a_face_and_text_and_reject_plain_food(food_images, sign):
    assert margins("person", pooled(PERSON))[0] >= 0
    assert margins("text", pooled(sign))[0] >= 0
    for path in food_images:
        assert margins("person", pooled(path))[0] < 0, path.name
        assert margins("text", pooled(path))[0] < 0, path.name
    with pytest.raises(ValueError, match="unknown probe"):
        margins("cat", pooled(PERSON))


def test_a_person_gets_people_tags_with_the_face_pattern_as_reason(model):
    pytest.importorskip("cv2", reason="opencv-python-headless is not installed")
    ev, gains, _ = model.evidence(Post(images=(PERSON,)))
    assert ev["faces"]["selfie"][1] == "one face, close up" and gains["faces"] == 1.0
    assert 0 < ev["faces"]["selfie"][0] <= 1.0
    got = model.suggest(Post(images=(PERSON,)), k=5)
    assert {s.tag for s in got} & PEOPLE, got
    assert any(s.source == "faces" and s.reason == "one face, close up" for s in got), got


def test_a_photo_given_in_memory_reaches_the_detector(model):
    pytest.importorskip("cv2", reason="opencv-python-headless is not installed")
    from PIL import Image

    with Image.open(PERSON) as img:
        img.load()
        features = post_features([Post(images=(img,))], text=False)[0]
        [(label, frame, margin)] = gated_frames(features, "person")
        assert label == "image 1" and frame.size == img.size and margin >= 0
        assert "selfie" in model.evidence(features)[0]["faces"]


def test_text_in_the_photo_becomes_tags_with_the_text_as_reason(model, sign):
    pytest.importorskip("rapidocr_onnxruntime", reason="rapidocr-onnxruntime is not installed")
    got = model.suggest(Post(images=(sign,)), k=5)
    read = [s for s in got if s.source == "photo_text"]
    assert {s.tag for s in read} & {"coffee", "freshcoffee"}, got
    assert all(s.reason.startswith("text in the photo: ") and "COFFEE" in s.reason for s in read)


def test_photos_the_probes_reject_never_reach_a_detector(model, food_images, monkeypatch):
    from taglens.vision import faces, ocr

    def never(*a, **k):
        raise AssertionError("a detector ran on a photo its probe rejected")

    monkeypatch.setattr(faces, "face_pattern", never)
    monkeypatch.setattr(ocr, "text_evidence", never)
    for path in food_images:
        ev, _, _ = model.evidence(Post(images=(path,), text="dinner"))
        assert "faces" not in ev and "photo_text" not in ev
        assert model.suggest(Post(images=(path,)), k=3)


@pytest.mark.parametrize("module", ["cv2", "rapidocr_onnxruntime"])
def test_a_missing_reader_is_reported_once_and_suggest_goes_on(model, sign, monkeypatch, capsys, module):
    import importlib

    from taglens import vision
    from taglens.vision import faces, ocr

    real = importlib.import_module

    def missing(name, *a, **k):
        if name == module:
            raise ImportError(f"No module named '{name}'")
        return real(name, *a, **k)

    monkeypatch.setattr(vision.importlib, "import_module", missing)
    monkeypatch.setattr(vision, "_REPORTED", set())
    monkeypatch.setattr(faces, "_detector", faces._detector.__wrapped__)
    monkeypatch.setattr(ocr, "_gate_detector", ocr._gate_detector.__wrapped__)
    monkeypatch.setattr(ocr, "_reader", ocr._reader.__wrapped__)
    for _ in range(2):
        for path in (PERSON, sign):
            ev, _, _ = model.evidence(Post(images=(path,)))
            assert "photo_text" not in ev  # OpenCV shrinks the photo for the text detector too
            assert ("faces" in ev) == (path == PERSON)  # the face detector needs neither
            assert model.suggest(Post(images=(path,)), k=3)
    err = capsys.readouterr().err
    assert err.count(f"{module} is not installed") == 1 and err.count("is not installed") == 1


def test_a_photo_encoded_now_reaches_the_detector_without_a_second_decode(model, tmp_path, monkeypatch):
    """The decoded photo a probe passes travels with its features (issue 21); from the feature cache it is decoded
    again; the evidence is the same either way."""
    pytest.importorskip("cv2", reason="opencv-python-headless is not installed")
    import shutil

    from taglens import media

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "cache"))
    photo = tmp_path / "person.jpg"
    shutil.copyfile(PERSON, photo)
    decoded = []
    real = media.load_visuals
    monkeypatch.setattr(media, "load_visuals", lambda items, *a, **k: decoded.append(items) or real(items, *a, **k))
    fresh = model.evidence(Post(images=(photo,)))[0]["faces"]
    assert len(decoded) == 1  # the encoder's decode only
    cached = model.evidence(Post(images=(photo,)))[0]["faces"]
    assert len(decoded) == 2  # features from the cache: the detector's photo decoded again
    assert fresh == cached and "selfie" in fresh


def test_a_face_adds_its_pattern_s_first_tag_and_little_of_the_others(model):
    """The other tags of a face pattern (#smile, #happy, #style) keep OTHERS of their score: at full strength they
    pushed travel and food photos' topic tags out of the top 5 (issue 24)."""
    pytest.importorskip("cv2", reason="opencv-python-headless is not installed")
    from taglens.suggesters.taglens_base.sources.faces import OTHERS

    ev = model.evidence(Post(images=(PERSON,)))[0]["faces"]
    first = ev.pop("selfie")[0]
    assert ev and first > 0 and all(0 < score <= OTHERS * first for score, _ in ev.values()), ev


def test_formal_dress_or_a_camera_read_first_make_a_posed_portrait():
    from taglens.encoders.image import imagenet_synsets
    from taglens.suggesters.taglens_base.sources.faces import FORMAL, dressed_formally

    wnids = imagenet_synsets()
    assert FORMAL <= set(wnids)
    logits = np.zeros(len(wnids), np.float32)
    for wnid, formal in (("n03763968", True), ("n04485082", True), ("n04350905", True), ("n07615774", False)):
        logits[:] = 0
        logits[wnids.index(wnid)] = 5.0  # military uniform, tripod, suit; ice lolly
        assert dressed_formally(logits) is formal, wnid


def test_a_formal_portrait_gets_portrait_not_selfie(model):
    """matplotlib's sample photo of Grace Hopper (US Navy, public domain; in the matplotlib wheel, not in this
    repository): a formal portrait in uniform is no selfie (issue 24)."""
    pytest.importorskip("cv2", reason="opencv-python-headless is not installed")
    cbook = pytest.importorskip("matplotlib.cbook", reason="matplotlib (its sample photos) is not installed")
    photo = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    ev = model.evidence(Post(images=(photo,)))[0]["faces"]
    assert ev["portrait"][0] > ev["people"][0] > 0 > ev["selfie"][0], ev
    assert ev["portrait"][1] == "one face, close up, posed"
    got = [s.tag for s in model.suggest(Post(images=(photo,)), k=10)]
    assert "portrait" in got and "selfie" not in got, got


def test_a_posed_portrait_alone_shows_people_too(model):
    """A posed portrait alone showed #portrait and nothing of the person: the face's #people scored under the shown
    confidence (0.05). It is shown now, under #portrait (Grace Hopper's portrait, as above)."""
    pytest.importorskip("cv2", reason="opencv-python-headless is not installed")
    cbook = pytest.importorskip("matplotlib.cbook", reason="matplotlib (its sample photos) is not installed")
    photo = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    shown = [s for s in model.suggest(Post(images=(photo,)), k=5) if s.confidence >= 0.05]
    tags = [s.tag for s in shown]
    assert tags[0] == "portrait" and "people" in tags and "selfie" not in tags, tags
    # under a caption (or on a photo the trained sources read) the person tags they give speak for the person
    alone = model.evidence(Post(images=(photo,)))[0]["faces"]
    said = model.evidence(Post(images=(photo,), text="Grace Hopper at the Navy"))[0]["faces"]
    assert alone["people"][0] == pytest.approx(1.5 * said["people"][0]) and said["people"][0] > 0


def test_a_face_on_a_photo_unlike_the_developer_sets_is_a_portrait(model, monkeypatch):
    """The face patterns' #selfie was learned from the developer sets' selfies: a face on a photo unlike them (a NASA
    astronaut's official portrait got #selfie #travel #fitness) is a portrait, and the trained sources' tags leave
    the photo alone."""
    pytest.importorskip("cv2", reason="opencv-python-headless is not installed")
    from taglens.suggesters.taglens_base.sources.faces import UNFAMILIAR

    faces, head = model.source("faces"), model.source("image")
    features = post_features([Post(images=(PERSON,))], frames=True)[0]
    assert head.familiarity(features) >= UNFAMILIAR and not faces.posed(features)
    ev = faces.evidence(features.post, features)
    assert "selfie" in ev and "posed" not in ev["selfie"][1] and ev["selfie"][0] > 0
    monkeypatch.setattr(type(head), "familiarity", lambda self, f: 0.1)
    features = post_features([Post(images=(PERSON,))], frames=True)[0]
    assert faces.posed(features)
    ev = faces.evidence(features.post, features)
    assert ev["portrait"][0] > ev["people"][0] > 0 > ev["selfie"][0], ev
    assert not head.agreement(features)[0].any()  # a photo alone: the trained sources say nothing of a portrait


def test_a_photo_full_of_words_counts_each_word_less_than_a_sign(model, sign, food_images, tmp_path):
    """A quote or a meme has many words, none of them the post's topic; a sign's two words keep their scores."""
    pytest.importorskip("rapidocr_onnxruntime", reason="rapidocr-onnxruntime is not installed")
    from PIL import Image, ImageDraw, ImageFont

    from taglens.media import load_image
    from taglens.suggesters.taglens_base.sources.photo_text import WORDS
    from taglens.vision.ocr import text_evidence

    sys.path.insert(0, str(REPO / "bench"))
    from render_text import find_fonts

    font = ImageFont.truetype(str(find_fonts()[0]), 40)
    img = Image.open(food_images[1]).convert("RGB").resize((900, 700))
    draw = ImageDraw.Draw(img)
    draw.rectangle((20, 20, 880, 420), fill="white")
    for i, text in enumerate(("Never trust people who", "tell you breakfast is", "overrated because pancakes",
                              "always solve every problem")):
        draw.text((40, 40 + 90 * i), text, fill="black", font=font)
    quote = tmp_path / "quote.jpg"
    img.save(quote, quality=92)
    source = model.source("photo_text")
    for path, divided in ((sign, False), (quote, True)):
        features = post_features([Post(images=(path,))], text=False, frames=True)[0]
        read = text_evidence(load_image(path), k=10)
        ev = source.evidence(features.post, features)
        assert ev, path.name
        share = min(1.0, WORDS / len(read.words))
        assert (share < 0.5) is divided, (path.name, sorted(read.words))
        best = {t: s for t, s, _ in read.tags}
        assert all(abs(score - best[t] * share) < 1e-9 for t, (score, _) in ev.items()), (ev, best)


def test_rows_let_through_by_also_reach_the_detector_whatever_the_probe_says():
    """A photo whose first class is formal dress or a photographer's kit is looked at for a face even where the
    person probe rejects it (issue 24: a cameraman, an official portrait in a suit)."""
    features = post_features([Post(images=(PERSON,))], text=False, frames=True)[0]
    assert margins("text", features.images["pooled"])[0] < 0
    assert gated_frames(features, "text") == []
    [(label, frame, margin)] = gated_frames(features, "text", also=lambda feats: np.ones(len(feats["pooled"]), bool))
    assert label == "image 1 (0000826.jpg)" and margin < 0 and frame.size[0] > 0
    assert gated_frames(features, "text", also=lambda feats: np.zeros(len(feats["pooled"]), bool)) == []


def test_a_caption_taglens_cannot_read_does_not_open_a_portrait_to_vape(model):
    """Grace Hopper's portrait (as above) under a Spanish caption got #vapeo #vape #vapefam #vaper beside #portrait:
    the image head's vape tags on a portrait unlike the training photos, faded by the caption's length, opened the
    caption sources (which learned Spanish from vape shops) to the caption, and #love #travel #food came with them.
    A caption taglens cannot read now leaves the photo its photo-alone checks and opens those sources only as far as
    the photo by itself shows vape (``TaglensBase._language_opening``)."""
    pytest.importorskip("cv2", reason="opencv-python-headless is not installed")
    cbook = pytest.importorskip("matplotlib.cbook", reason="matplotlib (its sample photos) is not installed")
    photo = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    post = Post(images=(photo,), text="Una pionera de la informática")
    got = [s.tag for s in model.suggest(post, k=5) if s.confidence >= 0.05]
    assert got[0] == "portrait", got
    assert not {"vape", "vapeo", "vaper", "vapefam", "food", "travel", "love"} & set(got), got
    # an English caption, which taglens reads, is still read as before: the checks give way to it
    features = post_features([Post(images=(photo,), text="A pioneer of computer programming")])[0]
    assert not model.source("image")._unread_caption(features)


# the image head's vape tags on the motorcycle of scikit-image's sample photos (familiarity 0.17): under a caption,
# and as the photo alone gives them (``ImageHead.alone_evidence``: after the topic check, the similar photos agreeing
# 0.28 that it shows vape, ``ImageHead.photos_agree``)
MOTORCYCLE_HEAD = {"boxmod": 0.142, "vapeindo": 0.099, "vapeclub": 0.063, "vapeindonesia": 0.062}
MOTORCYCLE_ALONE = {"boxmod": 0.025, "vapeindo": 0.024, "vapeindonesia": 0.015, "vapeclub": 0.013, "vapetricks": 0.002,
                    "boxmodindonesia": 0.002}


def _as_motorcycle(model, monkeypatch, agree: float) -> None:
    image = type(model.source("image"))
    alone = {t: (s * agree / 0.28, "head") for t, s in MOTORCYCLE_ALONE.items()}
    monkeypatch.setattr(image, "alone_evidence", lambda self, f: alone)
    monkeypatch.setattr(image, "photos_agree", lambda self, f, rows: agree)


def test_an_unfamiliar_photo_opens_the_caption_sources_to_vape_only_as_far_as_the_similar_photos_agree(
        model, monkeypatch):
    """The motorcycle under "Mi moto nueva, primer viaje el sábado" got #vapeo #vaping #vaper (and under the same
    caption in Portuguese, Indonesian, French, Greek): its head's vape mass (above) read alone filled the topic
    (``IMAGE_FULL``) and opened the caption sources, which learned those languages from vape shops, though the similar
    photos agree only 0.28. On a photo unlike the training photos the photo's share of the opening is the head's
    reading times that agreement, and the opening, not the post's strength, gates the vape tags
    (``TaglensBase._language_opening``); a photo the similar photos agree on still opens them."""
    from taglens.suggesters.taglens_base import topics

    cbook = pytest.importorskip("matplotlib.cbook", reason="matplotlib (its sample photos) is not installed")
    photo = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)  # familiarity under OPENING_FAMILIAR
    features = post_features([Post(images=(photo,), text="Mi moto nueva, primer viaje el sábado")])[0]
    _as_motorcycle(model, monkeypatch, 0.28)
    evidence = {s.name: s.evidence(features.post, features) for s in model.sources}
    evidence = {k: v for k, v in evidence.items() if v}
    evidence["image"] = {**evidence.get("image", {}), **{t: (s, "head") for t, s in MOTORCYCLE_HEAD.items()}}
    said = topics.spelled(features)
    strength = topics.topic_strength(model, features, evidence, said)
    assert strength["vape"] >= topics.MIN_STRENGTH  # the post as a whole reads as vape ...
    assert model._language_opening(features, evidence, strength, said)["vape"] < topics.MIN_STRENGTH  # ... not here
    _as_motorcycle(model, monkeypatch, 1.0)  # the similar photos are vape shops' photos: the photo opens the sources
    assert model._language_opening(features, evidence, strength, said)["vape"] >= topics.MIN_STRENGTH
