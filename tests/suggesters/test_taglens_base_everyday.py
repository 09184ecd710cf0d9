"""taglens-base on ordinary posts (issue 20): the image and caption knowledge sources, an open candidate space,
languages, evidence with its support, topic tags needing their topic, no junk, one form per meaning, confidence.
All with the bundled model and the packaged resources."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from taglens.features import post_features
from taglens.model_folder import load_suggester
from taglens.suggesters.base import finalize
from taglens.suggesters.taglens_base import SOURCES
from taglens.suggesters.taglens_base.language_gate import caption_language, language_gate, LEARNED_LANGUAGES
from taglens.suggesters.taglens_base.presenting import confidence, one_form_per_meaning
from taglens.suggesters.taglens_base.sources.caption_knowledge import CaptionKnowledge
from taglens.suggesters.taglens_base.sources.cooccurrence import supported_evidence
from taglens.suggesters.taglens_base.sources.image_knowledge import ImageKnowledge
from taglens.suggesters.taglens_base.topics import topic_strength, topic_tags
from taglens.types import Post, Suggestion

REPO = Path(__file__).resolve().parents[2]
COFFEE = REPO / "examples" / "coffee.jpg"


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def top(model, post, k=5):
    return [s.tag for s in model.suggest(post, k=k)]


def leaks(tags):
    topics = topic_tags()
    return [t for t in tags if t in topics["vape"] or t in topics["politics"]]


def test_the_new_sources_are_listed_once():
    assert SOURCES.count(ImageKnowledge) == 1 and SOURCES.count(CaptionKnowledge) == 1


def test_image_knowledge_reads_the_classifier_with_its_confidence(model):
    features = post_features([Post(images=(COFFEE,))])[0]
    ev = model.source("image_tags").evidence(features.post, features)
    assert {"espresso", "coffee"} <= set(ev)
    score, reason = ev["espresso"]
    assert 0 < score <= 1 and reason.startswith("seen in the image: espresso")
    suggestions = model.suggest(Post(images=(COFFEE,)), k=10)
    assert "coffee" in [s.tag for s in suggestions][:5] and "espresso" in [s.tag for s in suggestions]


def test_tags_outside_the_trained_vocabulary_can_rank_first(model):
    assert "stonehenge" not in model.index_ and "hedgehog" not in model.index_
    features = post_features([Post(text="Visiting Stonehenge today")], images=False)[0]
    ev, gains, exclude = model.evidence(features)
    assert "stonehenge" in ev["caption_tags"]
    assert "stonehenge" in [s.tag for s in model.fuse(ev, gains, exclude, 5)]
    # and from the photo side: the fused ranking takes any tag a source proposes
    ranked = model.fuse({"image_tags": {"hedgehog": (0.9, "seen in the image: porcupine (90%)")}},
                        {"image_tags": 1.0}, frozenset(), 3)
    assert ranked[0].tag == "hedgehog" and ranked[0].reason == "seen in the image: porcupine (90%)"


def test_caption_names_places_as_hashtags(model):
    tags = top(model, Post(text="Paris never gets old"))
    assert "paris" in tags[:2]
    assert not leaks(tags)


@pytest.mark.parametrize("caption", ["Mi gato durmiendo la siesta 😴", "Η γάτα μου κοιμάται στον καναπέ",
                                     "私の猫はソファで寝ています", "Vamos al partido de fútbol con mis amigos",
                                     # undetermined to the identifier (es 0.39, it 0.31), English under 0.02
                                     "Mi perro adora la nieve"])
def test_other_languages_are_not_read_as_a_vape_post(model, caption):
    assert caption_language(caption) not in LEARNED_LANGUAGES
    assert language_gate(caption, LEARNED_LANGUAGES) < 0.5
    assert not leaks(top(model, Post(text=caption)))
    assert not leaks(top(model, Post(text=caption, images=(COFFEE,))))


def test_a_caption_alone_in_a_language_learned_from_vape_shops_shows_vape_only_by_naming_it(model):
    """"Nuevo sabor de helado en la heladería" (a new ice-cream flavour) got #vapeo #vapefam #vaper: every Spanish
    word's rate leans to vape ("sabor" 0.43), the Spanish training captions being the shops'. A caption alone in
    such a language shows the topic only by the vape words it spells."""
    ice_cream = Post(text="Nuevo sabor de helado en la heladería")
    assert topic_strength(model, post_features([ice_cream])[0], {})["vape"] == 0.0
    tags = top(model, ice_cream)
    assert not leaks(tags) and "icecream" in tags, tags
    assert leaks(top(model, Post(text="Nuevo líquido sabor fresa para tu vaper")))


def test_an_undetermined_caption_surely_not_english_is_read_in_its_likeliest_language(model):
    assert caption_language("Mi perro adora la nieve") == "es"
    tags = top(model, Post(text="Mi perro adora la nieve"))
    assert {"dog", "snow"} <= set(tags), tags
    assert caption_language("lol ok") == "und"  # too few words to tell: in no particular language


def test_an_undetermined_caption_is_read_in_the_candidate_language_that_has_its_words(model):
    # py3langid: Italian 0.46, Spanish 0.08; "gato" and "duerme" are common Spanish words, not Italian ones
    assert caption_language("Mi gato duerme") == "es"
    assert "cat" in top(model, Post(text="Mi gato duerme"))
    assert caption_language("Il mio gatto dorme sul divano") == "it"


def test_english_captions_keep_the_trained_caption_sources():
    assert language_gate("Morning commute through Madrid", LEARNED_LANGUAGES) == 1.0
    assert language_gate("💨💨🔥", LEARNED_LANGUAGES) == 1.0  # emoji read the same in every language
    assert language_gate("Mi gato durmiendo", None) == 1.0  # a source not bound to a language


def test_companions_are_shrunk_by_their_support_and_say_their_counts(model):
    cooc = model.source("cooccurrence").cooc_
    raw = cooc.evidence(Post(hashtags=("lion",)), 100)
    shrunk = supported_evidence(cooc, ("lion",))
    n = cooc.counts_[cooc.index_["lion"]]
    tag = max(raw, key=lambda t: raw[t][0])
    assert shrunk[tag][0] == pytest.approx(raw[tag][0] * n / (n + 10.0), rel=1e-3)
    assert f"of {round(n)} posts" in shrunk[tag][1] and shrunk[tag][1].startswith("used with #lion in ")


def test_a_photo_posts_companions_need_two_posts(model):
    # #bmw "used with #audi in 1 of 3 posts" on an Audi: under a photo one post is no evidence
    cooc = model.source("cooccurrence").cooc_
    every = supported_evidence(cooc, ("audi",))
    two = supported_evidence(cooc, ("audi",), min_hits=1.5)
    assert any(r.startswith("used with #audi in 1 of ") for _, r in every.values())
    assert two and set(two) < set(every) and all(" in 1 of " not in r for _, r in two.values())
    source = model.source("cooccurrence")
    photo = post_features([Post(hashtags=("audi",), images=(str(COFFEE),))], images=False)[0]
    assert set(source.evidence(photo.post, photo)) == set(two)


def test_topic_tags_need_evidence_of_their_topic(model):
    topics = topic_tags()
    assert {"vape", "vapeporn", "ejuice"} <= topics["vape"] and "maga" in topics["politics"]
    assert "food" not in topics["vape"] and "travel" not in topics["vape"]
    for caption in ("Pasta night with the family", "Great game tonight, what a goal", "Leg day at the gym"):
        assert not leaks(top(model, Post(text=caption))), caption
    features = post_features([Post(text="Vote Trump, make America great again!")], images=False)[0]
    ev, _, _ = model.evidence(features)
    assert topic_strength(model, features, ev)["politics"] == 1.0
    assert "maga" in top(model, Post(text="Vote Trump, make America great again!"), k=10)
    assert any(t in topics["vape"] for t in top(model, Post(text="New coils and juice in stock at the vape shop")))


@pytest.mark.parametrize("scene", ["scene-cd2cced56f37", "scene-2ba36c6713b2", "scene-9b460f65e5a3"])
def test_a_photo_with_an_everyday_caption_is_not_read_as_vape(model, shared_data, scene):
    """The image head spreads a little mass over hundreds of vape tags on any photo; with an English caption that
    says nothing of vaping, that is no evidence of vape unless the similar photos agree (everyday street and sea
    photos of the dev data with a caption of our own got #vape #vapecommunity before)."""
    photo = shared_data / "everyday" / "scenes" / "images" / f"{scene}.jpg"
    for caption in ("Morning walk by the sea ☀️🌴", "Off for the weekend ✈️ 😎"):
        assert not leaks(top(model, Post(images=(photo,), text=caption))), (scene, caption)


def test_junk_is_never_suggested_unless_allowed(model, monkeypatch):
    ranked = [Suggestion("likeforlikes", 0.9), Suggestion("abvpkagundaraj", 0.8), Suggestion("dog", 0.5)]
    monkeypatch.delenv("TAGLENS_ALLOW_GENERIC", raising=False)
    assert [s.tag for s in finalize(ranked, Post(), 3)] == ["dog"]
    monkeypatch.setenv("TAGLENS_ALLOW_GENERIC", "1")
    assert [s.tag for s in finalize(ranked, Post(), 3)] == ["likeforlikes", "abvpkagundaraj", "dog"]
    ev = {"image_tags": {"instagood": (0.9, "x"), "cat": (0.5, "y")}}
    assert [s.tag for s in model.fuse(ev, {"image_tags": 1.0}, frozenset(), 2)] == ["instagood", "cat"]
    monkeypatch.delenv("TAGLENS_ALLOW_GENERIC")
    assert [s.tag for s in model.fuse(ev, {"image_tags": 1.0}, frozenset(), 2)] == ["cat"]


def test_one_form_per_meaning_in_the_top_k():
    ranked = [Suggestion("cats", 0.9, "image_tags", "seen"), Suggestion("cat", 0.8), Suggestion("animals", 0.7),
              Suggestion("animal", 0.6), Suggestion("sofa", 0.5)]
    out = one_form_per_meaning(ranked, 3)
    first = [s.tag for s in out[:3]]
    assert len({t.rstrip("s") for t in first}) == 3 and "sofa" in first
    assert out[0].tag == "cats" and out[0].reason == "seen"  # the best-ranked form keeps its place
    assert sorted(s.tag for s in out) == sorted(s.tag for s in ranked)  # the other forms further down
    assert all(a.score >= b.score for a, b in zip(out, out[1:]))


def test_confidence_per_suggestion(model):
    assert confidence(model.confidence_half, model.confidence_half) == pytest.approx(0.5)
    suggestions = model.suggest(Post(images=(COFFEE,)), k=5)
    assert all(0 < s.confidence < 1 for s in suggestions)
    assert [s.confidence for s in suggestions] == sorted((s.confidence for s in suggestions), reverse=True)
    assert suggestions[0].to_dict()["confidence"] == round(suggestions[0].confidence, 3)


def run_cli(*args, env=None):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), **(env or {})}
    env.pop("TAGLENS_ALLOW_GENERIC", None) if "TAGLENS_ALLOW_GENERIC" not in (env or {}) else None
    return subprocess.run([sys.executable, "-m", "taglens", "suggest", *args], capture_output=True, text=True,
                          env=env)


def test_cli_min_score_leaves_weak_suggestions_out_and_says_so():
    weak = run_cli("--text", "ok", "--json", "-k", "10")
    assert weak.returncode == 0, weak.stderr
    answer = json.loads(weak.stdout)
    assert answer["left_out_weak"] > 0 and len(answer["suggestions"]) < 10
    assert "the evidence is weak" in weak.stderr and "--min-score 0" in weak.stderr
    everything = json.loads(run_cli("--text", "ok", "--json", "-k", "10", "--min-score", "0").stdout)
    assert len(everything["suggestions"]) == 10 and "left_out_weak" not in everything
    assert all("confidence" in s for s in everything["suggestions"])
    bad = run_cli("--text", "ok", "--min-score", "2")
    assert bad.returncode == 2 and "--min-score" in bad.stderr


def test_cli_allow_generic_turns_the_junk_filter_off():
    from taglens.knowledge.junk import is_bait

    def tags(*args):
        return [s["tag"] for s in json.loads(run_cli(*args, "--json", "-k", "10", "--min-score", "0").stdout)[
            "suggestions"]]

    assert not any(is_bait(t) for t in tags("--tags", "#motorcycle #bike"))
    assert any(is_bait(t) for t in tags("--tags", "#motorcycle #bike", "--allow-generic"))
    # an author who already tags #likeforlikes #follow4follow tags that way: bait is suggested to that post only
    assert any(is_bait(t) for t in tags("--tags", "#likeforlikes #follow4follow"))


def test_bait_is_suggested_only_to_a_post_that_carries_some():
    from taglens.suggesters.base import unwanted_tags

    assert unwanted_tags()("instagood") and unwanted_tags(["motorcycle"])("instagood")
    assert not unwanted_tags(["motorcycle", "likeforlike"])("instagood")
    assert unwanted_tags(["likeforlike"])("abvpkagundaraj")  # a handle stays junk whatever the post carries


def test_a_reposts_credit_line_makes_repost_a_tag_of_the_post(model):
    """#repost is bait on any post, but under a repost's credit line (the Repost app's '・・・', 'with @repostapp',
    'Repost from @user', 'regram') it describes the post: suggested there, and only there."""
    from taglens.knowledge.junk import shown_bait
    from taglens.suggesters.base import unwanted_tags

    credited = ("Work in progress with repostapp・・・ so proud", "Repost from @user: golden hour at the pier",
                "regram @user view from the bridge", "Stunning work ・・・Golden wood")
    for caption in credited:
        assert shown_bait(caption) == {"repost", "regram"}, caption
        assert not unwanted_tags((), caption)("repost") and unwanted_tags((), caption)("likeforlike")
    for caption in ("A preposterous idea", "Pizza night with friends", "", None):
        assert not shown_bait(caption) and unwanted_tags((), caption)("repost")
    ev = {"caption": {"repost": (0.9, "x"), "art": (0.5, "y")}}
    assert [s.tag for s in model.fuse(ev, {"caption": 1.0}, frozenset(), 2, text=credited[0])] == ["repost", "art"]
    assert [s.tag for s in model.fuse(ev, {"caption": 1.0}, frozenset(), 2, text="Work in progress")] == ["art"]
    ranked = [Suggestion("repost", 0.9), Suggestion("art", 0.5)]
    assert [s.tag for s in finalize(ranked, Post(text=credited[1]), 2)] == ["repost", "art"]
    assert [s.tag for s in finalize(ranked, Post(text="Golden hour at the pier"), 2)] == ["art"]


def test_caption_tags_defer_to_a_caption_head_that_is_sure(model):
    """The named things of a caption (caption_tags) lead where the trained caption head is unsure (an everyday
    caption), and give way where it is sure (a caption like the training tweets): full gain up to a top probability
    of HEAD_SURE_LOW, none from HEAD_SURE_FULL."""
    from taglens.suggesters.taglens_base.sources import caption_knowledge as ck

    assert ck.CaptionKnowledge.deference({}) == 1.0
    assert ck.CaptionKnowledge.deference({"caption": {"la": (ck.HEAD_SURE_LOW, "r"), "x": (0.01, "r")}}) == 1.0
    assert ck.CaptionKnowledge.deference({"caption": {"la": (ck.HEAD_SURE_FULL, "r")}}) == 0.0
    half = (ck.HEAD_SURE_LOW + ck.HEAD_SURE_FULL) / 2
    assert ck.CaptionKnowledge.deference({"caption": {"la": (half, "r")}}) == pytest.approx(0.5)
    features = post_features([Post(text="Sunday hike up the mountain with the dog")], images=False)[0]
    ev, gains, _ = model.evidence(features)
    raw = {s.name: s.evidence(features.post, features) for s in model.sources}
    sure = max(score for score, _ in raw["caption"].values())
    assert sure > ck.HEAD_SURE_LOW  # the head reads this caption (#hiking)
    assert gains["caption_tags"] == pytest.approx(ck.CaptionKnowledge.deference(raw)) and gains["caption_tags"] < 1


def test_a_caption_head_is_sure_only_as_far_as_it_reads_the_caption(model):
    """The English-trained caption head reads "Gran partido de fútbol" through a word or two (its language gate): its
    raw sureness of a tag there does not silence caption_tags and caption_kinds, which read the Spanish words
    through their glosses, so the match gets #sports and #football."""
    from taglens.suggesters.taglens_base.language_gate import language_gate
    from taglens.suggesters.taglens_base.sources import caption_kinds as kinds
    from taglens.suggesters.taglens_base.sources import caption_knowledge as ck

    sure = {"caption": {"photo": (ck.HEAD_SURE_FULL, "r")}}
    assert ck.CaptionKnowledge.deference(sure) == 0.0
    assert ck.CaptionKnowledge.deference(sure, read=0.2) == pytest.approx(1.0)  # 0.5 x 0.2 = 0.1: HEAD_SURE_LOW
    assert kinds.CaptionKinds.deference(sure, read=0.0) == 1.0
    text = "Gran partido de fútbol"
    head = model.source("caption")
    features = post_features([Post(text=text)], images=False)[0]
    read = model._head_read(features, {}, None)
    assert read == pytest.approx(language_gate(text, head.learned_languages)) and read < 1
    tags = [s.tag for s in model.suggest(Post(text=text), k=5)]
    assert "sports" in tags and "football" in tags


def test_caption_word_statistics_keep_their_counts_and_say_them(model):
    import numpy as np

    from taglens.suggesters.taglens_base.sources.caption_words import CaptionWordStats

    stats = CaptionWordStats(min_df=1, smoothing=3.0).fit(
        ["sabor nuevo", "sabor fresa", "sabor menta", "gato"], [np.array([0]), np.array([0]), np.array([0, 1]),
                                                                np.array([1])], n_tags=2)
    assert stats.support("sabor", 0) == (3, 3) and stats.support("sabor", 1) == (1, 3)
    assert stats.scores("sabor")[0][0] == pytest.approx(3 / (3 + 3.0))  # shrunk by the count: 3 captions, not 100%
    assert stats.support("gato", 1) == (1, 1) and stats.scores("gato")[1][0] == pytest.approx(1 / 4)
    assert stats.rate_of("sabor gato", np.array([0]), min_mentions=2) == (pytest.approx(0.5), "sabor")
    assert stats.rate_of("gato", np.array([1]), min_mentions=2) == (0.0, "")  # one caption is no evidence
    # an entry needs min_count captions and a lift over the tag's prior
    lifted = CaptionWordStats(min_df=1, min_p=0.0, min_count=2, min_lift=1.2).fit(
        ["sabor nuevo", "sabor fresa", "sabor menta", "gato"], [np.array([0]), np.array([0]), np.array([0, 1]),
                                                                np.array([1])], n_tags=2)
    assert stats.support("sabor", 1)[0] == 1 and lifted.support("sabor", 1) == (0, 3)
    # the bundled model stores its counts: the evidence says "N of M captions"
    words = model.source("words")
    assert words.stats_.df is not None
    features = post_features([Post(text="New coils and juice in stock at the vape shop")], images=False)[0]
    reasons = [r for _, r in words.evidence(features.post, features).values()]
    assert reasons and all(" of " in r and " captions with '" in r for r in reasons)


def test_word_statistics_fire_in_the_language_they_were_learned_in():
    from taglens.suggesters.taglens_base.language_gate import word_fits

    assert word_fits("coffee", "en") and word_fits("☕", "es") and word_fits("☕", "ja")
    assert word_fits("vapeo", "es")  # a Spanish vape shop's word on a Spanish caption
    assert not word_fits("de", "es") and not word_fits("la", "es")  # function words say nothing of the topic
    assert not word_fits("de", "und")  # spread over Spanish, Portuguese, French captions: no language of the model
    assert not word_fits("coffee", "es") or word_fits("coffee", "en")


def test_a_spanish_vape_caption_is_read_by_the_words_it_learned_in_spanish(model):
    caption = "Nuevo líquido sabor fresa para tu vapeo, ya disponible en la tienda 💨"
    assert caption_language(caption) == "es"
    features = post_features([Post(text=caption)], images=False)[0]
    ev, _, _ = model.evidence(features)
    assert topic_strength(model, features, ev)["vape"] >= 0.5
    assert leaks(top(model, Post(text=caption)))  # here a vape tag is right


def test_caption_words_open_the_politics_gate(model):
    caption = "Hillary lied again about the emails during the debate"
    features = post_features([Post(text=caption)], images=False)[0]
    ev, _, _ = model.evidence(features)
    assert topic_strength(model, features, ev)["politics"] > 0.5
    for caption in ("Great day at the beach with my family", "Coffee and a good book this morning"):
        features = post_features([Post(text=caption)], images=False)[0]
        ev, _, _ = model.evidence(features)
        assert topic_strength(model, features, ev)["politics"] < 0.2, caption


def test_everyday_captions_get_topic_tags_in_any_language(model):
    from taglens.suggesters.taglens_base.sources.caption_topics import CaptionTopics, topic_statistics

    stats, tags = topic_statistics()
    assert {"food", "travel", "fitness", "music", "love"} <= set(tags)
    assert not leaks(tags) and "the" not in tags
    source = model.source("caption_topics")
    assert isinstance(source, CaptionTopics)
    for caption, wanted in (("Café de la mañana ☕", "coffee"), ("Καλοκαίρι στην παραλία 🌊☀️", "beach")):
        features = post_features([Post(text=caption)], images=False)[0]
        ev = source.evidence(features.post, features)
        assert wanted in ev, (caption, ev)
        assert " of " in ev[wanted][1] and "everyday posts with" in ev[wanted][1]
        assert wanted in top(model, Post(text=caption)) and not leaks(top(model, Post(text=caption)))


def test_a_word_is_weighed_by_how_often_people_who_write_it_tag_it():
    from taglens.knowledge.vocabulary import get_vocabulary

    vocab = get_vocabulary()
    assert vocab.hashtag_rate("sale")[0] > 2 * vocab.hashtag_rate("worthless")[0]
    assert vocab.hashtag_rate("coffee")[0] > vocab.hashtag_rate("nowadays")[0]
    rate, mentions, tagged = vocab.hashtag_rate("paris")
    assert mentions > tagged > 0 and 0 < rate < 1


def test_a_common_words_chance_company_is_not_evidence():
    """A weak rate from a few captions ("4 of 28 captions with 'met' use #tbt") does not fire; a distinctive word
    seen as often ("4 of 4 captions with 'vapeo'") and a common word's tag from many captions do."""
    import numpy as np

    from taglens.suggesters.taglens_base.sources.caption_words import THIN_COUNT, CaptionWordStats

    texts = ["met them"] * 28 + ["vapeo hoy"] * 4 + ["sunny day"] * 40
    tags = ([np.array([0])] * 4 + [np.array([], dtype=int)] * 24 + [np.array([1])] * 4
            + [np.array([2])] * 12 + [np.array([], dtype=int)] * 28)
    stats = CaptionWordStats(min_df=1).fit(texts, tags, n_tags=3)
    assert stats.support("met", 0) == (4, 28) and 4 < THIN_COUNT
    assert 0 not in stats.scores("met them")  # 4 / 31: thin
    assert stats.scores("vapeo hoy")[1][0] == pytest.approx(4 / 7, abs=1e-3)
    assert stats.support("sunny", 2) == (12, 40) and 2 in stats.scores("sunny day")  # 12 / 43 from 12 captions


def test_words_of_languages_without_training_captions_are_read_through_their_glosses():
    """Greek and Japanese (no training captions): each word's English gloss from the packaged dictionaries; Japanese,
    written without spaces, is segmented by the longest dictionary word; function words say nothing."""
    from taglens.knowledge.glosses import english_words

    assert english_words("Καλημέρα! Καφές δίπλα στη θάλασσα", "el")[:2] == (("Καλημέρα", "goodmorning"),
                                                                          ("Καφές", "coffee"))
    assert ("θάλασσα", "sea") in english_words("Καλημέρα! Καφές δίπλα στη θάλασσα", "el")
    assert ("φίλους", "friend") in english_words("Ταξίδι στην Αθήνα με τους φίλους μου", "el")  # inflected
    assert not any(w in ("στη", "με", "μου") for w, _ in english_words("Ταξίδι στην Αθήνα με τους φίλους μου", "el"))
    ja = english_words("今日は友達とラーメンを食べました", "ja")
    assert ("ラーメン", "ramen") in ja and ("友達", "friend") in ja
    assert not any(w in ("は", "と", "を") for w, _ in ja)
    # a verb as a caption inflects it (咲く -> 咲いて): its own meaning, not a rare spelling of 笑い (laugh)
    assert english_words("桜がきれいに咲いています", "ja")[-1] == ("咲い", "bloom")
    # other languages: the one-word names of emoji in CLDR (🐈 "gato", "chat", "Katze"); nothing else
    assert english_words("Mi gato durmiendo la siesta", "es") == (("gato", "cat"),)
    assert english_words("Mon chat dort", "fr") == (("chat", "cat"),)
    assert english_words("Mi gato durmiendo la siesta", "en") == ()


@pytest.mark.parametrize("caption,wanted", [("今日は友達とラーメンを食べました", {"ramen", "food"}),
                                            ("Καλημέρα! Καφές δίπλα στη θάλασσα", {"coffee", "sea"}),
                                            ("ジムで筋トレ頑張った！", {"gym", "fitness"}),
                                            ("Mi gato durmiendo la siesta 😴", {"cat"})])
def test_greek_and_japanese_captions_get_what_they_name(model, caption, wanted):
    got = model.suggest(Post(text=caption), k=5)
    tags = [s.tag for s in got]
    assert wanted & set(tags[:3]) and not leaks(tags), tags
    first = next(s for s in got if s.tag in wanted)
    from taglens.knowledge.glosses import english_words

    read = english_words(caption, caption_language(caption))
    assert any(f"{w} ({e})" in first.reason for w, e in read), first.reason  # names the word it read, and how


def test_learned_politics_tags_are_gated_like_the_listed_ones(model):
    """The tags of the tweets' hate and offensive tasks (#antifa #walkaway #nodaca #immigration, built by
    scripts/build_topic_tags.py) need evidence of politics; a political tweet whose words are not tied to politics
    one by one shows it through the caption head; a tag the caption spells itself is not gated."""
    from taglens.blocklist import read_tag_list
    from taglens.suggesters.taglens_base import topics

    learned = read_tag_list(topics.POLITICS_LEARNED)
    assert {"antifa", "walkaway", "nodaca", "immigration", "confirmkavanaughnow"} <= learned
    assert not learned & {"love", "usa", "worldcup", "music", "travel", "family"}
    assert learned <= topic_tags()["politics"] and not learned & topics.plain_topic_tags()["politics"]
    for caption in ("Pizza night with friends", "Great day at the beach with my family",
                    "Big things are happening in july!!"):
        features = post_features([Post(text=caption)], images=False)[0]
        ev, _, _ = model.evidence(features)
        assert not any(t in topic_tags()["politics"] for e in ev.values() for t in e), caption
    caption = "Illegal aliens crossing the border must all be deported now"
    features = post_features([Post(text=caption)], images=False)[0]
    raw = {s.name: s.evidence(features.post, features) for s in model.sources}
    assert topic_strength(model, features, {k: v for k, v in raw.items() if k != "caption"})["politics"] < 0.5
    assert topic_strength(model, features, raw)["politics"] == 1.0  # the caption head's mass on the topic
    assert "immigration" in top(model, Post(text=caption))
    kept = topics.gate({"words": {"immigration": (0.5, "r"), "maga": (0.5, "r"), "museum": (0.4, "r")}},
                       {"politics": 0.0, "vape": 0.0}, said={"immigration", "history", "museum"})
    assert kept == {"words": {"immigration": (0.5, "r"), "museum": (0.4, "r")}}


def test_a_caption_the_politics_probe_does_not_read_as_political_is_no_evidence_of_politics(model, monkeypatch):
    """The politics probe (scripts/build_politics_probe.py, a logistic regression on the caption's MiniLM embedding)
    keeps a word the tweets tied to politics ("wall") from opening the gate on an everyday caption; a political
    caption keeps its strength."""
    from taglens.suggesters.taglens_base import topics

    caption = "The wall of our new house is finally painted"
    features = post_features([Post(text=caption)], images=False)[0]
    raw = {s.name: s.evidence(features.post, features) for s in model.sources}
    assert topics.probe_politics(features.text_emb) < 0.6
    assert topic_strength(model, features, raw)["politics"] < topics.MIN_STRENGTH
    assert not leaks(top(model, Post(text=caption)))
    with monkeypatch.context() as m:
        m.setattr(topics, "PROBE_TOPIC", None)  # without the probe, the caption's words open the gate
        assert topic_strength(model, features, raw)["politics"] >= topics.MIN_STRENGTH
    for caption in ("Hillary lied again about the emails during the debate",
                    "Illegal aliens crossing the border must all be deported now"):
        features = post_features([Post(text=caption)], images=False)[0]
        raw = {s.name: s.evidence(features.post, features) for s in model.sources}
        assert topics.probe_politics(features.text_emb) > 0.9, caption
        assert topic_strength(model, features, raw)["politics"] == 1.0, caption


def test_a_caption_alone_shows_vape_by_its_meaning_only_through_tags_that_name_vaping(model, monkeypatch):
    """The vape corpus's concentrated tags hold its shops' everyday words (#tasteful, #photoproduct, #celular): a
    caption without a photo that is only like those ("DELICIOUSNESS!") is not a vape post, while one like the tags
    that name vaping still is (``topics.naming_rows``)."""
    from taglens.suggesters.taglens_base import topics

    naming = {model.vocab_[j] for j in topics.naming_rows(model, "vape")}
    plain = {model.vocab_[j] for j in topics.topic_rows(model, plain=True)["vape"]}
    assert {"juul", "ejuice", "vapelife"} <= naming < plain
    assert not {"tasteful", "photoproduct", "celular", "hashtagr"} & naming
    assert {"tasteful", "photoproduct", "celular", "hashtagr"} <= plain
    caption = "DELICIOUSNESS!"
    features = post_features([Post(text=caption)], images=False)[0]
    raw = {s.name: s.evidence(features.post, features) for s in model.sources}
    assert topic_strength(model, features, raw)["vape"] < topics.MIN_STRENGTH
    assert not leaks(top(model, Post(text=caption)))
    with monkeypatch.context() as m:  # like #tasteful, it read as a vape post before
        m.setattr(topics, "naming_rows", lambda model, topic: topics.topic_rows(model, plain=True)[topic])
        assert topic_strength(model, features, raw)["vape"] >= topics.MIN_STRENGTH
    features = post_features([Post(text="Best juul pods and e-juice for your pod kit")], images=False)[0]  # says it
    raw = {s.name: s.evidence(features.post, features) for s in model.sources}
    assert topic_strength(model, features, raw)["vape"] == 1.0


def test_spanish_words_are_read_through_the_projects_own_glosses(model):
    """Spanish has no dictionary whose licence lets it ship: resources/vocab/glosses_hand.tsv (the project's own,
    common words of everyday posts); plurals read as their singular; function words and words not listed say
    nothing."""
    from taglens.knowledge.glosses import english_words

    assert english_words("Mi perro no quiere salir con la lluvia", "es") == (("perro", "dog"), ("lluvia", "rain"))
    assert english_words("Los perros del parque", "es") == (("perros", "dog"), ("parque", "park"))
    assert english_words("Te quiero mucho", "es") == ()
    tags = top(model, Post(text="Hoy toca playa con la familia"))
    assert {"beach", "family"} <= set(tags) and not leaks(tags), tags


def test_greek_and_japanese_gaps_are_filled_by_the_projects_own_glosses():
    """The built dictionaries lack some common words of everyday posts or gloss them by a rarer sense: the project's
    own entries are taken over theirs; a Greek ending read with its accent dropped only there ("γιαγιάς")."""
    from taglens.knowledge.glosses import english_words

    assert english_words("Γάμος της αδερφής μου", "el") == (("Γάμος", "wedding"), ("αδερφής", "sister"))
    assert english_words("Βροχή όλη μέρα", "el") == (("Βροχή", "rain"),)  # not "shower"
    assert ("γιαγιάς", "grandma") in english_words("Μουσακάς της γιαγιάς", "el")
    assert english_words("Καφές δίπλα στη θάλασσα", "el") == (("Καφές", "coffee"), ("θάλασσα", "sea"))  # not "twice"
    assert english_words("日本の秋", "ja") == (("日本", "japan"), ("秋", "autumn"))  # not "origin", "time"
    assert english_words("晩ごはんは焼肉", "ja") == (("晩ごはん", "dinner"), ("焼肉", "yakiniku"))  # not "lakeshore"
    assert english_words("結婚式に行きました", "ja") == (("結婚式", "wedding"),)  # 行っ/行き: segmented, not read


def test_a_vape_compound_that_only_echoes_a_caption_word_is_no_evidence_of_vape(model):
    """MiniLM finds "queen evil's bihday😘" like #vapequeen for the word "queen" alone: without a photo, such a
    compound's likeness does not open the vape gate; a caption about vape still does."""
    for caption in ("queen evil's bihday😘", "my queen 😘"):
        features = post_features([Post(text=caption)], images=False)[0]
        ev, _, _ = model.evidence(features)
        assert topic_strength(model, features, ev)["vape"] < 0.2, caption
        assert not leaks(top(model, Post(text=caption))), caption
    tags = top(model, Post(text="Wanna try this new coil build? Cloud chasing all day"))
    assert leaks(tags), tags


@pytest.mark.parametrize("caption, wrong", [
    ("Couldn't resist this chocolate cake", {"resist", "maga", "theresistance"}),
    ("I could not resist the sale at the mall today", {"resist", "maga"}),
    ("Should I try out aikido instead of krav maga?", {"maga", "trump"}),
])
def test_a_politics_tag_spelled_as_an_everyday_word_is_no_evidence_of_politics(model, caption, wrong):
    """A listed politics tag the caption spells as a word ("resist", "maga" of krav maga) shows politics only as far
    as the politics probe reads the caption as political; where it does not, the spelled tag itself is gated too."""
    from taglens.suggesters.taglens_base import topics

    features = post_features([Post(text=caption)], images=False)[0]
    raw = {s.name: s.evidence(features.post, features) for s in model.sources}
    assert topic_strength(model, features, raw)["politics"] < topics.MIN_STRENGTH
    assert not wrong & set(top(model, Post(text=caption), k=10)), caption
    with pytest.MonkeyPatch.context() as m:
        m.setattr(topics, "SPELLED_READ", False)  # the word alone gave the post full strength
        assert topic_strength(model, features, raw)["politics"] == 1.0
    # a political caption that spells the tag, and a post carrying it, keep it in full
    features = post_features([Post(text="Trump is a disaster")], images=False)[0]
    raw = {s.name: s.evidence(features.post, features) for s in model.sources}
    assert topic_strength(model, features, raw)["politics"] == 1.0
    features = post_features([Post(text=caption, hashtags=("resist",))], images=False)[0]
    assert topic_strength(model, features, {})["politics"] == 1.0


@pytest.mark.parametrize("caption", ["Regalos de navidad para mi familia", "Nuevo diseño de joyas hechas a mano",
                                     "Me encanta mi nuevo celular", "Ventas de garaje este sábado"])
def test_a_vape_shops_everyday_word_spelled_by_a_caption_is_no_evidence_of_vape(model, caption):
    """The vape corpus's concentrated tags hold its shops' everyday Spanish words (#regalos #diseño #joyas #celular
    #ventas); a caption alone that spells one shows vape only as far as its words and meaning do, not in full. A word
    that names vaping still does, and so does any under a photo."""
    from taglens.suggesters.taglens_base import topics

    features = post_features([Post(text=caption)], images=False)[0]
    raw = {s.name: s.evidence(features.post, features) for s in model.sources}
    assert topic_strength(model, features, raw)["vape"] < topics.MIN_STRENGTH
    own = set(topics.spelled(features))  # the caption's own word (#regalos) is a tag of the post, not a leak
    assert not set(leaks(top(model, Post(text=caption)))) - own, caption
    with pytest.MonkeyPatch.context() as m:
        m.setattr(topics, "SPELLED_NAMES", False)
        assert topic_strength(model, features, raw)["vape"] == 1.0
    features = post_features([Post(text="Nuevo sabor de vape disponible")], images=False)[0]
    assert topic_strength(model, features, {})["vape"] == 1.0
    # under a photo the word counts in full, as before: the photo decides there (a shop's "pod system" post)
    features = post_features([Post(text=caption, images=(str(COFFEE),))])[0]
    assert topic_strength(model, features, {})["vape"] == 1.0
