"""Offline sources: an instaloader download folder, and a posts.jsonl file with its images.

Both page through a fixed, sorted list of posts, so the cursor is simply the index of the next post.
"""
from __future__ import annotations

import hashlib
import json
import logging
import lzma
import re
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ...exceptions import DataError, InputError
from ...types import normalize_tag
from .base import ALL, BaseSource, MediaMissing, MediaRef, Page, RawPost

log = logging.getLogger(__name__)

_MEDIA_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".mp4", ".mov", ".webm")
_VIDEO_EXTS = {".mp4", ".mov", ".webm"}
_INDEXED = re.compile(r"^(?P<stem>.+?)_(?P<n>\d+)$")


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file; OSError for anything else: a link to a device or a pipe would be read forever."""
    if not stat.S_ISREG(path.stat().st_mode):
        raise OSError("not a regular file: a device, pipe or socket")
    return path.read_bytes()


def _read_local(media: MediaRef) -> bytes:
    try:
        return _read_regular(Path(media.ref))
    except FileNotFoundError:
        raise MediaMissing(f"{media.ref}: no such file") from None
    except OSError as exc:
        raise MediaMissing(f"{media.ref}: cannot read ({exc.strerror or exc})") from None


def _digest(files: Iterable[Path]) -> str:
    h = hashlib.sha1()
    for f in files:
        try:
            st = f.stat()
            h.update(f"{f.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
        except OSError:
            h.update(f"{f}\0missing\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _page(items: list[Any], cursor: str | None, page_size: int) -> tuple[list[Any], str | None, bool]:
    start = int(cursor or 0)
    chunk = items[start:start + page_size]
    end = start + len(chunk)
    return chunk, (None if end >= len(items) else str(end)), end >= len(items)


class InstaloaderDirSource(BaseSource):
    """A folder of instaloader downloads: one sub-folder per hashtag (``tag`` or ``#tag``), each post a
    ``<stem>.json.xz`` (or ``.json``) metadata file, an optional ``<stem>.txt`` caption and its media
    (``<stem>.jpg``, or ``<stem>_1.jpg``, ``<stem>_2.jpg`` ... for a carousel; a video's thumbnail stands for it).

    A folder holding metadata files directly is one hashtag, named after the folder. The same post found under
    several hashtags sits in each folder; it has one id (its shortcode), so the store keeps it once.
    """

    family = "instagram"

    def __init__(self, root: str | Path, page_size: int = 50) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise InputError(f"{self.root}: no such folder (instaloader-dir source)")
        # the store keeps progress per source name: the resolved folder, so two folders never share it
        self.name = f"instaloader-dir:{self.root.resolve()}"
        self.aliases = (f"instaloader-dir:{self.root}",)  # the name stores written before used
        self.page_size = page_size
        self._folders = self._scan()
        self._index: dict[str, list[Path]] = {}
        self._media: dict[Path, dict[str, dict[int, list[Path]]]] = {}

    def _scan(self) -> dict[str, Path]:
        folders: dict[str, Path] = {}
        if self._metadata_files(self.root):
            folders[normalize_tag(self.root.name)] = self.root
        for sub in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if self._metadata_files(sub):
                folders.setdefault(normalize_tag(sub.name), sub)
        return folders

    @staticmethod
    def _metadata_files(folder: Path) -> list[Path]:
        files = sorted(folder.glob("*.json.xz"))
        # uncompressed metadata where no .json.xz exists (instaloader --no-compress-json)
        have = {p.name[:-len(".json.xz")] for p in files}
        files += [p for p in sorted(folder.glob("*.json")) if p.name[:-len(".json")] not in have]
        return sorted(files, key=lambda p: p.name)

    def list_hashtags(self) -> list[str]:
        return sorted(self._folders)

    def fingerprint(self) -> str:
        """A digest of the posts' metadata files (names, sizes, modification times): new downloads change it."""
        return _digest(f for folder in self._folders.values() for f in self._metadata_files(folder))

    def fetch_page(self, hashtag: str, cursor: str | None) -> Page:
        folders = list(self._folders) if hashtag == ALL else [hashtag]
        files: list[Path] = []
        for tag in folders:
            if tag not in self._index:
                folder = self._folders.get(tag)
                self._index[tag] = self._metadata_files(folder) if folder else []
            files += self._index[tag]
        chunk, nxt, done = _page(files, cursor, self.page_size)
        posts = []
        for meta in chunk:
            try:
                posts.append(self.read_post(meta))
            except DataError as exc:
                log.warning("skipping %s", exc)
            except (OSError, TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError) as exc:
                log.warning("skipping %s: malformed instaloader post (%s: %s)", meta, type(exc).__name__, exc)
        return Page(posts, nxt, done)

    def read_post(self, meta_path: Path) -> RawPost:
        """One post from its metadata file, caption file and media files."""
        stem = meta_path.name[:-len(".json.xz")] if meta_path.name.endswith(".json.xz") else meta_path.stem
        folder = meta_path.parent
        try:
            raw = _read_regular(meta_path)
            raw = lzma.decompress(raw) if meta_path.suffix == ".xz" else raw
            doc = json.loads(raw)
        except (OSError, lzma.LZMAError, ValueError) as exc:
            raise DataError(f"{meta_path}: unreadable instaloader metadata ({exc})") from None
        node = doc.get("node", doc) if isinstance(doc, dict) else {}
        if not isinstance(node, dict):
            raise DataError(f"{meta_path}: instaloader metadata is not a JSON object")
        shortcode = node.get("shortcode")
        if not shortcode or not isinstance(shortcode, (str, int)):
            raise DataError(f"{meta_path}: metadata without a shortcode")
        txt = folder / f"{stem}.txt"
        if txt.is_file():
            try:  # universal newlines, as instaloader's own reader; a stray non-UTF-8 byte becomes U+FFFD
                text = txt.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                raise DataError(f"{txt}: unreadable caption ({exc.strerror or exc})") from None
        else:
            edges = (node.get("edge_media_to_caption") or {}).get("edges") or []
            text = edges[0]["node"]["text"] if edges else ""
        if not isinstance(text, str):
            raise DataError(f"{meta_path}: caption is not text")
        owner = node.get("owner") or {}
        if not isinstance(owner, dict):
            owner = {}
        ts = node.get("taken_at_timestamp")
        return RawPost(
            family=self.family,
            source_id=shortcode,
            text=text,
            user=str(owner["id"]) if owner.get("id") is not None else None,
            username=owner.get("username"),
            media=tuple(MediaRef(str(p), local=True, is_video=p.suffix.lower() in _VIDEO_EXTS)
                        for p in self._media_files(folder, stem)),
            created_at=datetime.fromtimestamp(ts, timezone.utc).isoformat() if ts else None,
            url=f"https://www.instagram.com/p/{shortcode}/",
            extra={"typename": node.get("__typename")} if node.get("__typename") else {},
        )

    def _media_files(self, folder: Path, stem: str) -> list[Path]:
        """The post's media in carousel order; per position the picture (or a video's thumbnail) wins."""
        if folder not in self._media:
            self._media[folder] = self._index_media(folder)
        by_pos = self._media[folder].get(stem, {})
        out = []
        for pos in sorted(by_pos):
            files = sorted(by_pos[pos], key=lambda p: (p.suffix.lower() in _VIDEO_EXTS, p.name))
            out.append(files[0])
        return out

    def _index_media(self, folder: Path) -> dict[str, dict[int, list[Path]]]:
        """stem -> carousel position -> media files, from one listing of the folder."""
        stems = {p.name[:-len(".json.xz")] if p.name.endswith(".json.xz") else p.stem
                 for p in self._metadata_files(folder)}
        index: dict[str, dict[int, list[Path]]] = {}
        for p in folder.iterdir():
            suffix = p.suffix.lower()
            if suffix not in _MEDIA_EXTS:
                continue
            base = p.name[: -len(p.suffix)]
            if base in stems:
                stem, pos = base, 0
            else:
                m = _INDEXED.match(base)
                if not m or m.group("stem") not in stems:
                    continue
                stem, pos = m.group("stem"), int(m.group("n"))
            index.setdefault(stem, {}).setdefault(pos, []).append(p)
        return index

    def fetch_image(self, media: MediaRef) -> bytes:
        return _read_local(media)


class JsonlSource(BaseSource):
    """A posts.jsonl (the format of ../shared/EVALUATION.md) and the images next to it.

    ``#tag`` selects the posts that carry the tag or were collected under it (``topic``); ``*`` selects all.
    A post keeps the ``source`` of its line as its family, so ids stay unique per origin.
    """

    def __init__(self, path: str | Path, page_size: int = 200) -> None:
        from ...data.posts import iter_records

        self.path = Path(path)
        # the store keeps progress per source name: the resolved file, so two files never share it
        self.name = f"jsonl:{self.path.resolve()}"
        self.aliases = (f"jsonl:{self.path}",)  # the name stores written before used
        self.page_size = page_size
        self._fingerprint = _digest([self.path])  # before reading: lines appended meanwhile change the file's
        self._posts: list[RawPost] = []
        bad = 0
        for rec in iter_records(self.path, strict=False):
            if isinstance(rec, Exception):
                bad += 1
                log.warning("%s", rec)
                continue
            topics = tuple(normalize_tag(t) for t in (rec.topic or "").split(",") if t.strip())
            self._posts.append(RawPost(
                family=rec.source or "jsonl", source_id=rec.id, text=rec.text, hashtags=rec.hashtags,
                user=rec.user, topics=topics,
                media=tuple(MediaRef(str(p), local=True, is_video=p.suffix.lower() in _VIDEO_EXTS)
                            for p in rec.images)))
        self.bad_lines = bad

    def list_hashtags(self) -> list[str]:
        return [ALL]

    def fingerprint(self) -> str:
        """A digest of the posts file as it was read (its size and modification time): lines appended change it."""
        return self._fingerprint

    def fetch_page(self, hashtag: str, cursor: str | None) -> Page:
        if hashtag == ALL:
            posts = self._posts
        else:
            posts = [p for p in self._posts if hashtag in p.hashtags or hashtag in p.topics]
        chunk, nxt, done = _page(posts, cursor, self.page_size)
        return Page(chunk, nxt, done)

    def fetch_image(self, media: MediaRef) -> bytes:
        return _read_local(media)
