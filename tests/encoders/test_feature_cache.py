"""The feature cache only saves time: a cache folder that cannot be written (not a folder, full) never stops
suggest; it warns once, naming the folder, and leaves no temporary file behind."""
import os
import resource
import subprocess
import sys
from pathlib import Path


SRC = Path(__file__).resolve().parents[2] / "src"


def suggest(cache: Path, images, limit_bytes: int | None = None) -> subprocess.CompletedProcess:
    """``taglens suggest`` in a child process with ``TAGLENS_CACHE=cache`` (and a file-size limit, as on a full
    disk: a write past it fails with EFBIG)."""
    env = {**os.environ, "TAGLENS_CACHE": str(cache),
           "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}

    def limit():
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([sys.executable, "-m", "taglens", "suggest", *map(str, images), "-k", "3", "--json"],
                          capture_output=True, text=True, env=env, preexec_fn=limit, timeout=600)


def test_a_cache_folder_that_is_a_file_only_costs_speed(tmp_path, food_images):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    cache = blocker / "cache"
    res = suggest(cache, food_images[:2])
    assert res.returncode == 0, res.stderr
    assert '"tag"' in res.stdout
    warnings = [line for line in res.stderr.splitlines() if "cannot be written" in line]
    assert len(warnings) == 1 and str(cache) in warnings[0], res.stderr  # once, for two images
    assert blocker.read_text() == "a file where the cache folder should be"


def test_a_full_cache_leaves_no_temporary_file(tmp_path, food_images):
    cache = tmp_path / "cache"
    res = suggest(cache, food_images[:2], limit_bytes=2048)  # a feature file is about 9 kB
    assert res.returncode == 0, res.stderr
    assert '"tag"' in res.stdout
    warnings = [line for line in res.stderr.splitlines() if "cannot be written" in line]
    assert len(warnings) == 1 and str(cache) in warnings[0], res.stderr
    assert not list(cache.rglob("*.tmp.npz"))
    assert not list(cache.rglob("*.npz"))  # nothing half-written was kept as an entry either


def test_a_cache_that_can_be_written_keeps_the_features(tmp_path, food_images, monkeypatch):
    from taglens.encoders import cache as feature_cache
    from taglens.features import image_features

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "cache"))
    first = image_features(food_images[:1])[0]
    files = list((tmp_path / "cache").rglob("*.npz"))
    assert len(files) == 1 and not list((tmp_path / "cache").rglob("*.tmp.npz"))
    again = feature_cache.load(files[0], ("pooled", "logits"))
    assert (again["pooled"] == first["pooled"]).all()


def test_deferred_writes_are_handed_back_and_a_pending_post_writes_them(tmp_path, food_images, monkeypatch):
    """``deferred`` takes the cache writes instead of making them; a post suggested one at a time
    (``pending_post_features``) has its photo's features written after they are used: once the caller says it has
    answered, or after a short wait where it never does (as here)."""
    import time

    from taglens.features import image_features, pending_post_features
    from taglens.types import Post

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "cache"))
    writes: list = []
    feats = image_features(food_images[:1], deferred=writes)[0]
    assert not list((tmp_path / "cache").rglob("*.npz"))
    [(path, arrays, _)] = writes  # (cache file, arrays, the grey images whose chroma the write adds)
    assert (arrays["pooled"] == feats["pooled"]).all()

    pending = pending_post_features(Post(images=(food_images[1],)))
    assert pending.images["pooled"].shape == (1, 1280)
    def entries():  # the finished entries, not the temporary file the writer renames into place
        return [p for p in (tmp_path / "cache").rglob("*.npz") if not p.name.endswith(".tmp.npz")]

    for _ in range(200):  # written by the background thread just after the features were handed over
        if entries():
            break
        time.sleep(0.05)
    [file] = entries()
    from taglens.encoders import cache as feature_cache

    assert (feature_cache.load(file, ("pooled",))["pooled"] == pending.images["pooled"]).all()

    answered = pending_post_features(Post(images=(food_images[2],)))
    assert answered.images is not None
    answered.answered()
    for _ in range(200):
        if len(entries()) == 2:
            break
        time.sleep(0.05)
    assert len(entries()) == 2


def test_images_started_before_the_model_loads_are_taken_over_by_that_post(tmp_path, food_images, monkeypatch):
    """``start_post_images`` (a one-off `taglens suggest photo.jpg` starts its photo while it loads the model): the
    next ``pending_post_features`` of that same post object takes over what was started, without encoding the photo
    again, and gets the features the usual path gives; another post object with the same photo starts its own."""
    import taglens.features as features
    from taglens.types import Post

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "cache"))
    calls: list = []
    encode = features.post_image_features

    def counted(*args, **kwargs):
        calls.append(args[0])
        return encode(*args, **kwargs)

    monkeypatch.setattr(features, "post_image_features", counted)
    post = Post(images=(food_images[0],), text="fresh bread")
    features.start_post_images(post)
    pending = features.pending_post_features(post)
    assert isinstance(pending, features.PendingFeatures) and pending.text == "fresh bread"
    got = pending.images
    assert len(calls) == 1 and calls[0] == [post]
    assert not features._AHEAD  # handed over, nothing left behind
    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "other-cache"))  # the usual path, encoding afresh
    usual = features.pending_post_features(Post(images=(food_images[0],), text="fresh bread")).images
    assert len(calls) == 2
    assert (got["pooled"] == usual["pooled"]).all() and (got["logits"] == usual["logits"]).all()
    features.start_post_images(Post())  # no images: nothing started
    assert not features._AHEAD


def test_images_started_but_never_asked_for_are_let_go_beyond_a_few(monkeypatch):
    """``start_post_images`` for posts whose features no caller asks for keeps at most ``AHEAD_KEPT`` of them (the
    newest), not every post with its photos' features for the life of the process; each let go is marked answered,
    so its cache write does not wait; the newest is still taken over."""
    import threading

    import taglens.features as features
    from taglens.types import Post

    started: list = []

    def fake(post, images, answered, decoding=None, beside=False):
        started.append(post)
        images.set_result([None])

    monkeypatch.setattr(features, "_images_then_store", fake)
    monkeypatch.setattr(features, "_AHEAD", {})
    posts = [Post(images=(f"photo{i}.jpg",)) for i in range(features.AHEAD_KEPT + 3)]
    answered: list[threading.Event] = []
    for post in posts:
        features.start_post_images(post)
        answered.append(features._AHEAD[id(post)][2])
    assert len(features._AHEAD) == features.AHEAD_KEPT
    assert [entry[0] for entry in features._AHEAD.values()] == posts[-features.AHEAD_KEPT:]
    assert all(event.is_set() for event in answered[:3]) and not any(e.is_set() for e in answered[3:])
    assert features._AHEAD.pop(id(posts[-1]))[0] is posts[-1]
