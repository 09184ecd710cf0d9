#!/usr/bin/env python
"""Build the bundled default model ``taglens-base`` (src/taglens/models/taglens-base/) from ../shared/data.

Only the *train* side of every set (``taglens.data.splits.split_records``) is used. The fusion weights are
tuned on the four measured tasks by cross-fitting on that train side (8 folds by another hash: each fold's
queries are scored by a model fitted on the other seven; harrison and tweets score the first fold's only). So
the tuner sees evidence of models nearly as well-fed as the final one: with 4 folds they learned from a quarter
less, 66-72 authors' habits of the final model's 90, and the tuned weights of the caption sources came out half
as large. The model is then refitted on the whole train side with those weights. ``--eval`` finally measures
the model on the val sides with the official protocol (``taglens.eval``). Image features come from the feature
cache (~/.cache/taglens).

    nice python scripts/build_default_model.py [--data ../shared/data] [--out src/taglens/models/taglens-base]
        [--no-tune | --weights-from EARLIER_MODEL_DIR] [--eval]
    nice python scripts/build_default_model.py --refit words   # refit only these sources of the model in --out

``--refit`` relearns the named sources of the model already in ``--out`` from the same train side, keeping its
vocabulary, fusion weights and every other source (the heads' weights would differ on a full rebuild): for a
source whose saved statistics changed form (``words`` storing its counts).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

SETS = {  # name -> posts file under the data folder
    "harrison": "harrison/posts.jsonl",
    "instagram6": "instagram6/posts.jsonl",
    "vape": "vape/posts.jsonl",
    "tweets": "tweets/posts.jsonl",
    "vivek": "taglists/vivek.jsonl",
    "pexels_food": "pexels_food/posts.jsonl",
}
# the measured tasks: (set, inputs, reveal), with the targets for P@1 and A@5
TASKS = {
    "instagram6": ("instagram6", {"images"}, 0, 0.65, 0.85),
    "vape": ("vape", {"images", "text"}, 0, 0.62, 0.76),
    "harrison": ("harrison", {"tags"}, 1, 0.28, 0.54),
    "tweets": ("tweets", {"text"}, 0, 0.065, 0.10),
}
log = logging.getLogger("build_default_model")
# sources the tasks cannot show the worth of (photos of things no training post shows; synonyms of unseen
# tags; the popular tags an empty post gets) keep at least this weight. The zero-shot path's floor is the weight
# the builds before the caption n-grams chose for it: at 0.025 (the tuner's choice with them) a photo of a
# circuit board or a dahlia showed no zero-shot tag in its top ten; at 0.4 the board shows #accessories
KEEP = {"conse": 0.4, "conse+caption": 0.02, "synonyms": 0.02, "prior": 0.005}


def tune_fold(record_id: str, folds: int) -> int:
    """The cross-fitting fold (0 .. folds-1) of a train-side post, by another hash than the val split."""
    return int(hashlib.sha1(f"taglens-tune:{record_id}".encode()).hexdigest(), 16) % 100 * folds // 100


# tasks with thousands of queries in each fold are tuned on the first fold only (enough, and tuning stays fast)
ONE_FOLD_TASKS = ("harrison", "tweets")


def load_sets(data: Path):
    from taglens.data.posts import read_records
    from taglens.data.splits import split_records

    return {name: split_records(read_records(data / rel)) for name, rel in SETS.items()}


# tags that mark a data set rather than a post: the SemEval-2016 stance task appended #SemST to every one of
# its tweets, so the model would learn to suggest it for any caption about politics, religion or the weather
ANNOTATION_TAGS = frozenset({"semst"})


def to_posts(records):
    from dataclasses import replace

    return [replace(r.to_post(), meta={"source": r.source or "", "topic": r.topic},
                    hashtags=tuple(t for t in r.hashtags if t not in ANNOTATION_TAGS)) for r in records]


def precompute(model, records_by_task, table, max_posts: int = 1500):
    """Per task: [(evidence, gains, exclude, revealed, targets)] for the protocol's queries (evidence is fixed
    for a trained model, so weights can be tuned by re-fusing only)."""
    from taglens.eval.protocol import prepare_query
    from taglens.features import post_features

    out = {}
    for task, records in records_by_task.items():
        _, inputs, reveal, *_t = TASKS[task]
        queries = []
        for rec in records:
            post, revealed, targets = prepare_query(rec, inputs, reveal)
            if targets:
                queries.append((post, revealed, targets))
        if inputs != {"tags"}:  # tag-only queries cost next to nothing: tune on all of them (less noise)
            queries = queries[:max_posts]
        feats = post_features([q[0] for q in queries], images="images" in inputs, text="text" in inputs,
                              text_embedder=table)
        out[task] = [(*model.evidence(f), q[1], q[2]) for q, f in zip(queries, feats)]
    return out


def score_task(model, items, weights, k: int = 10):
    from taglens.eval.protocol import score_ranking

    p1 = a5 = 0.0
    for ev, gains, exclude, revealed, targets in items:
        ranked = [s.tag for s in model.fuse(ev, gains, exclude, k + len(revealed), weights)]
        m = score_ranking(ranked, revealed, targets, k)  # revealed tags dropped before the cut, as in evaluate
        p1 += m["P@1"]
        a5 += m["A@5"]
    n = max(len(items), 1)
    return p1 / n, a5 / n


def objective(results) -> float:
    """Mean over tasks of the metrics relative to their targets, so every task counts alike; a metric past its
    target counts a tenth as much, so that weights are not bought with A@5 beyond the target at the cost of a
    P@1 still short of it."""
    total = 0.0
    for task, (p1, a5) in results.items():
        t_p1, t_a5 = TASKS[task][3], TASKS[task][4]
        total += min(p1 / t_p1, 1.0) + min(a5 / t_a5, 1.0) + 0.1 * (p1 / t_p1 + a5 / t_a5)
    return total / len(results)


# the order in which coordinate ascent visits the weights (the builds so far); a source added since comes after them
TUNE_ORDER = ("image", "image_protos", "conse", "caption", "caption_protos", "words", "about", "mentions", "ngrams",
              "cooccurrence", "tag_parts", "synonyms", "user", "prior", "image+caption", "image_protos+caption",
              "conse+caption")


def tune(model, cached) -> dict[str, float]:
    """Coordinate ascent over the fusion weights (log grid), starting from the defaults (each source's ``weight``)
    raised to their floors (``KEEP``); a trial equal to the current weight (a floor) is not scored again."""
    defaults = model.default_weights()
    order = sorted(defaults, key=lambda s: TUNE_ORDER.index(s) if s in TUNE_ORDER else len(TUNE_ORDER))
    weights = {source: max(defaults[source], KEEP.get(source, 0.0)) for source in order}
    # the scale is free: keep the image weight at 1; and no task shows tags together with a photo or a caption,
    # so the weight of the tags' companions against those sources cannot be tuned: it stays at 1 too (the tuner
    # would otherwise raise it without bound, drowning the photo and caption of every tagged post)
    fixed = ("image", "cooccurrence")
    evaluate = lambda w: {t: score_task(model, items, w) for t, items in cached.items()}  # noqa: E731
    best = objective(evaluate(weights))
    log.info("tune start %.4f %s", best, weights)
    for _round in range(2):
        for source in [s for s in weights if s not in fixed]:
            for factor in (0.0, 0.25, 0.5, 2.0, 4.0):
                if source in KEEP and factor == 0.0:
                    continue
                trial = {**weights, source: max(weights[source] * factor, KEEP.get(source, 0.0))
                         if weights[source] else 0.05 * factor}
                if trial[source] == weights[source]:
                    continue
                value = objective(evaluate(trial))
                if value > best + 1e-4:
                    best, weights = value, trial
                    log.info("tune %.4f %s=%.4g", best, source, trial[source])
    res = evaluate(weights)
    log.info("tuned %s -> %s", {k: round(v, 4) for k, v in weights.items()},
             {t: tuple(round(x, 4) for x in v) for t, v in res.items()})
    return {k: round(float(v), 5) for k, v in weights.items()}


def write_val_sets(data: Path, sets, folder: Path) -> dict[str, Path]:
    """The val side of each measured set as ``folder/<set>/posts.jsonl``, with copies of its media (image
    paths may not leave the folder of the posts file)."""
    from taglens.data.posts import record_to_json, write_jsonl

    out = {}
    for task, (name, *_rest) in TASKS.items():
        src = data / SETS[name]
        dst = folder / name
        for rec in sets[name][1]:
            for image in rec.images:
                target = dst / image.relative_to(src.parent)
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(image, target)
        write_jsonl(dst / "posts.jsonl", [record_to_json(r, src.parent) for r in sets[name][1]])
        out[task] = dst / "posts.jsonl"
    return out


def measure(data: Path, sets, model_dir: Path, val_dir: Path, tasks=None) -> None:
    """The official protocol (taglens.eval) on the val side of each measured set; prints one JSON line each."""
    from taglens.data.posts import read_records
    from taglens.eval.protocol import evaluate
    from taglens.model_folder import load_suggester

    model = load_suggester(str(model_dir))
    for task, path in write_val_sets(data, sets, val_dir).items():
        if tasks and task not in tasks:
            continue
        _, inputs, reveal, t_p1, t_a5 = TASKS[task]
        res = evaluate(read_records(path), model, inputs=inputs, reveal=reveal)
        print(json.dumps({"task": task, "data": str(path), "n": res["n"], "P@1": round(res["P@1"], 4),
                          "A@5": round(res["A@5"], 4), "target": [t_p1, t_a5], "seconds": res["seconds"]}),
              flush=True)


class EmbeddingTable:
    """MiniLM embeddings of many texts, computed once in cached chunks, then looked up (texts -> array)."""

    def __init__(self, texts, chunk: int = 2000):
        import numpy as np
        from taglens.encoders.cache import text_embeddings

        uniq = sorted(set(texts))
        self.index = {t: i for i, t in enumerate(uniq)}
        parts = []
        for start in range(0, len(uniq), chunk):
            parts.append(text_embeddings(uniq[start: start + chunk]))
            log.info("embedded %d / %d texts", min(start + chunk, len(uniq)), len(uniq))
        self.table = np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)

    def __call__(self, texts):
        from taglens.encoders.cache import text_embeddings

        missing = [t for t in texts if t not in self.index]
        if missing:
            return text_embeddings(list(texts))
        return self.table[[self.index[t] for t in texts]]


def embedding_table(sets) -> EmbeddingTable:
    """Every caption (without hashtags) of every set, and the words of every tag used at least twice."""
    from collections import Counter

    from taglens.suggesters.tags import tag_text
    from taglens.types import strip_hashtags

    captions = [strip_hashtags(r.text) for name in SETS for side in sets[name] for r in side]
    counts = Counter(t for name in SETS for r in sets[name][0] for t in r.hashtags)
    tags = [tag_text(t) for t, c in counts.items() if c >= 2]
    return EmbeddingTable(captions + tags)  # "" included: captionless posts


def earlier_weights(model_dir: Path, params: dict, fail) -> dict[str, float]:
    """The fusion weights of an earlier build, to refit with them: only if that build's other parameters are the
    ones this build uses (weights tuned for other heads or another vocabulary say little about these)."""
    from taglens.exceptions import ModelError
    from taglens.registry import create_suggester
    from taglens.model_folder import read_config

    try:
        config = read_config(model_dir)
    except ModelError as e:
        fail(f"--weights-from {model_dir}: no fusion weights ({e})")
    if config["taglens"]["type"] != "taglens-base":
        fail(f"--weights-from {model_dir}: a {config['taglens']['type']} model, not taglens-base: no fusion weights")
    earlier = config.get("params", {})
    weights = earlier.get("weights")
    if not isinstance(weights, dict) or not weights:
        fail(f"--weights-from {model_dir}: its config.json holds no fusion weights")
    as_json = lambda model: json.loads(json.dumps(model.get_params()))  # noqa: E731 (tuples become lists)
    now = as_json(create_suggester("taglens-base", **params))
    earlier = {**as_json(create_suggester("taglens-base")), **earlier}  # a parameter added since: its default
    differ = sorted(k for k in set(earlier) | set(now) if k != "weights" and earlier.get(k) != now.get(k))
    if differ:
        fail(f"--weights-from {model_dir}: that build had other parameters ({', '.join(differ)}); "
             "pass them with --set, or tune anew")
    return weights


def refit(model_dir: Path, names: list[str], train_records, table) -> None:
    """Relearn the sources ``names`` of the model saved in ``model_dir`` from ``train_records`` and save it again
    (atomically: written beside, then swapped in)."""
    from taglens.model_folder import load_suggester
    from taglens.suggesters.taglens_base.source import TrainingSet

    model = load_suggester(model_dir)
    posts = [p for p in to_posts(train_records) if p.hashtags]
    data = TrainingSet(posts, model, table)
    for name in names:
        model.source(name).fit(data)
        log.info("refitted %s", name)
    tmp = model_dir.with_name(model_dir.name + ".refit")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save(tmp)
    # keep every array the refit did not change as it was stored (the heads, stored float16, load as float32)
    import numpy as np
    from safetensors.numpy import load_file, save_file

    before, after = load_file(str(model_dir / "weights.safetensors")), load_file(str(tmp / "weights.safetensors"))
    save_file({k: before[k] if k in before and np.array_equal(before[k], v) else v for k, v in after.items()},
              str(tmp / "weights.safetensors"))
    old = model_dir.with_name(model_dir.name + ".old")
    model_dir.rename(old)
    tmp.rename(model_dir)
    shutil.rmtree(old)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "models" / "taglens-base")
    ap.add_argument("--no-tune", action="store_true", help="keep the default fusion weights")
    ap.add_argument("--weights-from", type=Path, metavar="MODEL_DIR",
                    help="no tuning: refit with the fusion weights of this earlier build (its config.json)")
    ap.add_argument("--eval", action="store_true", help="measure the built model on the val sides afterwards")
    ap.add_argument("--eval-only", action="store_true", help="only measure the model in --out")
    ap.add_argument("--tasks", default="", help="with --eval-only: comma-separated subset of the tasks")
    ap.add_argument("--val-dir", type=Path, default=Path("/tmp/taglens-val"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", type=Path, help="keep the cross-fitted evidence (evidence.pkl) and the last fold's "
                    "model (fold-model/) in this folder, outside the repository: it holds per-post records")
    ap.add_argument("--folds", type=int, default=8, help="cross-fitting folds of the train side for tuning")
    ap.add_argument("--refit", default="", metavar="SOURCE[,SOURCE]",
                    help="refit only these sources of the model in --out on the train side and save it again")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a taglens-base parameter (VALUE in JSON), e.g. --set topic_boost=2; may be repeated")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)

    import torch

    torch.set_num_threads(args.threads)
    from taglens.registry import create_suggester

    params = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--set {item!r}: expected KEY=VALUE")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    if args.cache and args.cache.resolve().is_relative_to(REPO):
        ap.error(f"--cache {args.cache}: per-post records must stay outside the repository ({REPO})")
    if "weights" in params:
        ap.error("--set weights=...: the fusion weights come from tuning or from --weights-from")
    weights = None
    if args.weights_from:
        if args.eval_only or args.no_tune:
            ap.error("--weights-from refits with an earlier build's weights: not with --eval-only or --no-tune")
        weights = earlier_weights(args.weights_from, params, ap.error)
    if args.cache and (args.no_tune or args.eval_only or args.weights_from):
        log.warning("--cache: nothing to keep without the cross-fitting (--no-tune, --weights-from, --eval-only)")
    t0 = time.time()
    sets = load_sets(args.data)
    if args.refit:
        from taglens.encoders.cache import text_embeddings  # only a refitted source that reads embeddings calls it

        refit(args.out, args.refit.split(","), [r for name in SETS for r in sets[name][0]], text_embeddings)
        return 0
    if args.eval_only:
        measure(args.data, sets, args.out, args.val_dir, args.tasks.split(",") if args.tasks else None)
        return 0
    train_records = [r for name in SETS for r in sets[name][0]]
    log.info("train side: %d posts (%s)", len(train_records),
             ", ".join(f"{n} {len(sets[n][0])}" for n in SETS))
    table = embedding_table(sets)
    if not args.no_tune and weights is None:
        # cross-fitting: each fold's queries get their evidence from a model fitted on the other folds, so the
        # weights are tuned on every post of the small sets (one cut of 190 vape posts gave noisy weights)
        cached: dict[str, list] = {task: [] for task in TASKS}
        for fold in range(args.folds):
            fit_part = [r for r in train_records if tune_fold(r.id, args.folds) != fold]
            cut = {task: [r for r in sets[name][0] if tune_fold(r.id, args.folds) == fold]
                   for task, (name, *_r) in TASKS.items() if fold == 0 or task not in ONE_FOLD_TASKS}
            model = create_suggester("taglens-base", **params).fit(to_posts(fit_part), text_embedder=table)
            for task, items in precompute(model, cut, table).items():
                cached[task].extend(items)
            log.info("fold %d/%d fitted and its queries scored at %.0fs", fold + 1, args.folds, time.time() - t0)
        log.info("tuning on %s", {t: len(v) for t, v in cached.items()})
        if args.cache:
            import pickle

            args.cache.mkdir(parents=True, exist_ok=True)
            with open(args.cache / "evidence.pkl", "wb") as f:
                pickle.dump(cached, f)
            model.save(args.cache / "fold-model")
        weights = tune(model, cached)
    model = create_suggester("taglens-base", weights=weights, **params)
    model.fit(to_posts(train_records), text_embedder=table)
    if args.out.exists():
        shutil.rmtree(args.out)
    model.save(args.out)
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    log.info("saved %s (%.1f MB) in %.0fs", args.out, size / 1e6, time.time() - t0)
    if args.eval:
        measure(args.data, sets, args.out, args.val_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
