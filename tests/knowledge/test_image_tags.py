"""ImageNet classes -> hashtags (knowledge.image_tags) on the shipped map."""
import numpy as np
import pytest

from taglens.encoders.image import imagenet_synsets
from taglens.knowledge.image_tags import OVERRIDES, get_image_tag_map, image_tags, read_overrides


def _index(wnid: str) -> int:
    return imagenet_synsets().index(wnid)


def _tags(wnid: str) -> list[str]:
    return [t for t, _ in get_image_tag_map().class_tags(_index(wnid))]


def test_the_map_covers_the_encoders_classes_in_order():
    m = get_image_tag_map()
    assert m.wnids == imagenet_synsets()
    assert all(m.tags[i] for i in range(1000))


def test_names_categories_and_right_senses():
    assert _tags("n02099601")[:5] == ["goldenretriever", "dog", "dogs", "puppy", "dogsofinstagram"]
    assert _tags("n07920052")[:2] == ["espresso", "coffee"]
    lion = _tags("n02129165")
    assert "lion" in lion and "leo" not in lion and "kingofbeasts" not in lion
    assert "coaching" not in _tags("n03769881") and "bus" in _tags("n03769881")  # minibus
    assert "gun" not in _tags("n03773504")  # missile
    assert "lawsuit" not in _tags("n04350905") and "fashion" in _tags("n04350905")  # suit
    assert "bird" in _tags("n02012849") and "bird" not in _tags("n03126707")  # crane: the bird, the machine
    assert "construction" in _tags("n03126707")
    assert "wildlife" not in _tags("n02123045")  # a tabby is a pet
    assert "flower" in _tags("n07730033") and "food" not in _tags("n07730033")  # cardoon: the plant in bloom
    for wnid, bad in (("n01514668", "cock"), ("n01847000", "drake"), ("n03065424", "coil"), ("n03991062", "pot"),
                      ("n04067472", "reel"), ("n02113186", "cardigan")):
        assert bad not in _tags(wnid), (wnid, bad)


def test_thin_classes_get_their_kind():
    """A category the corpora are too small to show (#clock, #spider, #lizard) is kept where it is a common word; a
    class with no basic-level category gets its compound name's head where that is one of its kinds."""
    assert "clock" in _tags("n04548280")  # wall clock
    assert "spider" in _tags("n01774750") and "lizard" in _tags("n01675722")  # tarantula, banded gecko
    assert "towel" in _tags("n02808304") and "fence" in _tags("n03930313") and "tent" in _tags("n03792972")
    assert "terrier" not in _tags("n02093991")  # a breed's kind is #dog
    assert "weapon" not in _tags("n03773504")  # missile: mostly launches
    assert "system" not in _tags("n04404412") and "machine" not in _tags("n04525305")  # too broad to be a kind
    assert "beasts" not in _tags("n02129165")  # lion: "king of beasts" is no compound
    # a name that only adds words to another is given once: the one the corpora use, or the one whose sense is clear
    assert "church" in _tags("n03028079") and "churchbuilding" not in _tags("n03028079")
    assert "vacuumcleaner" in _tags("n04517823") and "vacuum" not in _tags("n04517823")  # vacuum: empty space
    assert ["diskbrake" in _tags("n03208938"), "discbrake" in _tags("n03208938")].count(True) == 1  # one spelling
    assert "roof" not in _tags("n04417672")  # thatch: only its name's head counts ("thatched roof" is a 2nd name)
    # a photographer's kit WordNet files under no photography domain is photography gear (the overrides)
    assert "photography" in _tags("n04485082") and "photography" in _tags("n03657121")  # tripod, lens cap


def test_scores_follow_confidence_and_add_up_over_classes():
    probs = np.zeros(1000)
    probs[_index("n02099601")] = 0.62
    got = {t: (s, e) for t, s, e in image_tags(probs)}
    assert got["goldenretriever"][0] == pytest.approx(0.62)
    assert got["goldenretriever"][1] == "seen in the image: golden retriever (62%)"
    breeds = np.zeros(1000)
    breeds[151:161] = 0.1  # ten dog breeds at 10% each
    ranked = image_tags(breeds)
    assert ranked[0][0] == "dog" and ranked[0][1] > 0.6
    assert all(s <= 0.1 for t, s, _ in ranked if t not in ("dog", "dogs", "puppy", "dogsofinstagram", "pets",
                                                              "animals"))
    assert image_tags(np.full(1000, 0.001)) == []  # no class is confident enough
    with pytest.raises(ValueError, match="1000 class probabilities"):
        image_tags(np.zeros(10))


def test_overrides_file_is_well_formed(tmp_path):
    overrides = read_overrides(OVERRIDES)
    assert set(overrides) <= set(imagenet_synsets())
    bad = tmp_path / "o.tsv"
    for line in ("n01514668\trooster\n", "n01930112\t>high\n", "n01930112\t>1.5\n", "n01930112\t>0\n"):
        bad.write_text(line)
        with pytest.raises(ValueError, match="o.tsv:1"):
            read_overrides(bad)
    bad.write_text("n01930112\t>0.6 -nematode\t# a floor and a removal\n")
    assert read_overrides(bad) == {"n01930112": [(">", "0.6"), ("-", "nematode")]}


def test_fallback_classes_are_read_only_when_the_classifier_is_sure():
    """The moon reads as a nematode at 47%, the Hubble deep field as a flatworm, coins as a bubble and a Petri dish,
    a brick wall as a maze and a racket: none of these says anything under its floor; a sure reading still does."""
    m = get_image_tag_map()
    nematode, maze = _index("n01930112"), _index("n03733281")
    assert m.floors[nematode] == pytest.approx(0.6) and m.floors[_index("n02099601")] == 0
    moon = np.zeros(1000)
    moon[nematode], moon[_index("n09229709")] = 0.47, 0.10  # nematode, bubble
    assert image_tags(moon) == []
    brick = np.zeros(1000)
    brick[maze], brick[_index("n04039381")], brick[_index("n03028079")] = 0.20, 0.13, 0.30  # maze, racket, church
    tags = [t for t, _, _ in image_tags(brick)]
    assert "church" in tags and not {"maze", "labyrinth", "racket", "tennis"} & set(tags)
    sure = np.zeros(1000)
    sure[nematode] = 0.9
    assert image_tags(sure)[0][:2] == ("nematode", pytest.approx(0.9))


def test_real_photos_get_their_kind(food_images):
    from taglens.features import image_features
    from taglens.encoders.image import softmax

    feats = image_features(food_images[:4])
    for f in feats:
        top = [t for t, _, _ in image_tags(softmax(f["logits"]).mean(0), k=8)]
        assert {"food", "foodie", "foodporn", "dessert", "bread", "fruit", "vegetables", "coffee"} & set(top), top


def test_the_shipped_map_is_what_the_build_script_makes(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from taglens.knowledge.image_tags import RESOURCE

    script = Path(__file__).resolve().parents[2] / "scripts" / "build_image_tags.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path / "map.tsv")], check=True,
                   capture_output=True)
    assert (tmp_path / "map.tsv").read_bytes() == RESOURCE.read_bytes()
