"""The eleventh stop's caption mechanisms (issue 20): a possessive ending is not part of a caption term, a living
thing named only as the head of a compound that is no kind of it (a hot dog's dog) is not what the caption speaks of,
a rocket and its flight are filed under #space."""
import pytest

from taglens import Post
from taglens.knowledge.topic_kinds import word_topics
from taglens.model_folder import load_suggester
from taglens.suggesters.phrases import term_spans
from taglens.suggesters.taglens_base.compounds import inner_things, unsaid_inner_things
from taglens.suggesters.taglens_base.wording import STOPWORDS


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def _terms(text, bare=None):
    return [t for t, *_ in term_spans(text, STOPWORDS, bare)]


def test_a_possessive_ending_is_left_out_where_the_bare_word_is_known():
    from taglens.suggesters.taglens_base.sources.mentions import bare_word

    assert _terms("Bernie's rally was packed", bare_word) == ["bernie", "bernierally", "rally", "packed"]
    tonight = _terms("Tonight\u2019s moon", bare_word)
    assert "tonight" in tonight and "tonights" not in tonight
    assert "peets" in _terms("My Peet's date", bare_word)  # a shop's name, tagged with its 's
    assert "bernies" in _terms("Bernie's rally")  # without ``bare``: as the key phrases were trained
    assert "dogs" in _terms("the dogs' park", bare_word)
    assert "letsgo" in _terms("Let's go team", bare_word)  # "let us", no possessive


def test_bernies_is_no_tag_of_bernies_rally(model):
    tags = [s.tag for s in model.suggest(Post(text="Bernie's rally was packed tonight"), k=10)]
    assert "bernies" not in tags and "rally" in tags
    assert "peets" in [s.tag for s in model.suggest(Post(text="My Peet's date today"), k=5)]


@pytest.mark.parametrize("caption, inner", [
    ("Grabbed a hot dog at the game", {"dog"}),
    ("Sea lion on the pier", {"lion"}),
    ("Teddy bear picnic", {"bear"}),
    ("My golden retriever loves the snow", set()),  # a golden retriever is a retriever
    ("Fire ant bite", set()),  # a fire ant is an ant
    ("Dog food delivery", set()),  # the first word says what it is for: the dog may well be there
    ("A hot dog for my dog", set()),  # the dog is also written by itself
])
def test_inner_things(caption, inner):
    assert set(inner_things(caption)) == inner


def test_a_compounds_inner_thing_steps_back_in_the_caption_sources_only():
    evidence = {"mentions": {"dog": (0.5, "caption mentions: dog"), "hot": (0.3, "x")},
                "image_tags": {"dog": (0.9, "seen in the image: beagle")}}
    out = unsaid_inner_things(evidence, "Grabbed a hot dog at the game")
    assert out["mentions"]["dog"][0] == pytest.approx(0.5 * 0.2)
    assert out["mentions"]["hot"][0] == 0.3
    assert out["image_tags"]["dog"][0] == 0.9  # the photo's dog is a dog
    assert unsaid_inner_things(evidence, "Walked the dog") is evidence


def test_hot_dog_is_no_dog(model):
    post = Post(text="Grabbed a hot dog at the game")
    assert "dogsofinstagram" not in model.evidence(post)[0].get("caption_kinds", {})
    assert [s.tag for s in model.suggest(post, k=3)][0] != "dog"


def test_a_rocket_and_its_flight_are_space():
    assert word_topics("rocket")[0][0] == "space"
    assert word_topics("liftoff")[0][0] == "space"
    assert word_topics("missile") == ()  # a weapon's rocket says nothing of space


def test_tags_naming_the_post_as_a_photo():
    from taglens.suggesters.taglens_base.medium import medium_tag, speaks_of_photos

    assert medium_tag("photo") and medium_tag("photooftheday") and medium_tag("pic")
    assert not medium_tag("photography") and not medium_tag("beer") and not medium_tag("love")
    assert speaks_of_photos("Just posted a photo", []) and speaks_of_photos("My new camera", [])
    assert speaks_of_photos("Old school film photography", []) and speaks_of_photos("", ["photooftheday"])
    assert not speaks_of_photos("Cold beer after a long shift", [])


def test_a_photo_tag_steps_back_in_the_trained_caption_sources_unless_said():
    from taglens.suggesters.taglens_base.medium import UNSAID, unsaid_medium

    evidence = {"caption": {"photo": (0.2, "captions like this one are tagged #photo"), "beer": (0.1, "x")},
                "image": {"photo": (0.3, "photos like this one are tagged #photo")}}
    out = unsaid_medium(evidence, "Cold beer after a long shift", [])
    assert out["caption"]["photo"][0] == pytest.approx(0.2 * UNSAID) and out["caption"]["beer"][0] == 0.1
    assert out["image"]["photo"][0] == 0.3  # the photo's own sources are not touched
    assert unsaid_medium(evidence, "New photo of the bay", []) is evidence
    assert unsaid_medium(evidence, "", []) is evidence  # a photo alone: nothing to read


def test_cold_beer_is_no_photo(model):
    tags = [s.tag for s in model.suggest(Post(text="Cold beer after a long shift"), k=5)]
    assert "photo" not in tags and tags[0] == "beer"
