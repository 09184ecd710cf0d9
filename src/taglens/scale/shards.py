"""Deterministic shards of a posts input, read on any filesystem pyarrow reads, and atomic Parquet shard files.

A job's input is cut into shards that depend on the input alone, so that a job killed and run again with the same
output knows which shards it already wrote:

- a posts.jsonl is cut into byte ranges (``auto_shard_bytes``: 64 KiB to 4 MiB); a line belongs to the shard its
  first byte lies in, and each worker reads only its range. The plan reads the file once, counting the lines
  before each shard, so that a bad line's error names its line number (``path:N``, 1-based) as the local
  ``suggest --batch`` does;
- a folder of Parquet files is cut into (file, row group) pairs, files in name order (its subfolders too; names
  starting with '.' or '_' are left out); a bad row's error names its file and row index in the file (from 0).
  Its columns are those of posts.jsonl (id, text, hashtags, images, user; id required); image paths are relative
  to the folder given (``taglens export --format parquet`` writes such a folder).

Image and video files are read by the workers from their paths, so on a cluster they must lie on a filesystem every
node mounts at the same path.

Shard ``i`` is written as ``OUT/part-{i:06d}.parquet``, first under a hidden temporary name, then renamed: a
shard file that exists is complete. ``OUT/_job.json`` records what the shards were planned from; a rerun with
another input, model or parameters is refused instead of mixing two jobs' rows.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from ..data.posts import MAX_LINE_BYTES, Record, parse_line, parse_record
from ..exceptions import DataError, InputError, OutputError

MIN_SHARD_BYTES, MAX_SHARD_BYTES = 64 << 10, 4 << 20  # about 250 to 16,000 posts of a typical posts.jsonl


def auto_shard_bytes(size: int) -> int:
    """Shard size of a posts.jsonl of ``size`` bytes: a 64th of it (work for every CPU of a cluster), within
    64 KiB..4 MiB. It depends on the file alone, so a rerun plans the same shards."""
    return min(MAX_SHARD_BYTES, max(MIN_SHARD_BYTES, -(-size // 64)))
JOB_FILE = "_job.json"
_TMP = ".tmp-"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Shard:
    """One unit of work: ``kind`` 'jsonl' (bytes ``start``..``stop`` of ``path``) or 'parquet' (row group
    ``start`` of ``path``). ``path`` is a filesystem path for ``uri`` (a pyarrow filesystem URI or ''). ``line``:
    for 'jsonl', the line number (from 1) of the line holding byte ``start - 1`` (of byte 0 for the first shard);
    for 'parquet', the index in the file of the row group's first row."""

    index: int
    kind: str
    uri: str
    path: str
    start: int
    stop: int
    base: str = ""  # the folder image paths are relative to: the posts.jsonl's, or the Parquet input folder
    line: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def filesystem(location: str):
    """(pyarrow filesystem, path in it, the URI prefix to rebuild it) for a local path or a URI (s3://, gs://...)."""
    import pyarrow.fs as pafs

    if "://" in location:
        try:
            fs, path = pafs.FileSystem.from_uri(location)
        except (ValueError, OSError) as exc:
            raise InputError(f"{location}: cannot open this filesystem ({exc})") from None
        return fs, path, location
    return pafs.LocalFileSystem(), str(Path(location).absolute()), ""


def _fs_for(uri: str):
    import pyarrow.fs as pafs

    if uri:
        return pafs.FileSystem.from_uri(uri)[0]
    return pafs.LocalFileSystem()


def plan_shards(location: str, shard_bytes: int | None = None) -> list[Shard]:
    """The shards of a posts.jsonl (of ``shard_bytes`` each, by default ``auto_shard_bytes``) or a folder of
    Parquet files, in input order."""
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    fs, path, uri = filesystem(location)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise InputError(f"{location}: no such file or folder")
    if info.type == pafs.FileType.File:
        if path.endswith(".parquet"):
            files, root = [path], str(PurePosixPath(path).parent)
        else:
            size = info.size or 0
            shard_bytes = shard_bytes or auto_shard_bytes(size)
            base = str(PurePosixPath(path).parent)
            starts = list(range(0, size, shard_bytes))
            return [Shard(i, "jsonl", uri, path, start, min(start + shard_bytes, size), base, line)
                    for i, (start, line) in enumerate(zip(starts, _line_numbers(fs, path, starts)))]
    elif info.type == pafs.FileType.Directory:
        root = path
        selector = pafs.FileSelector(path, recursive=True)
        files = sorted(f.path for f in fs.get_file_info(selector)
                       if f.type == pafs.FileType.File and f.path.endswith(".parquet")
                       and not PurePosixPath(f.path).name.startswith((".", "_")))
        if not files:
            raise InputError(f"{location}: a folder without .parquet files (expected posts.jsonl or Parquet files)")
    else:
        raise InputError(f"{location}: not a file or folder")
    shards: list[Shard] = []
    for f in files:
        try:
            with fs.open_input_file(f) as fh:
                meta = pq.ParquetFile(fh).metadata
        except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) for a non-Parquet file
            raise InputError(f"{f}: cannot read as Parquet ({exc})") from None
        first = 0
        for g in range(meta.num_row_groups):
            shards.append(Shard(len(shards), "parquet", uri, f, g, g + 1, root, first))
            first += meta.row_group(g).num_rows
    return shards


def _line_numbers(fs, path: str, starts: list[int]) -> list[int]:
    """For each shard start (ascending), the line number (from 1) of the line holding byte ``start - 1``: one
    sequential read of the file, counting newlines."""
    out: list[int] = []
    lines, at = 1, 0
    try:
        with fs.open_input_stream(path) as fh:
            for start in starts:
                stop = max(start - 1, 0)
                while at < stop:
                    chunk = fh.read(min(stop - at, 1 << 22))
                    if not chunk:
                        break
                    lines += chunk.count(b"\n")
                    at += len(chunk)
                out.append(lines)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    return out


def read_shard(shard: Shard, *, confined: bool = True) -> list[Record | DataError]:
    """The posts of one shard, in input order; a bad line or row is its DataError (with ``post_id`` when known).
    ``confined``: media paths must stay inside the input's folder (a dataset); a query file of ``suggest --batch``
    is the user's own, and its paths are not confined (``data.posts.resolve_media_path``)."""
    fs = _fs_for(shard.uri)
    base = Path(shard.base)
    items = _jsonl_items(fs, shard) if shard.kind == "jsonl" else _parquet_items(fs, shard)
    out: list[Record | DataError] = []
    for where, obj in items:
        try:
            if isinstance(obj, DataError):
                raise obj
            out.append(parse_record(obj, base, where, confined=confined))
        except DataError as exc:
            if isinstance(obj, dict) and obj.get("id") is not None:
                exc.post_id = str(obj["id"])  # type: ignore[attr-defined]
            out.append(exc)
    return out


def _jsonl_items(fs, shard: Shard) -> Iterator[tuple[str, Any]]:
    """(where, parsed object or DataError) for the lines whose first byte lies in [start, stop)."""
    pos = max(shard.start - 1, 0)
    offset, lineno = pos, shard.line
    try:
        with fs.open_input_file(shard.path) as fh:
            fh.seek(pos)
            buf = fh.read(shard.stop - pos)
            if shard.start > 0:  # the line that holds byte start - 1 belongs to an earlier shard
                nl = buf.find(b"\n")
                if nl < 0:
                    return  # no line starts in this shard
                buf, offset, lineno = buf[nl + 1:], pos + nl + 1, lineno + 1
            elif buf.startswith(_BOM):
                buf, offset = buf[len(_BOM):], len(_BOM)
            tail = len(buf) - buf.rfind(b"\n") - 1
            # the last line runs past stop: read it whole, or up to MAX_LINE_BYTES (past that it is an error for
            # that line, as in the local reader, and the rest of it is not read)
            while buf and not buf.endswith(b"\n") and tail <= MAX_LINE_BYTES:
                more = fh.read(1 << 16)
                if not more:
                    break
                nl = more.find(b"\n")
                buf += more if nl < 0 else more[:nl + 1]
                if nl >= 0:
                    break
                tail += len(more)
    except OSError as exc:
        raise InputError(f"{shard.path}: cannot read ({exc})") from None
    for number, raw in enumerate(buf.split(b"\n"), lineno):
        start, offset = offset, offset + len(raw) + 1
        if start >= shard.stop or not raw.strip():
            continue
        yield f"{shard.path}:{number}", parse_line(shard.path, number, raw)  # as the local reader says it


def _parquet_items(fs, shard: Shard) -> Iterator[tuple[str, Any]]:
    import pyarrow.parquet as pq

    try:
        with fs.open_input_file(shard.path) as fh:
            table = pq.ParquetFile(fh).read_row_group(shard.start)
    except (OSError, ValueError) as exc:
        raise InputError(f"{shard.path}: cannot read row group {shard.start} ({exc})") from None
    if "id" not in table.column_names:
        raise DataError(f"{shard.path}: no 'id' column (expected id, text, hashtags, images, user)")
    for i, row in enumerate(table.to_pylist(), shard.line):
        yield f"{shard.path} (row index {i})", {k: v for k, v in row.items() if v is not None}


# -- the output folder ------------------------------------------------------------------------------------------
def shard_name(index: int) -> str:
    return f"part-{index:06d}.parquet"


def prepare_output(location: str, job: dict[str, Any]) -> set[int]:
    """Create the output folder or check it holds shards of this very job; the indices of shards already written.

    A folder with other files, or with a ``_job.json`` of another job (input, model, parameters), is an
    OutputError: taglens neither mixes two jobs' rows nor removes files it did not write."""
    import pyarrow.fs as pafs

    fs, path, _ = filesystem(location)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.File:
        raise OutputError(f"--out {location}: exists and is not a folder; choose a folder")
    names: list[str] = []
    if info.type == pafs.FileType.Directory:
        names = [PurePosixPath(f.path).name for f in fs.get_file_info(pafs.FileSelector(path))]
    try:
        if not names:
            fs.create_dir(path, recursive=True)
            _write_bytes(fs, f"{path}/{JOB_FILE}", json.dumps(job, indent=1).encode())
            return set()
        if JOB_FILE not in names:
            raise OutputError(f"--out {location}: folder is not empty and holds no taglens job; choose another folder")
        with fs.open_input_stream(f"{path}/{JOB_FILE}") as fh:
            previous = json.loads(fh.read())
    except OSError as exc:
        raise OutputError(f"--out {location}: cannot write ({exc})") from None
    except ValueError:
        raise OutputError(f"--out {location}: {JOB_FILE} is unreadable; choose another folder") from None
    if previous != job:
        diff = sorted(k for k in set(job) | set(previous) if job.get(k) != previous.get(k))
        raise OutputError(f"--out {location}: holds the shards of another job (it differs in {', '.join(diff)}); "
                          f"rerun with the same input and options to resume it, or choose another folder")
    for stale in (n for n in names if n.startswith(_TMP)):  # left by a worker that was killed mid-write
        fs.delete_file(f"{path}/{stale}")
    return {int(n[5:11]) for n in names if n.startswith("part-") and n.endswith(".parquet")}


def _write_bytes(fs, path: str, data: bytes) -> None:
    tmp = str(PurePosixPath(path).with_name(f"{_TMP}{uuid.uuid4().hex}"))
    with fs.open_output_stream(tmp) as fh:
        fh.write(data)
    fs.move(tmp, path)


def write_shard(location: str, index: int, table) -> int:
    """Write one shard's table as ``part-{index}.parquet`` atomically (temporary name, then a rename)."""
    import pyarrow.parquet as pq

    fs, path, _ = filesystem(location)
    final = f"{path}/{shard_name(index)}"
    tmp = f"{path}/{_TMP}{uuid.uuid4().hex}.parquet"
    try:
        pq.write_table(table, tmp, filesystem=fs)
        fs.move(tmp, final)
    except OSError as exc:
        raise OutputError(f"--out {location}: cannot write {shard_name(index)} ({exc})") from None
    return fs.get_file_info(final).size or 0


def read_table(location: str):
    """Every shard of an output folder as one table, rows in shard order."""
    import pyarrow as pa

    tables = list(iter_tables(location))
    return pa.concat_tables(tables) if tables else None


def read_job(location: str) -> dict[str, Any] | None:
    """The ``_job.json`` of an output folder (what wrote it), None when it has none or it is unreadable."""
    fs, path, _ = filesystem(location)
    try:
        with fs.open_input_stream(f"{path}/{JOB_FILE}") as fh:
            job = json.loads(fh.read())
    except (OSError, ValueError):
        return None
    return job if isinstance(job, dict) else None


def iter_tables(location: str, columns: list[str] | None = None) -> Iterator[Any]:
    """The table of each shard of an output folder (only ``columns``, when given), in shard order: one shard in
    memory at a time."""
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    fs, path, _ = filesystem(location)
    if fs.get_file_info(path).type != pafs.FileType.Directory:
        raise InputError(f"{location}: no such folder")
    names = sorted(PurePosixPath(f.path).name for f in fs.get_file_info(pafs.FileSelector(path))
                   if PurePosixPath(f.path).name.startswith("part-"))
    for name in names:
        yield pq.read_table(f"{path}/{name}", filesystem=fs, columns=columns)
