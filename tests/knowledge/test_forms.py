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


def _pairwise_groups(tags):
    """The groups as connected components of same_meaning over every pair (what group_forms finds faster)."""
    from taglens.knowledge.forms import same_meaning

    tags = list(dict.fromkeys(tags))
    comp = list(range(len(tags)))
    for i in range(len(tags)):
        for j in range(i):
            if comp[i] != comp[j] and same_meaning(tags[i], tags[j]):
                old, new = max(comp[i], comp[j]), min(comp[i], comp[j])
                comp = [new if c == old else c for c in comp]
    return {frozenset(t for t, c in zip(tags, comp) if c == root) for root in set(comp)}


def test_group_forms_finds_the_components_of_same_meaning():
    import random

    from taglens.knowledge.forms import group_forms
    from taglens.knowledge.vocabulary import get_vocabulary

    pool = get_vocabulary().tags()[:3000] + ["drink", "beverage", "drinks", "cat", "cats", "kitty", "animal",
                                              "animals", "sea", "ocean", "picture", "painting", "photo", "photos",
                                              "puppy", "puppies", "dog", "dogs", "car", "cars", "auto", "automobile",
                                              "thatch", "thatchedroof", "ladybug", "ladybird", "ladybeetle"]
    rng = random.Random(0)
    for _ in range(60):
        tags = rng.sample(pool, 40) + rng.sample(pool[-27:], 8)
        groups = group_forms(tags)
        found = {frozenset(t for t in groups if groups[t][1] == best) for best in {v[1] for v in groups.values()}}
        assert found == _pairwise_groups(tags)


def test_names_of_one_imagenet_class_are_one_meaning():
    """The map's names of one class are lemmas of one synset (#thatch #thatchedroof side by side said one thing
    twice); the names of different classes, and a name and its class's kind, stay apart."""
    from taglens.knowledge.forms import class_names
    from taglens.suggesters.taglens_base.presenting import one_form_per_meaning
    from taglens.types import Suggestion

    names = class_names()
    assert names["thatchedroof"] == names["thatch"] and names["ladybird"] == names["ladybug"]
    assert "goldfish" not in names  # a class with one name is no group
    assert same_meaning("thatch", "thatchedroof") and same_meaning("rubbereraser", "pencileraser")
    assert not same_meaning("ladybug", "beetle") and not same_meaning("thatch", "tripod")
    groups = group_forms(["ladybug", "beetle", "ladybird", "ladybeetle", "insect"])
    assert groups["ladybug"][0] == groups["ladybird"][0] == groups["ladybeetle"][0] != groups["beetle"][0]
    ranked = [Suggestion(t, s, "image_tags", "seen") for t, s in
              [("thatch", 0.7), ("thatchedroof", 0.69), ("travel", 0.3), ("beach", 0.2), ("summer", 0.1)]]
    top = [s.tag for s in one_form_per_meaning(ranked, 3)]
    assert top[:3] == ["thatch", "travel", "beach"] and top[3] == "thatchedroof"
