"""WordNet 3.0 through nltk, read from Debian's ``wordnet-base`` files (offline, no nltk data download).

nltk's reader needs a ``lexnames`` file, which Debian does not ship; we write the standard 45 lexicographer
file names into a private copy (symlinks to the data files) and tell nltk not to require ``index.sense``.
Set ``TAGLENS_WORDNET`` to use another WordNet 3.0 folder.
"""
from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

from .exceptions import TaglensError

LEXNAMES = """adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body
noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive
noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process noun.quantity noun.relation
noun.shape noun.state noun.substance noun.time verb.body verb.change verb.cognition verb.communication
verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion verb.perception
verb.possession verb.social verb.stative verb.weather adj.ppl""".split()
_FILES = ("data.noun", "data.verb", "data.adj", "data.adv", "index.noun", "index.verb", "index.adj", "index.adv",
          "noun.exc", "verb.exc", "adj.exc", "adv.exc")
SEARCH = ("/usr/share/wordnet", "/usr/local/share/wordnet", "/usr/share/wordnet-3.0")


class WordNetUnavailable(TaglensError):
    pass


def wordnet_source() -> Path:
    for folder in ([os.environ["TAGLENS_WORDNET"]] if os.environ.get("TAGLENS_WORDNET") else []) + list(SEARCH):
        if (Path(folder) / "data.noun").is_file():
            return Path(folder)
    raise WordNetUnavailable("WordNet 3.0 not found: install Debian's wordnet-base (apt-get install wordnet-base) "
                             "or set TAGLENS_WORDNET to a folder with data.noun")


def _prepared_folder(src: Path) -> Path:
    from .encoders.cache import cache_dir

    if (src / "lexnames").is_file():
        return src
    dst = cache_dir() / "wordnet"
    dst.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        link = dst / name
        if (src / name).exists() and not link.exists():
            # nltk refuses symlinks and hard links to files outside its root, so copy (about 30 MB, once)
            tmp = dst / f"{name}.{os.getpid()}.tmp"
            shutil.copyfile(src / name, tmp)
            tmp.replace(link)
    lex = dst / "lexnames"
    if not lex.exists():
        tmp = dst / f"lexnames.{os.getpid()}"
        tmp.write_text("".join(f"{i:02d}\t{n}\t{_pos(n)}\n" for i, n in enumerate(LEXNAMES)))
        tmp.replace(lex)
    return dst


def _pos(lexname: str) -> int:
    return {"noun": 1, "verb": 2, "adj": 3, "adv": 4}[lexname.split(".")[0]]


@functools.lru_cache(maxsize=1)
def get_wordnet():
    """nltk's WordNetCorpusReader over WordNet 3.0 (``wn.synset_from_pos_and_offset('n', 2084071)`` etc.)."""
    import warnings

    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    source = wordnet_source()
    folder = _prepared_folder(source)
    for allowed in (str(folder), str(source.resolve())):  # nltk only reads below its data path
        if allowed not in nltk.data.path:
            nltk.data.path.append(allowed)
    class WordNet30Reader(WordNetCorpusReader):
        def map_wn(self, version="wordnet"):
            return None  # the files are WordNet 3.0 already: no mapping, so no index.sense needed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = WordNet30Reader(str(folder), None)
    return reader


def synset_of_wnid(wnid: str):
    """The noun synset of an ImageNet id like 'n02099601'."""
    return get_wordnet().synset_from_pos_and_offset(wnid[0], int(wnid[1:]))
