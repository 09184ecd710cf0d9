"""``taglens-base``: the default model, fusing whatever evidence a post carries.

Each evidence source (``sources/``, one module each, listed in ``sources.SOURCES``) reads one kind of evidence of a
post and gives ``{tag: (score, reason)}``:

* ``image`` (image_head.py): an MLP head on pooled EfficientNet-Lite0 features;
* ``image_protos``: the tags of clusters of similar training photos;
* ``conse``: the zero-shot path (ImageNet classes -> WordNet -> tags), for photos of things no training post shows;
* ``faces`` and ``photo_text``: people tags of the photo's face pattern and tags read from text in the photo,
  each run only where a probe on the image features says there is a face or text (``taglens.vision``);
* ``caption`` (caption_head.py): an MLP head on the caption's MiniLM embedding;
* ``caption_protos``: the tags of clusters of similar training captions;
* ``about``: MiniLM similarity between the caption and the segmented tags (open vocabulary);
* ``mentions``: tags the caption spells out, by how often such a word is also a tag, or by its form (key phrases);
* ``words`` (caption_words.py): word -> tag statistics of the training captions, emoji included;
* ``ngrams``: logistic regression over the caption's character n-grams and words;
* ``cooccurrence`` and ``synonyms``: companions and WordNet synonyms of the post's own tags;
* ``tag_parts``: the known words and word pairs of a tag the statistics do not know (#sunsetchasers -> #sunset);
* ``user`` (history.py): the author's habitual tags, for authors seen in training;
* ``prior``: tag popularity, a weak fallback so that an empty post still gets sensible tags.

``fusion.py`` sums them with weights keyed by source name, scaled by each source's gain, and diversifies the
ranking. The artifact (src/taglens/models/taglens-base) holds learned weights and aggregate statistics only (no
photo, caption or per-post vector).

Example:
    >>> from taglens import load_suggester
    >>> model = load_suggester("taglens-base")
    >>> [(s.tag, s.reason) for s in model.suggest(Post(text="sunset at the beach", hashtags=("travel",)), k=2)]
    ... # doctest: +SKIP
    [('sunset', 'caption mentions: sunset'), ('beach', 'caption mentions: beach')]
"""
from ...registry import register_suggester
from .model import TaglensBase
from .source import EvidenceSource, Source, State, TrainingSet
from .sources import SOURCES


@register_suggester("taglens-base", "the default model: images, caption and tags fused (bundled, offline)")
def taglens_base(**kw) -> TaglensBase:
    return TaglensBase(**kw)


__all__ = ["EvidenceSource", "SOURCES", "Source", "State", "TaglensBase", "TrainingSet"]
