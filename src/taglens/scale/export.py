"""``taglens export --format parquet``: the collection store's posts as Parquet shards, for ``--engine ray`` jobs.

The export is the ordinary one (``taglens.collect.export.export_store``: posts.jsonl, images/, the split files,
the same ids, folder safety and missing-image handling); its posts.jsonl is then also written as
``part-{i:06d}.parquet`` files of ``ROWS_PER_SHARD`` posts next to it (each written under a temporary name, then
renamed), with the columns of posts.jsonl and image paths relative to the folder, so that ``--data OUT`` or
``--batch OUT`` read the folder as Parquet. Shards of an earlier Parquet export in the folder are replaced."""
from __future__ import annotations

from pathlib import Path
from typing import Any

ROWS_PER_SHARD = 10_000


def export_parquet(store: Any, out: str | Path, split: str | None = None, *, force: bool = False,
                   link: bool = False, rows_per_shard: int | None = None) -> dict[str, Any]:
    import pyarrow as pa

    from ..collect.export import export_store, read_manifest
    from ..data.posts import iter_jsonl
    from .shards import shard_name, write_shard

    out = Path(out)
    rows_per_shard = rows_per_shard or ROWS_PER_SHARD
    earlier = sorted(out.glob("part-*.parquet")) if out.is_dir() and read_manifest(out) is not None else []
    result = export_store(store, out, split, force=force, link=link)
    for path in earlier:  # an earlier Parquet export's shards (only in a folder holding a taglens export)
        path.unlink(missing_ok=True)
    schema = pa.schema([("id", pa.string()), ("user", pa.string()), ("images", pa.list_(pa.string())),
                        ("text", pa.string()), ("hashtags", pa.list_(pa.string())), ("topic", pa.string()),
                        ("source", pa.string())])
    rows: list[dict[str, Any]] = []
    shards = 0

    def flush() -> None:
        nonlocal shards, rows
        write_shard(str(out), shards, pa.Table.from_pylist(rows, schema=schema))
        shards, rows = shards + 1, []

    for _, obj in iter_jsonl(out / "posts.jsonl"):  # written by export_store just now: every line is a post
        rows.append({k: (str(v) if k in ("id", "user") and v is not None else v) for k, v in obj.items()
                     if k in schema.names})
        if len(rows) >= rows_per_shard:
            flush()
    if rows or not shards:
        flush()
    result["files"]["parquet"] = shards
    result["parquet_shards"] = [shard_name(i) for i in range(shards)]
    return result
