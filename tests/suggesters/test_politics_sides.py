"""A politics slogan of the side the caption's politician is not on: "I LOVE YOU BERNIE!!" got #maga first."""
import pytest

from taglens import Post
from taglens.suggesters.taglens_base import sides


def test_slogans_have_sides_and_names_carry_counts():
    slogans = sides.slogan_sides()
    assert slogans["maga"] == "R" and slogans["feelthebern"] == "D" and slogans["imwithher"] == "D"
    assert "trump" not in slogans and "hillary" not in slogans and "democrats" not in slogans  # any side's words
    counts = sides.name_counts()
    assert counts[sides.PRIOR]["R"] > counts[sides.PRIOR]["D"] > 0
    assert counts["bernie"]["D"] > counts["bernie"]["R"]  # Bernie's tweets are his supporters'


def test_side_odds_follow_the_named_politicians_and_shrink_to_the_prior():
    assert sides.side_odds([]) == {}
    bernie = sides.side_odds(["bernie"])
    assert bernie["D"] > sides.EVEN > bernie["R"]
    assert sides.side_odds(["trump"])["R"] > sides.EVEN
    # pooled: naming both leans to the side with more tweets, never past the counts' own shares
    both = sides.side_odds(["bernie", "trump"])
    assert bernie["R"] < both["R"] < sides.side_odds(["trump"])["R"] + 1e-9
    assert sides.named("Bernie's rally was packed, and Hillary spoke") == ["bernie", "hillary"]
    assert sides.named("Colonel Sanders and his chicken") == []


def test_the_other_sides_slogans_leave_every_source_and_the_rest_stays():
    evidence = {"caption": {"maga": (0.5, "r"), "feelthebern": (0.3, "r"), "love": (0.2, "r")},
                "ngrams": {"kag": (0.1, "n")}, "image": {"selfie": (0.4, "i")}}
    out = sides.other_side_out(evidence, "I LOVE YOU BERNIE!!")
    assert set(out["caption"]) == {"feelthebern", "love"} and out["ngrams"] == {}
    assert out["image"] is evidence["image"]
    assert sides.other_side_out(evidence, "I love you grandma") is evidence  # no politician named
    assert sides.other_side_out(evidence, "") is evidence
    # a slogan the post says itself is its own
    assert "maga" in sides.other_side_out(evidence, "Bernie or MAGA?", said={"maga", "bernie"})["caption"]


def test_a_name_that_tells_no_more_than_the_base_rate_takes_nothing_away():
    """Trump's tweets carry R slogans about as often as all side-tagged tweets: the name is no evidence against D, and
    #nevertrump stays on a tweet against his supporters (as #imwithher on "Hillary! ...")."""
    evidence = {"caption": {"nevertrump": (0.4, "r"), "imwithher": (0.3, "r"), "maga": (0.2, "r")}}
    assert sides.side_odds(["trump"])["D"] < sides.EVEN  # less likely than not, but not against the base rate
    assert sides.other_side_out(evidence, "most of Trump supporters have no clue") is evidence
    assert sides.other_side_out(evidence, "Hillary! and in a way") is evidence
    assert set(sides.other_side_out(evidence, "Bernie!")["caption"]) == {"nevertrump", "imwithher"}


@pytest.mark.parametrize("text", ["I LOVE YOU BERNIE!!", "Bernie Sanders speaking at the rally tonight, what a crowd"])
def test_taglens_base_gives_a_bernie_caption_no_trump_slogan(text):
    from taglens import load_suggester

    model = load_suggester("taglens-base")
    ranked = [s.tag for s in model.suggest(Post(text=text), k=5)]
    slogans = sides.slogan_sides()
    assert not [t for t in ranked if slogans.get(t) == "R"], ranked
    assert "feelthebern" in ranked
