#!/usr/bin/env python
"""Ordinary posts nobody on the project made: public sample photos (scikit-image's data folder, matplotlib's Grace
Hopper, the bundled example) alone, under our own captions, and our own captions alone; prints each post's top 5,
to be read as a user reads them (issue 20: "look at the top 5 for a handful of ordinary photos and captions").

The photos are not in the repository: ``--fetch`` takes them from the scikit-image wheel (``pip download``, the
package registry only) and from the installed matplotlib, into a folder OUTSIDE the repository, with the posts file.

    python bench/ordinary_posts.py --dir /work/ord --fetch     # once
    python <tree>/bench/ordinary_posts.py --dir /work/ord > top5.txt  # that tree's code; diff two trees' outputs
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SKIMAGE = ["astronaut.png", "camera.png", "chelsea.png", "coffee.png", "coins.png", "horse.png",
           "hubble_deep_field.jpg", "moon.png", "motorcycle_left.png", "rocket.jpg", "brick.png", "grass.png",
           "gravel.png", "clock_motion.png", "text.png", "page.png"]
PHOTOS = SKIMAGE + ["grace_hopper.jpg", "bundled_coffee.jpg"]
CAPTIONED = [  # (photo, our caption, the author's tags)
    ("astronaut.png", "Suited up for launch day", []),
    ("chelsea.png", "Mi gato durmiendo la siesta 😴", []),
    ("chelsea.png", "Lazy Sunday with this one", ["cat"]),
    ("coffee.png", "Slow Sunday morning, first cup of the day", ["coffee"]),
    ("coins.png", "Found these old coins in grandpa's drawer", []),
    ("horse.png", "Sketching horses at the stable today", []),
    ("hubble_deep_field.jpg", "Every dot is a galaxy. Mind blown.", []),
    ("moon.png", "Full moon tonight, so bright", []),
    ("motorcycle_left.png", "New bike, first ride this weekend", []),
    ("rocket.jpg", "Launch day at the cape!", []),
    ("grace_hopper.jpg", "Grace Hopper, pioneer of computer programming", ["history"]),
    ("camera.png", "Old school film photography", []),
    ("bundled_coffee.jpg", "Cold beer after a long shift", []),
]
CAPTIONS = [
    "Ran my first marathon today, legs are dead but so happy", "Cold beer after a long shift",
    "Pizza night with friends", "Morning commute through Madrid", "Paris never gets old", "Leg day done 💪",
    "New recipe: lemon garlic pasta", "Rainy day, good book, hot tea", "Our wedding day, best day of my life",
    "Hiking the Alps this summer", "Concert last night was insane", "Happy birthday to my little brother!",
    "Cena con amigos en la playa", "Καλημέρα από τη Θεσσαλονίκη ☀️", "今日は友達とラーメンを食べた",
    "Sunset over the lake, no filter", "Just adopted this good boy", "Studying for finals all week",
    "Game day! Let's go team", "Christmas market lights",
]


def fetch(folder: Path) -> None:
    """The photos and ``posts.jsonl`` into ``folder``."""
    import matplotlib

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, "scikit-image"],
                       check=True)
        wheel = next(Path(tmp).glob("scikit_image-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            for name in SKIMAGE:
                (folder / name).write_bytes(z.read(f"skimage/data/{name}"))
    shutil.copy(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg", folder / "grace_hopper.jpg")
    shutil.copy(REPO / "examples" / "coffee.jpg", folder / "bundled_coffee.jpg")
    rows = [{"id": f"P:{p}", "images": [p]} for p in PHOTOS]
    rows += [{"id": f"C{i}:{p}:{t[:30]}", "images": [p], "text": t, "hashtags": h}
             for i, (p, t, h) in enumerate(CAPTIONED)]
    rows += [{"id": f"T{i}:{t[:30]}", "text": t} for i, t in enumerate(CAPTIONS)]
    (folder / "posts.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def show(folder: Path, model: str) -> int:
    """Each post's top 5 (tag and score), one line a post."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "taglens", "suggest", "--batch", "posts.jsonl", "--json", "-k", "5",
                           "--model", model], cwd=folder, env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        tags = " ".join(f"#{s['tag']} {s['score']:.2f}" for s in row.get("suggestions") or [])
        print(row["id"][:48].ljust(48), tags or row.get("error", ""))
    return proc.returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path, required=True, help="a folder outside the repository")
    ap.add_argument("--fetch", action="store_true", help="write the photos and posts.jsonl there first")
    ap.add_argument("--model", default="taglens-base")
    args = ap.parse_args(argv)
    if args.fetch:
        fetch(args.dir)
    return show(args.dir, args.model)


if __name__ == "__main__":
    sys.exit(main())
