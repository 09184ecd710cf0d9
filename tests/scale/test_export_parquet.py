"""`taglens export --format parquet`: the store's posts as Parquet shards next to the ordinary export, read back
as a Parquet input (no Ray needed)."""
from __future__ import annotations

import json

import pytest

from taglens.cli import main


def test_export_parquet_shards_read_back_as_the_posts(tmp_path, food_images, capsys, monkeypatch):
    pytest.importorskip("pyarrow", reason="pyarrow is not installed (pip install 'taglens[scale]')")
    from taglens.data.posts import read_records
    from taglens.scale import export as export_mod
    from taglens.scale.shards import plan_shards, read_shard

    data = tmp_path / "data"
    (data / "img").mkdir(parents=True)
    lines = []
    for i in range(7):
        img = food_images[i % len(food_images)]
        (data / "img" / f"{i}.jpg").write_bytes(img.read_bytes())
        lines.append({"id": f"x{i}", "user": f"u{i % 3}", "images": [f"img/{i}.jpg"], "text": f"lunch {i} #food",
                      "hashtags": ["food", "lunch"]})
    (data / "posts.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    store = tmp_path / "store"
    assert main(["collect", "--source", f"jsonl:{data / 'posts.jsonl'}", "--store", str(store), "--no-progress"]) == 0
    out = tmp_path / "out"
    monkeypatch.setattr(export_mod, "ROWS_PER_SHARD", 3)
    assert main(["export", "--store", str(store), "--out", str(out), "--format", "parquet", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["parquet_shards"] == ["part-000000.parquet", "part-000001.parquet", "part-000002.parquet"]
    shards = plan_shards(str(out))
    assert len(shards) == 3
    from_parquet = [r for s in shards for r in read_shard(s)]
    from_jsonl = read_records(out / "posts.jsonl")
    assert [(r.id, r.user, r.text, r.hashtags, r.images) for r in from_parquet] == \
           [(r.id, r.user, r.text, r.hashtags, r.images) for r in from_jsonl]
    assert all(p.is_file() for r in from_parquet for p in r.images)
    # exported again (larger shards): the earlier shards are replaced, none is left over
    monkeypatch.setattr(export_mod, "ROWS_PER_SHARD", 10)
    assert main(["export", "--store", str(store), "--out", str(out), "--format", "parquet"]) == 0
    assert sorted(p.name for p in out.glob("part-*.parquet")) == ["part-000000.parquet"]
