"""Tiny synthetic training posts for the model tests: two themes ("red" pasta, "blue" beach) with solid-colour
photos made here (no user data), captions and hashtags; some posts text-only, some image-only."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from taglens.types import Post

THEMES = {
    "red": ((200, 30, 30), ["tomato pasta with basil", "red sauce dinner tonight", "homemade pasta, so red",
                            "spicy tomato sauce"], ("red", "pasta", "food")),
    "blue": ((30, 60, 200), ["blue sea and sky", "waves at the beach", "sunny beach day, blue water",
                             "swimming in the sea"], ("blue", "sea", "beach")),
}


def make_image(path: Path, rgb: tuple[int, int, int], seed: int) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    noise = rng.integers(-25, 26, size=(64, 64, 3))
    arr = np.clip(np.asarray(rgb)[None, None, :] + noise, 0, 255).astype(np.uint8)
    Image.fromarray(arr).save(path, quality=90)
    return path


def synthetic_posts(folder: Path, n_per_theme: int = 6) -> list[Post]:
    """Posts with images written into ``folder``; every third post has no caption, every fourth no image."""
    folder.mkdir(parents=True, exist_ok=True)
    posts = []
    for t, (theme, (rgb, texts, tags)) in enumerate(THEMES.items()):
        for i in range(n_per_theme):
            image = make_image(folder / f"{theme}{i}.jpg", rgb, seed=100 * t + i)
            text = "" if i % 3 == 2 else f"{texts[i % len(texts)]} #{theme}vibes"
            images = () if i % 4 == 3 else (image,)
            hashtags = tags[: 2 + i % 2] + ((f"{theme}vibes",) if text else ())
            posts.append(Post(text=text, hashtags=hashtags, images=images, post_id=f"{theme}{i}",
                              user=f"u{t}{i // 2}", meta={"topic": theme, "source": "synthetic"}))
    return posts


def write_jsonl(path: Path, posts: list[Post]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for p in posts:
            fh.write(json.dumps({"id": p.post_id, "user": p.user, "text": p.text, "hashtags": list(p.hashtags),
                                 "images": [str(Path(i).relative_to(path.parent)) for i in p.images],
                                 "topic": p.meta.get("topic"), "source": "synthetic"}) + "\n")
    return path
