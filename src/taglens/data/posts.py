"""Reading and writing posts.jsonl (the format of ../shared/EVALUATION.md)."""
from __future__ import annotations

import json
import logging
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..exceptions import DataError, InputError, PathEscapeError
from ..types import Post, clean_text, unique_tags, valid_tag

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    """One line of a posts.jsonl: the post as stored, with its gold hashtags and image paths resolved."""

    id: str
    user: str | None
    images: tuple[Path, ...]
    text: str
    hashtags: tuple[str, ...]
    topic: str | None = None
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_post(self, *, hashtags: Sequence[str] | None = None, text: str | None = None,
                images: bool = True) -> Post:
        return Post(
            text=self.text if text is None else text,
            hashtags=tuple(self.hashtags if hashtags is None else hashtags),
            images=self.images if images else (),
            post_id=self.id,
            user=self.user,
            meta={"topic": self.topic, "source": self.source},
        )


def resolve_media_path(base: Path, rel: str, *, confined: bool = True) -> Path:
    """``base / rel``. With ``confined`` (a dataset), refuse what EVALUATION.md calls escaping the folder: absolute
    paths and ``..`` that leads out of it (``images/../images/x.jpg`` stays inside and is ``images/x.jpg``).
    Without (a query file of ``suggest --batch``, the user's own), absolute paths are taken as they are.

    The check is on the path as written: a symlink inside the folder (an ``images`` link to a shared photo store,
    as data sets are often laid out) is followed, since whoever wrote the folder chose it."""
    if not isinstance(rel, str) or not rel:
        raise PathEscapeError(f"image path {rel!r} is not a non-empty string")
    try:
        os.fsencode(rel)
    except UnicodeEncodeError:
        raise DataError(f"image path {rel!r} is not a valid file name (it holds a lone surrogate, e.g. from a "
                        f"broken \\u escape)") from None
    if not confined:
        return base / rel  # an absolute rel replaces base
    posix = rel.replace("\\", "/")
    norm = posixpath.normpath(posix)
    if Path(rel).is_absolute() or posix.startswith("/") or norm == ".." or norm.startswith("../"):
        raise PathEscapeError(f"image path {rel!r} escapes the folder of the posts file ({base})")
    return base / (norm if ".." in posix.split("/") else rel)


def _not_hashtags(n: int, shown: list[str]) -> str:
    return (f"{n} hashtag(s) that are not one hashtag each (a letter or digit, then letters, digits or '_'): "
            f"{', '.join(shown[:3])}{' ...' if n > 3 else ''}")


def parse_record(obj: Any, base: Path, where: str, *, confined: bool = True,
                 left_out: list[str] | None = None) -> Record:
    """The Record of one parsed line; tags that are not hashtags are left out (and appended to ``left_out``, when
    given, else logged)."""
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    pid = obj.get("id")
    if pid is None or (isinstance(pid, str) and not pid):
        raise DataError(f"{where}: missing 'id'")
    images = obj.get("images") or []
    if not isinstance(images, list):
        raise DataError(f"{where}: 'images' must be a list")
    tags = obj.get("hashtags") or []
    if not isinstance(tags, list):
        raise DataError(f"{where}: 'hashtags' must be a list")
    text = obj.get("text") or ""
    if not isinstance(text, str):
        raise DataError(f"{where}: 'text' must be a string")
    text = cap_caption(text, where)
    bad = [t for t in tags if not isinstance(t, str) or not valid_tag(t)]
    if bad:  # "two words", "🍕": not hashtags; left out the same way by every reader (types.valid_tag)
        if left_out is not None:
            left_out.extend(repr(t) for t in bad)
        else:
            log.warning("%s: left out %s", where, _not_hashtags(len(bad), [repr(t) for t in bad]))
    user = obj.get("user")
    topic = obj.get("topic")
    known = {"id", "user", "images", "text", "hashtags", "topic", "source"}
    try:
        paths = tuple(resolve_media_path(base, i, confined=confined) for i in images)
    except DataError as exc:  # say where: with several --data files the bare path cannot be found
        raise type(exc)(f"{where}: {exc}") from None
    # Lone surrogates (JSON escapes such as "\ud83d" without their pair) become U+FFFD: ids and text are echoed
    # in outputs, which must stay valid UTF-8.
    return Record(
        id=clean_text(str(pid)),
        user=None if user is None else clean_text(str(user)),
        images=paths,
        text=clean_text(text),
        hashtags=unique_tags(str(t) for t in tags),
        topic=clean_text(topic) if isinstance(topic, str) else topic,
        source=clean_text(str(obj.get("source") or "")),
        extra={k: v for k, v in obj.items() if k not in known},
    )


_BOM = b"\xef\xbb\xbf"
MAX_LINE_BYTES = 1 << 20  # a longer line is an error for that line (read in pieces and skipped, never held whole)
MAX_CAPTION_CHARS = 10_000  # captions are cut here, with a warning (Instagram allows 2,200 characters, X 280)
_READ_CHUNK = 1 << 16


def cap_caption(text: str, where: str) -> str:
    """``text`` cut to MAX_CAPTION_CHARS characters, with a warning naming ``where`` when it was longer (a 5 MB
    caption took 16 s and 2 GB to suggest for; no real caption comes near the limit)."""
    if len(text) <= MAX_CAPTION_CHARS:
        return text
    log.warning("%s: the caption has %d characters; only the first %d are read", where, len(text),
                MAX_CAPTION_CHARS)
    return text[:MAX_CAPTION_CHARS]


def iter_jsonl(path: str | Path, stream: Any = None) -> Iterator[tuple[int, Any | Exception]]:
    """(line number, parsed object or the DataError for that line) for every non-blank line.

    The file is opened here (a missing or unreadable file raises an InputError at once) and read once, as bytes,
    so a pipe or a FIFO works; ``stream`` (a binary file, e.g. standard input) is read instead of opening
    ``path``, which then only names it in messages. Each line is decoded on its own, so one line that is not UTF-8
    is a DataError naming its line, not the end of the file; a line longer than MAX_LINE_BYTES is a DataError for
    that line. A UTF-8 byte order mark at the start (Windows Notepad) is skipped.
    """
    path = Path(path)
    try:
        fh = stream if stream is not None else open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a .jsonl file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        head = fh.peek(4096)[:4096]
    except OSError as exc:
        fh.close()
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        fh.close()
        raise InputError(f"{path}: UTF-16 text, expected UTF-8 (save the file as UTF-8)")
    if b"\x00" in head:
        fh.close()
        raise InputError(f"{path}: a binary file, expected UTF-8 JSON lines")
    return _jsonl_lines(path, fh)


def _lines(fh) -> Iterator[bytes | None]:
    """The lines of ``fh``, each at most MAX_LINE_BYTES long; ``None`` for a longer line, whose rest is skipped
    without keeping it."""
    while True:
        raw = fh.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = fh.readline(_READ_CHUNK)
            yield None
            continue
        yield raw


def _jsonl_lines(path: Path, fh) -> Iterator[tuple[int, Any | Exception]]:
    with fh:
        try:
            for lineno, raw in enumerate(_lines(fh), 1):
                if raw is None:
                    yield lineno, _too_long(path, lineno)
                    continue
                if lineno == 1 and raw.startswith(_BOM):
                    raw = raw[len(_BOM):]
                if raw.strip():
                    yield lineno, parse_line(path, lineno, raw)
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def parse_line(path: str | Path, lineno: int, raw: bytes) -> Any:
    """The JSON value of line ``lineno`` of ``path`` (bytes, not blank), or the DataError naming ``path:lineno``
    and what is wrong with it (also used by the Ray jobs' readers, so their errors read the same)."""
    if len(raw) - raw.endswith(b"\n") > MAX_LINE_BYTES:
        return _too_long(path, lineno)
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _not_utf8(path, lineno, raw, exc)
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        return DataError(f"{path}:{lineno}: invalid JSON ({exc.msg})")
    except RecursionError:  # [[[[... a hundred thousand deep
        return DataError(f"{path}:{lineno}: invalid JSON (nested too deeply)")
    except ValueError as exc:  # an integer of more than 4,300 digits
        return DataError(f"{path}:{lineno}: invalid JSON ({exc})")


def _too_long(path: str | Path, lineno: int) -> DataError:
    return DataError(f"{path}:{lineno}: line longer than {MAX_LINE_BYTES:,} bytes (a post is a few hundred bytes; "
                     f"is this a posts.jsonl?)")


def _not_utf8(path: str | Path, lineno: int, raw: bytes, exc: UnicodeDecodeError) -> DataError:
    """The DataError of a line that is not UTF-8, with the post's id when the rest of the line still reads."""
    bad = raw[exc.start:exc.end]
    err = DataError(f"{path}:{lineno}: not UTF-8 text (byte 0x{bad[0]:02x} at byte {exc.start + 1} of the line; "
                    f"save the file as UTF-8)")
    try:
        obj = json.loads(raw.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        obj = None
    if isinstance(obj, dict) and obj.get("id") is not None:
        err.post_id = clean_text(str(obj["id"]))  # type: ignore[attr-defined]
    return err


def iter_records(path: str | Path, *, strict: bool = True, stream: Any = None, base: Path | None = None,
                 confined: bool = True) -> Iterator[Record | DataError]:
    """Records of a posts.jsonl. With ``strict`` a bad line raises; otherwise it is yielded as a DataError.
    The file is opened at once (an InputError if it cannot be), its lines are read once, as they are consumed.
    ``stream`` is read instead of opening ``path`` (standard input); image paths resolve against ``base``
    (default: the file's folder) and, unless ``confined`` (a dataset), may be absolute or lead out of it."""
    path = Path(path)
    return _records(path, iter_jsonl(path, stream), strict, path.parent if base is None else base, confined)


def _records(path: Path, lines: Iterator[tuple[int, Any | Exception]], strict: bool, base: Path,
             confined: bool) -> Iterator[Record | DataError]:
    first_line: dict[str, int] = {}
    repeats: list[tuple[int, str]] = []
    left_out: list[str] = []
    try:
        for lineno, obj in lines:
            try:
                if isinstance(obj, Exception):
                    raise obj
                before = len(left_out)
                rec = parse_record(obj, base, f"{path}:{lineno}", confined=confined, left_out=left_out)
                left_out[before:] = [f"{t} on line {lineno}" for t in left_out[before:]]
            except DataError as exc:
                if strict:
                    raise
                if not isinstance(obj, Exception) and isinstance(obj, dict) and obj.get("id") is not None:
                    exc.post_id = clean_text(str(obj.get("id")))  # type: ignore[attr-defined]
                yield exc
                continue
            if rec.id in first_line:
                repeats.append((lineno, rec.id))
            else:
                first_line[rec.id] = lineno
            yield rec
    finally:
        if left_out:  # once per file, not once per line
            log.warning("%s: left out %s", path, _not_hashtags(len(left_out), left_out))
        if repeats:
            lineno, post_id = repeats[0]
            log.warning("%s: %s an earlier line's post id (the first: %r on line %d, already on line %d); ids "
                        "should be unique within a file, as answers and scores are keyed by id", path,
                        f"{len(repeats)} lines repeat" if len(repeats) > 1 else "1 line repeats", post_id, lineno,
                        first_line[post_id])


def read_records(paths: str | Path | Sequence[str | Path]) -> list[Record]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Record] = []
    for p in paths:
        out.extend(r for r in iter_records(p, strict=True) if isinstance(r, Record))
    return out


def record_to_json(rec: Record, base: Path | None = None) -> dict[str, Any]:
    images = [str(p.relative_to(base)) if base is not None else str(p) for p in rec.images]
    return {"id": rec.id, "user": rec.user, "images": images, "text": rec.text, "hashtags": list(rec.hashtags),
            "topic": rec.topic, "source": rec.source}


def write_jsonl(path: str | Path, objects: Sequence[dict[str, Any]]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for obj in objects:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    tmp.replace(path)
