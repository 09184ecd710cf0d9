"""The ninth stop's checks of caption evidence (issue 20): a tag of distress needs the post to speak of distress
(``moods``), a vote of the nearest caption cluster alone needs other evidence (``support``), Spanish inflections
read through the glossary."""
import pytest

from taglens import Post
from taglens.suggesters.taglens_base import moods, support


@pytest.mark.parametrize("tag, distress", [
    ("killme", True), ("nervous", True), ("rage", True), ("sadness", True), ("depression", True),
    ("anxiety", True), ("nightmare", True), ("iwanttodie", True),
    ("happy", False), ("love", False), ("chill", False), ("killingit", False), ("coffee", False),
    ("deadlift", False), ("photo", False),
])
def test_distress_tags_by_their_usual_sense(tag, distress):
    assert moods.distress_tag(tag) is distress


@pytest.mark.parametrize("text, tags, said", [
    ("Studying for finals all week", (), False),
    ("First day at the new job, wish me luck", (), False),
    ("Ran my first marathon today, legs are dead but so happy", (), False),
    ("I hate mondays", (), True),
    ("so sad today", (), True),
    ("ugh 😭", (), True),
    ("onus is on Pakistan after the attack", (), True),
    ("Zero help, treated like dirt", ("fraud",), True),
])
def test_a_post_speaks_of_distress_by_its_words_emoji_or_tags(text, tags, said):
    assert moods.speaks_of_distress(text, tags) is said


def test_distress_steps_back_only_under_a_caption_that_does_not_speak_of_it():
    evidence = {"caption": {"killme": (0.2, "r"), "finals": (0.1, "r")}, "caption_protos": {"anxiety": (0.1, "p")},
                "image": {"books": (0.3, "i")}}
    out = moods.unsaid_distress(evidence, "Studying for finals all week", ())
    assert out["caption"]["killme"][0] == pytest.approx(0.2 * moods.UNSAID)
    assert out["caption_protos"]["anxiety"][0] == pytest.approx(0.1 * moods.UNSAID)
    assert out["caption"]["finals"] == (0.1, "r") and out["image"] is evidence["image"]
    assert moods.unsaid_distress(evidence, "Finals week is a nightmare, so stressed", ()) is evidence
    assert moods.unsaid_distress(evidence, "", ()) is evidence


def test_a_lone_caption_cluster_vote_keeps_part_of_itself():
    evidence = {"caption_protos": {"sunset": (0.4, "p"), "beach": (0.4, "p")},
                "caption_tags": {"beach": (0.5, "said")}, "prior": {"sunset": (1.0, "common")}}
    weights, gains = {"caption_protos": 0.5, "caption_tags": 0.4, "prior": 0.05}, {}
    out = support.lone_votes(evidence, gains, weights)
    assert out["caption_protos"]["sunset"][0] == pytest.approx(0.4 * support.LONE)  # the prior is no support
    assert out["caption_protos"]["beach"] == (0.4, "p")  # 0.2 supported by 0.2 from the caption's own word
    assert support.lone_votes({"caption": {"x": (1.0, "r")}}, gains, weights) == {"caption": {"x": (1.0, "r")}}


@pytest.mark.parametrize("text, expected", [
    ("Mi gata duerme", ("gata", "cat")),
    ("Corrí mi primera maratón", ("Corrí", "running")),
    ("Estudiando toda la noche", ("Estudiando", "studying")),
    ("Los gatitos juegan", ("gatitos", "kitten")),
])
def test_spanish_inflections_are_read_through_the_glossary(text, expected):
    from taglens.knowledge.glosses import english_words

    assert expected in english_words(text, "es")


def test_taglens_base_puts_no_distress_first_on_an_everyday_caption():
    from taglens import load_suggester

    model = load_suggester("taglens-base")
    ranked = [s.tag for s in model.suggest(Post(text="Studying for finals all week"), k=3)]
    assert ranked and not moods.distress_tag(ranked[0])
