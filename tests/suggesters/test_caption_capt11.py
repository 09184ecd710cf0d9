"""The tenth stop's caption mechanisms (issue 20): everyday English phrases that name a thing without its word, the
senses of studying and exams, a said topic tag caption_tags does not name, a thin everyday-statistics vote needing
support, a gloss that is a tag no caption writes."""
import pytest

from taglens import Post
from taglens.knowledge.glosses import english_phrases
from taglens.knowledge.topic_kinds import kind_words, topic_kinds
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base import support
from taglens.suggesters.taglens_base.sources.caption_knowledge import named_tags
from taglens.suggesters.tags import Counted


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def test_everyday_phrases_name_their_thing():
    assert english_phrases("Just adopted this good boy") == (("good boy", "dog"),)
    assert english_phrases("Leg day done 💪") == (("leg day", "workout"),)
    assert english_phrases("#goodboy at the park") == ()  # a hashtag is a tag of the post, not its caption
    assert english_phrases("A good day for a walk") == ()
    assert "good boy (dog)" in named_tags("Just adopted this good boy")["dog"][1]  # the evidence says the phrase


@pytest.mark.parametrize("caption, tag, present", [
    ("Studying for finals all week", "study", True),
    ("Cramming for my chemistry exam tomorrow", "study", True),
    ("I studied the menu for ages", "study", False),  # to study a thing is no school work
    ("Brought home a rescue kitten today", "cat", True),
    ("A seal pup on the beach", "dog", False),  # a pup is also a seal's
])
def test_study_and_young_animals_are_read_as_people_tag_them(caption, tag, present):
    assert (tag in topic_kinds(kind_words(caption))) is present


def test_caption_kinds_and_tags_read_everyday_phrases(model):
    post = Post(text="Just adopted this good boy")
    ev, _, _ = model.evidence(post)
    assert "dog" in ev["caption_tags"]
    assert {"dogsofinstagram", "pets"} <= set(ev["caption_kinds"])
    assert "dog" in [s.tag for s in model.suggest(post, k=3)]
    assert "workout" in [s.tag for s in model.suggest(Post(text="Leg day done 💪"), k=5)]


def test_a_said_topic_tag_that_caption_tags_does_not_name_comes_from_caption_kinds(model):
    """"coins" is written in 3 posts of the corpora and never tagged: caption_tags leaves it out, so its topic's own
    tag comes from caption_kinds."""
    text = "Found these old coins in grandpa's drawer"
    assert "coins" not in named_tags(text)
    ev, _, _ = model.evidence(Post(text=text))
    assert "coins" in ev["caption_kinds"]
    assert "dog" not in model.evidence(Post(text="Our dog loves the park"))[0].get("caption_kinds", {})  # named


def test_a_thin_everyday_vote_needs_support():
    """The counts travel with the reason as data (``Counted``); a reason's wording is never parsed for them."""
    evidence = {"caption_topics": {"blue": (0.4, Counted("2 of 3 everyday posts with 'chemistry' use #blue", 2, 3)),
                                   "food": (0.4, Counted("40 of 90 everyday posts with 'pizza' use #food", 40, 90)),
                                   "study": (0.4, Counted("2 of 3 everyday posts with 'exam' use #study", 2, 3)),
                                   "red": (0.4, "2 of 3 everyday posts with 'x' use #red")},
                "caption_kinds": {"study": (0.4, "said")}}
    gains = {"caption_topics": 1.0, "caption_kinds": 1.0}
    weights = {"caption_topics": 1.0, "caption_kinds": 1.0}
    out = support.lone_votes(evidence, gains, weights)["caption_topics"]
    assert out["blue"][0] == pytest.approx(0.4 * support.LONE)
    assert out["food"][0] == 0.4  # from 40 posts: no anecdote
    assert out["study"][0] == 0.4  # another source gives it
    assert out["red"][0] == 0.4  # wording alone carries no counts


def test_caption_topics_gives_its_counts_as_data(model):
    import pickle

    ev, _, _ = model.evidence(Post(text="Cramming for my chemistry exam tomorrow"))
    reasons = [r for _, r in ev["caption_topics"].values()]
    assert reasons and all(isinstance(r, Counted) for r in reasons)
    r = reasons[0]
    assert str(r).startswith(f"{r.hits} of {r.seen} everyday posts with ")
    again = pickle.loads(pickle.dumps(r))
    assert (again, again.hits, again.seen) == (r, r.hits, r.seen) and isinstance(again, Counted)


def test_a_gloss_that_is_a_tag_no_caption_writes_stands_as_that_tag():
    """"桜" is glossed #cherryblossom, a tag of 71 posts that no caption writes as a word: the caption names it."""
    from taglens.knowledge.vocabulary import get_vocabulary

    assert get_vocabulary().caption_candidates("cherryblossom", "en", 3) == []
    assert "cherryblossom" in named_tags("桜がきれいな公園でお花見")
    assert "concert" in named_tags("ライブ最高でした")  # a live show, not "live"
    assert not {"next", "house"} & set(named_tags("新しい子犬が家に来ました"))  # words people write and seldom tag
