"""Checks of an output folder (a model's --out, a report's --out) before any long work is done, and the
wording of why writing failed."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .exceptions import OutputError


def os_reason(exc: OSError) -> str:
    """Why an OS call failed, for a message: "No space left on device: /out/x" (the file named when known)."""
    if exc.strerror and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return exc.strerror or str(exc)


def file_mode() -> int:
    """The mode ``open()`` gives a new file under the current umask (0644 under umask 022), for files made with
    ``tempfile.mkstemp`` (always 0600) that are then renamed into place as the user's output."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def is_out_of_space(exc: OSError) -> bool:
    """Whether ``exc`` says the output cannot grow: a full disk, an exhausted quota, a file-size limit, or a
    read-only file system."""
    import errno

    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)


def check_writable_folder(out: Path, what: str) -> None:
    """Raise OutputError unless ``out`` is a folder this process can write in, or can be created as one.

    ``what`` names the folder in the message ("--out", "report folder"). Where ``out`` exists, the check writes in
    it; otherwise in its nearest existing ancestor, where the folder would be created. ``os.access`` cannot tell
    for root or read-only and virtual file systems, so a hidden folder is created and removed there."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{what} {out}: exists and is not a folder; choose a folder")
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{what} {out}: cannot create the folder, {existing} is a file, not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".taglens-probe-", dir=existing))
    except OSError as exc:
        place = "write in" if existing == out else "create the folder in"
        raise OutputError(f"{what} {out}: cannot {place} {existing} ({exc.strerror or exc})") from None


def staging_folder(parent: Path, prefix: str) -> Path:
    """A new hidden folder in ``parent`` to write into before the files are moved into place, so that a failure
    or an interruption leaves what was there intact. Folders with the same prefix, left by a run that was
    killed, are removed first."""
    for stale in parent.glob(prefix + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
