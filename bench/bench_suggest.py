#!/usr/bin/env python
"""Speed of the default model (issues 2 and 21): warm latency, batch throughput and a cold CLI start.

Every measurement uses a fresh, empty feature cache (TAGLENS_CACHE in a temporary folder), so each image is
really decoded and encoded. Photos: the public-domain pexels_food set of ../shared/data (or any folder of JPEGs);
the 12-megapixel phone photo is one of them upscaled to 4000x3000 with a little sensor-like noise, written at
bench time (each run gets its own copy, differing only after the JPEG's end, so the feature cache never answers).
``--profile`` also runs the warm loop under cProfile (on the calling thread's CPU clock) and prints where its
CPU goes, step by step and source by source.

On a machine shared with other jobs, wall-clock times say more about the other jobs than about taglens: read the
CPU-time figures (``cpu_*``: ``time.process_time`` of this process, or the CPU seconds of a CLI subprocess) of a
run with ``--threads 1``. Single-threaded CPU time is an upper bound on the wall time the same work takes on an
idle machine (one thread never waits for another core; two encoder threads only shorten the encoders' part).
A post's photo is decoded and encoded in a second thread while its caption is read (issue 21):
``cpu_critical_path_p50_ms`` adds to the calling thread's CPU time the part of the photo thread's that it waited
for, about the wall time two idle cores take. As root, `chrt -f 1 python bench/bench_suggest.py` runs it (and the CLI
it starts) at a real-time priority, ahead of the other jobs: its wall-clock figures then come close to an idle
machine's (docs/EXPERIMENTS.md, issue 21's sixth stop; the others wait for the minute it takes).

    python bench/bench_suggest.py [--photos ../shared/data/pexels_food/images] [--batch-posts 240] [--runs 40]
    PYTHONPATH=/path/to/other/checkout/src python bench/bench_suggest.py   # the same figures for another tree

Targets (2-core machine, issue 21): warm p50 <= 15 ms for one post with one photo, a caption and tags (``warm_latency``:
five captions in turn, so from the sixth post on the caption's embedding is one encoded before;
``warm_latency_new_captions``: a caption never seen in each post), <= 40 ms with a 12-megapixel JPEG; --batch over
240 photo posts at >= 100 posts/s after loading; cold `taglens suggest photo.jpg` <= 1.2 s (``cold_cli``;
``cold_cli_caption`` adds a caption and a tag).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
THREADS = 2  # encoder threads (TAGLENS_THREADS), also given to the CLI subprocesses
PARTS = ("warm", "12mp", "in_process", "batch", "cold", "overlap")  # --parts: the warm loops, the 12-MP loop, ...
CAPTIONS = ["dinner with friends tonight", "best brunch in town", "homemade pasta, simple and good",
            "sunday morning coffee", "fresh from the market"]


def warm_latency(model, photos, runs: int, profile: Path | None = None, new_captions: bool = False) -> dict:
    """Warm suggestions of posts with a photo never seen, one of ``CAPTIONS`` and two tags. The five captions repeat,
    so from the sixth post on MiniLM's embedding of the caption comes from the texts encoded before
    (``encoders.text``); ``new_captions``: each caption differs (a number after it), so every one is encoded."""
    from taglens.types import Post

    posts = [Post(images=(p,), text=CAPTIONS[i % len(CAPTIONS)] + (f" {i}" if new_captions else ""),
                  hashtags=("food", "foodie")) for i, p in enumerate(photos[: runs + 3])]
    for post in posts[:3]:  # warm-up: first calls load the encoders
        model.suggest(post)
    times, cpu, main, path = [], [], [], []
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.thread_time)  # the calling thread's CPU: a wait for the photo costs none
        profiler.enable()
    with _thread_clocks() as clocks:
        for post in posts[3:]:
            clocks.clear()
            t, c, m = time.perf_counter(), time.process_time(), time.thread_time()
            model.suggest(post, k=10)
            times.append(1000 * (time.perf_counter() - t))
            cpu.append(1000 * (time.process_time() - c))
            main.append(1000 * (time.thread_time() - m))
            # the photo's thread ran beside this one until its features were first read; this thread then waited
            # for the rest of it (none where the post has no photo, or the features were served at once)
            waited = max(0.0, clocks.get("images", 0.0) - (clocks.get("first_read", m) - m))
            path.append(main[-1] + 1000 * waited)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    times.sort()
    return {"runs": len(times), "p50_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1), "mean_ms": round(statistics.mean(times), 1),
            # CPU time of all the process's threads: with --threads 1 near what a quiet machine takes, where
            # wall-clock times are swollen by other jobs
            "cpu_p50_ms": round(statistics.median(cpu), 1),
            # CPU time of the calling thread alone, and that plus the part of the photo's thread (decode, encode)
            # it waited for: with --threads 1, the wall time two idle cores would take (the critical path)
            "cpu_main_thread_p50_ms": round(statistics.median(main), 1),
            "cpu_critical_path_p50_ms": round(statistics.median(path), 1)}


def overlap_latency(model, photos, runs: int, new_captions: bool = False) -> dict:
    """Issue 21's overlap, measured: warm posts (as ``warm_latency``) alternate between ``suggest`` (the photo decoded
    and encoded in another thread while the calling thread embeds the caption and runs the caption's sources) and
    the same work one step after the other (the photo's features, then the caption's embedding, then the ranking,
    all in the calling thread, as before the overlap). Post by post in turn, so other jobs load both the same.
    Each side's wall and process-CPU p50 over ``runs`` posts; the cache writes are left out of both (the overlapped
    side writes after the answer, in a thread of its own)."""
    import dataclasses

    from taglens.features import _store_once_answered, post_features, post_image_features
    from taglens.suggesters.base import finalize
    from taglens.types import Post

    posts = [Post(images=(p,), text=CAPTIONS[i % len(CAPTIONS)] + (f" {i}" if new_captions else ""),
                  hashtags=("food", "foodie")) for i, p in enumerate(photos[: 2 * runs + 3])]
    for post in posts[:3]:
        model.suggest(post)
    wall: dict[str, list[float]] = {"overlapped": [], "serial": []}
    cpu: dict[str, list[float]] = {"overlapped": [], "serial": []}
    for i, post in enumerate(posts[3:]):
        side = "serial" if i % 2 else "overlapped"
        stores: list = []
        t, c = time.perf_counter(), time.process_time()
        if side == "overlapped":
            model.suggest(post, k=10)
        else:
            images = post_image_features([post], frames=True, deferred=stores)[0]
            features = dataclasses.replace(post_features([post], images=False)[0],
                                           images=images if images is not None and len(images["pooled"]) else None)
            ev, gains, exclude = model.evidence(features)
            finalize(model.fuse(ev, gains, exclude, 10, text=post.text), post, 10)
        wall[side].append(1000 * (time.perf_counter() - t))
        cpu[side].append(1000 * (time.process_time() - c))
        if stores:
            _store_once_answered(stores, None, 0.0)
    out = {side: {"runs": len(wall[side]), "p50_ms": round(statistics.median(wall[side]), 1),
                  "mean_ms": round(statistics.mean(wall[side]), 1),
                  "max_ms": round(max(wall[side]), 1), "cpu_p50_ms": round(statistics.median(cpu[side]), 1)}
           for side in wall}
    out["saved_p50_ms"] = round(out["serial"]["p50_ms"] - out["overlapped"]["p50_ms"], 1)
    return out


def _thread_clocks():
    """Within the block, the CPU seconds of each post's photo thread (``images``) and the calling thread's CPU clock
    when it first read the photo's features (``first_read``), for ``warm_latency``'s critical path; a tree without
    ``PendingFeatures`` (photos encoded in the calling thread) records nothing."""
    import contextlib

    import taglens.features as features

    clocks: dict[str, float] = {}

    @contextlib.contextmanager
    def patched():
        pending = getattr(features, "PendingFeatures", None)
        if pending is None:
            yield clocks
            return
        encode, images = features.post_image_features, pending.images

        def timed_encode(*args, **kwargs):
            c = time.thread_time()
            try:
                return encode(*args, **kwargs)
            finally:
                clocks["images"] = time.thread_time() - c

        def timed_images(self):
            clocks.setdefault("first_read", time.thread_time())
            return images.fget(self)

        features.post_image_features, pending.images = timed_encode, property(timed_images)
        try:
            yield clocks
        finally:
            features.post_image_features, pending.images = encode, images

    return patched()


def phone_photos(photo: Path, n: int, tmp: Path) -> list[Path]:
    """``n`` copies of a 4000x3000 JPEG made from ``photo`` (upscaled, noise of a phone sensor at ISO ~400), as a
    phone would write it (quality 90); the copies differ by a few bytes after the image's end."""
    import numpy as np
    from PIL import Image

    with Image.open(photo) as img:
        big = img.convert("RGB").resize((4000, 3000), Image.BICUBIC)
    noise = np.random.default_rng(0).normal(0, 3, (3000, 4000, 3))
    big = Image.fromarray(np.clip(np.asarray(big, np.float32) + noise, 0, 255).astype(np.uint8))
    first = tmp / "phone-0.jpg"
    big.save(first, quality=90)
    data = first.read_bytes()
    paths = [first]
    for i in range(1, n):
        paths.append(tmp / f"phone-{i}.jpg")
        paths[-1].write_bytes(data + f"copy {i}".encode())
    return paths


def batch_throughput(photos, n: int, tmp: Path) -> dict:
    """`taglens suggest --batch` in a subprocess; posts/s after loading is measured from its first output line."""
    import shutil

    folder = tmp / "batch"
    (folder / "images").mkdir(parents=True)
    for p in photos[:n]:  # copies: the posts format refuses paths (symlinks included) that leave the folder
        shutil.copyfile(p, folder / "images" / p.name)
    with open(folder / "posts.jsonl", "w") as fh:
        for i, p in enumerate(photos[:n]):
            fh.write(json.dumps({"id": str(i), "images": [f"images/{p.name}"], "text": CAPTIONS[i % 5],
                                 "hashtags": ["food"]}) + "\n")
    # the cache folder a user has after their first suggestions: the word lists', WordNet's and the language
    # identifier's indexes that main() set up before measuring, but no photo's or caption's features. In an empty
    # folder the CLI built the OCR word lists' indexes (~3 s) inside its run, where the first photo with text came:
    # main's code read 9.2-10.1 s for the 240 posts, 6.9-7.2 s with them (docs/EXPERIMENTS.md, speed14)
    cache = tmp / "cache-batch"
    cache.mkdir()
    for entry in Path(os.environ["TAGLENS_CACHE"]).iterdir():
        if entry.name not in ("features", "text"):
            (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, cache / entry.name)
    env = {**os.environ, "TAGLENS_CACHE": str(cache), "TAGLENS_THREADS": str(THREADS)}
    start, cpu = time.perf_counter(), _child_cpu()
    proc = subprocess.Popen([sys.executable, "-m", "taglens", "suggest", "--batch", str(folder / "posts.jsonl"),
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    lines, first, first_cpu = [], None, None
    for line in proc.stdout:
        if first is None:
            first, first_cpu = time.perf_counter(), _process_cpu(proc.pid)
        lines.append(line)
    proc.wait()
    end, cpu = time.perf_counter(), _child_cpu() - cpu
    ok = sum(1 for line in lines if "suggestions" in json.loads(line))
    # the first chunk (32 posts) is answered when `first` is seen: its encoding time is inside the load phase,
    # so throughput is counted over the remaining posts only
    rest = len(lines) - 32
    return {"posts": len(lines), "answered": ok, "total_s": round(end - start, 2),
            "posts_per_s_after_first_chunk": round(rest / (end - first), 1) if first and rest > 0 else None,
            "posts_per_s_overall": round(len(lines) / (end - start), 1),
            "posts_per_cpu_s_overall": round(len(lines) / cpu, 1) if cpu else None,
            # CPU seconds of the posts after the first chunk: the whole run's less the child's at its first line
            "posts_per_cpu_s_after_first_chunk": (round(rest / (cpu - first_cpu), 1)
                                                  if first_cpu is not None and rest > 0 and cpu > first_cpu else None),
            "exit": proc.returncode}


def in_process_throughput(model, photos, n: int) -> dict:
    from taglens.types import Post

    posts = [Post(images=(p,), text=CAPTIONS[i % 5], hashtags=("food",)) for i, p in enumerate(photos[:n])]
    t, c = time.perf_counter(), time.process_time()
    for start in range(0, len(posts), 32):
        model.suggest_batch(posts[start: start + 32], k=10)
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    return {"posts": len(posts), "seconds": round(dt, 2), "posts_per_s": round(len(posts) / dt, 1),
            "cpu_s": round(cpu, 2), "posts_per_cpu_s": round(len(posts) / cpu, 1)}


def _child_cpu() -> float:
    """CPU seconds of the subprocesses waited for so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a running process has used so far (Linux /proc), None where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def cold_start(photo: Path, tmp: Path, runs: int = 3, options: tuple[str, ...] = ()) -> dict:
    """A fresh process suggesting for a photo never seen (a copy of ``photo`` differing after the JPEG's end, so
    the feature cache cannot answer) with ``options`` (a caption, tags). A first, unmeasured run sets up what
    taglens sets up once per cache (WordNet unpacked: ``first_use_s``)."""
    cache = tmp / f"cache-cold-{len(options)}"
    env = {**os.environ, "TAGLENS_CACHE": str(cache), "TAGLENS_THREADS": str(THREADS)}
    data = photo.read_bytes()
    times, cpu = [], []
    for i in range(runs + 1):
        copy = tmp / f"cold-{len(options)}-{i}.jpg"
        copy.write_bytes(data + f"cold {i}".encode())
        t, c = time.perf_counter(), _child_cpu()
        subprocess.run([sys.executable, "-m", "taglens", "suggest", str(copy), *options], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
        cpu.append(_child_cpu() - c)
    first, first_cpu = times.pop(0), cpu.pop(0)
    return {"runs": runs, "median_s": round(statistics.median(times), 2), "max_s": round(max(times), 2),
            "cpu_median_s": round(statistics.median(cpu), 2), "first_use_s": round(first, 2),
            "first_use_cpu_s": round(first_cpu, 2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="speed of taglens-base")
    ap.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "data" / "pexels_food" / "images")
    ap.add_argument("--batch-posts", type=int, default=240)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2,
                    help="encoder threads (on a machine shared with other jobs, 1 is much faster than 2); 0: leave"
                         " TAGLENS_THREADS unset, so taglens chooses by the machine's load (encoders.encoder_threads)")
    ap.add_argument("--profile", type=Path, default=None,
                    help="write a cProfile of the warm loop (photo posts) here and print its breakdown")
    ap.add_argument("--parts", default=",".join(PARTS),
                    help=f"which figures, comma-separated (default all: {','.join(PARTS)}); 'warm,batch' gives the two"
                         " targets in a minute or two, to alternate trees on a shared machine")
    args = ap.parse_args(argv)
    if not set(args.parts.split(",")) <= set(PARTS):
        ap.error(f"--parts: expected some of {','.join(PARTS)}")
    global THREADS
    THREADS = args.threads
    photos = sorted(args.photos.glob("*.jpg"))
    if len(photos) < args.batch_posts + 3 * (args.runs + 3):  # the warm loops' photos are none of the batch's
        raise SystemExit(f"need at least {args.batch_posts + 3 * (args.runs + 3)} photos in {args.photos}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["TAGLENS_CACHE"] = str(tmp / "cache")
        if args.threads > 0:
            os.environ["TAGLENS_THREADS"] = str(args.threads)  # read by the encoders (torch or ONNX Runtime)
        else:  # the load-aware choice (issue 21: it must keep working)
            os.environ.pop("TAGLENS_THREADS", None)
        from taglens.model_folder import load_suggester

        t = time.perf_counter()
        model = load_suggester("taglens-base")
        result = {"cpus": os.cpu_count(), "threads": args.threads, "load_s": round(time.perf_counter() - t, 2)}
        # what a cache folder sets up once (the word lists' indexes: ~8-10 s each for the junk filter's twelve
        # languages and the photo text's six): in the user's cache since their first suggestions, in this fresh one
        # only when a post first needs them, a stall of seconds inside the measured loops otherwise
        from taglens.knowledge import junk
        from taglens.knowledge.word_frequency import best_zipf, zipf
        from taglens.vision import ocr

        best_zipf("food", junk.WORD_LANGUAGES, junk.ZIPF_FLOOR)
        for lang in ocr.LANGUAGES:
            zipf("food", lang)
        parts = set(args.parts.split(","))
        result["load"] = os.getloadavg()[:3]  # the machine's load when it started: others' jobs swell wall times
        if args.threads <= 0:
            from taglens.encoders import encoder_threads

            result["threads_chosen"] = encoder_threads()
        if "warm" in parts:
            result["warm_latency"] = warm_latency(model, photos[-(args.runs + 3):], args.runs, args.profile)
            result["warm_latency_new_captions"] = warm_latency(model, photos[-2 * (args.runs + 3):-(args.runs + 3)],
                                                               args.runs, new_captions=True)
        if "overlap" in parts:  # photos of neither warm loop nor the batch (the batch takes the first ones)
            few = photos[-2 * (args.runs + 3) - 2 * (2 * args.runs + 3):-2 * (args.runs + 3)]
            result["overlap"] = overlap_latency(model, few[: 2 * args.runs + 3], args.runs)
            result["overlap_new_captions"] = overlap_latency(model, few[2 * args.runs + 3:], args.runs, True)
        if "12mp" in parts:
            result["warm_latency_12mp"] = warm_latency(model, phone_photos(photos[-1], args.runs + 3, tmp), args.runs)
        if "in_process" in parts:
            result["batch_in_process"] = in_process_throughput(model, photos[: args.batch_posts], args.batch_posts)
        if "batch" in parts:
            result["batch_cli"] = batch_throughput(photos[args.runs + 3:], args.batch_posts, tmp)
        if "cold" in parts:
            result["cold_cli"] = cold_start(photos[0], tmp)
            result["cold_cli_caption"] = cold_start(photos[0], tmp,
                                                    options=("--text", CAPTIONS[3], "--tags", "#coffee"))
    result["encoders"] = "onnxruntime" if "onnxruntime" in sys.modules else "torch"
    print(json.dumps(result, indent=2))
    if args.profile and "warm" in parts:
        print_profile(args.profile, result["warm_latency"]["runs"])
    return 0


# where the warm path spends its time: (label, file ending, function name); cumulative, so nested entries overlap.
# Each evidence source of taglens-base gets its own line after these (print_profile).
PROFILE_PARTS = [
    ("suggest (whole call)", "suggesters/base.py", "suggest"),
    ("post features (images and caption)", "taglens/features.py", "post_features"),
    ("  file sha1 (cache key)", "encoders/cache.py", "feature_key"),
    ("  decode", "taglens/media.py", "load_visuals"),
    ("  resize + crop (preprocess)", "encoders/image.py", "preprocess"),
    ("  image encoder (incl. preprocess)", "encoders/image.py", "encode"),
    ("  feature cache write", "encoders/cache.py", "store"),
    ("  caption embedding (tokenise + encoder)", "encoders/text.py", "encode_texts"),
    ("    tokenise", "encoders/text.py", "tokenize"),
    ("evidence (every source, features included)", "taglens_base/model.py", "evidence"),
    ("gains", "taglens_base/model.py", "gains"),
    ("topic strength", "taglens_base/topics.py", "topic_strength"),
    ("topic yield", "taglens_base/topics.py", "yield_to_topic"),
    ("unnamed places left out", "taglens_base/places.py", "unnamed_left_out"),
    ("unsaid weapons", "taglens_base/senses.py", "unsaid_weapons"),
    ("unsaid throwbacks", "taglens_base/throwbacks.py", "unsaid_throwbacks"),
    ("unsaid distress", "taglens_base/moods.py", "unsaid_distress"),
    ("lone votes", "taglens_base/support.py", "lone_votes"),
    ("topic gate", "taglens_base/topics.py", "gate"),
    ("consent", "taglens_base/consent.py", "checked"),
    ("fuse (incl. diversify)", "taglens_base/fusion.py", "fuse"),
    ("  diversify", "taglens_base/fusion.py", "diversify"),
    ("finalize", "suggesters/base.py", "finalize"),
]


def print_profile(path: Path, runs: int) -> None:
    import pstats

    stats = pstats.Stats(str(path)).stats  # (file, line, function) -> (calls, ncalls, tottime, cumtime, callers)
    total = None
    print(f"\nwarm path, ms of the calling thread's CPU per post (cumulative, cProfile's overhead included; {runs}"
          f" posts; the photo's decoding and encoding run in the photo thread, and waiting for them costs no CPU):")
    for label, file_end, func in PROFILE_PARTS:
        cum = sum(v[3] for (f, _, name), v in stats.items() if f.endswith(file_end) and name == func)
        if total is None:
            total = cum or 1.0
        print(f"  {label:<62} {1000 * cum / runs:7.2f}  {100 * cum / total:5.1f}%")
    sources = {}
    for (f, _, name), v in stats.items():
        if name == "evidence" and ("taglens_base/sources/" in f or f.endswith("taglens_base/heads.py")):
            label = f"  source {Path(f).stem}" + (" (the two heads)" if f.endswith("heads.py") else "")
            sources[label] = sources.get(label, 0.0) + v[3]
    for label, cum in sorted(sources.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<62} {1000 * cum / runs:7.2f}  {100 * cum / (total or 1.0):5.1f}%")


if __name__ == "__main__":
    raise SystemExit(main())
