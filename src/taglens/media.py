"""Loading images and video frames safely: every failure names the file and the problem.

Handles missing, empty, truncated and non-image files, decompression bombs, CMYK, 16-bit, palette and
transparent images, EXIF rotation, animated images (sampled like a video) and videos (mp4, mov, webm, mkv,
gif, ...) decoded with PyAV.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Iterable

from .exceptions import ImageError, InputError, VideoError

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
# a JPEG is decoded at 1/2, 1/4 or 1/8 of its size (libjpeg's DCT scaling: a 12-megapixel photo in ~15 ms instead
# of ~90) as long as its shorter side keeps this many pixels, twice the 256 the image encoder resizes it to
DECODE_SHORT_SIDE = 512


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
                if img.format == "JPEG" and min(w, h) >= 2 * DECODE_SHORT_SIDE:
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
        raise ImageError(f"{path}: not an image (unrecognised format)") from None
    except OSError as exc:  # truncated or corrupt data
        raise ImageError(f"{path}: corrupt or truncated image ({exc})") from None
    except (ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise ImageError(f"{path}: cannot decode image ({type(exc).__name__}: {exc})") from None


def video_frames(path: str | Path, n: int = FRAMES_PER_VIDEO) -> list[Any]:
    """``n`` frames spread evenly over a video (or an animated GIF), as RGB PIL images.

    The frame count comes from the stream header, else from its duration, else (WebM and Matroska headers carry
    neither) from counting the packets, which needs no decoding. Frames larger than ``MAX_PIXELS`` are refused
    like a decompression bomb, before any is decoded."""
    import time

    import av

    path = Path(path)
    check_media_file(path)
    if path.suffix.lower() == ".gif":
        _check_gif_canvas(path)
    try:
        with av.open(str(path)) as container:
            streams = container.streams.video
            if not streams:
                raise VideoError(f"{path}: has no video stream")
            stream = streams[0]
            if stream.codec_context is None:  # a stream of a codec FFmpeg does not know
                raise VideoError(f"{path}: the video's codec is unknown or not supported")
            _check_frame_size(path, stream.codec_context.width or 0, stream.codec_context.height or 0)
            total = _frame_count(container, stream)
            width, height = stream.codec_context.width or 0, stream.codec_context.height or 0
            if width * height <= 8_000_000:  # frame threads keep a frame each in flight: only for small frames
                stream.thread_type = "AUTO"
            wanted = _spread(total, n)
            frames: list[Any] = []
            seen: list[Any] = []  # a thinned record of the frames decoded (scaled down), in case the count was wrong
            pixels, start = 0, time.monotonic()
            budget = GIF_PIXEL_BUDGET if path.suffix.lower() == ".gif" else VIDEO_PIXEL_BUDGET
            for index, frame in enumerate(container.decode(stream)):
                _check_frame_size(path, frame.width, frame.height)  # the header may not tell
                if index in wanted:
                    frames.append(_small_image(frame))
                    if len(frames) == len(wanted):
                        break
                elif index % max(1, total // (4 * n)) == 0:
                    seen.append(_small_image(frame))
                    if len(seen) > 8 * n:
                        seen = seen[::2]
                pixels += frame.width * frame.height
                if index > MAX_VIDEO_FRAMES or pixels > budget or \
                        time.monotonic() - start > VIDEO_TIME_BUDGET:
                    if not frames and not seen:
                        seen.append(_small_image(frame))
                    break
            if len(frames) < min(n, len(wanted)) and seen:  # fewer frames than counted (or decoded): thin what we saw
                step = max(1, len(seen) // max(1, n - len(frames)))
                frames.extend(seen[::step][: n - len(frames)])
    except VideoError:
        raise
    except av.error.FFmpegError as exc:  # FFmpeg's words, without its "[Errno 1094995529] ...: 'avcodec_...()'"
        raise VideoError(f"{path}: cannot decode video ({exc.strerror or exc})") from None
    except (OSError, ValueError, MemoryError) as exc:
        raise VideoError(f"{path}: cannot decode video ({type(exc).__name__}: {exc})") from None
    if not frames:
        raise VideoError(f"{path}: no decodable frame")
    return frames


MAX_VIDEO_FRAMES = 20_000  # frames decoded at most (over 11 minutes at 30 fps; posts carry short clips)


def _spread(total: int, n: int) -> list[int]:
    """The indices of ``n`` frames spread evenly over ``total`` (the centres of n equal parts), fewer if total < n."""
    return sorted({int((i + 0.5) * total / n) for i in range(n)})


def _small_image(frame: Any) -> Any:
    """An RGB PIL image of a decoded frame, scaled down to at most KEPT_FRAME_PIXELS pixels."""
    w, h = frame.width, frame.height
    if w * h <= KEPT_FRAME_PIXELS:
        return frame.to_image().convert("RGB")
    scale = (KEPT_FRAME_PIXELS / (w * h)) ** 0.5
    return frame.reformat(width=max(1, int(w * scale)), height=max(1, int(h * scale)), format="rgb24").to_image()


def _check_gif_canvas(path: Path) -> None:
    """Refuse a GIF whose canvas (the logical screen every frame is drawn on) exceeds MAX_PIXELS, from its
    header, before the decoder sees it (FFmpeg only says "avcodec_send_packet() returned 22" for 65535x65535)."""
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


def _frame_count(container: Any, stream: Any) -> int:
    """The number of frames in ``stream``: from the header, the stream's or the container's duration, or by
    counting packets (then the container is rewound)."""
    if stream.frames:
        return int(stream.frames)
    rate = stream.average_rate or stream.guessed_rate
    if rate:
        if stream.duration and stream.time_base:
            return max(1, int(stream.duration * stream.time_base * rate))
        if container.duration:  # microseconds
            return max(1, int(container.duration / 1_000_000 * rate))
    count = 0
    for packet in container.demux(stream):
        if packet.size:
            count += 1
            if count > MAX_VIDEO_FRAMES:
                break
    container.seek(0)
    return max(1, count)


def load_visuals(items: Iterable[Any], frames_per_video: int = FRAMES_PER_VIDEO) -> list[tuple[str, Any]]:
    """(label, RGB image) for every image and sampled video frame of a post; labels name the file."""
    out: list[tuple[str, Any]] = []
    for item in items:
        if not isinstance(item, (str, Path)):
            out.append(("<image>", to_rgb(item)))
            continue
        path = Path(item)
        if is_video(path):
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
        with Image.open(path) as img:
            return getattr(img, "n_frames", 1) <= 1
    except Exception:  # let the video decoder report the problem
        return False
