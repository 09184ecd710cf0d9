"""Random and mutated inputs for the fuzz test (tests/test_fuzz.py) and its larger run (bench/bench_fuzz.py).

Everything is generated here from a seed (no file of ../shared/data): images written with Pillow and clips with
OpenCV, then damaged (bytes flipped, cut, inserted, header sizes enlarged), hand-written GIFs with any canvas and frame
count, posts.jsonl lines with wrong types, deep nesting, huge or odd values and broken bytes, hashtags of random
Unicode, and plain random bytes."""
from __future__ import annotations

import io
import json
import random
import struct
import zlib
from pathlib import Path

SUFFIXES = (".jpg", ".png", ".gif", ".webp", ".mp4", ".webm", ".bmp", ".tif", ".txt", "")


def gif_bytes(width: int, height: int, frames: int, frame_size: tuple[int, int] = (1, 1)) -> bytes:
    """A GIF with a ``width`` x ``height`` canvas and ``frames`` frames of ``frame_size`` (one colour each), written
    by hand: encoders never write a canvas larger than its frames."""
    out = bytearray(b"GIF89a" + width.to_bytes(2, "little") + height.to_bytes(2, "little") + bytes([0x80, 0, 0]))
    out += bytes([0, 0, 0, 255, 255, 255])
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    fw, fh = frame_size
    for i in range(frames):
        out += b"\x21\xf9\x04\x04\x01\x00\x00\x00"
        x, y = i % max(1, width), (i // max(1, width)) % max(1, height)
        out += b"\x2c" + struct.pack("<4H", x, y, fw, fh) + b"\x00"
        out += b"\x02" + _lzw_one_colour(fw * fh, i % 2) + b"\x00"
    return bytes(out + b"\x3b")


def _lzw_one_colour(n: int, colour: int) -> bytes:
    """LZW data (minimum code size 2, sub-blocks) for ``n`` pixels of one colour, each pixel its own code after a
    clear code every 2 pixels, so the code size stays 3 bits (valid, if not compact)."""
    codes = []
    for i in range(n):
        if i % 2 == 0:
            codes.append(4)  # clear
        codes.append(colour)
    codes.append(5)  # end
    bits = 0
    acc = 0
    data = bytearray()
    for c in codes:
        acc |= c << bits
        bits += 3
        while bits >= 8:
            data.append(acc & 0xFF)
            acc >>= 8
            bits -= 8
    if bits:
        data.append(acc & 0xFF)
    blocks = bytearray()
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        blocks += bytes([len(chunk)]) + chunk
    return bytes(blocks)


def _still(rng: random.Random, fmt: str) -> bytes:
    from PIL import Image

    w, h = rng.randint(1, 96), rng.randint(1, 96)
    mode = rng.choice(["RGB", "L", "P", "RGBA", "CMYK", "1", "I;16", "LA"])
    if mode == "I;16" and fmt != "PNG":
        mode = "L"
    if fmt in ("JPEG",) and mode not in ("RGB", "L", "CMYK"):
        mode = "RGB"
    if fmt in ("WEBP",) and mode not in ("RGB", "RGBA"):
        mode = "RGB"
    if fmt == "GIF" and mode not in ("P", "L", "1"):
        mode = "P"
    if fmt == "BMP" and mode not in ("RGB", "L", "P", "1", "RGBA"):
        mode = "RGB"
    noise = Image.effect_noise((w, h), rng.uniform(5, 80))
    if mode == "I;16":
        import numpy as np

        img = Image.fromarray(np.asarray(noise, dtype=np.uint16) * 257)
    else:
        img = noise.convert(mode)
    for attempt in (img, img.convert("RGB")):  # a mode the format cannot hold: as RGB
        buf = io.BytesIO()
        try:
            if fmt in ("GIF", "PNG", "WEBP") and rng.random() < 0.4:  # animated
                more = [Image.effect_noise((w, h), 40).convert(attempt.mode) for _ in range(rng.randint(1, 5))]
                attempt.save(buf, fmt, save_all=True, append_images=more, duration=50)
            else:
                attempt.save(buf, fmt)
            return buf.getvalue()
        except (OSError, ValueError, KeyError):
            continue
    raise AssertionError(f"cannot write {fmt}")


def _clip(rng: random.Random) -> bytes:
    """A small MPEG-4 clip, written by OpenCV's FFmpeg (which writes files only: through a temporary one)."""
    import tempfile

    import cv2
    import numpy as np

    w, h = rng.choice([16, 32, 48]), rng.choice([16, 32, 48])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        out = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"mp4v"), 12, (w, h))
        for i in range(rng.randint(1, 12)):
            out.write(np.full((h, w, 3), (i * 20) % 256, np.uint8))
        out.release()
        return path.read_bytes()


def _enlarge_header(rng: random.Random, data: bytes) -> bytes:
    """Claim a huge size in the header (PNG IHDR with a fixed CRC, GIF canvas, JPEG SOF), the body unchanged."""
    b = bytearray(data)
    big = rng.choice([65535, 40000, 20000, 8001, 1 << 20, 1 << 30])
    if b.startswith(b"\x89PNG") and len(b) > 29:
        b[16:24] = struct.pack(">II", big, rng.choice([big, 1, 8000]))
        b[29:33] = struct.pack(">I", zlib.crc32(bytes(b[12:29])) & 0xFFFFFFFF)
    elif b.startswith(b"GIF") and len(b) > 10:
        b[6:10] = struct.pack("<HH", min(big, 65535), min(rng.choice([big, 1, 8000]), 65535))
    elif b.startswith(b"\xff\xd8"):
        i = b.find(b"\xff\xc0")
        if i > 0 and len(b) > i + 9:
            b[i + 5:i + 9] = struct.pack(">HH", min(big, 65535), min(big, 65535))
    return bytes(b)


def mutate(rng: random.Random, data: bytes) -> bytes:
    """``data`` with a few random damages."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["flip", "flip", "cut", "insert", "zero", "repeat", "header"])
        if not b:
            b = bytearray(rng.randbytes(rng.randint(1, 64)))
        i = rng.randrange(len(b))
        if kind == "flip":
            for _ in range(rng.randint(1, 16)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif kind == "cut":
            del b[i:]
        elif kind == "insert":
            b[i:i] = rng.randbytes(rng.randint(1, 512))
        elif kind == "zero":
            b[i:i + rng.randint(1, 256)] = bytes(min(256, len(b) - i))
        elif kind == "repeat":
            b[i:i] = b[i:i + rng.randint(1, 64)] * rng.randint(2, 50)
        else:
            b = bytearray(_enlarge_header(rng, bytes(b)))
    return bytes(b)


def media_file(rng: random.Random, folder: Path, index: int) -> Path:
    """One image, animation, GIF or clip (most of them damaged), under a name whose suffix may lie."""
    kind = rng.choice(["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "clip", "gif-canvas", "bytes"])
    if kind == "clip":
        data = _clip(rng)
        suffix = ".mp4"
    elif kind == "gif-canvas":
        big = rng.random() < 0.15
        w = rng.choice([1, 2, 100, 1000, 4000, 8000, 65535]) if big else rng.randint(1, 300)
        h = rng.choice([1, 3, 1000, 8000, 65535]) if big else rng.randint(1, 300)
        frames = rng.randint(1, 60 if big else 400)
        data = gif_bytes(w, h, frames, (rng.randint(1, 4), rng.randint(1, 4)))
        suffix = ".gif"
    elif kind == "bytes":
        data = rng.randbytes(rng.randint(0, 4096))
        suffix = rng.choice(SUFFIXES)
    else:
        data = _still(rng, kind)
        suffix = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp", "BMP": ".bmp",
                  "TIFF": ".tif"}[kind]
    if kind != "bytes" and rng.random() < 0.75:
        data = mutate(rng, data)
    if rng.random() < 0.15:
        suffix = rng.choice(SUFFIXES)
    path = folder / f"m{index}{suffix}"
    path.write_bytes(data)
    return path


def _random_text(rng: random.Random, n: int) -> str:
    pools = ["abcdefghijklmnopqrstuvwxyz     #_", "ÄÖÜßéèçñ東京ラーメン🍕😀👍🏽‍\u200d\u200c\u0301",
             "\u202e\ufeff\u00a0\t\r\n\x00\x1b", "#sunset #beach #dog #café #2019 &#39; @user http://x.y/z"]
    out = []
    for _ in range(n):
        pool = rng.choice(pools)
        out.append(rng.choice(pool))
    text = "".join(out)
    if rng.random() < 0.1:
        text += "\ud83d"  # a lone surrogate, as from a broken escape
    return text


def _odd_value(rng: random.Random, media: list[str]):
    choice = rng.randrange(12)
    if choice == 0:
        return None
    if choice == 1:
        return rng.randint(-10**30, 10**30)
    if choice == 2:
        return rng.random() * 1e308
    if choice == 3:
        return _random_text(rng, rng.randint(0, 200))
    if choice == 4:
        return [rng.choice(media) if media else "x.jpg" for _ in range(rng.randint(0, 5))]
    if choice == 5:
        return {"a": [1, {"b": None}]}
    if choice == 6:
        return [_random_text(rng, rng.randint(0, 12)) for _ in range(rng.randint(0, 40))]
    if choice == 7:
        return True
    if choice == 8:
        return "x" * rng.choice([10_001, 100_000, 400_000])
    if choice == 9:
        return [rng.choice(["", "/", "..", "../x.jpg", "/etc/passwd", "a\x00b.jpg", "é" * 300, "x/" * 2000,
                            "/dev/zero", "/dev/stdin", ".", "images/../m0.jpg"])]
    if choice == 10:
        return [1, 2, None, ["nested"]]
    return ""


def post_line(rng: random.Random, media: list[str], index: int) -> bytes:
    """One line of a posts.jsonl: valid, odd, or broken."""
    post = {"id": f"p{index}", "user": rng.choice([None, "ann", "bob", 7]),
            "images": rng.sample(media, k=min(len(media), rng.randint(0, 3))),
            "text": _random_text(rng, rng.randint(0, 80)),
            "hashtags": [_random_text(rng, rng.randint(0, 10)) for _ in range(rng.randint(0, 6))],
            "topic": rng.choice([None, "food"]), "source": "fuzz"}
    shape = rng.randrange(10)
    if shape < 3:
        pass  # as it is
    elif shape < 6:
        for _ in range(rng.randint(1, 3)):
            post[rng.choice(list(post) + ["extra", "id"])] = _odd_value(rng, media)
    elif shape == 6:
        depth = rng.choice([10, 1000, 100_000])
        return ("[" * depth + "]" * depth).encode() if rng.random() < 0.5 else \
            (json.dumps({"id": f"p{index}", "images": None})[:-1] + ', "x": ' + "[" * depth + "]" * depth
             + "}").encode()
    elif shape == 7:
        return rng.choice([b"", b"   ", b"null", b"[]", b'"id"', b"{", b"{}", b'{"id": ""}', b"\xef\xbb\xbf{}",
                           b'{"id": "a", "text": "\\ud800"}', b"1e999", b'{"id": 1e999}', b"NaN", b"\xff\xfe{}"])
    line = json.dumps(post, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    if shape >= 8:
        line = mutate(rng, line).replace(b"\n", b" ")
    return line


def posts_file(rng: random.Random, folder: Path, index: int, media: list[str]) -> Path:
    """A whole posts.jsonl: lines as above, or random bytes, or an odd encoding."""
    path = folder / f"posts{index}.jsonl"
    kind = rng.randrange(8)
    if kind == 0:
        data = rng.randbytes(rng.randint(0, 2048))
    elif kind == 1:
        data = "\n".join(json.dumps({"id": str(i), "text": "x"}) for i in range(3)).encode("utf-16")
    elif kind == 2:
        data = json.dumps({"id": "long", "text": "y" * (1 << 20)}).encode() + b"\n" + b'{"id": "after"}\n'
    else:
        data = b"\n".join(post_line(rng, media, i) for i in range(rng.randint(0, 12)))
        if rng.random() < 0.3:
            data = mutate(rng, data)
    path.write_bytes(data)
    return path


def hashtag_line(rng: random.Random) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:
        return rng.randbytes(rng.randint(0, 64)).replace(b"\n", b"")
    if kind == 1:
        return ("#" + _random_text(rng, rng.randint(0, 40))).encode("utf-8", "surrogatepass").replace(b"\n", b"")
    if kind == 2:
        return rng.choice([b"", b"#", b"##", b"#2019", b"\x00" * 100, b"a" * 30_000, "\u0301" .encode() * 1000])
    word = "".join(rng.choice(["sunset", "beach", "dog", "love", "coffee", "x", "ab", "ß", "東京"])
                   for _ in range(rng.randint(1, 12)))
    return word.encode()
