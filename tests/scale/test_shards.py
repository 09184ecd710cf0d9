"""The shards of a posts input read back as the local reader reads it: the same posts, and errors that name the same
line (``path:N``) whatever the shard size; a Parquet row's error names its row index in the file (no Ray needed)."""
from __future__ import annotations

import json

import pytest

from taglens.data.posts import MAX_LINE_BYTES, iter_records


def _read(items) -> list[str]:
    return [str(x) if isinstance(x, Exception) else f"{x.id}|{x.text}|{','.join(x.hashtags)}" for x in items]


def test_jsonl_shards_read_as_the_local_reader_with_line_numbers(tmp_path):
    pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install 'taglens[scale]')")
    from taglens.scale.shards import plan_shards, read_shard

    lines = []
    for i in range(120):
        if i % 29 == 5:
            lines.append(b"{not json")
        elif i % 31 == 7:
            lines.append(b"   ")  # blank: no post, but it counts as a line
        elif i % 37 == 9:
            lines.append(b'{"id": "latin1-%d", "text": "caf\xe9"}' % i)  # not UTF-8
        elif i == 60:
            lines.append(json.dumps({"id": "long", "text": "x" * (2 * MAX_LINE_BYTES)}).encode())
        elif i == 61:
            lines.append(b"[[[[" * 100_000)
        else:
            lines.append(json.dumps({"id": f"p{i}", "text": "t" * (i % 40) + " #a", "hashtags": ["b"]}).encode())
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    local = _read(iter_records(path, strict=False))
    assert f"{path}:6: invalid JSON" in "\n".join(local) and f"{path}:61: line longer than" in "\n".join(local)
    for shard_bytes in (50, 333, 4096, 1 << 20, 8 << 20):
        shards = plan_shards(str(path), shard_bytes)
        assert _read(x for s in shards for x in read_shard(s)) == local, shard_bytes


def test_parquet_rows_name_their_row_index(tmp_path):
    pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install 'taglens[scale]')")
    import pyarrow.parquet as pq

    from taglens.scale.shards import plan_shards, read_shard

    rows = [{"id": f"p{i}", "text": "lunch", "hashtags": ["food"]} for i in range(7)]
    rows[4]["id"] = None
    rows[6]["hashtags"] = None
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "a.parquet", row_group_size=3)
    shards = plan_shards(str(tmp_path))
    assert [(s.start, s.line) for s in shards] == [(0, 0), (1, 3), (2, 6)]
    items = [x for s in shards for x in read_shard(s)]
    assert [str(x) for x in items if isinstance(x, Exception)] == [f"{tmp_path / 'a.parquet'} (row index 4): "
                                                                  f"missing 'id'"]
    assert [x.id for x in items if not isinstance(x, Exception)] == ["p0", "p1", "p2", "p3", "p5", "p6"]
