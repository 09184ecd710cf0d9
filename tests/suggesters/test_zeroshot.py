"""ConSE zero-shot image tags: ImageNet probabilities -> WordNet concepts -> tags by MiniLM similarity."""
import numpy as np
import pytest

from taglens.encoders.image import imagenet_synsets
from taglens.registry import create_suggester
from taglens.model_folder import load_suggester
from taglens.suggesters.tags import tag_text
from taglens.suggesters.zeroshot import ZeroShotSuggester, class_concepts
from taglens.types import Post


def peaked_logits(wnid: str) -> np.ndarray:
    logits = np.zeros((1, 1000), np.float32)
    logits[0, imagenet_synsets().index(wnid)] = 12.0
    return logits


def test_class_concepts_climb_wordnet_but_skip_abstract_synsets():
    concepts = dict(class_concepts()[imagenet_synsets().index("n02099601")])  # golden retriever
    assert concepts["golden retriever"] == 1.0
    assert 0 < concepts["dog"] < 1.0
    assert "entity" not in concepts and "whole" not in concepts


@pytest.fixture(scope="module")
def small():
    vocab = ["dog", "puppy", "goldenretriever", "pizza", "food", "car", "sunset", "love"]
    return ZeroShotSuggester(top_classes=3).fit_vocab(vocab)


def test_fit_vocab_maps_classes_onto_the_vocabulary(small):
    ev = small.evidence_from_logits(peaked_logits("n02099601"))
    ranked = sorted(ev, key=lambda t: -ev[t][0])
    assert ranked[0] == "goldenretriever"
    assert ev["goldenretriever"][1] == "seen in the image: golden retriever"
    assert "dog" in ranked[:3] and ev["dog"][1] == "seen in the image: golden retriever (a kind of dog)"
    assert "pizza" not in ranked[:3]
    pizza = small.evidence_from_logits(peaked_logits("n07873807"))  # pizza
    assert max(pizza, key=lambda t: pizza[t][0]) == "pizza"
    assert "food" in pizza


def test_with_several_images_a_reason_names_the_image_it_saw(small, food_images):
    logits = np.concatenate([peaked_logits("n02099601"), peaked_logits("n07873807")])  # a dog, then a pizza
    ev = small.evidence_from_logits(logits, labels=["image 1 (a.jpg)", "image 2 (b.jpg)"])
    assert ev["goldenretriever"][1] == "seen in image 1 (a.jpg): golden retriever"
    assert ev["pizza"][1] == "seen in image 2 (b.jpg): pizza"
    same = small.evidence_from_logits(logits, labels=["image 1 (a.mp4)"] * 2)  # two frames of one video
    assert same["pizza"][1] == "seen in the image: pizza"
    # end to end, in the zero-shot model and in taglens-base
    post = Post(images=tuple(food_images[:2]))
    names = [f"image {i} ({p.name})" for i, p in enumerate(food_images[:2], 1)]
    got = create_suggester("conse").suggest(post, k=10)
    assert got and all(any(s.reason.startswith(f"seen in {n}: ") for n in names) for s in got)
    conse = load_suggester("taglens-base").evidence(post)[0]["conse"]
    assert conse and all(reason.startswith(tuple(f"seen in {n}: " for n in names)) for _, reason in conse.values())


def test_fit_records_only_the_tag_vocabulary():
    posts = [Post(hashtags=("dog", "love")), Post(hashtags=("dog",)), Post(hashtags=("cat",))]
    model = ZeroShotSuggester(min_count=2).fit(posts)
    assert model.vocab_ == ["dog"]


def test_save_load_round_trip(small, tmp_path):
    small.save(tmp_path / "conse")
    loaded = load_suggester(tmp_path / "conse")
    a = small.evidence_from_logits(peaked_logits("n02099601"))
    b = loaded.evidence_from_logits(peaked_logits("n02099601"))
    assert a.keys() == b.keys()


def test_untrained_uses_the_bundled_vocabulary_and_real_photos(food_images):
    model = create_suggester("conse")
    assert not model.is_fitted
    got = model.suggest(Post(images=tuple(food_images[:1])), k=10)
    assert len(got) == 10
    assert all(s.reason.startswith("seen in the image: ") for s in got)
    assert model.suggest(Post(text="no image"), k=5) == []


def test_tag_text_segments_hashtags():
    assert tag_text("goldenretriever") == "golden retriever"


def test_taglens_bases_zero_shot_tags_name_the_concept_they_came_from():
    """In taglens-base the zero-shot path keeps a tag only where it names its WordNet concept: a nematode gave
    #animation ("animate being") and #dog ("animal") by MiniLM's likeness, a missile #gun, a house cat #house."""
    from taglens.features import PostFeatures

    model = load_suggester("taglens-base")
    conse = model.source("conse")
    index = {t: j for j, t in enumerate(conse.conse_.vocab_)}
    assert conse.related(index["goldenretriever"], "golden retriever")
    assert conse.related(index["dog"], "dog") and conse.related(index["dogs"], "dog")
    assert conse.related(index["cat"], "house cat") and not conse.related(index["house"], "house cat")
    assert not conse.related(index["animation"], "animate being")
    assert not conse.related(index["dog"], "animal")
    assert not conse.related(index["standup"], "stand")  # a tripod is a kind of stand, not stand-up comedy
    assert not conse.related(index["gun"], "missile")
    # a concept whose word usually means no thing: a tripod is a kind of support, but #support is help
    assert not conse.related(index["support"], "support")
    # a concept WordNet files the class under that reads as another thing: a moped is a wheeled vehicle, which WordNet
    # also files as a container; a flute a wind instrument ("wind")
    assert not conse.related(index["container"], "container") and not conse.related(index["wind"], "wind")

    def seen(wnid):
        features = PostFeatures(post=Post(images=("x.jpg",)), text="", tags=(), exclude=frozenset(),
                                images={"logits": peaked_logits(wnid)})
        return conse.evidence(features.post, features)

    assert not {"animation", "dog"} & set(seen("n01930112"))  # nematode
    assert "gun" not in seen("n03773504")  # missile
    assert "support" not in seen("n04485082")  # tripod (it gave #support first on a photographer with a tripod)
    assert "container" not in seen("n03785016")  # moped (it gave #container third on a motorbike)
    espresso = seen("n07920052")  # an espresso is a beverage, a kind of liquid: #liquid fifth on a coffee photo
    assert "liquid" not in espresso and {"espresso", "coffee"} <= set(espresso)
    assert "blind" not in seen("n04209239")  # shower curtain (a kind of blind)
    assert "top" not in seen("n02877765")  # bottlecap (a kind of top)
    retriever = seen("n02099601")
    assert "goldenretriever" in retriever and "dog" in retriever  # golden retriever (a kind of dog)


def test_taglens_bases_zero_shot_path_skips_a_fallback_class_under_its_floor():
    """The moon reads as a nematode at 47%: the image map's floor (0.6) keeps it out of the zero-shot path too, so
    the moon is not #animals; a sure reading of the class still counts."""
    from taglens.features import PostFeatures

    conse = load_suggester("taglens-base").source("conse")
    nematode = imagenet_synsets().index("n01930112")

    def seen(p_nematode):
        p = np.full(1000, (1.0 - p_nematode) / 999)
        p[nematode] = p_nematode
        features = PostFeatures(post=Post(images=("x.jpg",)), text="", tags=(), exclude=frozenset(),
                                images={"logits": np.log(p).astype(np.float32)[None, :]})
        return conse.evidence(features.post, features)

    moon = seen(0.47)
    assert not {"animal", "animals", "beast"} & set(moon) and all(score < 0.01 for score, _ in moon.values())
    assert {"animal", "animals"} & set(seen(0.9))
