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
                                     "私の猫はソファで寝ています", "Vamos al partido de fútbol con mis amigos"])
def test_other_languages_are_not_read_as_a_vape_post(model, caption):
    assert caption_language(caption) not in LEARNED_LANGUAGES
    assert language_gate(caption, LEARNED_LANGUAGES) < 0.5
    assert not leaks(top(model, Post(text=caption)))
    assert not leaks(top(model, Post(text=caption, images=(COFFEE,))))


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

    default = json.loads(run_cli("--tags", "#likeforlikes #follow4follow", "--json", "-k", "10",
                                 "--min-score", "0").stdout)
    assert not any(is_bait(s["tag"]) for s in default["suggestions"])
    generic = json.loads(run_cli("--tags", "#likeforlikes #follow4follow", "--json", "-k", "10", "--min-score", "0",
                                 "--allow-generic").stdout)
    assert any(is_bait(s["tag"]) for s in generic["suggestions"])
