"""A throwback tag needs the post to speak of the past: #tbt was first on captions about next week."""
import pytest

from taglens import Post
from taglens.suggesters.taglens_base import throwbacks


@pytest.mark.parametrize("text, tags, back", [
    ("4 weeks till i perform in a showcase at @user :)", (), False),
    ("only 43 days until kicks off!", (), False),
    ("two days left of this week and one of next", (), False),
    ("its been a long long time", (), True),
    ("Me and my sister 10 years ago", (), True),
    ("Summer 2014 with the girls", (), True),
    ("me and the girls", ("throwback",), True),
    ("I miss this place", (), True),
    ("First snow of the year, the dog went crazy", (), False),  # "went" tells of today too
    ("Went to Paris last summer", (), True),
    ("to when we went to the lake with grandpa", (), True),  # "went" in a "when" clause looks back
])
def test_a_post_looks_back_by_its_words_tags_or_a_year(text, tags, back):
    assert throwbacks.looks_back(text, tags) is back


def test_throwbacks_step_back_only_under_a_caption_that_does_not_look_back():
    evidence = {"caption": {"tbt": (0.5, "r"), "music": (0.3, "r")}, "cooccurrence": {"throwback": (0.2, "c")},
                "image": {"selfie": (0.4, "i")}}
    out = throwbacks.unsaid_throwbacks(evidence, "4 weeks till my showcase", ())
    assert out["caption"]["tbt"][0] == pytest.approx(0.5 * throwbacks.UNSAID)
    assert out["caption"]["music"] == (0.3, "r") and out["image"] is evidence["image"]
    assert out["cooccurrence"]["throwback"][0] == pytest.approx(0.2 * throwbacks.UNSAID)
    assert throwbacks.unsaid_throwbacks(evidence, "Me at 5 years old", ()) is evidence
    assert throwbacks.unsaid_throwbacks(evidence, "", ()) is evidence  # a photo alone may show its age


def test_taglens_base_puts_no_tbt_first_on_a_caption_about_next_week():
    from taglens import load_suggester

    model = load_suggester("taglens-base")
    text = "4 weeks till i perform in a showcase at @user :)"
    ranked = [s.tag for s in model.suggest(Post(text=text), k=3)]
    assert ranked and ranked[0] != "tbt"
    assert "tbt" in [s.tag for s in model.suggest(Post(text="its been a long long time"), k=3)]
