"""A topic-specific tag needs evidence of its topic (issue 20).

taglens-base learned whole topics from single corpora: the vape shops' tags (#vape #vapeporn #ejuice, brand and
shop tags) and the 2016-17 tweets' US-politics tags (#maga #trump). Its heads put them on any post that looks a
little like their training posts (a Spanish cat caption, a football tweet, a photo of a flower). A tag of such a
topic (:func:`topic_tags`: a tag used in 3+ posts of a one-topic corpus with 80%+ of its uses there, or a tag of
the packaged politics list ``resources/topic_politics.txt``) keeps its evidence only as far as the post shows the
topic itself (:func:`topic_strength`, in [0, 1]):

* the post's own tags or the author's habitual tags include a tag of the topic, or the caption spells one (a word,
  or a joined pair: "vape", "Trump") -> 1;
* the caption's words: the largest P(topic tag | word) of its words that enough training captions used (the
  ``words`` statistics: "hillary", "debate" for politics; "sabor", "resistencia" for vape on a Spanish caption),
  read in the language each word was learned in (``language_gate.word_fits``);
* the caption's meaning: the MiniLM similarity of the caption to the topic's tags, read only as far as the
  caption is in a language the model learned (``language_gate``) and, under a photo, as far as the photo looks like
  the topic's photos (``topic_probe``: "Morning walk by the sea" is a little like the vape tags to MiniLM; under a
  street photo that is no evidence of vape);
* the photo: the image head's probability mass on the topic's tags (a photo of a vape mod), as far as the photo
  looks like the topic's photos (``topic_probe``: the head puts as much mass on vape tags on a shopfront as on a
  vape shop's photo);
* for politics, the caption head's probability mass on the topic's tags (a tweet about "illegal aliens at the
  border": no single word says politics plainly, the head trained on such tweets does).

For a one-topic corpus's topic (vape), the meaning, the photo and the caption head count for nothing where the
author's own tags place the post elsewhere (``author_elsewhere``: each is a tag of 3+ training posts with at most
10% of its uses in the topic's corpus): an astronaut's portrait tagged #nasa that the photo probe finds vape-like
is not a vape post; the caption's words still count.

For politics, all but the post's own words are then read only as far as the politics probe (a logistic regression
on the caption's MiniLM embedding, ``PROBE_FILE``) reads the caption as political: a word or the head firing on an
everyday caption ("congratulations to mr ernest walls") is no evidence.

Politics also has learned tags (``resources/topic_politics_learned.txt``, scripts/build_topic_tags.py: the tags of
TweetEval's hate and offensive tweets, #walkaway #antifa #nodaca #immigration): they are gated and count as the
topic's tags for the words and the caption head, not for the meaning (MiniLM finds #tuesdaythoughts close to many
captions) nor as a word of the caption ("immigration" alone does not make a post political).

``gate`` multiplies every source's score of a topic tag by the topic's strength, except a tag the post spells
itself (``spelled``: a caption that says "immigration" keeps #immigration).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..tags import Evidence
from . import topic_probe
from .language_gate import LEARNED_LANGUAGES, caption_language, language_gate, word_fits

if TYPE_CHECKING:
    from ...features import PostFeatures
    from .model import TaglensBase

POLITICS_LIST = Path(__file__).resolve().parents[2] / "resources" / "topic_politics.txt"
# the politics tags learned from the tweets (scripts/build_topic_tags.py: #walkaway #antifa #immigration #nodaca):
# gated like the listed ones, and evidence of the topic through the caption's words, but not through the caption's
# meaning (MiniLM finds #tuesdaythoughts or #metoo close to any caption) nor by being a word of the caption (a
# caption that says "immigration" shows the topic only as far as its words do; it keeps #immigration itself)
POLITICS_LEARNED = POLITICS_LIST.with_name("topic_politics_learned.txt")
TOPIC_CORPORA = ("vape",)  # corpora of one topic (the others are general: Instagram topics, tag lists, tweets)
MIN_TOPIC_POSTS = 3
MIN_TOPIC_SHARE = 0.8
ELSEWHERE_SHARE = 0.1  # an author's tag with at most this share of its uses in the topic's corpus: elsewhere
# caption similarity to the topic's tags: none below SIM_LOW, full at SIM_FULL (MiniLM cosine)
SIM_LOW, SIM_FULL = 0.35, 0.6  # (0.25, 0.45 let 17% of the lifestyle tweets' top 5 hold #maga or #vape: 3%)
# a caption without a photo shows a one-topic corpus's topic by its meaning only through the topic's tags that name
# it (``naming_rows``): the corpus's concentrated tags include its shops' everyday words (#tasteful #photoproduct
# #macromonday #celular #hashtagr), and "DELICIOUSNESS!", "Photo booth fabulousness" or "Downplaying social media but
# using a hashtag?" are like those, not like vaping (each got vape tags in the tweets' val top 5). A tag names the
# topic where its MiniLM embedding is NAMING_MIN like the topic's own tag's (to #vape: #juul 0.45, #ejuice 0.38 (0.379),
# #photoproduct 0.35, #celular 0.34, #tasteful 0.28); under a photo the photo probe checks the meaning instead
NAMING_MIN = 0.37
# the image head's probability mass on the topic's tags that counts as full evidence (0.3: the vape set's val P@1
# 0.598, 0.15: 0.603, 0.12: 0.615, against 0.620 without the gate)
IMAGE_FULL = 0.12
# caption words as evidence of a topic: only words in WORDS_MIN_MENTIONS+ training captions (a rate from a few
# captions is no evidence: "gato" in two vape shops' captions), none below WORDS_LOW, full at WORDS_FULL
WORDS_MIN_MENTIONS = 10
# (0.2-0.5: tweets val P@1 0.092, lifestyle leakage 0.048; 0.3-0.6: 0.091, 0.028; 0.1-0.3: 0.099, 0.24)
WORDS_LOW, WORDS_FULL = 0.3, 0.6  # (the chance that any word with a rate of 0.2+ says it, 1 - prod(1 - rate), instead
# of the largest rate: tweets +0.0008, lifestyle leakage +0.005)
# a topic shown less plainly than this is not shown at all: on the multilingual tweets, 0.2 takes the share with a
# vape or politics tag in the top 5 from 0.045 to 0.015 (the vape and tweets val figures unchanged); the caption
# head's mass on the topic's tags as evidence (like the image head's) was tried and left out: at 0.3-0.6 it took
# the tweets' val P@1 from 0.091 to 0.097 and the lifestyle tweets' leakage from 0.025 to 0.068
MIN_STRENGTH = 0.2
# politics shown at SHOWN_FULL or more (more likely than not) is shown: its tags keep their full evidence. Its
# strength is the product of two readings (a signal - the words, the caption head - times the politics probe's
# agreement, PROBE_LOW-PROBE_FULL), so a caption both find political ("Please visit today to honor the thousands of
# victims killed by illegal aliens!", 0.58) had its tags halved again by the gate. Under SHOWN_FULL the strength
# scales as before (a linear ramp to full at 0.5 put #maga in the top 5 of three lifestyle tweets at 0.23-0.43:
# "african americans another"). Re-fused on the tweets' val side: +6/+3 posts, all hate+offensive; the lifestyle and
# multilingual tweets at 0.5+ already had their politics tags in the top 5. Not for vape, whose strength is a single
# reading (and whose sets have no slack to measure a change against)
SHOWN_FULL = {"politics": 0.5}
# the caption head's probability mass on the topic's tags as evidence of politics (read as far as the caption is in a
# language the head learned), none below HEAD_LOW, full at HEAD_FULL: on the val side the head puts 0.6+ on the
# politics tags for 52% of the tweets that carry one, 4% of the other tweets, 2.7% of the lifestyle tweets; with the
# learned politics tags, tweets P@1/A@5 0.0904/0.1864 -> 0.0916/0.1880 (0.4-0.7: 0.0936, but lifestyle leakage x2)
HEAD_SOURCE, HEAD_TOPICS = "caption", ("politics",)
HEAD_LOW, HEAD_FULL = 0.6, 0.9
# the politics probe (``resources/topic_politics_probe.npz``, scripts/build_politics_probe.py): a logistic regression
# on the caption's MiniLM embedding, political tweets against the other tweets and everyday tweets in eight languages
# (train sides). A caption it does not read as politics is no evidence of politics whatever its words or the caption
# head say (a word or the head firing on "congratulations to mr ernest walls" gave #buildthatwall): the strength the
# caption's other signals give is scaled by the probe's balanced probability, 0 below PROBE_LOW, 1 from PROBE_FULL,
# as far as the caption is in a language the model learned (``language_gate``). Measured by re-fusing the evidence of
# every post offline: tweets val 0.1018/0.1960 -> 0.1012/0.1948, lifestyle leakage 0.020 -> 0.018, mixed 0.034 ->
# 0.032 (0.2-0.5: 0.1017/0.1956 and the same leakage, but "The wall of our new house is finally painted", at 0.50,
# kept #buildthatwall first). As evidence that opens the gate
# (strength from the probe alone) it was tried and left out: every setting that moved the tweets (0.7-0.9: val
# 0.1014/0.1943 -> 0.1080/0.2054) let political tweets of the lifestyle set get #maga (leakage 0.020 -> 0.055;
# 0.9-0.99: 0.1036/0.1985 at 0.030); docs/EVERYDAY.md
PROBE_FILE = POLITICS_LIST.with_name("topic_politics_probe.npz")
PROBE_TOPIC = "politics"
PROBE_LOW, PROBE_FULL = 0.4, 0.8
# a listed politics tag the caption spells as a word (not one of the post's or the author's tags) shows politics only as
# far as the politics probe reads the caption as political, like the other signals: "Couldn't resist this chocolate
# cake" (probe 0.08) spelled #resist and gave the post full politics strength, "I could not resist the sale at the
# mall" got #maga, "aikido instead of krav maga" #maga first, "my uncle Bernie" #feelthebern. Where the probe leaves
# the topic under MIN_STRENGTH, the spelled listed tag itself is gated too (the learned tags a caption spells,
# #immigration for "immigration", keep their exemption)
SPELLED_READ = True
# a one-topic corpus's tag the caption spells as a word shows the topic only if it names it (``naming_tags``: #vape
# #juul #cigarro #tobacco), not where it is one of the shops' everyday words (#regalos #diseño #joyas #celular
# #ventas #bisexual #trimmed: "Regalos de navidad para mi familia" got #vapeadores #vape #vapeo first, "Me encanta mi
# nuevo celular" #vaper second); such a word counts through its rate and the caption's meaning like any other word.
# The post's or the author's own tags still count in full, and so does a word under a photo (as for the meaning, the
# photo decides there: a shop's photo of a shopping cart or a cup under "pod system" captions lost its vape tags, two
# vape val posts)
SPELLED_NAMES = True
TOPIC_SOURCES = ("user",)  # sources whose tags are themselves evidence of the topic (the author's habits)


@lru_cache(maxsize=1)
def topic_tags() -> dict[str, frozenset[str]]:
    """{topic: its tags}: each one-topic corpus's concentrated tags, and the politics list."""
    from ...blocklist import read_tag_list
    from ...knowledge.vocabulary import get_vocabulary

    vocab = get_vocabulary()
    out: dict[str, set[str]] = {topic: set() for topic in TOPIC_CORPORA}
    for tag in vocab.tags():
        counts = vocab.tag_counts(tag)
        for topic in TOPIC_CORPORA:
            n = counts.get(topic, 0)
            if n >= MIN_TOPIC_POSTS and n >= MIN_TOPIC_SHARE * vocab.tag_count(tag):
                out[topic].add(tag)
    out["politics"] = set(read_tag_list(POLITICS_LIST)) | set(read_tag_list(POLITICS_LEARNED))
    return {topic: frozenset(tags) for topic, tags in out.items()}


@lru_cache(maxsize=1)
def plain_topic_tags() -> dict[str, frozenset[str]]:
    """{topic: the tags that name it plainly}: ``topic_tags`` without the learned politics tags (they are evidence
    of the topic only through the caption's words)."""
    from ...blocklist import read_tag_list

    learned = read_tag_list(POLITICS_LEARNED)
    return {topic: tags - learned for topic, tags in topic_tags().items()}


@lru_cache(maxsize=1)
def topic_of() -> dict[str, str]:
    """{tag: its topic} over all topics."""
    return {tag: topic for topic, tags in topic_tags().items() for tag in tags}


def topic_rows(model: "TaglensBase", plain: bool = False) -> dict[str, np.ndarray]:
    """{topic: the model's vocabulary rows of its tags (``plain``: of ``plain_topic_tags``)}, once per vocabulary
    (the topic gate, the image head's topic check and the caption words' unthinned tags all read them)."""
    key = "_plain_topic_rows" if plain else "_topic_rows"
    cached = model.__dict__.get(key)
    if cached is None or cached[0] is not model.vocab_:
        index = model.index_
        cached = (model.vocab_, {topic: np.array(sorted(index[t] for t in tags if t in index), np.int64)
                                 for topic, tags in (plain_topic_tags() if plain else topic_tags()).items()})
        setattr(model, key, cached)
    return cached[1]


def naming_rows(model: "TaglensBase", topic: str) -> np.ndarray:
    """The model's vocabulary rows of the ``plain_topic_tags`` of a one-topic corpus's ``topic`` that name it: whose
    MiniLM embedding is at least NAMING_MIN like the topic's own tag's (#vape); all of them when the vocabulary has
    no such tag. Once per vocabulary."""
    cached = model.__dict__.get("_naming_rows")
    if cached is None or cached[0] is not model.vocab_:
        cached = (model.vocab_, {})
        model._naming_rows = cached
    if topic not in cached[1]:
        rows, own = topic_rows(model, plain=True).get(topic, np.zeros(0, np.int64)), model.index_.get(topic)
        if own is not None and len(rows):
            rows = rows[model.tag_emb_[rows] @ model.tag_emb_[own] >= NAMING_MIN]
        cached[1][topic] = rows
    return cached[1][topic]


def naming_tags(model: "TaglensBase", topic: str) -> frozenset[str]:
    """The tags of ``naming_rows``, once per vocabulary."""
    cached = model.__dict__.get("_naming_tags")
    if cached is None or cached[0] is not model.vocab_:
        cached = model._naming_tags = (model.vocab_, {})
    if topic not in cached[1]:
        cached[1][topic] = frozenset(model.vocab_[r] for r in naming_rows(model, topic).tolist())
    return cached[1][topic]


def _rows_of(model: "TaglensBase", matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``matrix[rows]`` for rows arrays cached once per vocabulary (``topic_rows``, ``naming_rows``), gathered once:
    a copy of the vape tags' 700 embeddings cost ~0.09 ms a post (speed; the same C-ordered array, the same
    product)."""
    cached = model.__dict__.get("_gathered")
    if cached is None or cached[0] is not model.vocab_ or cached[1] is not matrix:
        cached = model._gathered = (model.vocab_, matrix, {})
    got = cached[2].get(id(rows))
    if got is None or got[0] is not rows:
        if len(cached[2]) > 64:  # rows not cached by the caller: do not grow without end
            cached[2].clear()
        got = cached[2][id(rows)] = (rows, matrix[rows])
    return got[1]


def spelled(features: "PostFeatures") -> set[str]:
    """The post's own tags and the caption's words and joined word pairs: a topic tag among them is the post's
    own word."""
    from ...knowledge.vocabulary import caption_tokens, joined_ngrams

    words = caption_tokens(features.text) if features.text else []
    return set(features.tags) | set(words) | set(joined_ngrams(words, 2))


def author_elsewhere(features: "PostFeatures", topic: str) -> bool:
    """Whether the post's own tags place it outside a one-topic corpus's topic: it has some, and each is a tag of
    ``MIN_TOPIC_POSTS`` or more training posts with at most ``ELSEWHERE_SHARE`` of its uses in that corpus (#nasa,
    #travel, #coffee); a tag no corpus has, or one the topic uses more, says nothing)."""
    if not features.tags:
        return False
    from ...knowledge.vocabulary import get_vocabulary

    vocab = get_vocabulary()
    return all(vocab.tag_count(tag) >= MIN_TOPIC_POSTS and _corpus_share(tag, topic) <= ELSEWHERE_SHARE
               for tag in features.tags)


def _unlearned(lang: str) -> bool:
    """Whether a caption in ``lang`` is in a language the caption sources did not learn across topics (Spanish,
    Portuguese, Indonesian ... they learned from vape shops only: ``language_gate``); an undetermined one is not.
    In such a caption alone (no photo), one-topic corpora's topics are shown by the tags and naming words it spells,
    not by its words' rates: every Spanish word's rate leans to vape because the Spanish training captions are the
    shops' ("sabor" and "tienda" 0.43), and "Nuevo sabor de helado en la heladería" read as a vape post (#vapeo
    #vapefam #vaper). A photo with the caption is read as before (the shops' posts have photos)."""
    return lang != "und" and lang not in LEARNED_LANGUAGES


def _word_stats(model: "TaglensBase"):
    try:
        return getattr(model.source("words"), "stats_", None)
    except KeyError:
        return None


def topic_strength(model: "TaglensBase", features: "PostFeatures", evidence: dict[str, Evidence],
                   said: set[str] | None = None) -> dict[str, float]:
    """{topic: how plainly the post shows it, in [0, 1]} for each topic (see the module docstring); ``said``: the
    post's ``spelled`` words, where the caller has them already."""
    topics, full = plain_topic_tags(), topic_tags()
    said = set(spelled(features) if said is None else said)
    for name in TOPIC_SOURCES:
        said |= set(evidence.get(name, {}))
    out: dict[str, float] = {}
    rows, plain_rows = topic_rows(model), topic_rows(model, plain=True)
    gate = language_gate(features.text, LEARNED_LANGUAGES) if features.text else 0.0
    image = evidence.get("image", {})
    head = evidence.get(HEAD_SOURCE, {}) if features.text else {}
    stats = _word_stats(model) if features.text else None
    lang = caption_language(features.text) if stats is not None else "und"
    own = set(features.tags)
    for name in TOPIC_SOURCES:
        own |= set(evidence.get(name, {}))
    for topic, tags in topics.items():
        if topic in TOPIC_CORPORA and SPELLED_NAMES and said & tags and not own & tags \
                and not _has_photo(features) and said.isdisjoint(naming_tags(model, topic)):
            pass  # spelled only by caption words that do not name the topic: read as any other words, below
        elif said & tags:
            out[topic] = 1.0
            if topic == PROBE_TOPIC and SPELLED_READ and not own & tags and features.text_emb is not None and gate > 0:
                # spelled by the caption's words only: as far as the probe reads the caption as politics
                out[topic] = 1.0 - gate * (1.0 - _probe().scaled(probe_politics(features.text_emb)))
            continue
        words = meaning = 0.0
        if stats is not None and not (topic in TOPIC_CORPORA and not _has_photo(features) and _unlearned(lang)):
            rate, _ = stats.rate_of(features.text, rows[topic], WORDS_MIN_MENTIONS, lambda w: word_fits(w, lang))
            words = float(np.clip((rate - WORDS_LOW) / (WORDS_FULL - WORDS_LOW), 0.0, 1.0))
        if topic in TOPIC_CORPORA and author_elsewhere(features, topic):
            out[topic] = words  # what only looks like the topic is no evidence of it against the author's tags
            continue
        shown = topic_probe.shows(features, topic)  # None: no photo, or no probe of the topic
        liken, alone = plain_rows[topic], topic in TOPIC_CORPORA and not _has_photo(features)
        if alone:
            liken = naming_rows(model, topic)  # a caption alone: only like the tags that name the topic
        if features.text_emb is not None and gate > 0 and len(liken):
            sims = _rows_of(model, model.tag_emb_, liken) @ features.text_emb
            if alone:
                sims = sims[~_echoes(model, liken, said)]
            sim = float(np.max(sims)) if len(sims) else 0.0
            meaning = gate * float(np.clip((sim - SIM_LOW) / (SIM_FULL - SIM_LOW), 0.0, 1.0))
        if shown is not None:  # the caption's meaning only as far as the photo looks like the topic's photos
            meaning *= shown
        strength = max(meaning, words)
        if image:
            mass = sum(score for tag, (score, _) in image.items() if tag in tags)
            if gate > 0:  # a caption taglens reads that does not say the topic: the similar photos must agree
                agree = photos_agree(model, features, topic)
                mass *= agree + (1.0 - agree) * (1.0 - gate)
            if shown is not None:  # and the photo must look like the topic's photos (``topic_probe``)
                mass *= shown
            strength = max(strength, min(1.0, mass / IMAGE_FULL))
        if head and gate > 0 and topic in HEAD_TOPICS:
            every = full[topic]
            mass = sum(score for tag, (score, _) in head.items() if tag in every)
            strength = max(strength, gate * float(np.clip((mass - HEAD_LOW) / (HEAD_FULL - HEAD_LOW), 0.0, 1.0)))
        if topic == PROBE_TOPIC and strength > 0 and features.text_emb is not None and gate > 0:
            reads = _probe().scaled(probe_politics(features.text_emb))
            strength *= 1.0 - gate * (1.0 - reads)
        out[topic] = strength
    return out


ECHO_MIN_LETTERS = 4


def _has_photo(features: "PostFeatures") -> bool:
    images = getattr(features, "images", None)
    return images is not None and len(images["pooled"]) > 0


def _echoes(model: "TaglensBase", rows: np.ndarray, said: set[str]) -> np.ndarray:
    """Which of a one-topic corpus's tags (``rows``) hold a word of the caption (4+ letters) that is not itself a tag
    of the topic: MiniLM finds "queen evil's bihday😘" like #vapequeen (0.52) for the word "queen" alone, and a
    caption without a photo gave #vapefamily #vaping. Such a compound's likeness is the caption's word's, not the
    topic's; the topic's own words still count (through ``said`` and the words' rates)."""
    vocab = model.vocab_
    words = [w for w in said if len(w) >= ECHO_MIN_LETTERS and w.isalpha()]
    return np.array([any(w in vocab[r] and w != vocab[r] for w in words) for r in rows.tolist()], bool)


@lru_cache(maxsize=1)
def _probe() -> topic_probe.Probe:
    """The politics probe (``PROBE_FILE``), read once, as a ``topic_probe.Probe`` between PROBE_LOW and PROBE_FULL."""
    with np.load(PROBE_FILE) as z:
        return topic_probe.Probe(z["weights"].astype(np.float32), float(z["bias"][0]), PROBE_LOW, PROBE_FULL)


def probe_politics(text_emb: np.ndarray) -> float:
    """The politics probe's probability that a caption (its MiniLM embedding) is a political tweet, in [0, 1]
    (see PROBE_FILE); to 4 decimals, so that the embedding's float32 rounding in a batch does not move a post's
    scores (as ``CaptionKnowledge.deference``)."""
    return round(_probe().probability(np.asarray(text_emb)[None]), 4)


def photos_agree(model: "TaglensBase", features: "PostFeatures", topic: str) -> float:
    """How far the similar photos agree that the photo shows ``topic`` (``ImageHead.photos_agree``): the image
    head's own mass on a topic's tags is evidence of the topic only as far as they do. The head spreads a little mass
    over hundreds of vape tags on any photo (a flower, a street, an astronaut's portrait: 0.1+ in all), so without
    the check any photo with a caption gave the caption's vape tags full strength. Applied as far as the caption is
    in a language the caption sources learned (``language_gate``): a caption taglens cannot read leaves the photo
    to speak for itself."""
    rows = topic_rows(model)[topic]
    agree = model.source("image").photos_agree(features, rows) if len(rows) else None
    return 1.0 if agree is None else agree


def gate(evidence: dict[str, Evidence], strength: dict[str, float],
         said: set[str] | frozenset[str] = frozenset()) -> dict[str, Evidence]:
    """``evidence`` with every topic tag's score multiplied by its topic's strength (``topic_strength``; full from
    the topic's SHOWN_FULL; tags with less than MIN_STRENGTH dropped: a hint is no evidence, and on a post with
    little else to say even a scaled-down #vape would reach the top five); a tag the post itself ``said``
    (``spelled``) is not gated."""
    owner = topic_of()
    if not owner.keys().isdisjoint(said):
        unread = plain_topic_tags()[PROBE_TOPIC] if strength.get(PROBE_TOPIC, 1.0) < MIN_STRENGTH else frozenset()
        owner = {tag: topic for tag, topic in owner.items() if tag not in said or tag in unread}
    if all(s >= 1.0 for s in strength.values()):
        return evidence
    out: dict[str, Evidence] = {}
    for source, ev in evidence.items():
        hit = owner.keys() & ev.keys()
        if not hit:  # no topic tag in this source's evidence (most sources, most posts)
            out[source] = ev
            continue
        kept: Evidence = dict(ev)  # a copy with only the topic tags changed: the order of the others kept (speed)
        for tag in hit:
            topic = owner[tag]
            s = strength[topic]
            if s >= MIN_STRENGTH:
                score, reason = kept[tag]
                kept[tag] = (score * (1.0 if s >= SHOWN_FULL.get(topic, 1.0) else s), reason)
            else:
                del kept[tag]
        out[source] = kept
    return out


# Sources that step back where a post shows the topic of a one-topic corpus (vape), so the topic's own tags are not
# outranked by what the source says of any post:
# - ``faces``: a face's #selfie outranked the first vape tag of shop posts with a person in the photo (faces off: vape
#   val P@1 0.6034 -> 0.6145). It yields as far as the post's own words and tags show the topic, not its photo (a
#   selfie the image head finds a little vape-like keeps #selfie; an everyday photo shows no topic at all).
# - ``caption_tags`` (the open-world caption source): the generic words of shop captions (#gold for "BORA GOLD BAR",
#   #yummy #breakfast for an e-liquid called "Blueberry Toast", #youtube) outranked the vape tags the trained caption
#   sources know. Each of its tags yields by CAPTION_YIELD x the topic's strength x the share of the tag's uses outside
#   the topic's corpus (a shop's own #novobar, used in vape posts only, keeps its score). (0.5 and 0.75 gave the same
#   figures; 1.0 vape val P@1 +0.0056 but A@5 -0.0056: #latte out of a coffee photo's top 5.)
FACES_YIELD_SOURCE = "faces"
CAPTION_YIELD_SOURCE, CAPTION_YIELD = "caption_tags", 0.5
KINDS_YIELD_SOURCE = "caption_kinds"  # its gain steps back as far as the post shows such a topic


def _corpus_share(tag: str, topic: str) -> float:
    """The share of the tag's uses in the topic's corpus (0 for a tag the corpora never used)."""
    from ...knowledge.vocabulary import get_vocabulary

    vocab = get_vocabulary()
    total = vocab.tag_count(tag)
    return vocab.tag_counts(tag).get(topic, 0) / total if total else 0.0


def yield_to_topic(model: "TaglensBase", features: "PostFeatures", evidence: dict[str, Evidence],
                   strength: dict[str, float], gains: dict[str, float],
                   said: set[str] | None = None) -> tuple[dict[str, Evidence], dict[str, float]]:
    """(evidence, gains) with ``faces`` and ``caption_tags`` stepped back as far as the post shows a one-topic
    corpus's topic (``TOPIC_CORPORA``; see the comment above): the faces' gain by the strength its words and tags
    alone show (``topic_strength`` without the image head), the caption tags' scores tag by tag; a strength under
    MIN_STRENGTH is no evidence and changes nothing."""
    shown = max((strength.get(topic, 0.0) for topic in TOPIC_CORPORA), default=0.0)
    if shown < MIN_STRENGTH:  # a hint is no evidence (as in ``gate``)
        return evidence, gains
    if evidence.get(FACES_YIELD_SOURCE) and (features.text or features.tags):
        words = topic_strength(model, features, {k: v for k, v in evidence.items() if k != "image"}, said)
        by_words = max(words.get(topic, 0.0) for topic in TOPIC_CORPORA)
        if by_words >= MIN_STRENGTH:
            gains = {**gains, FACES_YIELD_SOURCE: gains.get(FACES_YIELD_SOURCE, 1.0) * (1.0 - by_words)}
    if gains.get(KINDS_YIELD_SOURCE):  # "strawberry" in a vape shop's caption is a flavour, not #food
        gains = {**gains, KINDS_YIELD_SOURCE: gains[KINDS_YIELD_SOURCE] * (1.0 - shown)}
    caption = evidence.get(CAPTION_YIELD_SOURCE)
    if caption:
        topic = max(TOPIC_CORPORA, key=lambda t: strength.get(t, 0.0))
        evidence = {**evidence, CAPTION_YIELD_SOURCE: {
            tag: (score * (1.0 - CAPTION_YIELD * shown * (1.0 - _corpus_share(tag, topic))), reason)
            for tag, (score, reason) in caption.items()}}
    return evidence, gains


__all__ = ["gate", "naming_rows", "plain_topic_tags", "spelled", "topic_of", "topic_rows", "topic_strength",
           "topic_tags", "yield_to_topic"]
