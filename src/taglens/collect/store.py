"""The collection store: one embedded SQLite database plus content-addressed image files.

Layout of a store folder::

    taglens.sqlite            posts, users, hashtags, the crawl frontier, per-source cursors, expansion decisions
    images/ab/ab12...ef.jpg   every image once, named by the SHA-256 of its bytes

The database runs in WAL mode and every page of posts is stored, with the cursor that follows it, in one
transaction (:meth:`Store.save_page`), so a process killed at any moment (``kill -9``) loses nothing that was
committed and resumes from the last stored page. Posts are unique by ``(family, source_id)``, images by content
hash; an image file is written (atomically, by rename) before the transaction that references it, so a crash can
at worst leave an unreferenced file, which the next run rewrites identically or ignores.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..exceptions import InputError, OutputError, TaglensError
from .sources.base import ALL, MediaRef, RawPost, shorten

SCHEMA_VERSION = 1
DB_NAME = "taglens.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, family TEXT NOT NULL, user_id TEXT NOT NULL, username TEXT,
    UNIQUE (family, user_id));
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY, family TEXT NOT NULL, source_id TEXT NOT NULL, user_pk INTEGER REFERENCES users(id),
    text TEXT NOT NULL DEFAULT '', created_at TEXT, url TEXT, source TEXT NOT NULL, round INTEGER NOT NULL,
    collected_at REAL NOT NULL, extra TEXT,
    UNIQUE (family, source_id));
CREATE TABLE IF NOT EXISTS post_tags (
    post_id INTEGER NOT NULL REFERENCES posts(id), position INTEGER NOT NULL, tag TEXT NOT NULL,
    PRIMARY KEY (post_id, position));
CREATE INDEX IF NOT EXISTS post_tags_tag ON post_tags (tag);
CREATE TABLE IF NOT EXISTS post_topics (
    post_id INTEGER NOT NULL REFERENCES posts(id), tag TEXT NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (post_id, tag));
CREATE INDEX IF NOT EXISTS post_topics_tag ON post_topics (tag);
CREATE TABLE IF NOT EXISTS images (
    sha256 TEXT PRIMARY KEY, ext TEXT NOT NULL, size INTEGER NOT NULL, stored_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS post_media (
    post_id INTEGER NOT NULL REFERENCES posts(id), position INTEGER NOT NULL, ref TEXT NOT NULL,
    sha256 TEXT REFERENCES images(sha256), status TEXT NOT NULL, is_video INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, position));
CREATE TABLE IF NOT EXISTS hashtags (
    tag TEXT PRIMARY KEY, words TEXT, status TEXT NOT NULL, round INTEGER NOT NULL, score REAL,
    origin TEXT NOT NULL, reason TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS hashtags_status ON hashtags (status);
CREATE TABLE IF NOT EXISTS cursors (
    source TEXT NOT NULL, tag TEXT NOT NULL, cursor TEXT, done INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0, posts INTEGER NOT NULL DEFAULT 0, new_posts INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0, last_error TEXT, updated_at REAL NOT NULL,
    PRIMARY KEY (source, tag));
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY, round INTEGER NOT NULL, tag TEXT NOT NULL, action TEXT NOT NULL, score REAL,
    reason TEXT NOT NULL, details TEXT, created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_tag ON decisions (tag);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY, status TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    updated_at REAL NOT NULL);
"""

class TagStatus(str, Enum):
    """A hashtag's state in the store (stored as its value). The frontier is every queued hashtag; a crawl that
    stops for the target leaves its hashtag queued, with its cursor."""

    QUEUED = "queued"
    DONE = "done"
    CAPPED = "capped"  # stopped at --per-tag: a higher --per-tag continues it
    FAILED = "failed"
    REJECTED = "rejected"  # proposed by expansion, judged off-topic

    def __str__(self) -> str:
        return self.value


QUEUED, DONE, CAPPED, FAILED, REJECTED = TagStatus


@dataclass(frozen=True)
class HashtagRow:
    """One row of ``hashtags``: a hashtag the collection knows, why and how far it got."""

    tag: str
    words: str | None
    status: TagStatus
    round: int
    score: float | None
    origin: str  # seed, import, or the expansion signal that proposed it
    reason: str
    updated_at: float

    @classmethod
    def of(cls, row: sqlite3.Row) -> "HashtagRow":
        return cls(row["tag"], row["words"], TagStatus(row["status"]), row["round"], row["score"], row["origin"],
                   row["reason"], row["updated_at"])


@dataclass(frozen=True)
class CursorRow:
    """One row of ``cursors``: how far ``source`` has read ``tag``."""

    source: str
    tag: str
    cursor: str | None
    done: bool
    pages: int
    posts: int
    new_posts: int
    failures: int
    last_error: str | None
    updated_at: float

    @classmethod
    def of(cls, row: sqlite3.Row) -> "CursorRow":
        return cls(row["source"], row["tag"], row["cursor"], bool(row["done"]), row["pages"], row["posts"],
                   row["new_posts"], row["failures"], row["last_error"], row["updated_at"])


@dataclass(frozen=True)
class DecisionRow:
    """One row of ``decisions``: what expansion (or a seed, or an import) decided about a hashtag, and why."""

    id: int
    round: int
    tag: str
    action: str
    score: float | None
    reason: str
    details: str | None  # JSON
    created_at: float

    @classmethod
    def of(cls, row: sqlite3.Row) -> "DecisionRow":
        return cls(row["id"], row["round"], row["tag"], row["action"], row["score"], row["reason"], row["details"],
                   row["created_at"])


@dataclass(frozen=True)
class MediaToRetry:
    """An image of a stored post that was missing or kept failing: where it is and what it was."""

    post_id: int
    position: int
    ref: str
    is_video: bool
    status: str

_MAGIC = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def sniff_ext(data: bytes) -> str | None:
    """The file extension for image/video bytes, from their magic number; ``None`` for anything else."""
    for magic, ext in _MAGIC:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp":
        return "mov" if data[8:10] == b"qt" else "mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


_VIDEO_EXTS = {"mp4", "mov", "webm"}


def image_ext(data: bytes) -> str | None:
    """Like :func:`sniff_ext`, but a picture must also decode: a truncated or corrupt JPEG/PNG/GIF/WebP whose
    first bytes look right gives ``None``. Videos are only checked by their magic number.

    JPEGs are decoded at reduced scale (``draft``) and PNGs checked with ``verify()`` (chunk CRCs), so this
    stays cheap next to a download.
    """
    ext = sniff_ext(data)
    if ext is None or ext in _VIDEO_EXTS:
        return ext
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: a big picture is still a picture
            with Image.open(io.BytesIO(data)) as img:
                if img.format == "PNG":
                    img.verify()
                else:
                    if img.format == "JPEG":
                        img.draft("RGB", (64, 64))
                    img.load()
    except Exception:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError, DecompressionBombError ...
        return None
    return ext


def store_error(path: Path, exc: sqlite3.DatabaseError) -> TaglensError:
    """A clear taglens error for an sqlite error on the store at ``path``: :class:`OutputError` when the store
    cannot be written (disk full, read-only), :class:`InputError` when it is damaged or unreadable."""
    msg = str(exc) or type(exc).__name__
    low = msg.lower()
    db = path / DB_NAME
    if "disk i/o" in low:  # SQLite's word for a failed write: on a store that opened, mostly a full disk (or one
        # over a file size limit); what it stored before is kept, and the same command resumes once there is room
        return OutputError(f"{db}: cannot write the collection store: {msg} (is the disk full? what was stored is "
                           "kept: run the same command again once there is room)")
    if "full" in low or "readonly" in low or "read-only" in low:
        return OutputError(f"{db}: cannot write the collection store: {msg}")
    if "locked" in low or "busy" in low:
        return InputError(f"{db}: the collection store is busy (another process holds it): {msg}")
    if "unable to open" in low:
        return InputError(f"{db}: cannot open the collection store ({msg}); check that the folder is readable, "
                          f"and writable to collect into it")
    return InputError(f"{db}: the collection store is damaged or not a taglens store ({msg}); restore it from a "
                      f"backup or collect into a new --store")


@dataclass
class StoredMedia:
    """What became of one :class:`MediaRef` of a post: its image's hash, or why there is none."""

    media: MediaRef
    sha256: str | None
    status: str  # "ok", "missing" (gone for good), "failed" (kept failing), "invalid" (not an image)


@dataclass
class PageResult:
    new_posts: int
    known_posts: int
    new_images: int


class Store:
    """A collection store folder. Open it with ``Store(path)``; it is created on first use.

    Example:
        >>> store = Store(tmp_path / "store")            # doctest: +SKIP
        >>> store.counts()                               # doctest: +SKIP
        {'posts': 0, 'images': 0, 'users': 0, 'hashtags': 0, 'queued': 0}
    """

    def __init__(self, path: str | Path, *, create: bool = True, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock_fh = None
        db = self.path / DB_NAME
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"{self.path}: not a folder")
        if (not create or read_only) and not db.is_file():
            raise InputError(f"{self.path}: no taglens store here (no {DB_NAME}); run `taglens collect` first")
        self.image_dir = self.path / "images"
        with self.guard():
            if read_only:
                self.db = self._connect_read_only(db)
            else:
                try:
                    self.path.mkdir(parents=True, exist_ok=True)
                    self.image_dir.mkdir(exist_ok=True)
                except OSError as exc:
                    raise OutputError(f"{self.path}: cannot create the collection store here ({exc.strerror or exc}"
                                      f"); choose a --store folder you can write in") from None
                # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per page.
                self.db = sqlite3.connect(str(db), isolation_level=None, timeout=30.0)
            try:
                self._setup()
            except BaseException:
                self.db.close()
                raise

    def _connect_read_only(self, db: Path) -> sqlite3.Connection:
        """``mode=ro``; on read-only media where sqlite cannot create the WAL index, ``immutable=1``."""
        from urllib.parse import quote

        uri = f"file:{quote(str(db.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30.0)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError as exc:
            conn.close()
            wal = db.with_name(db.name + "-wal")
            if wal.is_file() and wal.stat().st_size > 0:
                # immutable=1 would ignore the write-ahead log and miss the posts still in it
                raise InputError(f"{db}: cannot open the store read-only ({exc}), and posts are still in "
                                 f"{wal.name}: open it once where it can be written (e.g. run `taglens stats` "
                                 f"with write access) to fold them in") from None
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None, timeout=30.0)
        return conn

    def _setup(self) -> None:
        self.db.row_factory = sqlite3.Row
        if self.read_only:
            self.db.execute("PRAGMA query_only=ON")
            have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "meta" not in have or "posts" not in have:
                raise InputError(f"{self.path / DB_NAME}: not a taglens collection store (no posts/meta tables)")
            version = self.get_meta("schema_version")
            if version is not None and int(version) != SCHEMA_VERSION:
                raise InputError(f"{self.path}: store schema {version} is not the supported {SCHEMA_VERSION}")
            return
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable against a killed process
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_SCHEMA)
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif int(version) != SCHEMA_VERSION:
            raise InputError(f"{self.path}: store schema {version} is not the supported {SCHEMA_VERSION}")

    # -- plumbing -------------------------------------------------------------------------------------------
    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn an sqlite error inside the block into a clear taglens error naming the store
        (:func:`store_error`: InputError for a damaged store, OutputError for a full disk)."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            # a damaged file ("malformed", "not a database") or a failed write ("disk is full"); constraint
            # violations and misuse are bugs, not store problems, and pass through
            if type(exc) is not sqlite3.DatabaseError and not isinstance(exc, sqlite3.OperationalError):
                raise
            raise store_error(self.path, exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolls back on any exception."""
        with self.guard():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                try:
                    self.db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # sqlite already rolled back (e.g. SQLITE_FULL)
                raise

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    def lock(self) -> None:
        """Claim the store for one collecting process (released on close or when the process dies, even by
        ``kill -9``); raises InputError while another process holds it."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return
        try:
            fh = open(self.path / ".collect.lock", "a+")
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write in the collection store ({exc.strerror or exc}); collect "
                              f"into a folder you can write in (stats and export only read it)") from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise InputError(f"{self.path}: another `taglens collect` is writing to this store") from None
        self._lock_fh = fh

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any, conn: sqlite3.Connection | None = None) -> None:
        (conn or self.db).execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                                  "value = excluded.value", (key, json.dumps(value)))

    # -- images ---------------------------------------------------------------------------------------------
    def image_path(self, sha256: str, ext: str) -> Path:
        return self.image_dir / sha256[:2] / f"{sha256}.{ext}"

    def put_image(self, data: bytes, ext: str | None = None) -> tuple[str, str]:
        """Write image bytes under their content hash (atomically; a no-op when present); returns (sha256, ext).

        The database row is added by :meth:`save_page`, in the transaction of the post that uses it.
        """
        ext = ext or sniff_ext(data)
        if ext is None:
            raise ValueError("not an image or video (unknown magic number)")
        sha = hashlib.sha256(data).hexdigest()
        path = self.image_path(sha, ext)
        if not path.is_file() or path.stat().st_size != len(data):
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                path.parent.mkdir(exist_ok=True)
                with open(tmp, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise OutputError(f"{self.path}: cannot write an image into the collection store "
                                  f"({exc.strerror or exc})") from exc
        return sha, ext

    # -- posts ----------------------------------------------------------------------------------------------
    def known_source_ids(self, family: str, source_ids: Sequence[str]) -> set[str]:
        """The ids among ``source_ids`` already stored for ``family``."""
        ids = list(dict.fromkeys(source_ids))
        known: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT source_id FROM posts WHERE family = ? AND source_id IN ({','.join('?' * len(chunk))})"
            known.update(r[0] for r in self.db.execute(q, (family, *chunk)))
        return known

    def save_page(self, source: str, tag: str, items: Sequence[tuple[RawPost, Sequence[StoredMedia]]],
                  cursor: str | None, done: bool, round_no: int, images: dict[str, tuple[str, int]]) -> PageResult:
        """Store one page of posts and the cursor after it, in a single transaction.

        ``images`` maps the hashes of the page's image files (already written by :meth:`put_image`) to
        (ext, size). A post already stored (same family and source id) only gains ``tag`` as a topic.
        """
        now = time.time()
        new_posts = known = new_images = 0
        with self.transaction() as db:
            for sha, (ext, size) in images.items():
                cur = db.execute("INSERT OR IGNORE INTO images (sha256, ext, size, stored_at) VALUES (?, ?, ?, ?)",
                                 (sha, ext, size, now))
                new_images += cur.rowcount
            for post, media in items:
                row = db.execute("SELECT id FROM posts WHERE family = ? AND source_id = ?",
                                 (post.family, post.source_id)).fetchone()
                if row is not None:
                    known += 1
                    post_id = row[0]
                else:
                    new_posts += 1
                    user_pk = None
                    if post.user is not None:
                        db.execute("INSERT INTO users (family, user_id, username) VALUES (?, ?, ?) ON CONFLICT "
                                   "(family, user_id) DO UPDATE SET username = coalesce(excluded.username, username)",
                                   (post.family, post.user, post.username))
                        user_pk = db.execute("SELECT id FROM users WHERE family = ? AND user_id = ?",
                                             (post.family, post.user)).fetchone()[0]
                    post_id = db.execute(
                        "INSERT INTO posts (family, source_id, user_pk, text, created_at, url, source, round, "
                        "collected_at, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (post.family, post.source_id, user_pk, post.text, post.created_at, post.url, source,
                         round_no, now, json.dumps(post.extra, ensure_ascii=False) if post.extra else None),
                    ).lastrowid
                    db.executemany("INSERT INTO post_tags (post_id, position, tag) VALUES (?, ?, ?)",
                                   [(post_id, i, t) for i, t in enumerate(post.hashtags)])
                    db.executemany(
                        "INSERT INTO post_media (post_id, position, ref, sha256, status, is_video) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [(post_id, i, m.media.ref, m.sha256, m.status, int(m.media.is_video))
                         for i, m in enumerate(media)])
                topics = [t for t in (tag, *post.topics) if t and t != ALL]
                db.executemany("INSERT OR IGNORE INTO post_topics (post_id, tag, source) VALUES (?, ?, ?)",
                               [(post_id, t, source) for t in topics])
            db.execute(
                "INSERT INTO cursors (source, tag, cursor, done, pages, posts, new_posts, failures, updated_at) "
                "VALUES (?, ?, ?, ?, 1, ?, ?, 0, ?) ON CONFLICT (source, tag) DO UPDATE SET cursor = excluded.cursor, "
                "done = excluded.done, pages = pages + 1, posts = posts + excluded.posts, "
                "new_posts = new_posts + excluded.new_posts, failures = 0, last_error = NULL, "
                "updated_at = excluded.updated_at",
                (source, tag, cursor, int(done), len(items), new_posts, now))
        return PageResult(new_posts, known, new_images)

    def get_cursor(self, source: str, tag: str) -> CursorRow | None:
        row = self.db.execute("SELECT * FROM cursors WHERE source = ? AND tag = ?", (source, tag)).fetchone()
        return None if row is None else CursorRow.of(row)

    def cursor_counts(self, source: str) -> tuple[int, int]:
        """(hashtags with a cursor, of which finished) for ``source``."""
        row = self.db.execute("SELECT count(*), coalesce(sum(done), 0) FROM cursors WHERE source = ?",
                              (source,)).fetchone()
        return int(row[0]), int(row[1])

    def reset_cursors(self, source: str) -> int:
        """Make ``source`` read every hashtag again from its first page; the number of hashtags reset."""
        with self.transaction() as db:
            return db.execute("UPDATE cursors SET cursor = NULL, done = 0, posts = 0 WHERE source = ?",
                              (source,)).rowcount

    def rename_source(self, old: str, new: str) -> int:
        """Move the cursors kept under an older name of a source to its current name (hashtags the new name
        already has keep theirs); returns how many moved."""
        with self.transaction() as db:
            return db.execute("UPDATE cursors SET source = ? WHERE source = ? AND tag NOT IN "
                              "(SELECT tag FROM cursors WHERE source = ?)", (new, old, new)).rowcount

    def record_failure(self, source: str, tag: str, error: str) -> int:
        """Count a failed fetch of ``tag`` from ``source``; returns the consecutive failures so far."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO cursors (source, tag, failures, last_error, updated_at) VALUES (?, ?, 1, ?, ?) "
                "ON CONFLICT (source, tag) DO UPDATE SET failures = failures + 1, last_error = excluded.last_error, "
                "updated_at = excluded.updated_at", (source, tag, shorten(error), time.time()))
        row = self.get_cursor(source, tag)
        return row.failures if row else 1

    def set_source_status(self, name: str, status: str, error: str | None = None) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO sources (name, status, failures, last_error, updated_at) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET status = excluded.status, "
                       "failures = failures + excluded.failures, last_error = coalesce(excluded.last_error, "
                       "last_error), updated_at = excluded.updated_at",
                       (name, status, int(status == "failed"), None if error is None else shorten(error),
                        time.time()))

    # -- hashtags, frontier and decisions -------------------------------------------------------------------
    def hashtag(self, tag: str) -> HashtagRow | None:
        row = self.db.execute("SELECT * FROM hashtags WHERE tag = ?", (tag,)).fetchone()
        return None if row is None else HashtagRow.of(row)

    def hashtags(self, status: TagStatus | None = None) -> list[HashtagRow]:
        if status is None:
            rows = self.db.execute("SELECT * FROM hashtags ORDER BY round, score DESC, rowid").fetchall()
        else:
            rows = self.db.execute("SELECT * FROM hashtags WHERE status = ? ORDER BY round, score DESC, rowid",
                                   (TagStatus(status).value,)).fetchall()
        return [HashtagRow.of(r) for r in rows]

    def frontier(self) -> list[HashtagRow]:
        """The queued hashtags, oldest round first, best score first."""
        return self.hashtags(QUEUED)

    def add_hashtag(self, db: sqlite3.Connection, tag: str, *, status: TagStatus, round_no: int, score: float | None,
                    origin: str, reason: str, words: Sequence[str] = ()) -> bool:
        """Insert a hashtag (inside a transaction); returns False when it is already known."""
        cur = db.execute("INSERT OR IGNORE INTO hashtags (tag, words, status, round, score, origin, reason, "
                         "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (tag, " ".join(words) or None, TagStatus(status).value, round_no, score, origin, reason,
                          time.time()))
        return cur.rowcount > 0

    def set_hashtag_status(self, tag: str, status: TagStatus) -> None:
        with self.transaction() as db:
            db.execute("UPDATE hashtags SET status = ?, updated_at = ? WHERE tag = ?",
                       (TagStatus(status).value, time.time(), tag))

    def log_decision(self, db: sqlite3.Connection, round_no: int, tag: str, action: str, score: float | None,
                     reason: str, details: dict[str, Any] | None = None) -> None:
        db.execute("INSERT INTO decisions (round, tag, action, score, reason, details, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (round_no, tag, action, score, reason,
                    json.dumps(details, ensure_ascii=False, sort_keys=True) if details else None, time.time()))

    def decisions(self, tag: str | None = None) -> list[DecisionRow]:
        if tag is None:
            rows = self.db.execute("SELECT * FROM decisions ORDER BY id").fetchall()
        else:
            rows = self.db.execute("SELECT * FROM decisions WHERE tag = ? ORDER BY id", (tag,)).fetchall()
        return [DecisionRow.of(r) for r in rows]

    # -- statistics used by expansion, stats and export -----------------------------------------------------
    def counts(self) -> dict[str, int]:
        q = self.db.execute
        return {
            "posts": q("SELECT count(*) FROM posts").fetchone()[0],
            "images": q("SELECT count(*) FROM images").fetchone()[0],
            "users": q("SELECT count(*) FROM users").fetchone()[0],
            "hashtags": q("SELECT count(*) FROM hashtags").fetchone()[0],
            "queued": q("SELECT count(*) FROM hashtags WHERE status = ?", (QUEUED.value,)).fetchone()[0],
            # images of stored posts without a file: gone (404), kept failing (both retried by the next collect),
            # or not an image
            "images_missing": q("SELECT count(*) FROM post_media WHERE status != 'ok'").fetchone()[0],
        }

    def media_to_retry(self, source: str, limit: int = 10_000) -> list[MediaToRetry]:
        """Images of posts collected from ``source`` that were missing (404) or kept failing."""
        return [MediaToRetry(r[0], r[1], r[2], bool(r[3]), r[4]) for r in self.db.execute(
            "SELECT pm.post_id, pm.position, pm.ref, pm.is_video, pm.status FROM post_media pm "
            "JOIN posts p ON p.id = pm.post_id WHERE p.source = ? AND pm.status IN ('missing', 'failed') "
            "ORDER BY pm.post_id, pm.position LIMIT ?", (source, limit)).fetchall()]

    def update_media(self, rows: Sequence[tuple[int, int, str | None, str]],
                     images: dict[str, tuple[str, int]]) -> int:
        """Record what a retry found: (post_id, position, sha256, status) per image, with the new image files
        (already written by :meth:`put_image`) as in :meth:`save_page`; returns the images now stored."""
        now = time.time()
        with self.transaction() as db:
            for sha, (ext, size) in images.items():
                db.execute("INSERT OR IGNORE INTO images (sha256, ext, size, stored_at) VALUES (?, ?, ?, ?)",
                           (sha, ext, size, now))
            db.executemany("UPDATE post_media SET sha256 = ?, status = ? WHERE post_id = ? AND position = ?",
                           [(sha, status, post_id, pos) for post_id, pos, sha, status in rows])
        return sum(status == "ok" for *_, status in rows)

    def tag_document_frequency(self) -> dict[str, int]:
        """For every hashtag used in stored posts: the number of posts that carry it."""
        return {r[0]: r[1] for r in self.db.execute("SELECT tag, count(DISTINCT post_id) FROM post_tags GROUP BY tag")}

    def post_tag_sets(self) -> Iterator[list[str]]:
        """The hashtag list of every stored post, post by post."""
        current: int | None = None
        tags: list[str] = []
        for post_id, tag in self.db.execute("SELECT post_id, tag FROM post_tags ORDER BY post_id, position"):
            if post_id != current:
                if current is not None:
                    yield tags
                current, tags = post_id, []
            tags.append(tag)
        if current is not None:
            yield tags

    def per_tag_collection(self) -> dict[str, dict[str, int]]:
        """Per crawled hashtag: posts found under it, pages fetched, failures, whether its cursor is exhausted."""
        out: dict[str, dict[str, int]] = {}
        for r in self.db.execute("SELECT tag, sum(pages), sum(posts), sum(new_posts), max(failures), min(done) "
                                 "FROM cursors GROUP BY tag"):
            out[r[0]] = {"pages": r[1] or 0, "seen": r[2] or 0, "new": r[3] or 0, "failures": r[4] or 0,
                         "done": int(r[5] or 0)}
        for tag, n in self.db.execute("SELECT tag, count(*) FROM post_topics GROUP BY tag"):
            out.setdefault(tag, {"pages": 0, "seen": 0, "new": 0, "failures": 0, "done": 0})["posts"] = n
        return out

    def iter_posts(self) -> Iterator[dict[str, Any]]:
        """Every stored post as a dict: ids, user, text, hashtags, topics and image files (in post order)."""
        db = self.db
        rows = db.execute("SELECT p.id, p.family, p.source_id, p.text, p.source, u.user_id FROM posts p "
                          "LEFT JOIN users u ON u.id = p.user_pk ORDER BY p.id")
        for r in rows.fetchall():
            tags = [t[0] for t in db.execute("SELECT tag FROM post_tags WHERE post_id = ? ORDER BY position",
                                             (r["id"],))]
            topics = sorted(t[0] for t in db.execute("SELECT tag FROM post_topics WHERE post_id = ?", (r["id"],)))
            media = [(m["sha256"], m["ext"]) for m in db.execute(
                "SELECT pm.sha256, i.ext FROM post_media pm JOIN images i ON i.sha256 = pm.sha256 "
                "WHERE pm.post_id = ? AND pm.status = 'ok' ORDER BY pm.position", (r["id"],))]
            yield {"pk": r["id"], "family": r["family"], "source_id": r["source_id"], "user": r["user_id"],
                   "text": r["text"], "hashtags": tags, "topics": topics, "source": r["source"], "media": media}
