"""Uploaded photos and videos: what they are (by their bytes, not their name), and their frames.

A file is written to a private temporary folder only while ``taglens.media`` decodes it (with the CLI's guards:
decompression bombs, truncated data, frame limits), and the folder is removed whatever happens; the model gets the
decoded frames in memory, so nothing of an upload stays on disk (not even in the feature cache). The client's file
name is used in messages only, never as a path.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..media import HEIF_PHOTO, is_heif

SUPPORTED = "JPEG, PNG, GIF, WebP, BMP or TIFF photos and MP4, MOV, WebM, MKV or AVI videos"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


class UploadProblem(Exception):
    """An upload the server will not read; ``status`` is the HTTP status (413, 415 or 422)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Upload:
    name: str  # the client's file name, for messages
    data: bytes


def display_name(filename: str | None, index: int) -> str:
    """The client's file name, for messages: its last part, without control characters, at most 80 characters."""
    name = _UNSAFE_NAME.sub(" ", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not name:
        return f"file {index + 1}"
    return name if len(name) <= 80 else name[:77] + "..."


def sniff(data: bytes) -> tuple[str, str] | None:
    """(suffix, kind) of a photo or video from its first bytes, or None when it is neither. The suffix is the one
    ``taglens.media`` decodes the file by (.gif and videos through OpenCV's FFmpeg, the rest through Pillow)."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg", "image"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png", "image"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return ".gif", "image"
    if head.startswith(b"BM") and len(data) > 26:
        return ".bmp", "image"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return ".tif", "image"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return ".webp", "image"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return ".avi", "video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ".mkv", "video"  # Matroska and WebM
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if is_heif(head) or brand in (b"avif", b"avis"):
            return None  # HEIC/AVIF stills: not read here
        return (".mov", "video") if brand == b"qt  " else (".mp4", "video")
    return None


def check_upload(upload: Upload, max_file_bytes: int) -> tuple[str, str]:
    """(suffix, kind) of an upload, or the UploadProblem (413 too large, 415 not a photo or video)."""
    size = len(upload.data)
    if size > max_file_bytes:
        raise UploadProblem(413, f"{upload.name}: {_mb(size)} is over the limit of {_mb(max_file_bytes)} per file")
    if size == 0:
        raise UploadProblem(422, f"{upload.name}: empty file")
    found = sniff(upload.data)
    if found is None and is_heif(upload.data[:16]):
        raise UploadProblem(415, f"{upload.name}: {HEIF_PHOTO}")
    if found is None:
        raise UploadProblem(415, f"{upload.name}: not a photo or video taglens can read (expected {SUPPORTED})")
    return found


def decode_uploads(uploads: list[Upload], max_file_bytes: int) -> list[Any]:
    """The RGB frames of every upload, in order (one per still photo, sampled frames for a video or an animation).
    Raises UploadProblem naming the file: 413, 415, or 422 for one that cannot be decoded (a corrupt or truncated
    file, a decompression bomb)."""
    from ..exceptions import InputError
    from ..media import load_visuals

    kinds = [check_upload(u, max_file_bytes) for u in uploads]  # refuse before writing anything
    frames: list[Any] = []
    folder = Path(tempfile.mkdtemp(prefix="taglens-serve-"))
    try:
        for i, (upload, (suffix, _)) in enumerate(zip(uploads, kinds)):
            path = folder / f"upload{i}{suffix}"
            path.write_bytes(upload.data)
            try:
                frames.extend(image for _, image in load_visuals([path]))
            except InputError as exc:
                message = str(exc).replace(str(path), upload.name)
                raise UploadProblem(422, message) from None
            finally:
                path.unlink(missing_ok=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return frames


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"
