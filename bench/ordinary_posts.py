#!/usr/bin/env python
"""Ordinary posts nobody on the project made: public sample photos (scikit-image's data folder, matplotlib's Grace
Hopper, the bundled example) alone, under our own captions, and our own captions alone; prints each post's top 5,
to be read as a user reads them (issue 20: "look at the top 5 for a handful of ordinary photos and captions").

The photos are not in the repository: ``--fetch`` takes them from the scikit-image wheel (``pip download``, the
package registry only) and from the installed matplotlib, into a folder OUTSIDE the repository, with the posts file;
scikit-learn's two sample photos (CC-BY) are read where the installed package has them, never copied.

``--judge`` marks each photo alone's top 5 against ``ACCEPT`` (the tags a person would accept for each photo, a
dev-side judgement written from looking at the photos, as bench_everyday's) and prints the first tags that fit, the
fitting tags in the top 5 and the empty lists (issue 20's photo-only target: 3 of 4 first tags, 3 of 5).

    python bench/ordinary_posts.py --dir /work/ord --fetch     # once
    python <tree>/bench/ordinary_posts.py --dir /work/ord > top5.txt  # that tree's code; diff two trees' outputs
    python <tree>/bench/ordinary_posts.py --dir /work/ord --judge      # the photos alone, judged
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
SKLEARN = ["china.jpg", "flower.jpg"]  # sklearn/datasets/images of the installed scikit-learn, read in place
_BW = "blackandwhite bnw monochrome"
ACCEPT = {k: frozenset(v.split()) for k, v in {  # photo -> tags a person would accept for it alone (dev-side)
    "astronaut.png": "astronaut space nasa portrait spacesuit woman people usa",
    "camera.png": f"camera photographer photography tripod film vintage portrait man people {_BW}",
    "chelsea.png": "cat cats kitty kitten catsofinstagram instacat catlover meow tabby pet pets animal animals cute",
    "coffee.png": "coffee espresso cup cafe coffeelover coffeetime coffeecup latte cappuccino caffeine drink",
    "coins.png": f"coins coin money currency old vintage antique collection numismatics {_BW}",
    "horse.png": f"horse horses silhouette drawing art illustration animal animals equine {_BW}",
    "hubble_deep_field.jpg": "space galaxy galaxies stars astronomy universe cosmos hubble nasa night",
    "moon.png": f"moon lunar space astronomy craters night {_BW}",
    "motorcycle_left.png": "motorcycle motorcycles motorbike bike moto biker vehicle ride",
    "rocket.jpg": "rocket space launch nasa spacex rocketlaunch spaceshuttle science",
    "brick.png": f"brick bricks wall texture pattern {_BW}",
    "grass.png": f"grass lawn nature texture pattern {_BW}",
    "gravel.png": f"gravel stones stone rocks pebbles texture pattern {_BW}",
    "clock_motion.png": f"clock time motion motionblur blur {_BW}",
    "text.png": "handwriting math maths text writing notes study",
    "page.png": "text book page reading paper document",
    "grace_hopper.jpg": "portrait navy history woman people uniform gracehopper",
    "bundled_coffee.jpg": "coffee espresso cup mug cafe coffeelover coffeetime coffeecup latte caffeine drink",
    "china.jpg": "temple architecture buildings building travel china asia pagoda palace nature landscape",
    "flower.jpg": "flower flowers dahlia nature garden bloom petals floral flora orange summer macro",
}.items()}
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


def sklearn_images() -> Path:
    """The installed scikit-learn's sample photos' folder (it may lack them: those posts are then left out)."""
    try:
        import sklearn
    except ImportError:
        return Path("/nonexistent")
    return Path(sklearn.__file__).parent / "datasets" / "images"


def judge(rows: list[dict]) -> dict:
    """The photos alone (ids ``P:<photo>``) of ``rows`` (``--json`` output) against ``ACCEPT``: first tags that fit,
    fitting tags in the top 5 (both per photo judged), empty lists."""
    firsts, fits, empty, n = 0, 0, 0, 0
    for row in rows:
        photo = row["id"][2:] if row["id"].startswith("P:") else None
        if photo not in ACCEPT:
            continue
        top = [s["tag"] for s in row.get("suggestions") or []][:5]
        ok = [t in ACCEPT[photo] for t in top]
        n += 1
        firsts += bool(ok and ok[0])
        fits += sum(ok)
        empty += not top
        print(photo.ljust(24), " ".join(("+" if o else "-") + t for t, o in zip(top, ok)) or "(nothing)")
    out = {"photos": n, "first fits": round(firsts / max(n, 1), 3), "fitting in top 5": round(fits / max(n, 1), 2),
           "empty": empty}
    print(json.dumps(out))
    return out


def show(folder: Path, model: str, judged: bool = False) -> int:
    """Each post's top 5 (tag and score), one line a post; ``judged``: the photos alone judged instead."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as tmp:
        posts = folder / "posts.jsonl"
        if judged:  # the photos alone, scikit-learn's where the installed package has them
            photos = [(p, folder / p) for p in PHOTOS] + [(p, sklearn_images() / p) for p in SKLEARN]
            posts = Path(tmp) / "photos.jsonl"
            posts.write_text("".join(json.dumps({"id": f"P:{name}", "images": [str(path)]}) + "\n"
                                     for name, path in photos if path.exists()))
        proc = subprocess.run([sys.executable, "-m", "taglens", "suggest", "--batch", str(posts), "--json", "-k", "5",
                               "--model", model], cwd=folder, env=env, capture_output=True, text=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    if judged:
        judge(rows)
        return proc.returncode
    for row in rows:
        tags = " ".join(f"#{s['tag']} {s['score']:.2f}" for s in row.get("suggestions") or [])
        print(row["id"][:48].ljust(48), tags or row.get("error", ""))
    return proc.returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path, required=True, help="a folder outside the repository")
    ap.add_argument("--fetch", action="store_true", help="write the photos and posts.jsonl there first")
    ap.add_argument("--model", default="taglens-base")
    ap.add_argument("--judge", action="store_true", help="the photos alone's top 5 judged against ACCEPT")
    args = ap.parse_args(argv)
    if args.fetch:
        fetch(args.dir)
    return show(args.dir, args.model, args.judge)


if __name__ == "__main__":
    sys.exit(main())
