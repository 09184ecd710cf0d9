"""``taglens-base`` itself: the tag vocabulary shared by its evidence sources, fitting and saving them, and
suggesting by fusing their evidence (``fusion``)."""
from __future__ import annotations

import functools
import logging
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ...exceptions import DataError, ModelError
from ...features import PendingFeatures, PostFeatures, pending_post_features, post_features
from ...types import Post, Suggestion
from ..base import BaseSuggester, finalize
from ..tags import Evidence, embed_tags, known_words, read_vocab, tag_words, write_vocab
from . import (compounds, consent, fusion, medium, moods, named_kinds, places, senses, sides, support, throwbacks,
               topics, verb_forms)
from .language_gate import LANGUAGE_TOPICS, language_gate
from .presenting import one_form_per_meaning, with_confidence
from . import sources as _sources
from .sources.kind_forms import kind_before_category, names_category
from .source import EvidenceSource, State, TrainingSet, no_caption_or_tags

log = logging.getLogger(__name__)
# the fused score at which a first suggestion is about as likely right as wrong (presenting.py): fitted by log loss
# on the first suggestions of the dev sets' val side (instagram6, vape, 1,200 harrison and tweets, the everyday
# bench: 4,510 posts; hit rate 0.01 under score 0.08, 0.16 at 0.2-0.5, 0.46 over 0.93)
CONFIDENCE_HALF = 1.65
# a model folder whose files do not fit together: what its load errors say to do
DAMAGED = ("a file of the model folder is cut short, damaged or from another model; retrain the model or restore "
           "the folder")

# a photo at least this familiar (``ImageHead.familiarity``: like the training photos) shows a topic as its head reads
# it under any caption; a less familiar one (an astronaut's or a navy officer's portrait, familiarity 0.04-0.42) only
# as far as the photo by itself shows it (``_language_opening``). The vape val posts whose Spanish captions need the
# opening are shop photos at 0.72-0.84. A less familiar photo shows the topic by itself only as far as the similar
# photos also agree that it does (the motorcycle: its head's vape mass alone 0.66, the similar photos 0.28)
OPENING_FAMILIAR = 0.5


class TaglensBase(BaseSuggester):
    """The default model: trained image and caption heads, zero-shot image tags, caption words, tag statistics,
    authors' habits: evidence sources (``sources.SOURCES``, as listed when the model is created) fused by tuned
    weights."""

    name = "taglens-base"

    def __init__(self, min_count: int = 3, max_vocab: int = 8000, image_hidden: int = 512, text_hidden: int = 384,
                 image_epochs: int = 30, text_epochs: int = 8, weights: dict[str, float] | None = None,
                 text_words_full: int = 6, head_loss: str = "softmax", topic_boost: float = 1.0,
                 keyword_sources: Sequence[str] = ("pexels_food",), diversity: float = 0.5, seed: int = 0,
                 confidence_half: float = CONFIDENCE_HALF):
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.image_hidden = image_hidden
        self.text_hidden = text_hidden
        self.image_epochs = image_epochs
        self.text_epochs = text_epochs
        self.weights = weights
        self.text_words_full = text_words_full
        self.head_loss = head_loss
        self.topic_boost = topic_boost
        self.keyword_sources = keyword_sources
        if not 0.0 <= float(diversity) <= 1.0:
            raise ModelError(f"taglens-base: diversity must be between 0 and 1, got {diversity!r}")
        self.diversity = float(diversity)
        self.seed = seed
        if not float(confidence_half) > 0:
            raise ModelError(f"taglens-base: confidence_half must be positive, got {confidence_half!r}")
        self.confidence_half = float(confidence_half)
        self.sources: list[EvidenceSource] = [cls(self) for cls in _sources.SOURCES]

    def source(self, name: str) -> EvidenceSource:
        """The evidence source called ``name``; KeyError when the model has none."""
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    @functools.cached_property
    def index_(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.vocab_)}

    def reasons(self, template: str) -> list[str]:
        """``template`` (naming ``{tag}`` and/or ``{words}``, the tag's segmented words) filled in for every
        vocabulary tag, once per template and vocabulary."""
        cache = self.__dict__.setdefault("_reasons", {})
        if cache.get(template, (None,))[0] is not self.vocab_:
            words = self.tag_words_ if "{words}" in template else self.vocab_
            cache[template] = (self.vocab_, [template.format(tag=t, words=w) for t, w in zip(self.vocab_, words)])
        return cache[template][1]

    # -- training ---------------------------------------------------------------------------------------------
    def fit(self, posts: Sequence[Post], progress: bool = False,
            text_embedder: Callable[[list[str]], np.ndarray] | None = None) -> "TaglensBase":
        """Learn the tag vocabulary, then every source, from posts (their hashtags are the labels; captions are used
        without them).

        ``text_embedder`` (texts -> MiniLM embeddings) may replace the cached encoder, to share a table of
        precomputed caption and tag embeddings between several fits."""
        from ...encoders.cache import text_embeddings

        embed = text_embedder or text_embeddings
        posts = [p for p in posts if p.hashtags]
        if not posts:
            raise DataError("taglens-base: no training post has hashtags")
        counts = Counter(t for p in posts for t in p.hashtags)
        vocab = sorted((t for t, c in counts.items() if c >= self.min_count), key=lambda t: (-counts[t], t))
        self.vocab_ = vocab[: self.max_vocab] or sorted(counts, key=lambda t: (-counts[t], t))[: self.max_vocab]
        self.__dict__.pop("index_", None)
        log.info("taglens-base: %d posts, %d tags in the vocabulary", len(posts), len(self.vocab_))
        self.tag_emb_ = embed_tags(self.vocab_, embed).astype(np.float16).astype(np.float32)  # as saved
        self.tag_words_ = [" ".join(tag_words(t)) for t in self.vocab_]  # for reasons, without a segmenter at run time
        data = TrainingSet(posts, self, embed, progress)
        for source in self.sources:
            source.fit(data)
        log.info("taglens-base: fitted")
        self.fitted_ = True
        return self

    # -- suggesting -------------------------------------------------------------------------------------------
    def default_weights(self) -> dict[str, float]:
        return fusion.default_weights(self.sources)

    def evidence(self, post: Post | PostFeatures, given: dict[str, Evidence] | None = None
                 ) -> tuple[dict[str, Evidence], dict[str, float], frozenset[str]]:
        """(evidence per source, gains per source, tags to exclude: every tag of the post) for one post, given as
        its features (``taglens.features.post_features``) or as a post (then its features are computed);
        ``given``: the evidence of some sources, already computed (``suggest_batch``)."""
        features = post if isinstance(post, PostFeatures) else pending_post_features(post)
        post = features.post
        found: dict[str, Evidence] = {}
        said, known = None, {}
        early = isinstance(features, PendingFeatures) and not features.ready
        if early and not self.__dict__.get("_prepared"):
            self._prepare()
        for source in self._evidence_order(features):
            if early and said is None and source.name in self._image_sources:
                # before the first source that waits for the photo still being encoded, what needs none: the post's
                # words and tags, the other sources' gains (the same values later: only the order changes)
                said = topics.spelled(features)
                known = {s.name: self._gain_parts(s, features) for s in self.sources
                         if s.name not in self._image_sources}
            reads = getattr(features, "reads", 0)
            found[source.name] = (given[source.name] if given and source.name in given
                                  else source.evidence(post, features))
            if getattr(features, "reads", 0) > reads:
                self._image_sources.add(source.name)
        _ = features.images  # waits for pending images: an unreadable photo no source read still raises its error
        evidence = {s.name: found[s.name] for s in self.sources if found[s.name]}  # in the sources' order (fuse)
        said = topics.spelled(features) if said is None else said
        strength = topics.topic_strength(self, features, evidence, said)
        opening = self._language_opening(features, evidence, strength, said)
        gains = self.gains(features, opening, known)
        evidence, gains = topics.yield_to_topic(self, features, evidence, opening, gains, said)
        # no #yeg for "the lawn", no #losangeles for "Rainy day in London": it costs the tweets' val side 9 first hits
        # and 32 top-5 hits (their Los Angeles authors' #la on captions that name no place), but a user never wants it
        evidence = places.unnamed_left_out(evidence, features.text, features.tags)
        evidence = senses.unsaid_weapons(evidence, features.text, features.tags)  # no #missile for a launch
        evidence = throwbacks.unsaid_throwbacks(evidence, features.text, features.tags)  # no #tbt for next week
        evidence = moods.unsaid_distress(evidence, features.text, features.tags)  # no #killme for studying
        evidence = compounds.unsaid_inner_things(evidence, features.text)  # no #dog for a hot dog
        evidence = medium.unsaid_medium(evidence, features.text, features.tags)  # no #photo for a cold beer
        evidence = sides.other_side_out(evidence, features.text, said)  # no #maga for "I LOVE YOU BERNIE!!"
        evidence = verb_forms.unsaid_verbs(evidence, features.text)  # no #vino for "vino a visitarme"
        evidence = named_kinds.named_kinds(evidence)  # the temple the caption names is the building the photo shows
        read = self._head_read(features, opening, known)
        for source in self.sources:  # a source that defers to the others' evidence (caption_tags to a sure head)
            if source.name in gains:
                gains[source.name] *= source.deference(evidence, read)
        weights = {**self.default_weights(), **(self.weights or {})}
        # no #sunset for Jupiter only because sunset captions sit nearest
        evidence = support.lone_votes(evidence, gains, fusion.effective_weights(weights, gains, self._mixed),
                                      support.shown_in_full(strength))
        evidence = consent.checked(topics.gate(evidence, opening, said), gains, weights, self._mixed, features.tags)
        return evidence, gains, features.exclude

    def _prepare(self) -> None:
        """What the steps after the photo read once per process, loaded while the first post's photo is still being
        decoded and encoded (and the image encoder loaded): the vocabulary rows of the topics' tags (``topic_rows``: the
        corpora vocabulary, ~0.3 s), the ImageNet tag map and the agreement table. A cold `taglens suggest photo.jpg`
        waited for its photo, then loaded them (issue 21). The same values as loaded later: only the order changes."""
        from ...knowledge.image_tags import get_image_tag_map
        from . import agreement

        self._prepared = True
        topics.topic_rows(self)
        get_image_tag_map()
        agreement.table()

    def warm_up(self) -> None:
        """Loads, once per process, what ranking a first post reads whatever the post: ``_prepare``'s tables, the
        hashtag segmenter (for the tags outside the vocabulary: ConSE's ImageNet classes, the caption's words) and the
        junk filter's word-list index (importing wordfreq; built in a fresh cache). `taglens suggest --batch` calls it
        while its first chunk's photos are decoded and encoded in another thread: its first chunk's ranking loaded
        them one after the other once the photos were ready (~0.4 s of ~1.6 s, issue 21). The same values as loaded
        later: only the order changes."""
        from ...knowledge import junk
        from ...knowledge.word_frequency import best_zipf
        from ..tags import _segmenter

        if not self.__dict__.get("_prepared"):
            self._prepare()
        _segmenter()
        best_zipf("a", junk.WORD_LANGUAGES, junk.ZIPF_FLOOR)

    def _evidence_order(self, features: PostFeatures) -> list[EvidenceSource]:
        """The sources in the order to ask them for evidence: while a post's images are still being encoded
        (``PendingFeatures``), first those that have not read images before (``_image_sources``, learned as they are
        asked), so the caption's sources run meanwhile. A source that reads them anyway just waits for them; the
        evidence is the same in any order (a source's per-post caches are keyed by the post's features)."""
        if isinstance(features, PendingFeatures) and not features.ready:
            return sorted(self.sources, key=lambda s: s.name in self._image_sources)  # stable
        return self.sources

    @property
    def _mixed(self) -> list[str]:
        """The sources with a weight of their own under a caption (``fusion.effective_weights``)."""
        return [s.name for s in self.sources if s.weight_with_caption is not None]

    @functools.cached_property
    def _image_sources(self) -> set[str]:
        return set()

    def gains(self, features: PostFeatures, topic_strength: dict[str, float] | None = None,
              known: dict[str, tuple[float, float]] | None = None) -> dict[str, float]:
        """How much evidence of each kind the post carries (1 = full), which scales that source's weight; a source
        bound to the languages it learned reads a caption in another language only as far as it knows its words
        (``language_gate``), or as far as the post shows a topic whose posts taught it that language
        (``LANGUAGE_TOPICS``: a Spanish caption under a photo of a vape mod). ``known``: the ``_gain_parts`` of some
        sources, computed before (while the photo was encoded)."""
        shown = max((topic_strength or {}).get(t, 0.0) for t in LANGUAGE_TOPICS)
        out = {}
        for source in self.sources:
            parts = known.get(source.name) if known else None
            gain, gate = parts if parts is not None else self._gain_parts(source, features)
            out[source.name] = gain * max(gate, shown)
        return out

    def _language_opening(self, features: PostFeatures, evidence: dict[str, Evidence], strength: dict[str, float],
                          said: set[str]) -> dict[str, float]:
        """How far the post shows each topic that taught the caption sources a language (``LANGUAGE_TOPICS``), for
        ``gains`` and ``_head_read``: ``strength``, with the photo read as by itself. A caption in a language those
        sources did not learn says nothing taglens can read of the topic, so it cannot be what lets the photo's
        evidence of the topic through: the image head's vape tags on a navy portrait or an astronaut (faded by the
        caption's length, or left out of a posed portrait alone) opened the Spanish-trained sources to "Mi héroe de
        la infancia: los astronautas", which read it as a vape shop's caption (#vapeo #vapemex #vaper #vape).

        The photo by itself shows the topic as far as its head reads it alone AND the similar photos agree
        (``topics.photos_agree``): the head's alone reading fills the topic from a small mass (``IMAGE_FULL``), and on a
        photo unlike the training photos that mass is the head's guess (the motorcycle: alone 0.66, the similar photos
        agreeing 0.28, so Spanish, Portuguese, Indonesian, French and Greek captions got #vapeo #vaping #vaper). The
        caption's and tags' own showing (``topic_strength`` without the image head) is kept as it is. The opening is
        also what ``topics.gate`` and ``topics.yield_to_topic`` read in ``evidence``: a topic the photo does not show
        by itself does not let the caption sources' vape tags through, nor step back the caption's own tags."""
        if not features.text or features.images is None or "image" not in evidence \
                or not any(strength.get(t, 0.0) > 0.0 for t in LANGUAGE_TOPICS):
            return strength
        try:
            image = self.source("image")
        except KeyError:
            return strength
        familiarity = image.familiarity(features)
        if familiarity is None or familiarity >= OPENING_FAMILIAR:  # like the training photos: its head knows it
            return strength
        alone = topics.topic_strength(self, features, {**evidence, "image": image.alone_evidence(features)}, said)
        text = topics.topic_strength(self, features, {k: v for k, v in evidence.items() if k != "image"}, said)
        out = dict(strength)
        for t in LANGUAGE_TOPICS:  # the photo's share: as far as its head shows the topic and the similar photos agree
            photo = alone.get(t, 0.0) * topics.photos_agree(self, features, t)
            out[t] = min(strength.get(t, 0.0), max(text.get(t, 0.0), photo))
        return out

    def _head_read(self, features: PostFeatures, topic_strength: dict[str, float],
                   known: dict[str, tuple[float, float]] | None) -> float:
        """How far the caption head reads the post's caption (its language gate, or a topic that taught it the
        caption's language, as in ``gains``): a source that defers to a sure head counts its sureness only so far.
        "Gran partido de fútbol" is read by the English-trained head through two words; its raw sureness of #photo
        must not silence the caption's topic."""
        try:
            head = self.source("caption")
        except KeyError:
            return 1.0
        parts = known.get("caption") if known else None
        gate = parts[1] if parts is not None else language_gate(features.text, getattr(head, "learned_languages", None))
        return max(gate, max((topic_strength or {}).get(t, 0.0) for t in LANGUAGE_TOPICS))

    @staticmethod
    def _gain_parts(source: EvidenceSource, features: PostFeatures) -> tuple[float, float]:
        """(the source's own gain on the post, its language gate on the caption): ``gains`` multiplies them."""
        return (source.gain(features.post, features),
                language_gate(features.text, getattr(source, "learned_languages", None)))

    def fuse(self, evidence: dict[str, Evidence], gains: dict[str, float], exclude: set[str] | frozenset[str],
             k: int, weights: dict[str, float] | None = None, text: str | None = None,
             alone: bool = False) -> list[Suggestion]:
        """``fusion.fuse`` with this model's weights (``weights`` override them, as the tuner's trials do), then one
        form per meaning in the top ``k`` and a confidence per suggestion (``presenting``); ``text``: the post's
        caption (bait it shows to be true of the post, a repost's #repost, is not junk there: ``unwanted_tags``)."""
        w = {**self.default_weights(), **(self.weights or {}), **(weights or {})}
        try:
            cooc = self.source("cooccurrence").cooc_
        except (KeyError, AttributeError):  # no co-occurrence statistics (a model not fitted): no diversifying
            cooc = None
        ranked = fusion.fuse(evidence, gains, exclude, max(k, fusion.DIVERSE_POOL), w,
                             mixed=self._mixed,
                             firm_sources=[s.name for s in self.sources if s.firm],
                             under_first=[s.name for s in self.sources if getattr(s, "under_first", False)],
                             passes=names_category,
                             cooccurrence=cooc, diversity=self.diversity, text=text)
        shown = one_form_per_meaning(ranked, k)[:k]
        if alone:  # a photo alone: a kind before its category (#coffee #drink)
            shown = kind_before_category(shown)
        return with_confidence(shown, self.confidence_half)

    def _rank(self, post: Post, k: int) -> list[Suggestion]:
        features = pending_post_features(post)
        try:
            ev, gains, exclude = self.evidence(features)
            # fuse leaves the post's own tags and blocked tags out already
            return self.fuse(ev, gains, exclude, k, text=post.text, alone=no_caption_or_tags(features))
        finally:
            if isinstance(features, PendingFeatures):  # the photo's features are written to the cache now (speed)
                features.answered()

    def batch_features(self, posts: Sequence[Post]) -> list[PostFeatures]:
        """What ``suggest_batch`` reads of ``posts`` (images decoded and encoded, captions embedded): `taglens
        suggest --batch` computes it for the next chunk in another thread while it ranks this one."""
        return post_features(posts, frames=True)

    def suggest_batch(self, posts: Sequence[Post], k: int = 10,
                      features: Sequence[PostFeatures] | None = None) -> list[list[Suggestion]]:
        """Like ``suggest`` for each post, with the images and captions of all posts encoded in batches (or
        ``features``, from ``batch_features``), and the sources that can (``evidence_batch``: the heads, ``about``)
        run once over all posts."""
        self._check_fitted()
        features = self.batch_features(posts) if features is None else features
        batched = {s.name: s.evidence_batch(posts, features) for s in self.sources if hasattr(s, "evidence_batch")}
        out = []
        for i, (p, f) in enumerate(zip(posts, features)):
            ev, gains, exclude = self.evidence(f, {name: evs[i] for name, evs in batched.items()})
            out.append(finalize(self.fuse(ev, gains, exclude, k, text=p.text, alone=no_caption_or_tags(f)), p, k))
        return out

    # -- persistence ------------------------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        write_vocab(directory / "vocab.txt", self.vocab_)
        write_vocab(directory / "vocab_words.txt", self.tag_words_)
        state = State(directory, {"tag_emb": self.tag_emb_.astype(np.float16)})
        for source in self.sources:
            source.save(state)
        save_file(state.arrays, str(directory / "weights.safetensors"))

    def _load_state(self, directory: Path) -> None:
        from safetensors.numpy import load_file

        self.vocab_ = read_vocab(directory / "vocab.txt")
        self.__dict__.pop("index_", None)
        self.tag_words_ = read_vocab(directory / "vocab_words.txt")
        if len(self.tag_words_) != len(self.vocab_):
            raise ModelError(f"{directory}: vocab.txt ({len(self.vocab_)} tags) and vocab_words.txt "
                             f"({len(self.tag_words_)}) disagree: {DAMAGED}")
        known_words(self.vocab_, self.tag_words_)  # tag_words answers them without segmenting (issue 21)
        state = State(directory, load_file(str(directory / "weights.safetensors")))
        self.tag_emb_ = state.arrays["tag_emb"].astype(np.float32)  # stored float16
        if self.tag_emb_.shape[0] != len(self.vocab_):
            raise ModelError(f"{directory}: vocab.txt ({len(self.vocab_)} tags) and weights.safetensors "
                             f"({self.tag_emb_.shape[0]}) disagree: {DAMAGED}")
        for source in self.sources:
            source.load(state)
