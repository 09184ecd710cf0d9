"""Frozen pretrained encoders (EfficientNet-Lite0 for images, MiniLM for text) and their feature cache."""

import os


def user_threads() -> int | None:
    """The torch thread count the user chose with ``TAGLENS_THREADS`` (a positive whole number), else None."""
    env = os.environ.get("TAGLENS_THREADS", "").strip()
    return int(env) if env.isdecimal() and int(env) > 0 else None


def fit_threads_to_load() -> None:
    """Use fewer torch threads when the machine is already busy: on a loaded 2-core laptop, two threads that
    spin-wait on each other make one image take ~1.5 s instead of ~40 ms. ``TAGLENS_THREADS`` (or the standard
    ``OMP_NUM_THREADS``) set by the user wins."""
    import torch

    asked = user_threads()
    if asked is not None:
        torch.set_num_threads(asked)
        return
    if os.environ.get("OMP_NUM_THREADS") or not hasattr(os, "getloadavg"):
        return
    cores = os.cpu_count() or 1
    free = cores - os.getloadavg()[0]
    if free < torch.get_num_threads() - 0.5:
        torch.set_num_threads(max(1, min(torch.get_num_threads(), int(free + 0.5))))
