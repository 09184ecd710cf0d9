"""Issue 20, everyday captions: the topic tags of what a caption's words are kinds of (``knowledge.topic_kinds``, the
``caption_kinds`` source), a place tag only where the post names the place (``taglens_base.places``) and a weapon's
name only where the post speaks of weapons (``taglens_base.senses``)."""
import pytest

from taglens.knowledge.junk import junk_reason
from taglens.knowledge.topic_kinds import TOPICS, topic_kinds, word_topics
from taglens.knowledge.vocabulary import caption_tokens, get_vocabulary
from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base import places, senses
from taglens.suggesters.taglens_base.sources import SOURCES
from taglens.suggesters.taglens_base.sources.caption_kinds import CaptionKinds
from taglens.types import Post
from taglens.wordnet import get_lookup


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def kinds(text):
    return topic_kinds(caption_tokens(text))


def test_related_reads_wordnet_pointers():
    lookup = get_lookup()
    paris = lookup.synsets("paris")[0]
    assert [s.name for s in lookup.related(paris, ("@i",))] == ["national_capital.n.01"]
    assert "france.n.01" in [s.name for s in lookup.related(paris, ("#p",))]  # part holonym
    assert "eiffel_tower.n.01" in [s.name for s in lookup.related(paris, ("%p",))]  # part meronym
    assert lookup.related(paris, ("@",)) == []  # an instance has no plain hypernym


@pytest.mark.parametrize("caption, tag", [
    ("Pizza night with friends", "food"),
    ("Great run by the river this morning, 10k done", "running"),
    ("Leg day done. 5 sets of squats and I can barely walk", "fitness"),
    ("Paris never gets old", "travel"),
    ("Rainy day, a good book", "books"),
    ("So many galaxies in one tiny patch of sky", "astronomy"),
    ("Happy birthday mom", "family"),
])
def test_a_captions_words_give_the_topic_people_file_them_under(caption, tag):
    assert tag in kinds(caption)


def test_a_named_place_gives_the_country_it_is_part_of():
    assert {"travel", "france"} <= set(kinds("Paris never gets old"))
    assert "japan" in kinds("Tokyo at night") and "honshu" not in kinds("Tokyo at night")  # a country, not an island
    assert "travel" in kinds("A weekend in Los Angeles")  # a joined pair is read too


@pytest.mark.parametrize("caption, wrong", [
    ("Texture hunting downtown", "sports"),  # the hunt's sense is listed as saying nothing
    ("Launch day at the cape!", "fashion"),  # a cape is a cloak only in a rarer sense
    ("Picked up my new ride today", "travel"),  # a ride is a journey, no trip
    ("Rainy day, a good book and a pot of tea", "food"),  # tea: a drink and a meal, so neither
    ("walk in the park", "sports"),  # a base on balls is walk's rarer sense
    ("Paris never gets old", "sports"),  # "gets" is a verb: its one noun sense (a tennis return) is not read
])
def test_rarer_senses_and_disagreeing_senses_say_nothing(caption, wrong):
    assert wrong not in kinds(caption)


def test_a_word_whose_senses_disagree_gives_what_they_share():
    assert [(t, k) for t, _, k, _ in word_topics("bike")] == [("bike", "motorcycle or bicycle")]
    assert word_topics("tea") == ()  # a drink and a meal share no tag
    ev = CaptionKinds(None).evidence(Post(text="Fixed my bike chain myself"),
                                     type("F", (), {"text": "Fixed my bike chain myself"})())
    assert "bike" in ev  # its own topic, though the caption says the word


def test_an_unattested_sense_counts_where_another_words_sense_agrees():
    assert {"sports", "football"} <= set(kinds("What a goal! What a match!"))
    assert "football" not in kinds("My goal this year is to read more")  # the score is goal's fourth sense
    assert "sports" not in kinds("walk in the park")  # two attested rarer senses keep the rule for rarer senses


def test_a_phrase_that_is_one_wordnet_noun_is_not_shrunk_like_a_words_habit():
    vocab = get_vocabulary()
    found = {c.tag: c.weight for c in vocab.caption_candidates("Full moon tonight", "en")}
    assert found["fullmoon"] > vocab.hashtag_rate("fullmoon", "en")[0]  # the phrase prior, not the kind's
    assert found["fullmoon"] > found["moon"]
    pulled = {c.tag: c.weight for c in vocab.caption_candidates("please pull out now", "en")}
    assert pulled.get("pullout", 0) <= vocab.hashtag_rate("pullout", "en")[0]  # a verb phrase: no phrase prior


def test_at_most_three_topic_tags_and_each_a_real_hashtag():
    assert len(kinds("Baked banana bread and a pizza after the gym, then a concert in Paris")) <= 3
    vocab = get_vocabulary()
    tags = {t for entry in TOPICS.values() for t in entry}
    assert not [t for t in tags if junk_reason(t)], "every topic tag reads as a hashtag"
    # most are used as hashtags in the corpora (#astronomy #coincollection #numismatics are not: no such posts)
    assert sum(vocab.tag_count(t) >= 5 for t in tags) >= 0.9 * len(tags)
    assert all(s.count(".") == 2 for s in TOPICS)
    for tag, strength, kind, usual in word_topics("pizza"):
        assert 0 < strength <= 1 and kind == "dish" and usual


def test_the_source_is_listed_last_and_reads_glossed_languages(model):
    assert SOURCES[-1] is CaptionKinds and SOURCES.count(CaptionKinds) == 1
    ev, gains, _ = model.evidence(Post(text="今日は友達とラーメンを食べました"))
    assert "food" in ev["caption_kinds"] and "(WordNet)" in ev["caption_kinds"]["food"][1]
    ev, _, _ = model.evidence(Post(text="Mi gato durmiendo la siesta"))
    assert "family" not in ev.get("caption_kinds", {})  # "mi" is not read as an English word
    assert not model.evidence(Post(text="Sale hoy, oferta especial"))[0].get("caption_kinds")


@pytest.mark.parametrize("caption, topic", [
    ("Pizza night with friends", "food"),
    ("Great run by the river this morning, 10k done", "running"),
    ("Paris never gets old", "travel"),
    ("今日は友達とラーメンを食べました", "food"),
])
def test_text_alone_gets_its_topic_in_the_top_five(model, caption, topic):
    assert topic in [s.tag for s in model.suggest(Post(text=caption), k=5)]


def test_a_place_tag_needs_the_post_to_name_the_place():
    caption = {"caption": {"yeg": (0.4, "captions like this"), "rain": (0.2, "x"), "losangeles": (0.1, "x")},
               "caption_tags": {"lawn": (0.2, "x")}}
    out = places.unnamed_left_out(caption, "The lawn finally came back after the rain", ("garden",))
    assert set(out["caption"]) == {"rain"} and out["caption_tags"] == caption["caption_tags"]
    assert set(caption["caption"]) == {"yeg", "rain", "losangeles"}  # the input is not changed
    named = places.unnamed_left_out({"caption": {"france": (0.2, "x"), "losangeles": (0.2, "x")}},
                                    "Paris never gets old", ())
    assert set(named["caption"]) == {"france"}  # a place within it names it
    checked_in = {"caption": {"la": (0.3, "x")}}
    assert places.unnamed_left_out(checked_in, "Sunday funday @ Griffith Observatory", ()) == checked_in
    assert places.is_place("yeg") and places.is_place("losangeles") and not places.is_place("downtown")


def test_a_place_is_named_by_its_short_form_its_name_or_its_people():
    def kept(text, tags):
        return set(places.unnamed_left_out({"caption": {t: (0.2, "x") for t in tags}}, text, ())["caption"])

    city = ("sanfrancisco", "california", "sf", "losangeles", "la")
    # "SF" names San Francisco and the places it is part of; "San Francisco" names its short form #sf
    assert kept("This is what a beautiful day in SF looks like", city) == {"sanfrancisco", "california", "sf"}
    assert kept("Street cars in San Francisco", city) == {"sanfrancisco", "california", "sf"}
    assert kept("Ohhhhhhh Vegas why so CRAZY", ("lasvegas", "nevada", "losangeles")) == {"lasvegas", "nevada"}
    # a short form of three letters names the place only in capitals: the Spanish article "la" is no Los Angeles
    assert kept("LA Sunset", ("losangeles", "california")) == {"losangeles", "california"}
    assert kept("Vamos a la playa", ("losangeles", "california")) == set()
    # a people's place (WordNet's member holonym): Filipino workers are of the Philippines
    assert kept("A ban on the deployment of Filipino workers", ("philippines", "spain")) == {"philippines"}


def test_a_weapon_needs_the_post_to_speak_of_weapons():
    evidence = {"image_tags": {"rocket": (0.38, "seen"), "missile": (0.30, "seen")}}
    out = senses.unsaid_weapons(evidence, "Launch day at the cape!", ("space",))
    assert out["image_tags"]["rocket"] == (0.38, "seen")
    assert out["image_tags"]["missile"][0] == pytest.approx(0.30 * senses.UNSAID)
    assert senses.unsaid_weapons(evidence, "", ()) is evidence  # a photo alone: nothing tells its context
    assert senses.unsaid_weapons(evidence, "Army missile test", ()) is evidence


def test_a_field_sport_is_a_pastime_out_of_doors_not_fitness():
    # fishing is a kind of outdoor sport, a kind of sport: it files under #outdoors, not #sports #fitness
    assert {"sports", "fitness"}.isdisjoint(kinds("Fishing with my father"))
    assert "outdoors" in kinds("Fishing with my father")
    assert "sports" in kinds("What a goal! What a match!")  # a sport that is a contest keeps it


def test_a_japanese_word_for_taking_it_easy_reads_as_relax_not_free():
    from taglens.knowledge.glosses import english_words

    assert ("のんびり", "relax") in english_words("週末は温泉でのんびり", "ja")


def test_an_adjective_said_of_a_noun_is_no_tag_of_its_own():
    from taglens.suggesters.taglens_base.sources.caption_knowledge import (ATTRIBUTIVE, attributive_adjectives,
                                                                           named_tags)

    assert attributive_adjectives("Rainy day, hot tea and a good book") == {"rainy": "day", "hot": "tea",
                                                                             "good": "book"}
    assert attributive_adjectives("The tea is hot") == {}  # said of it, not before it
    assert attributive_adjectives("Vintage camera, still works") == {}  # vintage is a noun first
    # a name's words and a check-in's place are no adjective said of a noun ("midway" is one in WordNet)
    assert attributive_adjectives("The little yellow plane that could. @ USS Midway CV-41") == {"yellow": "plane"}
    assert attributive_adjectives("Visiting Midway Atoll") == {}
    hot = named_tags("Rainy day, hot tea and a good book").get("hot")
    assert hot is None or "said of the tea" in hot[1]
    assert ATTRIBUTIVE < 0.5
    assert "rainyday" in named_tags("Rainy day, hot tea and a good book")  # the compound of the two words stays
