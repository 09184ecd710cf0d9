"""Loading images and video frames safely: every failure names the file and the problem.

Handles missing, empty, truncated and non-image files, decompression bombs, CMYK, 16-bit, palette and
transparent images, EXIF rotation, animated images (sampled like a video) and videos (mp4, mov, webm, mkv,
gif, ...) decoded by OpenCV's FFmpeg (cv2.VideoCapture).
"""
from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any, Iterable

from .exceptions import ImageError, InputError, VideoError

# FFmpeg's messages ("moov atom not found") off: OpenCV reads this once, when it first opens or writes a video
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".webm", ".mkv", ".gif", ".avi", ".m4v"})
MAX_PIXELS = 64_000_000  # larger images are refused as possible decompression bombs
# animated images sampled like a video (GIFs go through the video decoder); other formats with several frames
# (an MPO phone photo's gain map, a TIFF's pages) are one picture: their first frame
ANIMATED_FORMATS = frozenset({"PNG", "WEBP"})
ANIMATION_PIXEL_BUDGET = 128_000_000  # pixels decoded at most to sample an animation (8 frames of 4000x4000)
FRAMES_PER_VIDEO = 4
# what decoding one video or animated GIF may cost, whatever its header says (a 9 KB GIF with an 8000x8000 canvas
# and 400 one-pixel frames decoded 400 full 64-megapixel frames: 22 s and 4.9 GB): the frames decoded at most,
# in pixels, and in seconds; past either, the frames sampled so far are used
VIDEO_PIXEL_BUDGET = 4_000_000_000  # 2,000 frames of 1080p
GIF_PIXEL_BUDGET = 1_000_000_000  # a GIF frame is its whole canvas, however small the change: 4,000 of 500x500
VIDEO_TIME_BUDGET = 30.0
KEPT_FRAME_PIXELS = 9_000_000  # larger frames are scaled down to this when kept (4K video is not)
# a JPEG whose shorter side has at least DRAFT_FROM pixels is decoded at 1/2, 1/4 or 1/8 of its size (libjpeg's DCT
# scaling: a 12-megapixel photo in ~16 ms instead of ~50, and resized in 1 ms instead of 5) as long as its shorter
# side keeps DECODE_SHORT_SIDE pixels, the 256 the image encoder resizes it to (a 12-megapixel phone photo at 1/8:
# pooled features at cosine 0.999 of the whole photo's, the same top class, on 10 of them; smaller photos,
# such as every photo of the developer data, are decoded whole, so their features do not change)
DRAFT_FROM = 1024
DECODE_SHORT_SIDE = 256


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def check_media_file(path: Path) -> None:
    """Raise the InputError a media path deserves before any byte is read: missing, a folder, not a regular file
    (a link to a device or a pipe, which would be read forever), or empty."""
    import stat

    try:
        if not path.exists():
            if path.is_symlink():
                raise InputError(f"{path}: a symbolic link that leads nowhere (broken, or a loop)")
            raise InputError(f"{path}: no such file")
        if path.is_dir():
            raise InputError(f"{path}: is a directory, expected an image or video file")
        st = path.stat()
    except OSError as exc:  # a name too long for the file system, a folder that cannot be entered
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular file (a device, pipe or socket), expected an image or video file")
    size = st.st_size
    if size == 0:
        if is_video(path) and path.suffix.lower() != ".gif":
            raise VideoError(f"{path}: empty file, not a video")
        raise ImageError(f"{path}: empty file")


def to_rgb(img: Any) -> Any:
    """An RGB copy of a PIL image, whatever its mode (CMYK, 16-bit, palette, alpha: composited on white)."""
    from PIL import Image

    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        import numpy as np

        a = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        a = np.clip(a / hi * 255.0, 0, 255).astype("uint8")
        return Image.fromarray(a, "L").convert("RGB")
    if img.mode == "F":
        import numpy as np

        a = np.asarray(img, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = ((a - lo) / (hi - lo or 1.0) * 255.0).astype("uint8")
        return Image.fromarray(a, "L").convert("RGB")
    if img.mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def load_image(path: str | Path) -> Any:
    """Decode one still image (first frame of an animation) as an upright RGB PIL image."""
    return load_image_frames(path, 1)[0]


def load_image_frames(path: str | Path, n: int = FRAMES_PER_VIDEO) -> list[Any]:
    """An image as upright RGB PIL images: one for a still image; for an animated PNG or WebP, ``n`` frames
    spread over the animation, as for a video (with ``n`` = 1, the first frame). A large JPEG comes at a reduced
    size, its shorter side at least ``DECODE_SHORT_SIDE``."""
    from PIL import Image, ImageOps

    path = Path(path)
    check_media_file(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise ImageError(f"{path}: image of {w}x{h} pixels is too large (possible decompression bomb)")
                if img.format == "JPEG" and min(w, h) >= DRAFT_FROM:
                    scale = DECODE_SHORT_SIDE / min(w, h)
                    img.draft(None, (max(1, int(w * scale)), max(1, int(h * scale))))
                total = (getattr(img, "n_frames", 1) or 1) if img.format in ANIMATED_FORMATS else 1
                # seeking decodes every frame before the one sought: sample within a budget of decoded pixels
                total = max(1, min(total, ANIMATION_PIXEL_BUDGET // max(1, w * h)))
                wanted = [0] if n <= 1 else _spread(total, n)
                frames = []
                for index in wanted:
                    img.seek(index)
                    img.load()
                    frame = img.copy() if total > 1 else img
                    frames.append(to_rgb(ImageOps.exif_transpose(frame) or frame))
                return frames
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{path}: refused as a possible decompression bomb ({exc})") from None
    except Image.UnidentifiedImageError:
        raise ImageError(f"{path}: {_unidentified(path)}") from None
    except OSError as exc:  # truncated or corrupt data
        raise ImageError(f"{path}: corrupt or truncated image ({exc})") from None
    except (ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise ImageError(f"{path}: cannot decode image ({type(exc).__name__}: {exc})") from None


# the major brands (bytes 8-12, after "ftyp") of HEIF stills: an iPhone's HEIC photos, which Pillow does not read
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
HEIF_PHOTO = "a HEIC/HEIF photo (the iPhone's format), which taglens cannot read: save or export it as JPEG"


def is_heif(head: bytes) -> bool:
    """Whether a file's first bytes are those of a HEIC/HEIF still image (whatever its name says)."""
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def _unidentified(path: Path) -> str:
    """What a file Pillow does not recognise is, for its error message: a HEIC photo (named .jpg by a phone's
    export, or a chat app), or not an image at all."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        head = b""
    return HEIF_PHOTO if is_heif(head) else "not an image (unrecognised format)"


def video_frames(path: str | Path, n: int = FRAMES_PER_VIDEO) -> list[Any]:
    """``n`` frames spread evenly over a video (or an animated GIF), as RGB PIL images, decoded by OpenCV's FFmpeg.

    The frame count comes from the stream header, else from its duration; where neither tells (a WebM recorded by
    a browser), every frame is decoded within the budgets and ``n`` are picked from a thinned record of them.
    Frames larger than ``MAX_PIXELS`` are refused like a decompression bomb, before any is decoded."""
    import time

    path = Path(path)
    check_media_file(path)
    gif = path.suffix.lower() == ".gif"
    if gif:
        _check_gif_canvas(path)
    import cv2

    cap = _open_capture(path)
    try:
        width, height = _frame_size(cap)
        _check_frame_size(path, width, height)
        if width * height > 8_000_000 and _threads() > 1:  # frame threads keep a frame each in flight
            cap.release()
            cap = _open_capture(path, threads=1)
        total = _frame_count(cap)
        wanted = _spread(total, n) if total else []
        frames: list[tuple[int, Any]] = []
        # a thinned record of the frames decoded (scaled down): the frames when the count is unknown, or the
        # fallback when it was wrong; frames at multiples of ``stride``, which doubles as the record is halved
        seen: list[tuple[int, Any]] = []
        stride = max(1, total // (4 * n)) if total else 1
        frame_pixels = max(1, width * height)  # the header's, then the last frame's (the header may not tell)
        pixels, start = 0, time.monotonic()
        budget = GIF_PIXEL_BUDGET if gif else VIDEO_PIXEL_BUDGET
        index = -1
        while cap.grab():
            index += 1
            if index in wanted:
                image, frame_pixels = _retrieve(cap, path)
                frames.append((index, image))
                if len(frames) == len(wanted):
                    break
            elif index % stride == 0:
                image, frame_pixels = _retrieve(cap, path)
                seen.append((index, image))
                if len(seen) > 8 * n:
                    seen, stride = seen[::2], stride * 2
            pixels += frame_pixels
            if index > MAX_VIDEO_FRAMES or pixels > budget or time.monotonic() - start > VIDEO_TIME_BUDGET:
                if not frames and not seen:
                    seen.append((index, _retrieve(cap, path)[0]))
                break
        if len(frames) < min(n, len(wanted) or n) and seen:  # fewer frames than counted, or no count: the record
            have = {i for i, _ in frames}
            rest = [item for item in seen if item[0] not in have]
            frames = sorted(frames + [rest[i] for i in _spread(len(rest), n - len(frames))], key=lambda f: f[0])
    except VideoError:
        raise
    except (cv2.error, OSError, ValueError, MemoryError) as exc:
        raise VideoError(f"{path}: cannot decode video ({type(exc).__name__}: {exc})") from None
    finally:
        cap.release()
    if not frames:
        raise VideoError(f"{path}: no decodable frame")
    return [image for _, image in frames]


MAX_VIDEO_FRAMES = 20_000  # frames decoded at most (over 11 minutes at 30 fps; posts carry short clips)


def _spread(total: int, n: int) -> list[int]:
    """The indices of ``n`` frames spread evenly over ``total`` (the centres of n equal parts), fewer if total < n."""
    return sorted({int((i + 0.5) * total / n) for i in range(n)})


def _threads() -> int:
    """Decoding threads: the encoders' choice (``TAGLENS_THREADS``, else one per free core), at most 4."""
    from .encoders import encoder_threads

    return max(1, min(4, encoder_threads()))


_QUIET = False


def _quiet_opencv() -> None:
    """OpenCV's own messages off ("[ WARN:0@0.02] global cap.cpp ..."), as FFmpeg's are (above): the user reads
    taglens' words."""
    global _QUIET
    if _QUIET:
        return
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    _QUIET = True


def _open_capture(path: Path, threads: int | None = None) -> Any:
    """An opened cv2.VideoCapture of ``path`` (FFmpeg backend, time limits on opening and reading), or the
    VideoError saying why it cannot be opened."""
    _quiet_opencv()
    import cv2

    timeout_ms = int(VIDEO_TIME_BUDGET * 1000)
    params = [cv2.CAP_PROP_N_THREADS, threads or _threads(), cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms,
              cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms]
    # an absolute path: FFmpeg reads "name:..." as a protocol (concat:, pipe:, http:)
    cap = cv2.VideoCapture(str(path.absolute()), cv2.CAP_FFMPEG, params)
    if not cap.isOpened():
        cap.release()
        raise VideoError(f"{path}: {_why_unopened(path)}")
    return cap


def _why_unopened(path: Path) -> str:
    """Why FFmpeg would not open a file, from its bytes (OpenCV only says no): a video track of a codec it does
    not know, no video track at all, or neither to be found."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(_SNIFF_BYTES)
            size = fh.seek(0, 2)
            if size > 2 * _SNIFF_BYTES:  # an MP4's index (moov) may be at its end
                fh.seek(size - _SNIFF_BYTES)
                data += fh.read(_SNIFF_BYTES)
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    if _VIDEO_TRACK.search(data):  # a video track FFmpeg would not open: a codec it lacks, or a damaged header
        return "the video's codec is unknown or not supported, or the file is damaged"
    if _AUDIO_TRACK.search(data):
        return "has no video stream (audio only)"
    if data[4:8] == b"ftyp" and b"moov" in data and b"trak" not in data:  # an MP4 or MOV recorder stopped at once
        return "an empty video: it holds no track, so no frame"
    return "cannot decode video (not a video format taglens reads, or damaged data)"


_SNIFF_BYTES = 8 << 20
_TRACK_MARKS = (rb"hdlr[\s\S]{8}%s"  # MP4 and MOV: a track's handler
                rb"|strh[\s\S]{4}%s"  # AVI: a stream header
                rb"|\x86[\x81-\xa0]%s_")  # Matroska and WebM: a CodecID ("V_VP9", "A_OPUS")
_VIDEO_TRACK = re.compile(_TRACK_MARKS % (b"vide", b"vids", b"V"))
_AUDIO_TRACK = re.compile(_TRACK_MARKS % (b"soun", b"auds", b"A"))


def _frame_size(cap: Any) -> tuple[int, int]:
    import cv2

    return max(0, int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))), max(0, int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))


def _frame_count(cap: Any) -> int:
    """The number of frames, from the stream header or its duration and frame rate (OpenCV's reckoning), or 0
    where it is unknown or not believable."""
    import math

    import cv2

    count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    if not math.isfinite(count) or count < 1 or count > 100 * MAX_VIDEO_FRAMES:
        return 0
    return int(count)


def _retrieve(cap: Any, path: Path) -> tuple[Any, int]:
    """The frame just grabbed as an RGB PIL image, scaled down to at most KEPT_FRAME_PIXELS pixels, and its
    pixels as decoded."""
    import cv2
    from PIL import Image

    ok, bgr = cap.retrieve()
    if not ok or bgr is None or bgr.ndim != 3 or bgr.shape[2] != 3:
        raise VideoError(f"{path}: cannot decode video (a frame could not be converted)")
    h, w = bgr.shape[:2]
    _check_frame_size(path, w, h)  # the header may not tell
    if w * h > KEPT_FRAME_PIXELS:
        scale = (KEPT_FRAME_PIXELS / (w * h)) ** 0.5
        # bilinear down to half the size (76 ms -> 16 ms for a 12-megapixel frame), area averaging below it
        how = cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA
        bgr = cv2.resize(bgr, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=how)
    return Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)), w * h


def _check_gif_canvas(path: Path) -> None:
    """Refuse a GIF whose canvas (the logical screen every frame is drawn on) exceeds MAX_PIXELS, from its
    header, before the decoder sees it (FFmpeg would say nothing useful about a 65535x65535 canvas)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(10)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(head) < 10 or not head.startswith((b"GIF87a", b"GIF89a")):
        return  # not a GIF inside: the decoder says what it is
    width, height = int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    if width * height > MAX_PIXELS:
        raise VideoError(f"{path}: a GIF of {width}x{height} pixels is too large to read (more than "
                         f"{MAX_PIXELS:,} pixels per frame: a possible decompression bomb)")


def _check_frame_size(path: Path, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise VideoError(f"{path}: {width}x{height} frames exceed {MAX_PIXELS:,} pixels (a possible decompression "
                         f"bomb)")


def load_visuals(items: Iterable[Any], frames_per_video: int = FRAMES_PER_VIDEO) -> list[tuple[str, Any]]:
    """(label, RGB image) for every image and sampled video frame of a post; labels name the file."""
    out: list[tuple[str, Any]] = []
    for item in items:
        if not isinstance(item, (str, Path)):
            out.append(("<image>", to_rgb(item)))
            continue
        path = Path(item)
        if is_video(path):
            if path.suffix.lower() == ".gif":
                check_media_file(path)
                _check_gif_canvas(path)  # before Pillow looks at it (its DecompressionBombWarning on stderr)
            if path.suffix.lower() == ".gif" and _is_still(path):
                out.append((path.name, load_image(path)))
                continue
            frames = video_frames(path, frames_per_video)
            out.extend((f"{path.name}#frame{i}", f) for i, f in enumerate(frames))
        else:
            frames = load_image_frames(path, frames_per_video)
            if len(frames) == 1:
                out.append((path.name, frames[0]))
            else:  # an animated PNG or WebP
                out.extend((f"{path.name}#frame{i}", f) for i, f in enumerate(frames))
    return out


def _is_still(path: Path) -> bool:
    from PIL import Image

    try:
        with warnings.catch_warnings():  # a frame larger than the canvas: no DecompressionBombWarning on stderr
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                return getattr(img, "n_frames", 1) <= 1
    except Exception:  # let the video decoder report the problem
        return False
