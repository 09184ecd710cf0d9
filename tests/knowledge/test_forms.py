"""One form per meaning (knowledge.forms)."""
from taglens.knowledge.forms import form_key, group_forms, preferred_form, same_meaning


def test_singular_plural_and_synonyms_share_a_group():
    groups = group_forms(["cat", "animals", "drink", "kitty", "animal", "beverage", "cats", "sea", "ocean",
                          "car", "auto", "glasses", "glass"])
    assert groups["cat"][0] == groups["cats"][0] == groups["kitty"][0]
    assert groups["animal"] == groups["animals"] == ("animal", "animals")  # #animals is the form people use
    assert groups["drink"][0] == groups["beverage"][0] and groups["beverage"][1] == "drink"
    assert groups["car"][0] == groups["auto"][0]
    assert groups["sea"][0] != groups["ocean"][0]
    assert groups["glass"][0] != groups["glasses"][0]  # eyeglasses are not glass


def test_form_key_and_preferred_form():
    assert form_key("puppies") == "puppy" and form_key("dogs") == "dog" and form_key("news") == "news"
    assert preferred_form("beverage") == "drink" and preferred_form("cats") == "cat"
    assert not same_meaning("picture", "painting")
