"""taglens-base: the bundled default model, its fusion rules, its artifact, and training from posts."""
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from taglens.registry import create_suggester
from taglens.model_folder import load_suggester
from taglens.features import post_features
from taglens.suggesters.taglens_base import TaglensBase
from taglens.suggesters.taglens_base.fusion import diversify
from taglens.suggesters.taglens_base.wording import caption_terms
from taglens.types import Post

ARTIFACT = Path(__file__).resolve().parents[2] / "src" / "taglens" / "models" / "taglens-base"


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def test_bundled_artifact_is_small_and_loads_by_name(model):
    assert isinstance(model, TaglensBase)
    size = sum(f.stat().st_size for f in ARTIFACT.rglob("*") if f.is_file())
    assert size <= 30 * 1024 * 1024
    config = json.loads((ARTIFACT / "config.json").read_text())
    assert config["taglens"]["type"] == "taglens-base"


def test_artifact_holds_no_per_post_arrays():
    from safetensors.numpy import load_file

    arrays = load_file(str(ARTIFACT / "weights.safetensors"))
    n_vocab = len((ARTIFACT / "vocab.txt").read_text().split())
    n_protos = {}
    for kind in ("image_protos", "caption_protos"):
        sizes = arrays.pop(f"{kind}.sizes")
        assert (sizes >= 5).all(), kind  # every prototype is the mean of at least five photos or captions
        n_protos[kind] = len(sizes)
    for name, a in arrays.items():  # every array is per tag, per hidden unit or per feature, never per post
        kind = name.split(".")[0]
        if kind in n_protos:
            assert a.shape[0] == n_protos[kind], name
        else:
            assert a.shape[0] in (n_vocab, 1280, 384, 512) or a.ndim == 1, name


def test_artifact_authors_habits_are_counts_over_several_posts():
    import re

    users = json.loads((ARTIFACT / "users.json").read_text())["users"]
    assert users  # the vape authors with several developer posts
    for key, entry in users.items():
        assert re.fullmatch(r"[0-9a-f]{16}", key)  # salted hashes, not Instagram ids
        assert entry["posts"] >= 2 and entry["tags"] and min(entry["tags"].values()) >= 2


def test_empty_post_gets_popular_tags(model):
    got = model.suggest(Post(), k=5)
    assert len(got) == 5
    assert all(s.source == "prior" and s.reason.startswith("popular: used in ") for s in got)


def test_existing_tags_drive_cooccurrence_and_are_never_returned(model):
    got = model.suggest(Post(hashtags=("dog",)), k=10)
    tags = [s.tag for s in got]
    assert "dog" not in tags and len(set(tags)) == len(tags) == 10
    assert any(s.reason.startswith("used with #dog in ") for s in got)
    assert {"puppy", "dogs", "doglover", "dogsofinstagram", "pet", "cute"} & set(tags[:5])


def test_a_new_tag_speaks_through_its_segmented_parts(model):
    cooc = model.source("cooccurrence").cooc_
    assert "sunsetchasers" not in cooc.index_ and "sunset" in cooc.index_
    got = model.suggest(Post(hashtags=("sunsetchasers",)), k=5)
    assert (got[0].tag, got[0].source, got[0].reason) == ("sunset", "tag_parts", "part of #sunsetchasers: sunset")
    assert {"beach", "sky", "sun", "sea"} & {s.tag for s in got[1:]}
    assert any(s.reason.startswith("used with #sunset in ") for s in got)
    # a known tag is left to its co-occurrence statistics; gibberish has no parts
    parts = model.source("tag_parts").parts
    assert parts(["dogsofinstagram", "qwertyzz"]) == {}
    assert set(parts(["veganfoodlover"])) >= {"veganfood", "vegan", "food"}


def test_diversified_ranking_discounts_tags_implied_by_those_above(model):
    import copy

    plain = copy.copy(model)
    plain.diversity = 0.0
    post = Post(hashtags=("sea",))
    before, after = plain.suggest(post, k=8), model.suggest(post, k=8)
    assert before[0].tag == after[0].tag  # the first tag never changes
    assert [s.score for s in after] == sorted((s.score for s in after), reverse=True)
    assert [s.tag for s in before] != [s.tag for s in after]
    # every discount is the product of 1 - 0.5 * P(placed | tag) over the tags placed above it
    scores = {s.tag: s.score for s in plain.suggest(post, k=30)}
    cooc = model.source("cooccurrence").cooc_
    for i, s in enumerate(after):
        given = dict(zip(*(lambda nb, p: ([cooc.vocab_[j] for j in nb], p))(*cooc.neighbors(s.tag))))
        want = scores[s.tag]
        for above in after[:i]:
            want *= 1 - 0.5 * min(1.0, float(given.get(above.tag, 0.0)))
        assert s.score == pytest.approx(want, rel=1e-5), s.tag
    ranked = [("a", 1.0), ("b", 0.9), ("c", 0.5)]
    assert diversify(ranked, 2, cooc, model.diversity) == ranked[:2]  # tags outside the statistics are not discounted


def test_caption_hashtags_count_as_existing_tags(model):
    got = model.suggest(Post(text="lovely sunset over the sea #beach"), k=10)
    tags = [s.tag for s in got]
    assert "beach" not in tags
    assert "sunset" in tags[:5]
    assert got == sorted(got, key=lambda s: -s.score)


def test_caption_alone_gives_caption_tags_with_reasons(model):
    got = model.suggest(Post(text="lovely sunset over the sea"), k=10)
    assert "sunset" in [s.tag for s in got][:5]
    assert {s.source for s in got} & {"caption", "words", "mentions", "about"}
    post = Post(text="lovely sunset")
    mentions = model.source("mentions").evidence(post, post_features([post], images=False, text=False)[0])
    assert mentions["sunset"][1] == "caption mentions: sunset"


def test_caption_spelling_reads_words_no_training_caption_had(model):
    # "vapeadoras" is in no training caption (nor in the n-gram model's words): its letters carry it
    assert "vapeadoras" not in model.source("ngrams").ngrams_.words
    ev, _, _ = model.evidence(post_features([Post(text="look at my new vapeadoras today")])[0])
    without, _, _ = model.evidence(post_features([Post(text="look at my new today")])[0])
    top = sorted(ev["ngrams"].items(), key=lambda kv: -kv[1][0])[:5]
    for tag, (p, _) in top[:3]:  # the unseen word makes vaping tags likelier than the same caption without it
        assert tag.startswith("vap") and p > 1.5 * without["ngrams"].get(tag, (0.0, ""))[0], (tag, p)
    assert all(reason == f"the caption's wording suggests #{tag}" for tag, (_, reason) in top)
    news, _, _ = model.evidence(Post(text="The senate votes on the budget bill today"))  # unlike a photo caption
    assert max((p for p, _ in news.get("ngrams", {}).values()), default=0.0) < top[0][1][0] / 2


def test_photo_gets_image_tags_with_readable_reasons(model, food_images):
    got = model.suggest(Post(images=tuple(food_images[:1])), k=10)
    assert "food" in [s.tag for s in got]
    assert {s.source for s in got} <= {"image", "image_protos", "image_tags", "conse", "prior"}
    assert all(s.reason for s in got)


def test_batch_equals_single(model, food_images):
    posts = [Post(images=tuple(food_images[:1]), text="dinner with friends"), Post(hashtags=("travel",)),
             Post(text="vote today", hashtags=("maga",))]
    batch = model.suggest_batch(posts, k=5)
    for post, got in zip(posts, batch, strict=True):
        assert [s.tag for s in got] == [s.tag for s in model.suggest(post, k=5)]


def test_a_post_whose_photo_is_encoded_meanwhile_gets_the_same_ranking(model, food_images):
    """``suggest`` runs the caption's sources while the photo is decoded and encoded (``PendingFeatures``): the
    evidence, gains and ranking are those of the post's features computed first, bit for bit."""
    from taglens.features import PendingFeatures, pending_post_features

    post = Post(images=tuple(food_images[2:3]), text="sunday brunch with friends", hashtags=("food",))
    first = post_features([post], frames=True)[0]
    for _ in range(2):  # the first call learns which sources read the photo, the second asks the others first
        pending = pending_post_features(post)
        assert isinstance(pending, PendingFeatures)
        assert (pending.text, pending.tags, pending.exclude) == (first.text, first.tags, first.exclude)
        assert np.array_equal(pending.text_emb, first.text_emb)
        assert all(np.array_equal(pending.images[k], first.images[k]) for k in ("pooled", "logits"))
        ev, gains, exclude = model.evidence(pending)
        ev0, gains0, exclude0 = model.evidence(first)
        assert list(ev) == list(ev0) and ev == ev0 and gains == gains0 and exclude == exclude0
    assert {"image", "image_protos", "conse"} <= model._image_sources
    assert not {"caption", "about", "prior"} & model._image_sources
    assert model.suggest(post, k=10) == model.fuse(ev0, gains0, exclude0, 10)


def test_batched_gains_equal_one_post_at_a_time(model, food_images):
    """``suggest_batch`` reads the image head's probabilities of each post from the batch for the image sources'
    gains (familiarity), as ``suggest`` computes them one post at a time."""
    posts = [Post(images=tuple(food_images[i:i + 1]), text="lunch") for i in range(3)]
    features = post_features(posts, frames=True)
    model.source("image").evidence_batch(posts, features)
    batched = [model.gains(f) for f in features]
    model.source("image").evidence_batch([], [])  # forgets the batch
    for f, got in zip(features, batched):
        alone = model.gains(f)
        assert got.keys() == alone.keys()
        assert all(got[s] == pytest.approx(alone[s], rel=1e-5, abs=1e-7) for s in got)


def test_unreadable_image_raises_input_error(model, tmp_path):
    from taglens.exceptions import InputError

    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(InputError):
        model.suggest(Post(images=(bad,)))
    with pytest.raises(InputError):  # also where the photo is decoded while the caption's sources run
        model.suggest(Post(images=(bad,), text="a caption to read meanwhile"))


def test_caption_terms():
    assert caption_terms("The Golden Gate at sunset!") == ["golden", "goldengate", "gate", "sunset"]


def test_fit_on_synthetic_posts_and_round_trip(food_images, tmp_path):
    posts = [Post(images=(im,), hashtags=("food", "yum") if i % 2 else ("food", "dinner"),
                  text="dinner time" if i % 2 == 0 else "so yum", meta={"source": "a"})
             for i, im in enumerate(food_images[:6])]
    posts += [Post(hashtags=("dog", "puppy"), meta={"source": "b"})] * 3
    model = create_suggester("taglens-base", min_count=2, image_epochs=3, text_epochs=3, image_hidden=16,
                             text_hidden=16)
    assert model.fit(posts) is model
    assert set(model.vocab_) == {"food", "yum", "dinner", "dog", "puppy"}
    model.save(tmp_path / "m")
    loaded = load_suggester(tmp_path / "m")
    post = Post(images=(food_images[0],), text="dinner", hashtags=("dog",))
    assert [s.tag for s in loaded.suggest(post, k=3)] == [s.tag for s in model.suggest(post, k=3)]
    assert np.isclose(loaded.suggest(post, k=1)[0].score, model.suggest(post, k=1)[0].score, rtol=1e-2)


@pytest.mark.data
def test_val_side_of_harrison_beats_popularity(shared_data):
    from taglens.data.posts import read_records
    from taglens.data.splits import split_records
    from taglens.eval.protocol import evaluate

    _, val = split_records(read_records(shared_data / "harrison" / "posts.jsonl"))
    res = evaluate(val[:1500], load_suggester("taglens-base"), inputs={"tags"}, reveal=1)
    assert res["P@1"] > 0.2 and res["A@5"] > 0.45


def test_image_weights_follow_the_caption_gain():
    """A photo alone leans on the image prototypes; with a full caption the '+caption' weights apply."""
    fuser = TaglensBase(weights={"image": 1.0, "image_protos": 3.0, "image+caption": 1.0,
                                      "image_protos+caption": 0.1, "caption": 0.0})
    evidence = {"image": {"beach": (0.5, "photos like this one are tagged #beach")},
                "image_protos": {"sunset": (0.4, "similar photos are tagged #sunset")}}
    alone = fuser.fuse(evidence, {"caption": 0.0}, set(), k=2)
    captioned = fuser.fuse(evidence, {"caption": 1.0}, set(), k=2)
    half = fuser.fuse(evidence, {"caption": 0.5}, set(), k=2)
    assert [s.tag for s in alone] == ["sunset", "beach"] and alone[0].score == pytest.approx(1.2)
    assert [s.tag for s in captioned] == ["beach", "sunset"] and captioned[1].score == pytest.approx(0.04)
    assert dict((s.tag, s.score) for s in half)["sunset"] == pytest.approx(0.4 * (0.5 * 3.0 + 0.5 * 0.1))


def test_head_target_weights_and_centering():
    """Target mass shared unevenly (the collection topic first) moves the softmax head's first choice."""
    from taglens.suggesters.taglens_base.heads import mlp_forward
    from taglens.training import train_head

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype(np.float32) + 3.0
    targets = [np.array([0, 1])] * 64
    even = train_head(x, targets, 3, hidden=16, epochs=150, loss="softmax", lr=1e-2, center=True)
    boosted = train_head(x, targets, 3, hidden=16, epochs=150, loss="softmax", lr=1e-2, center=True,
                         target_weights=[np.array([3.0, 1.0])] * 64)
    assert "center" in even and even["center"].shape == (8,)
    p_even = mlp_forward(x, {k: v.astype(np.float32) for k, v in even.items()}, "softmax").mean(0)
    p_boost = mlp_forward(x, {k: v.astype(np.float32) for k, v in boosted.items()}, "softmax").mean(0)
    assert abs(p_even[0] - p_even[1]) < 0.1 and p_even[2] < 0.05
    assert p_boost[0] > 0.6 and p_boost[1] < 0.4


def test_heads_train_on_the_training_threads(monkeypatch, optimizer_threads):
    """A head trains by the one training loop, on training_threads() however many threads the caller (or the
    encoders, on a busy machine) left torch with, so a build gives the same weights on an idle and on a busy
    machine; the caller's count is restored."""
    import torch

    from taglens import training

    monkeypatch.delenv("TAGLENS_THREADS", raising=False)
    before = torch.get_num_threads()
    x = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    heads = []
    try:
        for n in (1, 3):
            torch.set_num_threads(n)
            heads.append(training.train_head(x, [np.array([0])] * 32, 2, hidden=4, epochs=1))
            assert torch.get_num_threads() == n
    finally:
        torch.set_num_threads(before)
    assert optimizer_threads and set(optimizer_threads) == {training.training_threads()}
    assert all(np.array_equal(heads[0][k], heads[1][k]) for k in heads[0])


def test_cooccurrence_learns_from_hashtag_lists_not_stock_keywords():
    posts = [Post(hashtags=("food", "closeup", "delicious"), meta={"source": "pexels_food"})] * 4
    posts += [Post(hashtags=("food", "dinner"), meta={"source": "a"})] * 3
    model = create_suggester("taglens-base", min_count=2, text_epochs=1, text_hidden=8).fit(posts)
    assert set(model.vocab_) == {"food", "closeup", "delicious", "dinner"}  # the heads still learn the keywords
    assert set(model.source("cooccurrence").cooc_.evidence(Post(hashtags=("food",)))) == {"dinner"}
    everything = create_suggester("taglens-base", min_count=2, text_epochs=1, text_hidden=8, keyword_sources=())
    assert "closeup" in everything.fit(posts).source("cooccurrence").cooc_.evidence(Post(hashtags=("food",)))


def test_emoji_are_caption_words():
    from taglens.suggesters.taglens_base.sources.caption_words import CaptionWordStats
    from taglens.suggesters.taglens_base.wording import caption_words

    assert caption_words("Cloudy 💨 day @shop_name 🇸🇪 💨") == ["cloudy", "day", "💨", "🇸🇪"]
    stats = CaptionWordStats(smoothing=0.0).fit(["new coil 💨", "dinner 🍕", "more 💨 today", "pizza 🍕 night"],
                                                [np.array([0]), np.array([1]), np.array([0]), np.array([1])],
                                                n_tags=2)
    got = stats.scores("🍕")
    assert set(got) == {1} and got[1][1] == "🍕" and got[1][2] == pytest.approx(1.0)
    # a caption of emoji alone is evidence for the sources that read emoji, not for the sentence encoder's
    gains = TaglensBase().gains(post_features([Post(text="💨💨🔥")], images=False, text=False)[0])
    assert gains["words"] > 0 and gains["ngrams"] == gains["words"] and gains["caption"] == 0.0


def test_a_new_evidence_source_is_one_class_listed_once(monkeypatch, tmp_path):
    """An evidence source written and listed here, in the test, and nowhere else: it learns, gives evidence with its
    own reason, takes part in fusion with its default weight (and a tuned weight overrides it), and its state is
    saved and loaded with the model."""
    from taglens.suggesters.taglens_base import Source, sources

    class Questions(Source):
        """A caption that asks something: the tag most used on training posts whose caption asks something."""

        name = "questions"
        weight = 5.0

        def fit(self, data):
            asked = Counter(t for p in data.posts if "?" in p.text for t in p.hashtags)
            self.tag_ = asked.most_common(1)[0][0] if asked else None

        def evidence(self, post, features):
            return {self.tag_: (1.0, "the caption asks a question")} if self.tag_ and "?" in features.text else {}

        def gain(self, post, features):
            return 1.0 if "?" in features.text else 0.0

        def save(self, state):
            (state.directory / "questions.json").write_text(json.dumps({"tag": self.tag_}), encoding="utf-8")

        def load(self, state):
            self.tag_ = json.loads((state.directory / "questions.json").read_text(encoding="utf-8"))["tag"]

    monkeypatch.setattr(sources, "SOURCES", [*sources.SOURCES, Questions])  # the one line
    posts = [Post(text="is it ready yet?", hashtags=("curious", "food"))] * 3
    posts += [Post(text="dinner at home", hashtags=("food", "dinner"))] * 3
    model = create_suggester("taglens-base", min_count=2, text_epochs=1, text_hidden=8).fit(posts)
    assert model.default_weights()["questions"] == 5.0
    post = Post(text="what is this thing?")
    got = model.suggest(post, k=3)
    assert (got[0].tag, got[0].source, got[0].reason) == ("curious", "questions", "the caption asks a question")
    ev, gains, _ = model.evidence(post)
    assert ev["questions"] == {"curious": (1.0, "the caption asks a question")} and gains["questions"] == 1.0
    assert "questions" not in model.evidence(Post(text="dinner at home"))[0]
    muted = create_suggester("taglens-base", weights={"questions": 0.0})
    assert all(s.source != "questions" for s in muted.fuse(ev, gains, set(), k=3))
    model.save(tmp_path / "m")
    assert "questions.json" in json.loads((tmp_path / "m" / "config.json").read_text())["files"]
    loaded = load_suggester(tmp_path / "m")
    assert loaded.source("questions").tag_ == "curious"
    assert [(s.tag, s.source) for s in loaded.suggest(post, k=3)] == [(s.tag, s.source) for s in got]
    monkeypatch.undo()  # listed no more: a model created now has no such source
    assert "questions" not in {s.name for s in create_suggester("taglens-base").sources}


def test_batched_sources_equal_one_post_at_a_time(model, food_images):
    """The sources run once over a whole batch (the heads, ``about``) give each post the evidence it gets alone,
    posts without the vector they read included."""
    from taglens.features import post_features

    posts = [Post(images=tuple(food_images[:1]), text="dinner with friends"), Post(hashtags=("travel",)),
             Post(text="a walk by the sea at sunset"), Post(images=tuple(food_images[1:2]))]
    features = post_features(posts, frames=True)
    batched = [s for s in model.sources if hasattr(s, "evidence_batch")]
    assert {s.name for s in batched} >= {"image", "caption", "about"}
    for source in batched:
        for post, f, got in zip(posts, features, source.evidence_batch(posts, features), strict=True):
            alone = source.evidence(post, f)
            assert got.keys() == alone.keys(), source.name
            assert all(got[t][1] == alone[t][1] and got[t][0] == pytest.approx(alone[t][0], abs=1e-6)
                       for t in got), source.name
