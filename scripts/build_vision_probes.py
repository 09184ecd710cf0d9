#!/usr/bin/env python
"""Build the two cheap gates of taglens-base's vision sources (``resources/vision/probes.json``): logistic
regressions on the pooled EfficientNet-Lite0 features (1280-d) the pipeline already has, so that only a photo
the image features call likely to show a face (or text) pays for the face detector (or the OCR).

- ``person``: trained to predict where the face detector (:mod:`taglens.vision.faces`) finds a face, on the
  train side (``taglens.data.splits.dev_split``) of instagram6, vape, pexels_food and everyday scenes, flowers
  and pets. The teacher is the detector itself: the probe only has to say where it is worth running.
- ``text``: trained to predict where RapidOCR's text detector (:func:`taglens.vision.ocr.text_gate`) finds a
  readable line, on the same photos, plus photos with text rendered by ``bench/render_text.py`` over the
  train-side pexels_food photos (positives) next to their plain backgrounds (negatives).

Each probe's threshold is set on the train side (5-fold out-of-fold scores) so that the teacher's positives
are recalled at ``--recall-person`` / ``--recall-text``; the val-side recall, precision and the share of photos
of each set it fires on are printed and kept in the file (``val``). Only the learned weights (two 1280-d
vectors, biases, thresholds) reach the artifact; the per-photo labels are kept, with ``--labels``, in a file
outside the repository.

    python scripts/build_vision_probes.py --labels /tmp/vision_labels.json   # writes resources/vision/probes.json
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

DATA = REPO.parent / "shared" / "data"
SETS = {"instagram6": None, "vape": 500, "pexels_food": 500, "everyday/scenes": 400, "everyday/flowers": 250,
        "everyday/pets": 300}  # set -> photos read (None: all)
OUT = REPO / "src" / "taglens" / "resources" / "vision" / "probes.json"


def photos() -> list[dict]:
    """{id, set, topic, path, split} of the first photo of each post of SETS."""
    from taglens.data.splits import dev_split

    out = []
    for name, limit in SETS.items():
        rows = []
        for line in (DATA / name / "posts.jsonl").open(encoding="utf-8"):
            o = json.loads(line)
            if o.get("images"):
                rows.append({"id": o["id"], "set": name, "topic": o.get("topic"), "split": dev_split(o["id"]),
                             "path": str(DATA / name / o["images"][0])})
        out.extend(rows[:limit])
    return out


def teach(rows: list[dict], labels_file: Path | None, faces_only: bool = False) -> dict[str, dict]:
    """path -> {"face": pattern label, "text": readable lines the gate found}, from the real detectors
    (``faces_only``: the face label alone, and "text" left out)."""
    from taglens.vision.faces import face_pattern
    from taglens.vision.ocr import text_gate

    done = json.loads(labels_file.read_text()) if labels_file and labels_file.is_file() else {}
    t = time.time()
    for i, r in enumerate(rows):
        if r["path"] in done and (faces_only or "text" in done[r["path"]]):
            continue
        try:
            done[r["path"]] = {"face": face_pattern(r["path"]).label}
            if not faces_only:
                done[r["path"]]["text"] = int(text_gate(r["path"])[1])
        except Exception as e:  # an unreadable photo is left out
            print(f"skip {r['path']}: {e}", file=sys.stderr)
        if labels_file and i % 200 == 0:
            labels_file.write_text(json.dumps(done))
            print(f"{i}/{len(rows)} labelled, {time.time() - t:.0f} s", file=sys.stderr, flush=True)
    if labels_file:
        labels_file.write_text(json.dumps(done))
    return done


def pooled(paths: list[str]) -> np.ndarray:
    from taglens.features import image_features

    feats = image_features(paths, skip_unreadable=True)
    return np.stack([f["pooled"][0] if f is not None else np.full(1280, np.nan, np.float32) for f in feats])


def fit_probe(x: np.ndarray, y: np.ndarray, recall: float, c: float) -> dict:
    from sklearn.linear_model import LogisticRegression

    from sklearn.model_selection import cross_val_predict

    mu, sd = x.mean(0), x.std(0) + 1e-3
    clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    # the threshold recalls `recall` of the teacher's positives in 5-fold out-of-fold scores (on the photos it
    # was fitted on, the probe is surer than on new ones)
    z = cross_val_predict(clf, (x - mu) / sd, y, cv=5, method="decision_function")
    clf.fit((x - mu) / sd, y)
    w, b = clf.coef_[0] / sd, float(clf.intercept_[0] - (clf.coef_[0] * mu / sd).sum())
    thresholds = {r: float(np.quantile(z[y == 1], 1.0 - r)) for r in (0.6, 0.7, 0.8, 0.9, 0.95)}
    return {"w": w.astype(np.float32), "b": b, "threshold": float(np.quantile(z[y == 1], 1.0 - recall)),
            "thresholds": thresholds}


def curve(name: str, probe: dict, x: np.ndarray, y: np.ndarray, groups: list[str], extra: np.ndarray) -> None:
    """Val-side recall and firing rates at each out-of-fold recall the threshold could be set at."""
    z, ze = x @ probe["w"] + probe["b"], extra @ probe["w"] + probe["b"]
    plain = np.array([g == "pexels_food" for g in groups])
    for r, t in probe["thresholds"].items():
        fire = z >= t
        print(f"{name} oof recall {r}: val recall {fire[y].mean():.3f}, fires on {fire.mean():.3f} of val photos, "
              f"{fire[plain].mean():.3f} of pexels_food, {(ze >= t).mean():.3f} of the extra set")


def report(name: str, probe: dict, x: np.ndarray, y: np.ndarray, groups: list[str]) -> dict:
    fire = x @ probe["w"] + probe["b"] >= probe["threshold"]
    out = {"photos": int(len(y)), "positives": int(y.sum()), "recall": round(float(fire[y == 1].mean()), 3),
           "precision": round(float(y[fire].mean()) if fire.any() else 0.0, 3),
           "fires_on": round(float(fire.mean()), 3),
           "fires_on_negatives": round(float(fire[y == 0].mean()), 3)}
    for g in sorted(set(groups)):
        m = np.array([h == g for h in groups])
        out[f"fires on {g}"] = f"{fire[m].mean():.3f} of {m.sum()}"
    print(name, json.dumps(out, indent=1))
    return out


def rebuild_person(args, x: np.ndarray, face: np.ndarray, rows: list[dict]) -> int:
    """Refit the person probe on new face labels; keep the text probe (and its figures) from ``args.out``."""
    old = json.loads(args.out.read_text(encoding="utf-8"))
    train = np.array([r["split"] == "train" for r in rows])
    groups = [r["set"] if r["set"] != "instagram6" else f"instagram6:{r['topic']}" for r in rows]
    val_groups = [g for g, t in zip(groups, train) if not t]
    selfie = np.array([g == "instagram6:selfie" for g in groups]) & ~train
    person = fit_probe(x[train], face[train], args.recall_person, args.C)
    curve("person", person, x[~train], face[~train], val_groups, x[selfie])
    old["val"]["person"] = report("person (val side)", person, x[~train], face[~train], val_groups)
    old["val"]["person"]["fires on instagram6 selfie val"] = round(
        float((x[selfie] @ person["w"] + person["b"] >= person["threshold"]).mean()), 3)
    old["probes"]["person"] = {"w": [round(float(v), 6) for v in person["w"]], "b": round(person["b"], 6),
                               "threshold": round(person["threshold"], 6)}
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(old, separators=(",", ":")), encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out} (person probe; text probe kept)")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, help="keep the detectors' per-photo labels here (outside the repo)")
    ap.add_argument("--rendered", type=int, default=300, help="train photos with rendered text")
    ap.add_argument("--recall-person", type=float, default=0.9,
                    help="train-side (out-of-fold) recall of the person probe's threshold")
    ap.add_argument("--recall-text", type=float, default=0.9, help="the same for the text probe")
    ap.add_argument("--C", type=float, default=0.05, help="inverse L2 strength of the logistic regressions")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--only", choices=("person",),
                    help="rebuild this probe alone (after a change of face detector); the text probe and its "
                         "figures are kept from --out as they are")
    args = ap.parse_args(argv)
    if args.labels and args.labels.resolve().is_relative_to(REPO):
        ap.error("--labels holds per-photo labels: keep it outside the repository")
    from render_text import background_photos, render_set

    rows = photos()
    labels = teach(rows, args.labels, faces_only=args.only == "person")
    rows = [r for r in rows if r["path"] in labels]
    x = pooled([r["path"] for r in rows])
    ok = ~np.isnan(x).any(1)
    rows, x = [r for r, k in zip(rows, ok) if k], x[ok]
    face = np.array([labels[r["path"]]["face"] != "no face" for r in rows])
    if args.only == "person":
        return rebuild_person(args, x, face, rows)
    text = np.array([labels[r["path"]]["text"] > 0 for r in rows])
    train = np.array([r["split"] == "train" for r in rows])
    groups = [r["set"] if r["set"] != "instagram6" else f"instagram6:{r['topic']}" for r in rows]

    from taglens.data.splits import dev_split

    backs = [p for p in background_photos() if dev_split(p.stem) == "train"]
    val_backs = [p for p in background_photos() if dev_split(p.stem) == "val"]
    with tempfile.TemporaryDirectory() as tmp:
        rendered = render_set(Path(tmp) / "train", args.rendered, seed=1, backgrounds=backs)
        val_rendered = render_set(Path(tmp) / "val", 40, seed=0, backgrounds=val_backs or backs)
        xr = pooled([str(p.path) for p in rendered])
        xv = pooled([str(p.path) for p in val_rendered])
    xb = pooled(sorted({str(p) for p in backs}))  # the plain backgrounds

    person = fit_probe(x[train], face[train], args.recall_person, args.C)
    xt = np.concatenate([x[train], xr, xb])
    yt = np.concatenate([text[train], np.ones(len(xr), bool), np.zeros(len(xb), bool)])
    textp = fit_probe(xt, yt, args.recall_text, args.C)
    val_groups = [g for g, t in zip(groups, train) if not t]
    selfie = np.array([g == "instagram6:selfie" for g in groups]) & ~train
    curve("person", person, x[~train], face[~train], val_groups, x[selfie])
    curve("text", textp, x[~train], text[~train], val_groups, xv)
    figures = {"person": report("person (val side)", person, x[~train], face[~train],
                                [g for g, t in zip(groups, train) if not t]),
               "text": report("text (val side)", textp, x[~train], text[~train],
                              [g for g, t in zip(groups, train) if not t])}
    fire_rendered = float((xv @ textp["w"] + textp["b"] >= textp["threshold"]).mean())
    figures["text"]["recall on 40 val-side rendered photos"] = round(fire_rendered, 3)
    print("text probe on val-side rendered photos:", round(fire_rendered, 3))
    figures["person"]["fires on instagram6 selfie val"] = round(
        float((x[selfie] @ person["w"] + person["b"] >= person["threshold"]).mean()), 3)
    out = {"about": "logistic probes on pooled EfficientNet-Lite0 features, built by scripts/build_vision_probes.py",
           "probes": {name: {"w": [round(float(v), 6) for v in p["w"]], "b": round(p["b"], 6),
                             "threshold": round(p["threshold"], 6)}
                      for name, p in (("person", person), ("text", textp))},
           "val": figures}
    if args.out.exists():  # the probes another script builds (build_colour_probe.py's colourless) are kept
        before = json.loads(args.out.read_text(encoding="utf-8"))
        out["probes"] = {**before.get("probes", {}), **out["probes"]}
        out["val"] = {**before.get("val", {}), **out["val"]}
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, separators=(",", ":")), encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
