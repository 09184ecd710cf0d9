"""suggest, features and evaluate as Ray Data jobs, embedded on this machine or on a Ray cluster (``address``).

Each job plans the input's shards on the driver (``shards.plan_shards``), drops the shards its output folder
already holds, and maps the rest through a pool of worker actors (``Dataset.map_batches`` with a callable
class, one shard per batch). A worker loads the model (or the encoders) once, in its constructor; for each shard
it reads the posts itself, answers them in chunks of ``CHUNK`` with the model's batch API, writes the shard's
Parquet file atomically and returns one line of statistics (rows, errors, the node and process that did it), which
is all that travels back to the driver. A post that fails is an error row; the job goes on.

Ray is imported here only, and this module only by ``--engine ray``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
from typing import Any, Callable, Iterator

from .shards import Shard, plan_shards, prepare_output, read_shard, write_shard

log = logging.getLogger(__name__)
CHUNK = 32  # posts per suggest_batch call, as `taglens suggest --batch`


def _import_ray():
    from ..exceptions import UsageError

    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise UsageError("--engine ray needs Ray Data: pip install 'taglens[scale]' (ray[data])") from None
    return ray


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[Any]:
    """Ray, started embedded on this machine (``address`` None) or connected to a running cluster; shut down on
    exit unless it was already initialised by the caller."""
    from ..exceptions import SourceError

    ray = _import_ray()
    if ray.is_initialized():
        _quiet(ray)
        yield ray
        return
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
    if address:
        kwargs["address"] = address
    else:
        kwargs["num_cpus"] = num_cpus or os.cpu_count() or 1
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise SourceError(f"cannot connect to the Ray cluster at {address}: {exc}") from None
    _quiet(ray)
    try:
        yield ray
    finally:
        ray.shutdown()


def _quiet(ray) -> None:
    """No progress bars or per-second progress logs of Ray Data on stderr (taglens prints its own summary)."""
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    for name in ("ray.data", "ray"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _worker_context(ray) -> dict[str, Any]:
    ctx = ray.get_runtime_context()
    return {"node": ctx.get_node_id(), "pid": os.getpid()}


def _limit_threads(ray) -> None:
    """The encoders of a worker use the CPUs Ray gave it (unless TAGLENS_THREADS says otherwise)."""
    cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1)
    os.environ.setdefault("TAGLENS_THREADS", str(max(1, int(cpus))))


# -- the workers ------------------------------------------------------------------------------------------------
SUGGEST_SCHEMA = None  # built lazily (pyarrow)


def suggest_schema():
    import pyarrow as pa

    global SUGGEST_SCHEMA
    if SUGGEST_SCHEMA is None:
        item = pa.struct([("tag", pa.string()), ("score", pa.float64()), ("evidence", pa.string()),
                          ("source", pa.string()), ("confidence", pa.float64())])
        SUGGEST_SCHEMA = pa.schema([("id", pa.string()), ("suggestions", pa.list_(item)), ("error", pa.string()),
                                    ("left_out_weak", pa.int32())])
    return SUGGEST_SCHEMA


class ShardWorker:
    """A Ray Data callable class: one shard per batch in, one statistics row per shard out."""

    confined = True  # media paths stay inside the input's folder (a dataset); a query file's are the user's

    def __init__(self, out: str) -> None:
        import ray

        _limit_threads(ray)
        self.out = out
        self.where = _worker_context(ray)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        rows: dict[str, list] = {"shard": [], "rows": [], "errors": [], "seconds": [], "node": [], "pid": []}
        for i in range(len(batch["index"])):
            shard = Shard(**{f.name: _plain(batch[f.name][i]) for f in dataclasses.fields(Shard)})
            start = time.perf_counter()
            n, errors = self.process(shard)
            for key, value in (("shard", shard.index), ("rows", n), ("errors", errors),
                               ("seconds", time.perf_counter() - start), *self.where.items()):
                rows[key].append(value)
        return rows

    def process(self, shard: Shard) -> tuple[int, int]:
        """Read the shard, answer its posts ``CHUNK`` at a time, write its Parquet file; (rows, error rows)."""
        import pyarrow as pa

        from ..data.posts import Record
        from ..types import clean_text

        items = read_shard(shard, confined=self.confined)
        rows: list[dict[str, Any]] = []
        for b in range(0, len(items), CHUNK):
            chunk = items[b:b + CHUNK]
            answers = iter(self.answer([r for r in chunk if isinstance(r, Record)]))
            for item in chunk:
                pid = item.id if isinstance(item, Record) else getattr(item, "post_id", None)
                row = next(answers) if isinstance(item, Record) else {"error": str(item)}
                if row.get("error") is not None:
                    row = {"error": clean_text(row["error"])}
                rows.append({"id": None if pid is None else clean_text(str(pid)), **row})
        write_shard(self.out, shard.index, pa.Table.from_pylist(rows, schema=self.schema()))
        return len(rows), sum(r.get("error") is not None for r in rows)

    def answer(self, records: list[Any]) -> list[dict[str, Any]]:
        """One row (without its id) per record: the answer, or {'error': message}."""
        raise NotImplementedError

    def schema(self):
        raise NotImplementedError


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


class SuggestWorker(ShardWorker):
    confined = False  # a query file of suggest --batch: absolute and '..' paths are the user's to give

    def __init__(self, out: str, model: str, k: int, min_score: float | None = None,
                 allow_generic: bool = False) -> None:
        super().__init__(out)
        from ..blocklist import blocked_tags
        from ..model_folder import load_suggester

        # as the driver's --allow-generic or TAGLENS_ALLOW_GENERIC says (a cluster's workers have their own env)
        os.environ["TAGLENS_ALLOW_GENERIC"] = "1" if allow_generic else "0"
        self.model = load_suggester(model)
        blocked_tags()  # an unreadable list fails the worker at once, not every post
        self.k, self.min_score = k, min_score

    def answer(self, records: list[Any]) -> list[dict[str, Any]]:
        from ..commands.suggest import answer_posts, keep_confident

        # the post as `taglens suggest --batch` gives it: no topic or source (labels, not inputs); an empty post is
        # refused, not ranked (``answer_posts``)
        posts = [dataclasses.replace(r.to_post(), meta={}) for r in records]
        rows: list[dict[str, Any]] = []
        for ans in answer_posts(self.model, posts, self.k):
            if isinstance(ans, Exception):
                rows.append({"error": str(ans)})
                continue
            kept, left_out = keep_confident(ans, self.min_score)  # as `suggest --batch` keeps them
            rows.append({"error": None, "left_out_weak": left_out, "suggestions": [
                {"tag": s.tag, "score": round(float(s.score), 6), "evidence": s.reason or s.source,
                 "source": s.source, "confidence": None if s.confidence is None else round(float(s.confidence), 3)}
                for s in kept]})
        return rows

    def schema(self):
        return suggest_schema()


# -- the driver ------------------------------------------------------------------------------------------------
def run_shard_job(worker: type, todo: list[Shard], kwargs: dict[str, Any], ray: Any,
                  progress: Callable[[int], None] | None = None, workers: int | None = None) -> list[dict[str, Any]]:
    """Map the shards ``todo`` through a pool of ``worker`` actors (``map_shards``); the statistics row of every
    shard, in shard order."""
    stats: list[dict[str, Any]] = []
    for row in map_shards(ray, worker, todo, kwargs, workers):
        stats.append(row)
        if progress:
            progress(int(row["rows"]))
    return sorted(stats, key=lambda r: r["shard"])


POOL_START_S = 600  # how long a job waits for its whole pool of workers to start (each loads the model)


def map_shards(ray: Any, worker: type, shards: list[Shard], kwargs: dict[str, Any],
               workers: int | None = None) -> Iterator[dict[str, Any]]:
    """The row ``worker`` returns for each of ``shards`` (one shard per call), as the shards finish, from a pool of
    ``worker`` actors: one per CPU of the cluster, at most ``workers`` and one per shard.

    The whole pool is started (every actor's constructor has loaded its model) before the first shard is handed
    out: Ray Data otherwise dispatches to the first actor that is up, two shards at a time and more as they finish,
    so on a short job one node could write every shard while the others were still loading (the two-node test
    that failed once). With the pool up, each shard goes to the least busy actor: the shards spread over the
    nodes. A pool that cannot start in POOL_START_S (the cluster's CPUs are taken) is a SourceError."""
    from ..exceptions import SourceError

    if not shards:
        return
    cpus = int(ray.cluster_resources().get("CPU", 1))
    size = max(1, min(workers or cpus, cpus, len(shards)))
    ctx = ray.data.DataContext.get_current()
    before, ctx.wait_for_min_actors_s = ctx.wait_for_min_actors_s, POOL_START_S
    try:  # the dataset keeps a copy of the context made here: the caller's own datasets do not wait
        ds = ray.data.from_items([s.to_dict() for s in shards], override_num_blocks=len(shards))
    finally:
        ctx.wait_for_min_actors_s = before
    ds = ds.map_batches(worker, fn_constructor_kwargs=kwargs, batch_size=1, concurrency=size, num_cpus=1,
                        batch_format="numpy", zero_copy_batch=True)
    try:
        for row in ds.iter_rows():
            yield {k: _plain(v) for k, v in row.items()}
    except ray.exceptions.GetTimeoutError:
        raise SourceError(f"the Ray cluster did not start {size} worker(s) of one CPU each within {POOL_START_S} s "
                          f"(are its CPUs taken by other jobs?)") from None


def suggest_job(data: str, out: str, model: str, k: int, address: str | None = None,
                shard_bytes: int | None = None, workers: int | None = None,
                progress: Callable[[int], None] | None = None, min_score: float | None = None,
                allow_generic: bool | None = None) -> dict[str, Any]:
    """Suggest for every post of ``data`` into the Parquet folder ``out``; resumes a job killed half-way. The
    suggestions kept are those `taglens suggest --batch` keeps (``min_score``, ``allow_generic``: its
    ``--min-score`` and ``--allow-generic``; None: TAGLENS_ALLOW_GENERIC of this process)."""
    from ..knowledge.junk import allow_generic_from_env
    from ..model_folder import load_suggester

    load_suggester(model)  # an unknown model or bad folder fails here, once, not in every worker
    options = {"model": str(model), "k": k, "min_score": min_score,
               "allow_generic": allow_generic_from_env() if allow_generic is None else bool(allow_generic)}
    return _sharded_job(SuggestWorker, {"job": "suggest", **options}, options, data, out, address, shard_bytes,
                        workers, progress)


def _sharded_job(worker: type, job: dict[str, Any], kwargs: dict[str, Any], data: str, out: str,
                 address: str | None, shard_bytes: int | None, workers: int | None,
                 progress: Callable[[int], None] | None) -> dict[str, Any]:
    """Plan the shards of ``data``, skip those ``out`` holds (``job`` names the job in ``OUT/_job.json``), and
    write the others with ``worker`` actors; the job's summary."""
    shards = plan_shards(data, shard_bytes)
    job = {**job, "input": _job_input(data), "shard_bytes": shard_bytes or "auto", "shards": len(shards)}
    done = prepare_output(out, job)
    todo = [s for s in shards if s.index not in done]
    start = time.perf_counter()
    with ray_session(address) as ray:
        stats = run_shard_job(worker, todo, {"out": out, **kwargs}, ray, progress, workers)
    seconds = time.perf_counter() - start
    return {"shards": len(shards), "skipped": len(done & {s.index for s in shards}), "written": len(stats),
            "rows": sum(s["rows"] for s in stats), "errors": sum(s["errors"] for s in stats),
            "nodes": sorted({s["node"] for s in stats}), "seconds": round(seconds, 3), "stats": stats}


def _job_input(data: str) -> str:
    from .shards import filesystem

    _, path, uri = filesystem(data)
    return uri or path


# -- features ---------------------------------------------------------------------------------------------------
class FeatureWorker(ShardWorker):
    def answer(self, records: list[Any]) -> list[dict[str, Any]]:
        from .features import encode_posts

        return encode_posts([r.to_post() for r in records])

    def schema(self):
        from .features import feature_schema

        return feature_schema()


def features_job(data: str, out: str, address: str | None = None, shard_bytes: int | None = None,
                 workers: int | None = None, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The image and caption features of every post of ``data`` into the Parquet folder ``out`` (resumable)."""
    from .features import FORMAT, features_id

    job = {"job": "features", "encoders": features_id(), "format": FORMAT}
    return _sharded_job(FeatureWorker, job, {}, data, out, address, shard_bytes, workers, progress)


# -- evaluate ---------------------------------------------------------------------------------------------------
class EvaluateWorker:
    """Runs the evaluation protocol (``taglens.eval.protocol.evaluate``) on one shard and returns the metrics of
    each scored post, in input order, for the driver to average in the order the local evaluation does."""

    def __init__(self, model: str, options: dict[str, Any]) -> None:
        import ray

        from ..model_folder import load_suggester

        _limit_threads(ray)
        self.model = load_suggester(model)
        self.options = options
        self.where = _worker_context(ray)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        import json

        from ..eval.protocol import evaluate
        from ..exceptions import DataError

        rows: dict[str, list] = {"shard": [], "posts": [], "metrics": [], "errors": [], "bad": [], "node": [],
                                 "pid": []}
        for i in range(len(batch["index"])):
            shard = Shard(**{f.name: _plain(batch[f.name][i]) for f in dataclasses.fields(Shard)})
            items = read_shard(shard)
            bad = next((str(x) for x in items if isinstance(x, DataError)), "")
            per_post: list = []
            errors = 0
            if not bad:
                errors = evaluate(items, self.model, per_post=per_post, **self.options)["errors"]
            for key, value in (("shard", shard.index), ("posts", len(items)),
                               ("metrics", json.dumps([m for _, m in per_post])),
                               ("errors", errors), ("bad", bad), *self.where.items()):
                rows[key].append(value)
        return rows


def evaluate_job(data: str, model: str, inputs: Any, reveal: int, seed: int | str, k: int,
                 address: str | None = None, shard_bytes: int | None = None, workers: int | None = None
                 ) -> dict[str, Any]:
    """``taglens.eval.protocol.evaluate`` over ``data`` on Ray: the same protocol, and the same figures, as the
    local evaluation (the per-post metrics are summed on the driver in input order), with ``posts``: how many
    were read."""
    import json

    from ..eval.protocol import evaluate
    from ..exceptions import DataError
    from ..model_folder import load_suggester

    local_model = load_suggester(model)
    result = evaluate([], local_model, inputs=inputs, reveal=reveal, seed=seed, k=k)  # checks; every key, n = 0
    shards = plan_shards(data, shard_bytes)
    options = {"inputs": sorted(inputs), "reveal": reveal, "seed": seed, "k": k}
    start = time.perf_counter()
    if shards:
        with ray_session(address) as ray:
            stats = sorted(map_shards(ray, EvaluateWorker, shards, {"model": str(model), "options": options},
                                      workers), key=lambda r: r["shard"])
    else:
        stats = []
    bad = next((s["bad"] for s in stats if s["bad"]), "")
    if bad:
        raise DataError(bad)
    metrics = [m for s in stats for m in json.loads(s["metrics"])]
    keys = [key for key in result if key not in ("n", "errors", "blocked_tags", "blocked_list", "seconds")]
    totals = dict.fromkeys(keys, 0.0)
    for m in metrics:  # in input order, as the local evaluation adds them
        for key, v in m.items():
            totals[key] = totals.get(key, 0.0) + v
    n = len(metrics)
    result.update({"n": n, **{key: (v / n if n else 0.0) for key, v in totals.items()},
                   "errors": sum(s["errors"] for s in stats), "seconds": round(time.perf_counter() - start, 3),
                   "posts": sum(s["posts"] for s in stats)})
    result["nodes"] = sorted({s["node"] for s in stats})
    return result
