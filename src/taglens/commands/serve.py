"""taglens serve: the web page and HTTP API (FastAPI + uvicorn, imported only when the command runs)."""
from __future__ import annotations

import argparse

from ._common import add_model_argument, int_at_least

HELP = "serve a web page and an HTTP API that suggest hashtags (FastAPI + uvicorn)"
DESCRIPTION = (
    "Serve the page at http://HOST:PORT/ (drop photos, type a caption, copy the tags) and the API under /v1 "
    "(OpenAPI at /docs), /healthz and /metrics. Binds to 127.0.0.1 unless --host says otherwise; when "
    "TAGLENS_API_KEY is set, clients on other machines must send it ('Authorization: Bearer KEY' or "
    "'X-API-Key: KEY'). Each worker process loads the model once, before it answers its first request."
)


def _positive_float(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not x > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return x


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..serve.config import Settings

    d = Settings()
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine "
                                                       "only; 0.0.0.0: every interface)")
    p.add_argument("--port", type=int_at_least(1), default=8000, metavar="N", help="port (default 8000)")
    add_model_argument(p)
    p.add_argument("--workers", type=int_at_least(1), default=1, metavar="N",
                   help="worker processes, each with its own copy of the model (default 1)")
    p.add_argument("--max-file-mb", type=_positive_float, default=d.max_file_bytes / 2**20, metavar="MB",
                   help=f"largest photo or video accepted, in MB (default {d.max_file_bytes // 2**20})")
    p.add_argument("--max-request-mb", type=_positive_float, default=d.max_request_bytes / 2**20, metavar="MB",
                   help=f"largest request body, in MB (default {d.max_request_bytes // 2**20})")
    p.add_argument("--timeout", type=_positive_float, default=d.timeout_s, metavar="S",
                   help=f"seconds a request may take before the server answers 503 (default {d.timeout_s:g})")
    p.add_argument("--batch", type=int_at_least(1), default=d.batch_max, metavar="N",
                   help=f"run up to N posts waiting for the model through it together (default {d.batch_max}; "
                        f"1: one at a time)")


def run(args: argparse.Namespace) -> int:
    import os
    import socket

    from ..exceptions import TaglensError, UsageError
    from ..serve.config import ENV, Settings

    if args.port > 65535:
        raise UsageError(f"--port must be at most 65535, got {args.port}")
    import importlib.util

    missing = [m for m in ("fastapi", "uvicorn", "multipart") if importlib.util.find_spec(m) is None]
    if missing:  # taglens.cli names the extra that installs it (exit code 6)
        raise ModuleNotFoundError(f"No module named {missing[0]!r}", name=missing[0])
    _check_model(args.model)
    settings = Settings(model=args.model, max_file_bytes=int(args.max_file_mb * 2**20),
                        max_request_bytes=int(args.max_request_mb * 2**20), timeout_s=args.timeout,
                        batch_max=args.batch)
    try:  # a clear message now rather than uvicorn's log line after the model has loaded
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((args.host, args.port))
    except OSError as exc:
        raise TaglensError(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc})") from None
    import uvicorn

    if args.workers > 1 and "TAGLENS_THREADS" not in os.environ:
        os.environ["TAGLENS_THREADS"] = str(max(1, (os.cpu_count() or 1) // args.workers))
    log_level = "info" if args.verbose else "warning"
    print(f"taglens serve: http://{_url_host(args.host)}:{args.port}/ (model {args.model}, "
          f"{args.workers} worker{'s' if args.workers > 1 else ''}; Ctrl+C stops)", flush=True)
    if args.workers == 1:
        from ..serve.app import create_app

        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=log_level,
                    timeout_graceful_shutdown=5)
    else:
        os.environ[ENV] = settings.to_env()
        uvicorn.run("taglens.serve.app:app_from_env", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=log_level, timeout_graceful_shutdown=5)
    return 0


def _check_model(name: str) -> None:
    """Refuse an unknown or untrained model now (exit 6), not in the log of a server that never gets ready."""
    from pathlib import Path

    from ..exceptions import ModelError
    from ..registry import bundled_model_dir, create_suggester
    from ..suggesters.base import not_trained

    if (Path(name) / "config.json").is_file() or bundled_model_dir(name) is not None:
        return
    if Path(name).is_dir():
        raise ModelError(f"{name}: no config.json in this folder; not a taglens model directory")
    model = create_suggester(name)  # UnknownModelError names close matches
    if getattr(model, "needs_training", False):
        raise ModelError(not_trained(name))


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
