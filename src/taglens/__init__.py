"""taglens: hashtag suggestions for social-media posts, offline on a CPU.

    >>> import taglens
    >>> model = taglens.load_suggester("taglens-base")
    >>> model.suggest(taglens.Post(text="sunset at the beach", images=("photo.jpg",)), k=5)
    >>> taglens.segment("sunsetbeachvibes")
    ['sunset', 'beach', 'vibes']
"""
from .exceptions import TaglensError as TaglensError
from .registry import create_suggester as create_suggester
from .registry import list_suggesters as list_suggesters
from .model_folder import load_suggester as load_suggester
from .registry import register_suggester as register_suggester
from .types import Post as Post
from .types import Suggestion as Suggestion
from .types import normalize_tag as normalize_tag
from .version import __version__ as __version__


def segment(hashtag: str) -> list[str]:
    """Split a hashtag into words: ``segment("sunsetbeachvibes") -> ["sunset", "beach", "vibes"]``."""
    from .segmentation import segment as _segment

    return _segment(hashtag)


def segment_topk(hashtag: str, k: int = 5) -> list[tuple[list[str], float]]:
    """The ``k`` best segmentations of a hashtag with their scores, best first."""
    from .segmentation import segment_topk as _segment_topk

    return _segment_topk(hashtag, k)
