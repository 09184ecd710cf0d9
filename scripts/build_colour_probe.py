#!/usr/bin/env python
"""Build the ``colourless`` probe of ``resources/vision/probes.json``: a logistic regression on the pooled
EfficientNet-Lite0 features (1280-d) that says where a photo is likely to have no colour, so that only such a photo
pays for reading its pixels (``taglens.vision.colour``, the ``photo_colour`` source).

The teacher is the pixel measure itself (``colour.chroma``) at ``TEACH``, looser than the source's bar
(``colour.COLOURLESS``) so that the gate passes what the pixels then decide, on the train side (``dev_split``) of
instagram6, vape, pexels_food and the everyday scenes, flowers and pets, plus a grey copy of every
``--grey-every``-th train photo (encoded here: Instagram has few black-and-white photos of things and scenes). The
threshold recalls
``--recall`` of the teacher's positives in 5-fold out-of-fold scores; the val side's recall and firing rate are
printed and kept in the file. Only the weights, bias and threshold reach the artifact (the other probes of the file
are kept as they are).

    python scripts/build_colour_probe.py
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from build_vision_probes import DATA, OUT, SETS, fit_probe, photos, pooled  # noqa: E402

TEACH = 12.0  # the chroma at or under which the teacher calls a photo colourless


def main(argv=None) -> int:
    from PIL import Image

    from taglens.features import image_features
    from taglens.vision.colour import chroma

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recall", type=float, default=0.97)
    ap.add_argument("--c", type=float, default=0.05)
    ap.add_argument("--grey-every", type=int, default=6)
    args = ap.parse_args(argv)
    rows = photos()
    x = pooled([r["path"] for r in rows])
    ok = ~np.isnan(x).any(1)
    rows = [r for r, k in zip(rows, ok) if k]
    x = x[ok]
    y = np.array([chroma(Image.open(r["path"])) <= TEACH for r in rows], np.int64)
    train = np.array([r["split"] == "train" for r in rows])
    greys = [r for i, r in enumerate(rows) if train[i] and not y[i]][:: args.grey_every]
    feats = image_features([Image.open(r["path"]).convert("L").convert("RGB") for r in greys])
    xg = np.stack([f["pooled"][0] for f in feats])
    xt = np.concatenate([x[train], xg])
    yt = np.concatenate([y[train], np.ones(len(xg), np.int64)])
    probe = fit_probe(xt, yt, args.recall, args.c)
    w, b, t = probe["w"], probe["b"], probe["threshold"]
    z = x[~train] @ w + b
    yv = y[~train]
    groups = np.array([r["set"] for r, k in zip(rows, ~train) if k])
    fire = z >= t
    val = {"photos": int(len(yv)), "positives": int(yv.sum()), "recall": round(float(fire[yv == 1].mean()), 3),
           "fires_on": round(float(fire.mean()), 3), "fires_on_negatives": round(float(fire[yv == 0].mean()), 3),
           "grey_copies": len(xg), "sets": sorted(SETS)}
    for g in sorted(set(groups)):
        m = groups == g
        val[f"fires on {g}"] = f"{fire[m].mean():.3f} of {m.sum()} ({yv[m].sum()} colourless)"
    print(json.dumps(val, indent=1))
    data = json.loads(OUT.read_text("utf-8"))
    data["probes"]["colourless"] = {"w": [round(float(v), 6) for v in w], "b": round(float(b), 6),
                                    "threshold": round(float(t), 6)}
    data.setdefault("val", {})["colourless"] = val
    OUT.write_text(json.dumps(data, separators=(",", ":")), "utf-8")  # as build_vision_probes writes it
    print(f"wrote {OUT} ({DATA})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
