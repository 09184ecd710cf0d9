"""The caption spelling model of taglens-base: character n-grams and words, one logistic regression per tag."""
import numpy as np
import pytest

from taglens.exceptions import ModelError
from taglens.suggesters.ngrams import CaptionNgrams, char_wb_ngrams, word_tokens

VAPE, FOOD = 0, 1
CAPTIONS = [  # photo captions in three languages; the vaping words share letters, not whole words
    ("nuevo sabor para vapear hoy", VAPE), ("vaping all day with this mod", VAPE), ("mi vapeo favorito", VAPE),
    ("best vaper setup", VAPE), ("svapo italiano, ottimo", VAPE), ("vapes and coils in stock", VAPE),
    ("pasta al pomodoro", FOOD), ("dinner: fresh pasta", FOOD), ("pizza night with friends", FOOD),
    ("homemade pizza dough", FOOD), ("una pasta riquísima", FOOD), ("pizza margherita for lunch", FOOD),
]
NEGATIVES = ["stock markets fell on tuesday", "election results tonight", "the senate votes on the bill",
             "weather warning for the coast"] * 3


@pytest.fixture(scope="module")
def model():
    texts = [t for t, _ in CAPTIONS]
    tags = [np.array([j]) for _, j in CAPTIONS]
    return CaptionNgrams(min_posts=3).fit(texts, tags, n_tags=3, negatives=NEGATIVES)


def test_unseen_words_are_read_by_their_letters(model):
    # neither word is in any training caption: only their letter sequences are
    assert "vapeadores" not in model.words and "pizzeria" not in model.words
    vape = model.scores("los vapeadores")
    food = model.scores("la pizzeria")
    assert vape[VAPE] > 0.5 > 0.1 > vape[FOOD]
    assert food[FOOD] > 2 * food[VAPE]


def test_only_tags_with_enough_captions_get_a_classifier(model):
    assert sorted(model.tags.tolist()) == [VAPE, FOOD]  # tag 2 has no caption
    assert CaptionNgrams(min_posts=7).fit([t for t, _ in CAPTIONS], [np.array([j]) for _, j in CAPTIONS], 3) is None


def test_a_caption_unlike_any_photo_caption_gets_low_probabilities(model):
    assert max(model.scores("the senate votes on the election").values()) < 0.3
    assert model.scores("") == {} and model.scores("1234 !!!") == {}


def test_the_vocabulary_is_what_the_kept_weights_read():
    texts, tags = [t for t, _ in CAPTIONS], [np.array([j]) for _, j in CAPTIONS]
    full = CaptionNgrams(min_posts=3).fit(texts, tags, 2)
    small = CaptionNgrams(min_posts=3, keep=20).fit(texts, tags, 2)
    assert np.diff(small.indptr).tolist() == [20, 20]
    # refitted over the features the first fit's 2 x 20 kept weights use, a subset of the full vocabulary
    assert len(small.chars) + len(small.words) <= 40
    assert set(small.chars) <= set(full.chars) and set(small.words) <= set(full.words)
    assert len(np.unique(small.indices)) > 0.8 * (len(small.chars) + len(small.words))
    for tag, (yes, no) in {VAPE: (texts[0], texts[7]), FOOD: (texts[7], texts[0])}.items():
        assert small.scores(yes)[tag] > 0.5 > small.scores(no)[tag]  # 20 weights a tag still tell them apart
    with pytest.raises(ValueError, match="keep"):
        CaptionNgrams(keep=0)


ODD_TEXTS = ("Nuevo sabor para VAPEAR hoy, vapear!", "pizza pizza", "İstanbul ß ﬁne café", "", "😀 1234",
             "@pasta_shop www.pasta.example pasta 3.5ml bit.ly/xyz", "a b  c\t\td\n\ne", "x", " ", "ΑΘΗΝΑ τα-λε",
             "don't stop_me now, it's 5pm", "カフェ ラテ", "مقهى جميل", "co\u0301mo e\u0301s\u200bto")


def test_the_analyzers_are_sklearns(model):
    # suggesting reads n-grams and words without sklearn: the same lists, in the same order
    chars, words = model._counters((model.chars, model.words))
    for text in ODD_TEXTS + tuple(t for t, _ in CAPTIONS) + tuple(NEGATIVES):
        assert char_wb_ngrams(text, 2, 5) == chars.build_analyzer()(text), text
        assert word_tokens(text) == words.build_analyzer()(text), text


def test_a_caption_has_the_features_it_had_in_training(model):
    # scoring builds a caption's features without sklearn's transform; they must equal the training path's
    for text in ODD_TEXTS:
        counters = model._counters((model.chars, model.words))
        expected = model._weigh([c.transform([text]) for c in counters]).toarray()[0]
        got = np.zeros_like(expected)
        cols, vals = model.features(text)
        got[cols] = vals
        assert np.abs(got - expected).max() < 1e-6, text


def test_scores_are_the_sparse_product(model):
    # scores sums each feature's weights with numpy, in float32 in scipy's order: the same bits as its product
    import scipy.sparse as sp

    matrix = sp.csr_matrix((model.values, model.indices, model.indptr),
                           shape=(len(model.tags), len(model.chars) + len(model.words)))
    for text in ODD_TEXTS + ("vapeo pasta pizza", "los vapeadores"):
        cols, vals = model.features(text)
        if not len(cols):
            continue
        x = sp.csr_matrix((vals, (np.zeros(len(cols), np.int64), cols)), shape=(1, matrix.shape[1]))
        logits = np.asarray((x @ matrix.T.tocsr()).todense()).ravel() + model.bias
        expected = 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
        got = model.scores(text)
        assert list(got) == model.tags.tolist()
        assert np.array_equal(np.array(list(got.values()), np.float32), expected.astype(np.float32)), text


def test_refit_replaces_cached_lookups():
    ng = CaptionNgrams(min_posts=3)
    ng.fit([t for t, _ in CAPTIONS], [np.array([j]) for _, j in CAPTIONS], 3, negatives=NEGATIVES)
    ng.scores("pasta")
    ng.fit([t for t, _ in CAPTIONS[:6]] + ["pasta"] * 3, [np.array([0])] * 6 + [np.array([1])] * 3, 2)
    assert set(ng.scores("pasta")) == {0, 1}


def test_round_trip_gives_the_same_scores(model, tmp_path):
    arrays = model.arrays()
    model.save_vocabulary(tmp_path)
    loaded = CaptionNgrams.load(tmp_path, arrays, n_tags=3)
    for text in ("los vapeadores", "pizza", "vapor and pasta"):
        a, b = model.scores(text), loaded.scores(text)
        assert a.keys() == b.keys() and all(abs(a[k] - b[k]) < 1e-3 for k in a)
    assert CaptionNgrams.load(tmp_path, {}, n_tags=3) is None  # a model saved before the n-grams existed


def test_mismatched_or_unreadable_files_are_model_errors(model, tmp_path):
    model.save_vocabulary(tmp_path)
    with pytest.raises(ModelError, match="do not match"):
        CaptionNgrams.load(tmp_path, model.arrays(), n_tags=1)  # a tag id beyond the vocabulary
    good = model.arrays()
    broken = [{"ngrams.bias": np.zeros(1, np.float32)},
              {"ngrams.values": good["ngrams.values"][:-5]},
              {"ngrams.indptr": np.array([0, 5, 7])},  # ends before the weights do
              {"ngrams.indptr": good["ngrams.indptr"][::-1].copy()},
              {"ngrams.tags": np.array([-1, 1], np.int32)},
              {"ngrams.tags": good["ngrams.tags"].astype(np.float32)},
              {"ngrams.indices": good["ngrams.indices"] + 10 ** 6}]
    for change in broken:
        with pytest.raises(ModelError, match="do not match"):
            CaptionNgrams.load(tmp_path, {**good, **change}, n_tags=3)
    partial = {k: v for k, v in model.arrays().items() if k != "ngrams.bias"}
    with pytest.raises(ModelError, match="incomplete"):
        CaptionNgrams.load(tmp_path, partial, n_tags=3)
    (tmp_path / "ngrams.json").write_text("{not json")
    with pytest.raises(ModelError, match="unreadable caption n-gram vocabulary"):
        CaptionNgrams.load(tmp_path, model.arrays(), n_tags=3)


def test_handles_and_addresses_are_never_words():
    texts = [t for t, _ in CAPTIONS] + [f"thanks @zzq_shop for the coils, see zzqstore.com/deal{i} {c}"
                                        for i, c in enumerate(["x.zzq01@mail.com", "www.zzq.example", "@zzqvapes",
                                                               "t.co/dealcode"])]
    tags = [np.array([j]) for _, j in CAPTIONS] + [np.array([VAPE])] * 4
    ng = CaptionNgrams(min_posts=3, keep=10_000).fit(texts, tags, 2)
    assert not [w for w in ng.words if "zzq" in w or "deal" in w or "mail" in w]
    assert "coils" in ng.words and "thanks" in ng.words
    assert "zzq" in ng.chars  # a handle's letters still count as n-grams (a shop's name)


def test_caption_words_leave_out_handles_and_addresses():
    from taglens.suggesters.taglens_base.wording import caption_words

    text = ("Morning at the shop with @adriana_artuso and @john.smith! vape4life, details at "
            "instagram.com/almeida0106, t.co/hw0zqdhbvb, www.zzq.example or x.al0106@gmail.com. Größe café")
    assert caption_words(text) == ["morning", "shop", "vape4life", "details", "größe", "café"]


@pytest.mark.parametrize("text, kept", [
    ("and/or e.g. 3.5ml U.S. km/h don't", "and/or e.g. 3.5ml U.S. km/h don't"),
    ("Awww. so cute", "Awww. so cute"), ("great day.love/peace", "great day.love/peace"),
    ("Love it.To the beach", "Love it.To the beach"), ("hola es.de la casa", "hola es.de la casa"),
    ("visit zzqstore.com today", "visit today"), ("(https://t.co/abc) ok", "( ok"),
    ("shop at tokopedia.co.id/shop now", "shop at now"), ("ig: @john.smith.", "ig:"),
])
def test_plain_wording_removes_addresses_and_handles_only(text, kept):
    from taglens.suggesters.text import plain_wording

    assert " ".join(plain_wording(text).split()) == kept


def test_plain_wording_can_mark_where_it_cut():
    """The segmenter's LM counts word pairs, so its build replaces a handle with a sentence break, not a space."""
    from taglens.suggesters.text import plain_wording

    assert plain_wording("thanks @john.smith for https://t.co/x the coils", sep=" . ").split() == \
        ["thanks", ".", "for", ".", "the", "coils"]
