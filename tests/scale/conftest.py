"""Fixtures of the Ray tests: a small posts folder (the bundled Pexels photos, a corrupt image, a bad line) and
an embedded Ray with 2 CPUs shared by a module's tests. Every test here skips, saying so, without Ray Data."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/scale/test_ray" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.ray)


@pytest.fixture(scope="session")
def ray_module():
    return pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install 'taglens[scale]')")


@pytest.fixture(scope="session")
def posts_dir(tmp_path_factory, food_images) -> Path:
    """posts.jsonl of 16 lines: photos, captions, a corrupt image, a missing one, an escaping path, bad JSON."""
    folder = tmp_path_factory.mktemp("posts")
    (folder / "img").mkdir()
    for img in food_images:
        shutil.copy(img, folder / "img" / img.name)
    (folder / "img" / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    names = [img.name for img in food_images]
    captions = ["Sunday brunch with the family", "homemade pasta night", "fresh berries from the market",
                "street food tour, day two", "best ramen in town", ""]
    lines = []
    for i in range(12):
        post = {"id": f"p{i}", "user": f"u{i % 4}", "images": [f"img/{names[i % len(names)]}"] if i % 3 else [],
                "text": f"{captions[i % len(captions)]} #food", "hashtags": ["food", ["yummy", "dinner"][i % 2]]}
        lines.append(json.dumps(post))
    lines.insert(4, json.dumps({"id": "corrupt", "images": ["img/broken.jpg"], "text": "x", "hashtags": ["food"]}))
    lines.insert(7, "{not json")
    lines.insert(9, json.dumps({"id": "missing", "images": ["img/nope.jpg"], "text": "", "hashtags": ["a"]}))
    lines.append(json.dumps({"id": "escape", "images": ["../x.jpg"], "text": "", "hashtags": []}))
    (folder / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    good = [line for line in lines if "broken" not in line and "nope" not in line and "../" not in line
            and line.startswith("{\"")]
    (folder / "good.jsonl").write_text("\n".join(good) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def embedded_ray(ray_module):
    """Ray started embedded with 2 CPUs for the module's tests (the jobs reuse a running Ray), then shut down."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
