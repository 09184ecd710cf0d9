#!/usr/bin/env python
"""Faces and text in photos: quality and per-photo cost of taglens.vision's gate, face detector and OCR.

Text: renders ``--text`` photos with text over public-domain pexels_food photos (bench/render_text.py, into a
temporary folder) and reports the share with a tag from their text in the top 5 of ``text_evidence``, the
gate's recall on them and its firing rate on ``--plain`` unmodified pexels_food photos (which may hold real
text: packaging, signs), and the seconds per photo of the gate and the full reading.

Faces: runs ``face_pattern`` over the developer photo sets (instagram6: its validation side, per topic; the
others: the first ``--limit`` photos) and reports the share of photos with a face and each pattern; on
instagram6 "selfie" val photos the share whose face tags hold a fitting people tag in the top 3; and the
detector's seconds per photo. Seconds are CPU seconds of this process
(robust to other jobs on a shared machine) and wall seconds.

    python bench/bench_vision.py                    # both, 40 text photos, 200 plain photos
    python bench/bench_vision.py --only faces --json
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO / "bench"))

# tags a person would call fitting for a photo of people (the face source's target)
PEOPLE_TAGS = frozenset("""selfie selfies me portrait people person girl girls boy boys man woman women men face
friends friend family couple love smile model selfietime selfiesunday instaselfie selca portraitphotography
happy cute beautiful pretty style fashion makeup hair beauty""".split())
# pexels_food stock keywords that say a person is in the photo (often only hands or a back)
PEOPLE_WORDS = frozenset("people person woman man girl boy portrait face child women men couple family".split())


class Timer:
    def __init__(self):
        self.cpu = self.wall = 0.0
        self.n = 0

    def __enter__(self):
        self._c, self._w = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.cpu += time.process_time() - self._c
        self.wall += time.perf_counter() - self._w
        self.n += 1

    def per_photo(self) -> dict[str, float]:
        n = max(1, self.n)
        return {"cpu_ms": round(1000 * self.cpu / n, 1), "wall_ms": round(1000 * self.wall / n, 1), "photos": self.n}


def bench_text(n_text: int, n_plain: int, seed: int) -> dict:
    from render_text import background_photos, render_set

    from taglens.vision.ocr import text_evidence, text_gate

    text_evidence(background_photos()[0])  # load the models outside the timing
    gate_t, read_t = Timer(), Timer()
    hits = gated = hits_gated = 0
    misses = []
    with tempfile.TemporaryDirectory() as tmp:
        for p in render_set(tmp, n_text, seed):
            with gate_t:
                likely, _, _ = text_gate(p.path)
            gated += likely
            with read_t:
                ev = text_evidence(p.path, k=5, gate=False)
            top = [t for t, _, _ in ev.tags[:5]]
            if set(top) & set(p.expected):
                hits += 1
                hits_gated += likely
            else:
                misses.append({"text": p.text, "read": [ln.text for ln in ev.lines], "top5": top})
    fired = 0
    plain_gate = Timer()
    plain = background_photos()[:: max(1, len(background_photos()) // max(1, n_plain))][:n_plain]
    for path in plain:
        with plain_gate:
            likely, _, _ = text_gate(path)
        fired += likely
    return {
        "rendered_photos": n_text,
        "top5_hit_rate": round(hits / max(1, n_text), 3),
        "top5_hit_rate_through_gate": round(hits_gated / max(1, n_text), 3),
        "gate_recall_on_rendered": round(gated / max(1, n_text), 3),
        "gate_fires_on_plain_food_photos": round(fired / max(1, len(plain)), 3),
        "plain_photos": len(plain),
        "gate_cost": plain_gate.per_photo(),
        "read_cost_with_text": read_t.per_photo(),
        "misses": misses,
    }


def _photos(set_path: str, limit: int | None = None):
    path = DATA / set_path / "posts.jsonl"
    if not path.is_file():
        return []
    out = []
    for line in path.open(encoding="utf-8"):
        o = json.loads(line)
        if o.get("images"):
            out.append((o["id"], o.get("topic"), path.parent / o["images"][0], set(o["hashtags"])))
    return out[:limit]


def bench_faces(limit: int | None) -> dict:
    from taglens.data.splits import dev_split
    from taglens.vision.faces import face_pattern, pattern_tags

    sets = {"instagram6": "instagram6", "pexels_food": "pexels_food", "scenes": "everyday/scenes",
            "flowers": "everyday/flowers", "pets": "everyday/pets", "vape": "vape"}
    timer = Timer()
    report: dict = {}
    selfie_hits = selfie_n = 0
    for name, rel in sets.items():
        by_group: dict[str, Counter] = defaultdict(Counter)
        photos = _photos(rel)
        if name == "instagram6":  # the validation side only: the face tags were learned on the train side
            photos = [p for p in photos if dev_split(p[0]) == "val"]
        else:
            photos = photos[:limit] + [p for p in photos[limit:] if name == "pexels_food" and p[3] & PEOPLE_WORDS]
        for pid, topic, path, tags in photos:
            group = f"{name}:{topic}" if name == "instagram6" else name
            if name == "pexels_food" and tags & PEOPLE_WORDS:
                group = "pexels_food:tagged with a people word"
            with timer:
                pattern = face_pattern(path)
            by_group[group][pattern.label] += 1
            if group == "instagram6:selfie":
                selfie_n += 1
                selfie_hits += bool({t for t, _, _ in pattern_tags(pattern, 3)} & PEOPLE_TAGS)
        for group, counts in sorted(by_group.items()):
            n = sum(counts.values())
            report[group] = {"photos": n, "with_face": round(1 - counts["no face"] / n, 3),
                             **{k: v for k, v in counts.most_common()}}
    report["selfie_val_people_tag_top3"] = round(selfie_hits / max(1, selfie_n), 3)
    report["selfie_val_photos"] = selfie_n
    report["detector_cost"] = timer.per_photo()
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("text", "faces"))
    ap.add_argument("--text", type=int, default=40, help="photos with rendered text (default 40)")
    ap.add_argument("--plain", type=int, default=200, help="plain pexels_food photos for the gate (default 200)")
    ap.add_argument("--limit", type=int, default=300, help="photos per set for the face benchmark (default 300)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not (DATA / "pexels_food" / "posts.jsonl").is_file():
        print(f"developer data not found at {DATA}", file=sys.stderr)
        return 3
    out = {}
    if args.only in (None, "text"):
        out["text"] = bench_text(args.text, args.plain, args.seed)
    if args.only in (None, "faces"):
        out["faces"] = bench_faces(args.limit)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    for section, figures in out.items():
        print(f"== {section}")
        for key, value in figures.items():
            if key == "misses":
                for m in value:
                    print(f"   miss: {m['text']!r} read {m['read']} -> {m['top5']}")
            else:
                print(f"{key:>36}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
