"""WordNet 3.0, shipped in the package (offline, no nltk data download, no separate install step).

The package carries WordNet 3.0's index, data and exception files with the glosses blanked out (same byte offsets;
``resources/wordnet/``, built by ``scripts/build_wordnet.py``, with WordNet's licence notice). The first use unpacks
them (about 1 s, 28 MB) into ``$TAGLENS_CACHE/wordnet-3.0-<digest>/``, checked against their sha256, with the
``lexnames`` file nltk's reader needs. Set ``TAGLENS_WORDNET`` to use another WordNet 3.0 folder (Debian's
``/usr/share/wordnet`` for instance); where the shipped files are missing, a system copy is used and that is said
once on stderr.

Suggesting and collecting only look words up (``get_lookup().synsets(word)``): :class:`WordNetLookup` answers that
straight from the files in well under a millisecond, without nltk's 3 s of import and index parsing. nltk's full
reader (``get_wordnet()``, with the ``train`` extra) is for the build scripts; the zero-shot tables' hypernyms and
depths come from :class:`WordNetLookup` too (``hypernyms``, ``min_depth``), so suggesting and fitting need no nltk.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Container, Iterable, Iterator

from .exceptions import TaglensError

LEXNAMES = """adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body
noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive
noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process noun.quantity noun.relation
noun.shape noun.state noun.substance noun.time verb.body verb.change verb.cognition verb.communication
verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion verb.perception
verb.possession verb.social verb.stative verb.weather adj.ppl""".split()
SHIPPED_FILES = ("data.noun", "data.verb", "data.adj", "data.adv", "index.noun", "index.verb", "index.adj",
                 "index.adv", "noun.exc", "verb.exc", "adj.exc", "adv.exc")
_FILES = SHIPPED_FILES
SEARCH = ("/usr/share/wordnet", "/usr/local/share/wordnet", "/usr/share/wordnet-3.0")
SHIPPED = Path(__file__).resolve().parent / "resources" / "wordnet"


class WordNetUnavailable(TaglensError):
    pass


_reported: set[str] = set()


def report_missing_once(key: str, message: str) -> None:
    """Say on stderr, once per process and key, that an optional resource is missing and what is used instead."""
    if key not in _reported:
        _reported.add(key)
        print(f"taglens: {message}", file=sys.stderr)


def wordnet_source() -> Path:
    """The WordNet 3.0 folder to read: ``TAGLENS_WORDNET`` if set, else the package's own copy (unpacked into the
    cache on first use), else a system copy (said once on stderr). Raises WordNetUnavailable naming what is wrong."""
    override = os.environ.get("TAGLENS_WORDNET")
    if override:
        if not (Path(override) / "data.noun").is_file():
            raise WordNetUnavailable(f"TAGLENS_WORDNET={override} is not a WordNet 3.0 folder (no data.noun there); "
                                     "unset it to use the WordNet shipped with taglens")
        return Path(override)
    if (SHIPPED / "MANIFEST").is_file():
        return unpack_shipped()
    for folder in SEARCH:
        if (Path(folder) / "data.noun").is_file():
            report_missing_once("wordnet", f"the WordNet files shipped with taglens are missing ({SHIPPED}); "
                                           f"using {folder}")
            return Path(folder)
    raise WordNetUnavailable(f"WordNet 3.0 not found: the files shipped with taglens are missing ({SHIPPED}; "
                             "reinstall taglens) and there is no system copy; set TAGLENS_WORDNET to a folder with "
                             "data.noun")


def _manifest() -> list[tuple[str, int, str]]:
    rows = []
    for line in (SHIPPED / "MANIFEST").read_text("utf-8").splitlines():
        name, size, digest = line.split("\t")
        rows.append((name, int(size), digest))
    return rows


def unpack_shipped() -> Path:
    """The shipped WordNet files unpacked into the cache (once; each file checked against its sha256, written
    atomically, a ``complete`` stamp last), with ``lexnames`` for nltk. Returns the folder. Where the cache cannot
    be written (a read-only or full disk, TAGLENS_CACHE naming a file), they are unpacked into a temporary folder
    for this process instead (removed at exit; said once on stderr), so that suggestions do not change with the
    cache. Where neither can be, WordNetUnavailable, and so on every later call without trying again (each try
    decompresses the files: a second per call, and a caption's words call it once each)."""
    got = _unpacked()
    if isinstance(got, WordNetUnavailable):
        raise WordNetUnavailable(str(got)) from None
    return got


@functools.lru_cache(maxsize=1)
def _unpacked() -> Path | WordNetUnavailable:
    try:
        return _unpack_shipped()
    except WordNetUnavailable as exc:
        return exc


unpack_shipped.cache_clear = _unpacked.cache_clear  # type: ignore[attr-defined]


def _unpack_shipped() -> Path:
    from .encoders.cache import cache_dir

    manifest_bytes = (SHIPPED / "MANIFEST").read_bytes()
    dst = cache_dir() / f"wordnet-3.0-{hashlib.sha256(manifest_bytes).hexdigest()[:12]}"
    if (dst / "complete").is_file() and _sizes_match(dst):
        return dst
    try:
        return _unpack_into(dst)
    except OSError as exc:
        reason = exc.strerror or str(exc)
    import atexit
    import tempfile

    try:
        tmp = Path(tempfile.mkdtemp(prefix="taglens-wordnet-"))
    except OSError as exc:
        raise WordNetUnavailable(f"cannot unpack WordNet into {dst}: {reason}, nor into a temporary folder: "
                                 f"{exc.strerror or exc} (set TAGLENS_CACHE to a writable folder)") from None
    atexit.register(shutil.rmtree, tmp, True)
    try:
        _unpack_into(tmp)
    except (OSError, WordNetUnavailable) as exc:
        shutil.rmtree(tmp, ignore_errors=True)  # what was written of it: not left until exit (a full disk)
        if isinstance(exc, WordNetUnavailable):
            raise
        raise WordNetUnavailable(f"cannot unpack WordNet into {dst}: {reason}, nor into {tmp}: "
                                 f"{exc.strerror or exc} (set TAGLENS_CACHE to a writable folder)") from None
    report_missing_once("wordnet-cache", f"cannot unpack WordNet into {dst} ({reason}): unpacked into a temporary "
                                         "folder for this run instead (about 1 s each run; set TAGLENS_CACHE to a "
                                         "writable folder to keep it)")
    return tmp


def _sizes_match(folder: Path) -> bool:
    """Whether each unpacked file in ``folder`` has its MANIFEST size (a stat each: a file cut short or damaged since,
    by another program or the disk, is unpacked again instead of read as WordNet)."""
    try:
        return all((folder / name).stat().st_size == size for name, size, _ in _manifest())
    except OSError:
        return False


def _unpack_into(dst: Path) -> Path:
    """The shipped WordNet files checked and written into ``dst`` (see ``unpack_shipped``); raises OSError where
    ``dst`` cannot be written, WordNetUnavailable where the shipped files are damaged."""
    import lzma

    dst.mkdir(parents=True, exist_ok=True)
    for name, size, digest in _manifest():
        try:
            raw = lzma.decompress((SHIPPED / f"{name}.xz").read_bytes())
        except (OSError, lzma.LZMAError) as exc:
            raise WordNetUnavailable(f"cannot read the shipped WordNet file {SHIPPED / name}.xz: {exc}") from exc
        if len(raw) != size or hashlib.sha256(raw).hexdigest() != digest:
            raise WordNetUnavailable(f"the shipped WordNet file {SHIPPED / name}.xz is damaged (its content "
                                     "does not match MANIFEST): reinstall taglens")
        tmp = dst / f"{name}.{os.getpid()}.tmp"
        tmp.write_bytes(raw)
        tmp.replace(dst / name)
    _write_lexnames(dst)
    (dst / "complete").write_text("WordNet 3.0, unpacked from taglens' resources/wordnet\n")
    return dst


def _write_lexnames(folder: Path) -> None:
    lex = folder / "lexnames"
    if not lex.exists():
        tmp = folder / f"lexnames.{os.getpid()}"
        tmp.write_text("".join(f"{i:02d}\t{n}\t{_pos(n)}\n" for i, n in enumerate(LEXNAMES)))
        tmp.replace(lex)


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
    _write_lexnames(dst)
    return dst


def _pos(lexname: str) -> int:
    return {"noun": 1, "verb": 2, "adj": 3, "adv": 4}[lexname.split(".")[0]]


@functools.lru_cache(maxsize=1)
def get_wordnet():
    """nltk's WordNetCorpusReader over WordNet 3.0 (``wn.synset_from_pos_and_offset('n', 2084071)`` etc.)."""
    return nltk_reader(wordnet_source())


def nltk_reader(source: Path):
    """nltk's reader over the WordNet 3.0 folder ``source`` (a copy with ``lexnames`` is made where it has none)."""
    import warnings

    try:
        import nltk
        from nltk.corpus.reader.wordnet import WordNetCorpusReader
    except ImportError:
        raise WordNetUnavailable("nltk's WordNet reader is for the build scripts and is not installed: "
                                 "pip install 'taglens[train]'") from None

    folder = _prepared_folder(source)
    for allowed in (str(folder), str(source.resolve())):  # nltk only reads below its data path
        if allowed not in nltk.data.path:
            nltk.data.path.append(allowed)

    class WordNet30Reader(WordNetCorpusReader):
        def map_wn(self, version="wordnet"):
            return None  # the files are WordNet 3.0 already: no mapping, so no index.sense needed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return WordNet30Reader(str(folder), None)


def synset_of_wnid(wnid: str):
    """The noun synset of an ImageNet id like 'n02099601'."""
    return get_wordnet().synset_from_pos_and_offset(wnid[0], int(wnid[1:]))


# --- a fast reader for lookups ------------------------------------------------------------------------------------
# nltk parses all four index files (1.6 s) after a 1.2 s import before its first ``synsets()`` answer. The index files
# are sorted, and a data file's synset offset is its byte position, so one word needs only a binary search in each
# index and one read per synset: what the WordNet C library does. Same answers as nltk's ``synsets()``, in the same
# order (checked against nltk in the tests).

_SURROGATE = re.compile("[\ud800-\udfff]")
POS_FILES = (("n", "noun"), ("v", "verb"), ("a", "adj"), ("r", "adv"))
MEMO_SIZE = 65536  # index lines and pointer lists a reader keeps (a few MB at most), cleared when full
SUBSTITUTIONS = {  # nltk's WordNetCorpusReader.MORPHOLOGICAL_SUBSTITUTIONS
    "n": (("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
          ("men", "man"), ("ies", "y")),
    "v": (("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")),
    "a": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
    "r": (),
}


def _kept(store: dict, key, read: Callable[[], Any]):
    """``store[key]``, read by ``read()`` the first time it is asked for; a store of ``MEMO_SIZE`` answers is cleared
    first. Callers hand out copies of the lists kept, so no caller can change them."""
    value = store.get(key)
    if value is None:
        if len(store) >= MEMO_SIZE:
            store.clear()
        value = store[key] = read()
    return value


@dataclass(frozen=True)
class SynsetEntry:
    """One synset as the lookups need it: ``name`` like 'dog.n.01', its lemma names as WordNet spells them."""

    name: str
    pos: str
    offset: int
    lemma_names: tuple[str, ...]

    @property
    def key(self) -> tuple[str, int]:
        """(data file's pos, offset): a satellite adjective's pos read as 'a' (they share data.adj)."""
        return ("a" if self.pos == "s" else self.pos), self.offset


def _lemma_form(word: str) -> str | None:
    """The word as WordNet's index spells lemmas (lower case), or None for one it cannot hold: empty, with white
    space, unprintable, or with a lone surrogate (which cannot even be encoded)."""
    word = word.lower()
    if not word or any(c.isspace() for c in word) or not word.isprintable() or _SURROGATE.search(word):
        return None
    return word


class WordNetLookup:
    """``synsets(word)`` over WordNet 3.0 files without loading them: binary search in the sorted index files, one
    seek per synset in the data files. Opening it costs nothing; a lookup takes well under a millisecond."""

    def __init__(self, folder: Path | None = None):
        import mmap

        self.folder = Path(folder) if folder is not None else wordnet_source()
        self._index: dict[str, Any] = {}
        self._data: dict[str, Any] = {}
        self._exceptions: dict[str, dict[str, list[str]]] = {}
        self._synsets: dict[tuple[str, int], SynsetEntry] = {}
        self._depths: dict[tuple[str, int], int] = {}
        # answers read from the files, kept: a climb from each new word re-reads the same few hundred synsets and
        # index lines (issue 21: a warm post's distress and weapon checks spent ~1 ms a post re-parsing them)
        self._entries: dict[tuple[str, str], tuple[list[int], int]] = {}
        self._pointer_lists: dict[tuple[str, int], list[tuple[str, str, int]]] = {}
        for pos, suffix in POS_FILES:
            for kind, store in (("index", self._index), ("data", self._data)):
                path = self.folder / f"{kind}.{suffix}"
                try:
                    with open(path, "rb") as fh:
                        store[pos] = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                except (OSError, ValueError) as exc:
                    raise WordNetUnavailable(f"cannot read WordNet file {path}: {exc}") from exc

    def _offsets(self, lemma: str, pos: str) -> list[int]:
        """The synset offsets of a lemma (underscores for spaces, lower case) in sense order, or []."""
        return self._index_entry(lemma, pos)[0]

    def _index_entry(self, lemma: str, pos: str) -> tuple[list[int], int]:
        """(synset offsets in sense order, how many of them SemCor attests) of a lemma, or ([], 0).

        WordNet orders a lemma's senses by their frequency in the SemCor corpus, and its index line says how many
        of them SemCor tagged at all (``tagsense_cnt``): the rest are rare senses (``dog`` as "frump")."""
        offsets, attested = _kept(self._entries, (lemma, pos), lambda: self._read_index_entry(lemma, pos))
        return list(offsets), attested

    def _read_index_entry(self, lemma: str, pos: str) -> tuple[list[int], int]:
        if not lemma or lemma[0].isspace():  # "" (morphy's "s" minus "s") would match the licence lines
            return [], 0
        buf, key = self._index[pos], lemma.encode("utf-8") + b" "
        lo, hi = 0, len(buf)
        while lo < hi:  # find the first line whose start is >= key; licence lines (leading spaces) sort first
            mid = (lo + hi) // 2
            start = buf.rfind(b"\n", 0, mid) + 1
            end = buf.find(b"\n", start)
            end = len(buf) if end < 0 else end
            if buf[start:end] + b"\n" < key:
                lo = end + 1
            else:
                hi = start
        if not buf[lo: lo + len(key)] == key:
            return [], 0
        end = buf.find(b"\n", lo)
        fields = buf[lo: len(buf) if end < 0 else end].split()
        n_synsets, n_pointers = int(fields[2]), int(fields[3])
        return [int(f) for f in fields[6 + n_pointers: 6 + n_pointers + n_synsets]], int(fields[5 + n_pointers])

    def _exception_map(self, pos: str) -> dict[str, list[str]]:
        if pos not in self._exceptions:
            table: dict[str, list[str]] = {}
            path = self.folder / f"{dict(POS_FILES)[pos]}.exc"
            if path.is_file():
                for line in path.read_text("utf-8", errors="replace").splitlines():
                    terms = line.split()
                    if terms:
                        table[terms[0]] = terms[1:]
            self._exceptions[pos] = table
        return self._exceptions[pos]

    def morphy(self, form: str, pos: str) -> list[str]:
        """nltk's ``_morphy``: the exception list's base forms, else the suffix rules applied once; with the
        form itself, those that WordNet has for this part of speech."""
        exceptions = self._exception_map(pos)
        if form in exceptions:
            forms = exceptions[form]
        else:
            forms = [form[: -len(old)] + new for old, new in SUBSTITUTIONS[pos] if form.endswith(old)]
        return [f for f in dict.fromkeys([form] + forms) if f and self._offsets(f, pos)]

    def synsets(self, word: str) -> list[SynsetEntry]:
        """The synsets of a word or phrase (spaces as underscores), nouns, verbs, adjectives then adverbs, each in
        WordNet's sense order, as nltk's ``synsets(word)`` returns them."""
        word = _lemma_form(word)
        if word is None:
            return []
        return [self._synset(pos, offset) for pos, _ in POS_FILES for form in self.morphy(word, pos)
                for offset in self._offsets(form, pos)]

    def usual_noun_lexname(self, word: str) -> str | None:
        """The lexicographer file of a word's usual noun sense (its first, as nltk orders them): 'noun.act' for
        "support" (the activity), 'noun.artifact' for "tripod"; None when WordNet has no noun for it."""
        word = _lemma_form(word)
        for form in self.morphy(word, "n") if word is not None else ():
            offsets = self._offsets(form, "n")
            if offsets:
                buf = self._data["n"]
                return LEXNAMES[int(buf[offsets[0]: buf.find(b"\n", offsets[0])].split(b" ", 2)[1])]
        return None

    def common_synsets(self, word: str) -> list[SynsetEntry]:
        """The usual senses of a word: those of its first part of speech (nouns, verbs, adjectives, adverbs) that
        SemCor attests, at least the first. ``dog`` gives the domestic dog only, not "frump" or "chase"."""
        word = _lemma_form(word)
        if word is None:
            return []
        for pos, _ in POS_FILES:
            for form in self.morphy(word, pos):
                offsets, attested = self._index_entry(form, pos)
                if offsets:
                    return [self._synset(pos, o) for o in offsets[: max(1, attested)]]
        return []

    def _synset(self, pos: str, offset: int) -> SynsetEntry:
        key = (pos, offset)
        if key not in self._synsets:
            if len(self._synsets) >= 4096:
                self._synsets.clear()
            self._synsets[key] = self._read_synset(pos, offset)
        return self._synsets[key]

    def _read_synset(self, pos: str, offset: int) -> SynsetEntry:
        buf = self._data[pos]
        end = buf.find(b"\n", offset)
        fields = buf[offset: len(buf) if end < 0 else end].decode("utf-8", errors="replace").split(" ")
        try:
            if int(fields[0]) != offset:
                raise ValueError(f"the line there is for offset {fields[0]}")
            ss_type, n_words = fields[2], int(fields[3], 16)
            names = tuple(re.sub(r"\([^()]*\)$", "", fields[4 + 2 * i]) for i in range(n_words))
        except (ValueError, IndexError) as exc:
            raise WordNetUnavailable(f"WordNet data.{dict(POS_FILES)[pos]} in {self.folder} has no synset at "
                                     f"offset {offset} ({exc}): the index and data files do not match") from exc
        first = names[0].lower()
        senses = self._offsets(first, pos)
        if ss_type == "s":  # nltk numbers satellite adjectives among the lemma's satellite senses only
            senses = [o for o in senses if o == offset or self._ss_type(pos, o) == "s"]
        sense = senses.index(offset) + 1 if offset in senses else 1
        return SynsetEntry(f"{first}.{ss_type}.{sense:02d}", ss_type, offset, names)


    def synset_at(self, pos: str, offset: int) -> SynsetEntry:
        """The synset at ``offset`` of the ``pos`` data file ('n' and an ImageNet id's number, for instance)."""
        return self._synset(pos, offset)

    def _pointers(self, pos: str, offset: int) -> list[tuple[str, str, int]]:
        """(pointer symbol, target's part of speech, target's offset) of a synset's pointers, in the data file's
        order (a satellite adjective target read as an adjective: they share data.adj)."""
        return list(_kept(self._pointer_lists, (pos, offset), lambda: self._read_pointers(pos, offset)))

    def _read_pointers(self, pos: str, offset: int) -> list[tuple[str, str, int]]:
        buf = self._data[pos]
        fields = buf[offset: buf.find(b"\n", offset)].decode("utf-8", errors="replace").split(" ")
        at = 4 + 2 * int(fields[3], 16)
        return [(fields[at + 1 + 4 * i], "a" if fields[at + 3 + 4 * i] == "s" else fields[at + 3 + 4 * i],
                 int(fields[at + 2 + 4 * i])) for i in range(int(fields[at]))]

    def related(self, entry: SynsetEntry, symbols: tuple[str, ...]) -> list[SynsetEntry]:
        """The synsets ``entry`` points to by any of WordNet's pointer ``symbols`` ("@" hypernym, "@i" instance
        hypernym, "#p" part holonym, ";c" topic domain ...), in the data file's order."""
        return [self._synset(target, offset) for symbol, target, offset in self._pointers(*entry.key)
                if symbol in symbols]

    def targets(self, pos: str, offset: int, symbols: tuple[str, ...]) -> list[tuple[str, int]]:
        """(pos, offset) of the synsets a synset points to by any of ``symbols``, in the data file's order:
        :meth:`related` without reading the targets (a climb compares keys, and names only the synset it stops at)."""
        return [(target, off) for symbol, target, off in self._pointers(pos, offset) if symbol in symbols]

    def key_of(self, name: str) -> tuple[str, int] | None:
        """(pos, offset) of the synset named like 'weapon.n.01' (a satellite adjective's pos read as 'a'), or None."""
        lemma, pos, _ = name.rsplit(".", 2)
        pos = "a" if pos == "s" else pos
        for offset in self._offsets(lemma.lower(), pos):
            if self._synset(pos, offset).name == name:
                return pos, offset
        return None

    def climb(self, start: tuple[str, int], step: Callable[[str, int], list[tuple[str, int]]],
              depth: int) -> Iterator[list[tuple[str, int]]]:
        """Breadth first from the synset ``start`` ((pos, offset)): each level in turn, ``[start]`` first, then the
        synsets ``step(pos, offset)`` gives of the level before (``hypernyms``, or ``targets`` by some symbols), each
        synset once, in the order found; ``depth`` levels at most."""
        level, seen = [start], {start}
        for i in range(depth):
            yield level
            if i + 1 == depth:
                return
            nxt = []
            for key in level:
                for up in step(*key):
                    if up not in seen:
                        seen.add(up)
                        nxt.append(up)
            if not nxt:
                return
            level = nxt

    def reaches(self, starts: Iterable[tuple[str, int]], roots: Container[tuple[str, int]], depth: int) -> bool:
        """Whether a climb by ``hypernyms`` (``depth`` levels at most) from any of the synsets ``starts`` meets one
        of ``roots`` (keys, as ``synset_keys`` gives them)."""
        return any(key in roots for start in starts for level in self.climb(start, self.hypernyms, depth)
                   for key in level)

    def hypernyms(self, pos: str, offset: int) -> list[tuple[str, int]]:
        """(pos, offset) of the synset's hypernyms then its instance hypernyms, in the data file's order: what
        nltk's ``hypernyms() + instance_hypernyms()`` name (nltk keeps them in a set, so its order varies)."""
        pointers = self._pointers(pos, offset)
        return [(t, o) for symbol in ("@", "@i") for s, t, o in pointers if s == symbol]

    def min_depth(self, pos: str, offset: int) -> int:
        """The length of the shortest hypernym path (instance hypernyms included) to a root, as nltk's
        ``min_depth()``."""
        key = (pos, offset)
        if key not in self._depths:
            ups = self.hypernyms(pos, offset)
            self._depths[key] = 1 + min(self.min_depth(*h) for h in ups) if ups else 0
        return self._depths[key]

    def _ss_type(self, pos: str, offset: int) -> str:
        buf = self._data[pos]
        return buf[offset: buf.find(b"\n", offset)].split(b" ", 3)[2].decode("ascii", errors="replace")


@functools.lru_cache(maxsize=1)
def get_lookup() -> WordNetLookup:
    """The shared fast reader (raises WordNetUnavailable when no WordNet 3.0 folder is found)."""
    return WordNetLookup()


@functools.lru_cache(maxsize=64)
def synset_keys(names: tuple[str, ...]) -> frozenset[tuple[str, int]]:
    """The (pos, offset) keys of the synsets named like 'weapon.n.01' that WordNet holds (the shared reader)."""
    lookup = get_lookup()
    return frozenset(key for key in (lookup.key_of(name) for name in names) if key)


def senses_reach(pick: Callable[[WordNetLookup], Iterable[tuple[str, int]]], roots: tuple[str, ...],
                 depth: int) -> bool:
    """Whether one of the synsets ``pick(lookup)`` chooses (their keys: a word's first noun senses, its verbs ...)
    climbs to one of ``roots`` (names like 'organism.n.01') within ``depth`` steps (``WordNetLookup.reaches``);
    False where WordNet is unavailable."""
    try:
        lookup = get_lookup()
        return lookup.reaches(pick(lookup), synset_keys(roots), depth)
    except WordNetUnavailable:
        return False


def lemma_tag(lemma: str) -> str:
    """A WordNet lemma in hashtag form: lowercase letters and digits only (``jack-o'-lantern`` -> ``jackolantern``)."""
    return "".join(ch for ch in lemma.lower() if ch.isalnum())


def synonym_tags(word: str, max_senses: int) -> list[tuple[str, int, str]]:
    """(tag, sense rank, synset name) for the lemmas of the first ``max_senses`` usual senses of ``word`` (see
    :meth:`WordNetLookup.common_synsets`), in tag form; each tag once, with its best rank; the word itself left
    out. Raises WordNetUnavailable when no WordNet is found."""
    out: dict[str, tuple[str, int, str]] = {}
    own = lemma_tag(word)
    for rank, synset in enumerate(get_lookup().common_synsets(word)[:max_senses]):
        for lemma in synset.lemma_names:
            tag = lemma_tag(lemma)
            if tag and tag != own and tag not in out:
                out[tag] = (tag, rank, synset.name)
    return list(out.values())
