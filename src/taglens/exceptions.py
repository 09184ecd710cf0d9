"""The error hierarchy of taglens and the CLI exit code each error maps to (as instaloader does)."""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # an unexpected failure
    USAGE = 2  # bad command-line arguments (argparse's own code)
    INPUT = 3  # a missing, unreadable or malformed input file
    IMAGE = 4  # a corrupt, truncated, oversized or non-image file
    VIDEO = 5  # a video that cannot be decoded
    MODEL = 6  # unknown or untrained model, a bad hyperparameter, or a model directory that cannot be loaded
    DATA = 7  # a posts.jsonl / dataset problem (bad line, escaping path, no usable posts)
    SOURCE = 8  # a collection source that keeps failing
    PARTIAL = 9  # batch mode: some posts were answered with an error
    OUTPUT = 10  # the output cannot be written (disk full, not a folder, no permission, a folder not to overwrite)
    INTERRUPTED = 130


class TaglensError(Exception):
    """Base class of every error taglens raises on purpose; the message names the problem."""

    exit_code: ExitCode = ExitCode.ERROR


class UsageError(TaglensError):
    """Command-line arguments that do not go together or do not parse (argparse's own exit code)."""

    exit_code = ExitCode.USAGE


class InputError(TaglensError):
    """An input file is missing, empty or unreadable."""

    exit_code = ExitCode.INPUT


class ImageError(InputError):
    """An image cannot be decoded (corrupt, truncated, not an image, a decompression bomb)."""

    exit_code = ExitCode.IMAGE


class VideoError(InputError):
    """A video cannot be opened or yields no frame."""

    exit_code = ExitCode.VIDEO


class DataError(TaglensError):
    """A dataset or posts.jsonl problem: a malformed line, a path escaping its folder, no usable posts."""

    exit_code = ExitCode.DATA


class PathEscapeError(DataError):
    """A path in a posts.jsonl points outside the file's folder (absolute, or with '..')."""


class ModelError(TaglensError):
    """A model cannot be created, loaded or trained."""

    exit_code = ExitCode.MODEL


class UnknownModelError(ModelError, KeyError):
    """No registered model has this name and no model directory is at this path."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SourceError(TaglensError):
    """A collection source failed (network, rate limit, bad response) more often than allowed."""

    exit_code = ExitCode.SOURCE


class OutputError(TaglensError):
    """An output file or folder cannot be written (the disk is full, a parent is a file, no permission)."""

    exit_code = ExitCode.OUTPUT
