"""Frozen pretrained encoders (EfficientNet-Lite0 for images, MiniLM for text) on ONNX Runtime, and their feature
cache."""
from __future__ import annotations

import contextlib
import contextvars
import os
from pathlib import Path
from typing import Any, Iterator


def user_threads() -> int | None:
    """The thread count the user chose with ``TAGLENS_THREADS`` (a positive whole number), else None."""
    env = os.environ.get("TAGLENS_THREADS", "").strip()
    return int(env) if env.isdecimal() and int(env) > 0 else None


def encoder_threads() -> int:
    """Threads for the encoders: ``TAGLENS_THREADS`` (or the standard ``OMP_NUM_THREADS``) set by the user, else
    one per core, fewer when the machine is already busy: on a loaded 2-core laptop, two threads that spin-wait on
    each other make one image take ~1.5 s instead of ~40 ms."""
    asked = user_threads()
    if asked is not None:
        return asked
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    if omp.isdecimal() and int(omp) > 0:
        return int(omp)
    cores = os.cpu_count() or 1
    if not hasattr(os, "getloadavg"):
        return cores
    free = cores - os.getloadavg()[0]
    return max(1, min(cores, int(free + 0.5)))


_BESIDE = contextvars.ContextVar("taglens_encoding_beside_other_work", default=False)


@contextlib.contextmanager
def beside_other_work() -> Iterator[None]:
    """Within the block, the image encoder this thread gets (``image.get_image_encoder``) runs on one thread fewer
    than ``encoder_threads()`` (at least one): the caller keeps a core busy with other work meanwhile, as `taglens
    suggest --batch` ranks one chunk while the next is decoded and encoded. Two encoder threads beside the ranking
    (and the decoding thread) only wait for each other: on the 2-core machine with the other jobs held off, 86-94
    posts/s with two, 98-100 with one."""
    token = _BESIDE.set(True)
    try:
        yield
    finally:
        _BESIDE.reset(token)


def encoding_beside_other_work() -> bool:
    """Whether this thread is in a ``beside_other_work`` block."""
    return _BESIDE.get()


def onnx_session(path: Path, sha256: str, threads: int | None = None) -> Any:
    """An ONNX Runtime session of the model file ``path`` on ``threads`` threads (``encoder_threads()`` by
    default), once its sha256 is checked: a damaged or replaced file is a ModelError."""
    import hashlib

    from ..exceptions import ModelError

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the encoder ({exc.strerror or exc}); reinstall taglens") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(f"{path}: the encoder's sha256 is not the one taglens was built with (a damaged or "
                         f"replaced file); reinstall taglens")
    import onnxruntime as ort

    # numpy's BLAS threads busy-wait after each call and steal the cores the encoders need (a warm suggestion took
    # 115 ms instead of 41 ms on 2 cores with torch): our numpy work is small, so one BLAS thread
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or encoder_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    # ONNX Runtime's pool threads spin after each run by default, taking a core from the Python work that follows
    # (fusion, presenting): with them asleep, a warm suggestion on an idle 2-core machine took 25.5 instead of
    # 37.0 ms (bench_suggest), the same numbers bit for bit (check_identical). Asleep between the operators of a run
    # too, though, each of the ~100 operators waits for its pool thread to wake: they spin within a run and stop at
    # its end (force_spinning_stop), so EfficientNet-Lite0 on 2 threads takes 4.4 ms instead of 6.2 (and 8.6 ms of
    # CPU instead of 11.7), the same features bit for bit (issue 21)
    options.add_session_config_entry("session.intra_op.allow_spinning", "1")
    options.add_session_config_entry("session.force_spinning_stop", "1")
    return ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
