"""The evidence sources of taglens-base, in the order their evidence is summed (``fusion.fuse``).

Adding a source: write a module here with a class following ``source.EvidenceSource`` (usually a subclass of
``source.Source``) and list the class once in ``SOURCES``. Its ``name`` keys its fusion weight; its ``weight``
is the default until the build script tunes it.
"""
from .about import About
from .caption_head import CaptionHead
from .caption_kinds import CaptionKinds
from .caption_knowledge import CaptionKnowledge
from .caption_protos import CaptionPrototypes
from .caption_topics import CaptionTopics
from .caption_words import CaptionWords
from .class_rates import ClassRates
from .conse import Conse
from .cooccurrence import Cooccurrence
from .credit_line import CreditLine
from .faces import Faces
from .history import AuthorHistory
from .image_head import ImageHead
from .image_knowledge import ImageKnowledge
from .image_protos import ImagePrototypes
from .kind_forms import KindForms
from .mentions import Mentions
from .ngrams import Ngrams
from .photo_colour import PhotoColour
from .photo_text import PhotoText
from .photo_texture import PhotoTexture
from .prior import Prior
from .scene_rates import SceneRates
from .synonyms import Synonyms
from .tag_parts import TagParts

SOURCES: list[type] = [
    Prior,
    Conse,
    ImageKnowledge,
    ImageHead,
    ImagePrototypes,
    Faces,
    PhotoText,
    Mentions,
    CaptionWords,
    Ngrams,
    CaptionHead,
    CaptionPrototypes,
    About,
    CaptionKnowledge,
    CaptionTopics,
    CreditLine,
    Cooccurrence,
    Synonyms,
    TagParts,
    AuthorHistory,
    ClassRates,  # last three: the sums of the other sources' evidence keep their order
    SceneRates,  # a photo alone
    PhotoColour,  # a photo alone with no colour (added later): silent under a caption or a tag, as scene_rates
    PhotoTexture,  # a photo alone that is a surface filling the frame (added later): as photo_colour
    KindForms,  # a photo alone, under the first tag (added later): fusion adds it after every other source's sums
    CaptionKinds,  # a caption (added later): a post it says nothing of keeps its sums, bit for bit
]

__all__ = ["SOURCES"]
