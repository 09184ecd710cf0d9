"""taglens-base's fusion mechanics (issue 21's speed work) against the plain forms they replaced: the diversified
ranking's greedy choice on Python floats, the first wanted tags without a key over every tag, the topic gate that
copies only what it changes, and ConSE's pairs read once per class. Each must give the same floats and order."""
import random

import numpy as np
import pytest

from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base import fusion, topics


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def _diversify_numpy(ranked, k, cooc, diversity):
    """The greedy re-ranking as numpy arrays (the form before issue 21's seventh stop), from ``diversify``'s damp."""
    n = len(ranked)
    given = np.zeros((n, n), np.float32)
    for i, (t, _) in enumerate(ranked):
        if t in cooc.index_:
            nb, p = cooc.neighbors(t)
            row = dict(zip(nb.tolist(), p.tolist()))
            for j, (u, _) in enumerate(ranked):
                if u in cooc.index_ and cooc.index_[u] in row:
                    given[i, j] = row[cooc.index_[u]]
    damp = 1.0 - diversity * np.clip(given, 0.0, 1.0)
    scores = np.array([s for _, s in ranked], dtype=np.float64)
    out, free = [], np.ones(n, bool)
    for _ in range(min(k, n)):
        pick = int(np.argmax(np.where(free, scores, -np.inf)))
        out.append((ranked[pick][0], float(scores[pick])))
        free[pick] = False
        scores *= damp[:, pick]
    return out


def test_diversify_matches_the_numpy_greedy_choice_bit_for_bit(model):
    cooc = model.source("cooccurrence").cooc_
    rng = random.Random(0)
    common = list(cooc.vocab_[:200])
    for trial in range(30):
        tags = rng.sample(common, 25) + [f"unknowntag{trial}{i}" for i in range(5)]
        rng.shuffle(tags)
        scores = sorted((rng.random() for _ in tags), reverse=True)
        if trial % 3 == 0:  # ties: the first of equal scores wins, as np.argmax
            scores[5] = scores[4] = scores[3]
        ranked = list(zip(tags, scores))
        got = fusion.diversify(ranked, 30, cooc, model.diversity)
        assert got == _diversify_numpy(ranked, 30, cooc, model.diversity)
        assert [type(s) for _, s in got] == [float] * len(got)


def test_first_wanted_keeps_ties_by_name_and_skips_unwanted():
    import heapq

    rng = random.Random(1)
    total = {f"t{i:03d}": float(rng.choice([0.1, 0.2, 0.25, 0.5, rng.random()])) for i in range(400)}
    unwanted = {f"t{i:03d}" for i in range(0, 400, 7)}
    for among in (10, 60, 400, 500):
        want = [(t, v) for t, v in heapq.nsmallest(among, total.items(), key=lambda kv: (-kv[1], kv[0]))
                if t not in unwanted][:30]
        assert fusion._first_wanted(total, 30, unwanted.__contains__, among) == want


def test_gate_changes_only_the_topic_tags_and_keeps_the_order():
    owner = topics.topic_of()
    vape, politics = sorted(t for t, o in owner.items() if o == "vape")[:3], sorted(
        t for t, o in owner.items() if o == "politics")[:2]
    ev = {"a": {"food": (0.5, "r1"), vape[0]: (0.4, "r2"), "pizza": (0.3, "r3"), politics[0]: (0.2, "r4"),
                vape[1]: (0.1, "r5")},
          "b": {"food": (0.2, "r6")}}
    out = topics.gate(ev, {"vape": 0.5, "politics": 0.1})
    assert list(out["a"].items()) == [("food", (0.5, "r1")), (vape[0], (0.4 * 0.5, "r2")), ("pizza", (0.3, "r3")),
                                      (vape[1], (0.1 * 0.5, "r5"))]
    assert out["b"] is ev["b"] and ev["a"][vape[0]] == (0.4, "r2")  # untouched sources shared, the input unchanged
    said = topics.gate(ev, {"vape": 0.0, "politics": 0.0}, said={vape[1]})  # a tag the post says is not gated
    assert list(said["a"]) == ["food", "pizza", vape[1]]


def test_politics_shown_more_likely_than_not_keeps_its_full_evidence():
    owner = topics.topic_of()
    vape = sorted(t for t, o in owner.items() if o == "vape")[0]
    politics = sorted(t for t, o in owner.items() if o == "politics")[0]
    ev = {"a": {politics: (0.4, "r1"), vape: (0.4, "r2"), "food": (0.3, "r3")}}
    full = topics.SHOWN_FULL["politics"]
    for s, kept in ((full, 0.4), (0.9, 0.4), (full - 0.01, 0.4 * (full - 0.01)), (0.25, 0.4 * 0.25)):
        out = topics.gate(ev, {"vape": 0.6, "politics": s})
        assert out["a"][politics][0] == pytest.approx(kept)
        assert out["a"][vape][0] == pytest.approx(0.4 * 0.6)  # vape's strength scales as it reads
    hint = topics.gate(ev, {"vape": 1.0, "politics": topics.MIN_STRENGTH - 0.01})  # a hint is still no evidence
    assert politics not in hint["a"]


def test_conse_reads_the_same_pairs_with_and_without_its_cache(model):
    conse = model.source("conse")
    zs = conse.conse_
    rng = np.random.default_rng(2)
    for _ in range(5):
        logits = rng.normal(0, 3, (1, 1000)).astype(np.float32)
        first = zs.evidence_from_logits(logits, 100, related=conse.related)
        zs.__dict__.pop("_pairs_cache", None)
        again = zs.evidence_from_logits(logits, 100, related=conse.related)
        assert list(first.items()) == list(again.items())
    c = 0
    plain = []
    for j, v, concept in zip(zs.indices_[c].tolist(), zs.values_[c].tolist(), zs.concept_[c].tolist()):
        if v <= 0:
            break
        if conse.related(j, zs.phrases_[concept]):
            plain.append((j, v, concept))
    assert zs._pairs(c, conse.related) == plain


def test_topic_rows_gathered_once_give_the_same_products(model):
    rng = np.random.default_rng(3)
    for topic in ("vape", "politics"):
        for rows in (topics.topic_rows(model, plain=True)[topic], topics.naming_rows(model, topic)):
            gathered = topics._rows_of(model, model.tag_emb_, rows)
            assert gathered is topics._rows_of(model, model.tag_emb_, rows)  # once per vocabulary
            for _ in range(50):
                e = rng.standard_normal(384).astype(np.float32)
                e /= np.linalg.norm(e)
                assert np.array_equal((model.tag_emb_[rows] @ e).view(np.uint32), (gathered @ e).view(np.uint32))


def test_consent_contributions_are_the_plain_sums_and_see_later_changes():
    """consent's contributions with each source's weight * gain taken once give the floats of the plain sum over the
    sources per tag, and read the evidence when asked (a score scaled since counts as scaled)."""
    from taglens.suggesters.taglens_base import consent

    rng = random.Random(3)
    sources = ("image", "image_protos", "image_tags", "caption")
    evidence = {s: {f"t{i}": (rng.random(), "r") for i in range(40) if rng.random() < 0.6} for s in sources[:3]}
    weights = {s: rng.uniform(0.1, 3.0) for s in sources}
    gains = {"image": 0.37, "image_tags": 1.7}  # the others at the default gain of 1

    def plain(tag):
        return sum(weights.get(s, 0.0) * gains.get(s, 1.0) * evidence[s][tag][0]
                   for s in sources if s in evidence and tag in evidence[s])

    of = consent._contributions(evidence, weights, gains, sources)
    for i in range(40):
        assert repr(of(f"t{i}")) == repr(plain(f"t{i}"))
    tag = next(t for t in evidence["image"])
    evidence["image"] = {**evidence["image"], tag: (0.5 * evidence["image"][tag][0], "r")}
    assert repr(of(tag)) == repr(plain(tag))


def test_presenting_copies_a_suggestion_as_dataclasses_replace_does():
    """presenting.changed gives what dataclasses.replace gives (Suggestion has no __post_init__ it would skip)."""
    import dataclasses

    from taglens.suggesters.taglens_base.presenting import changed
    from taglens.types import Suggestion

    s = Suggestion("beach", 0.25, "image", "photos like this one are tagged #beach", 0.4)
    assert not hasattr(Suggestion, "__post_init__")
    for values in ({"score": 0.125}, {"confidence": 0.9}, {"score": 1.0, "confidence": None}):
        got = changed(s, **values)
        assert got == dataclasses.replace(s, **values) and type(got) is Suggestion and got is not s
    assert s.score == 0.25 and s.confidence == 0.4


def test_gains_from_parts_computed_before_are_the_same(model):
    """TaglensBase.gains with some sources' (gain, language gate) given, as evidence computes them while the photo is
    encoded, gives the same floats as computing them all after."""
    from taglens.features import post_features
    from taglens.types import Post

    for text in ("sunday morning coffee with friends", "paseo por la playa", ""):
        f = post_features([Post(text=text, hashtags=("food",))], images=False)[0]
        strength = {"vape": 0.3, "politics": 0.0}
        known = {s.name: model._gain_parts(s, f) for s in model.sources[::2]}
        assert repr(model.gains(f, strength, known)) == repr(model.gains(f, strength))


def test_memoised_caption_reading_gives_fresh_lists():
    """caption_words is memoised (asked by several sources a post): each caller gets a list of its own."""
    from taglens.suggesters.taglens_base.wording import caption_words
    from taglens.suggesters.text import plain_wording

    text = "Lunch at @joes_diner, www.joes.com 🍔🍟 best burger"
    first = caption_words(text)
    assert first == ["lunch", "best", "burger", "🍔", "🍟"]
    first.append("changed")
    assert caption_words(text) == ["lunch", "best", "burger", "🍔", "🍟"]
    assert plain_wording(text) == "Lunch at  ,   🍔🍟 best burger"
