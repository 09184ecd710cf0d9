"""Every kind of bad or unusual image/video input gets a sensible answer or a clear error naming the file."""
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from taglens.exceptions import ExitCode, ImageError, InputError, VideoError
from taglens.media import load_image, load_visuals, video_frames


def save(img, path, **kw):
    img.save(path, **kw)
    return path


@pytest.fixture
def rgb():
    a = np.zeros((40, 60, 3), np.uint8)
    a[:, :30] = (255, 0, 0)
    a[:, 30:] = (0, 0, 255)
    return Image.fromarray(a)


def test_missing_empty_truncated_and_non_image(tmp_path, food_images):
    with pytest.raises(InputError, match="no such file") as e:
        load_image(tmp_path / "nope.jpg")
    assert e.value.exit_code == ExitCode.INPUT
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ImageError, match="empty.jpg: empty file"):
        load_image(tmp_path / "empty.jpg")
    data = food_images[0].read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageError, match="cut.jpg: corrupt or truncated"):
        load_image(tmp_path / "cut.jpg")
    (tmp_path / "notes.jpg").write_text("hello, I am a text file")
    with pytest.raises(ImageError, match="notes.jpg: not an image") as e:
        load_image(tmp_path / "notes.jpg")
    assert e.value.exit_code == ExitCode.IMAGE
    with pytest.raises(InputError, match="is a directory"):
        load_image(tmp_path)


def _png_header_only(width, height):
    """A tiny PNG that claims a huge size: the classic decompression bomb."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused(tmp_path):
    (tmp_path / "bomb.png").write_bytes(_png_header_only(30000, 30000))
    with pytest.raises(ImageError, match="bomb.png: .*decompression bomb"):
        load_image(tmp_path / "bomb.png")


def test_modes_are_converted_to_rgb(tmp_path, rgb):
    cmyk = load_image(save(rgb.convert("CMYK"), tmp_path / "cmyk.jpg"))
    assert cmyk.mode == "RGB" and cmyk.size == (60, 40)
    assert cmyk.getpixel((5, 5))[0] > 200  # still red
    deep = Image.fromarray((np.linspace(0, 65535, 40 * 60).reshape(40, 60)).astype(np.uint16))
    g16 = load_image(save(deep, tmp_path / "gray16.png"))
    assert g16.mode == "RGB" and g16.getpixel((59, 39))[0] > 240 and g16.getpixel((0, 0))[0] < 10
    pal = load_image(save(rgb.convert("P", palette=Image.ADAPTIVE, colors=4), tmp_path / "pal.png"))
    assert pal.mode == "RGB" and pal.getpixel((50, 5))[2] > 200
    rgba = rgb.convert("RGBA")
    rgba.putalpha(0)
    clear = load_image(save(rgba, tmp_path / "clear.png"))
    assert clear.getpixel((5, 5)) == (255, 255, 255)  # transparent -> white background


@pytest.mark.parametrize("name", ["anim.png", "anim.webp"])
def test_animated_png_and_webp_are_sampled_like_a_gif(tmp_path, name):
    greys = [Image.new("RGB", (32, 24), (v, v, v)) for v in range(0, 240, 30)]  # 8 frames, darker to lighter
    path = tmp_path / name
    greys[0].save(path, save_all=True, append_images=greys[1:], duration=100, loop=0, lossless=True)
    visuals = load_visuals([path])
    assert [label for label, _ in visuals] == [f"{name}#frame{i}" for i in range(4)]
    assert [im.getpixel((3, 3))[0] for _, im in visuals] == [30, 90, 150, 210]  # frames 1, 3, 5, 7 of 8
    assert load_image(path).getpixel((3, 3)) == (0, 0, 0)  # one image: the first frame


def test_other_multi_frame_images_are_one_picture(tmp_path):
    """Only PNG and WebP animations are sampled: a TIFF's second page (or an MPO photo's gain map) is not a
    second photo of the post."""
    pages = [Image.new("RGB", (40, 30), (200, 30, 30)), Image.new("RGB", (20, 15), (128, 128, 128))]
    tiff = tmp_path / "two-pages.tiff"
    pages[0].save(tiff, save_all=True, append_images=pages[1:])
    assert Image.open(tiff).n_frames == 2
    (label, img), = load_visuals([tiff])
    assert label == "two-pages.tiff" and img.size == (40, 30)


def test_a_large_animation_is_sampled_within_a_decoding_budget(tmp_path, monkeypatch):
    import taglens.media as media

    greys = [Image.new("RGB", (100, 100), (v, v, v)) for v in range(0, 200, 10)]  # 20 frames of 10,000 pixels
    path = tmp_path / "long.png"
    greys[0].save(path, save_all=True, append_images=greys[1:], duration=50)
    monkeypatch.setattr(media, "ANIMATION_PIXEL_BUDGET", 80_000)  # 8 frames' worth
    levels = [im.getpixel((5, 5))[0] for _, im in load_visuals([path])]
    assert levels == [10, 30, 50, 70]  # spread over the first 8 frames only


def test_a_broken_or_looping_link_says_so(tmp_path):
    loop = tmp_path / "loop.jpg"
    loop.symlink_to(loop)
    with pytest.raises(InputError, match="symbolic link that leads nowhere"):
        load_visuals([loop])


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_link_to_a_device_or_a_pipe_is_refused_before_reading(tmp_path, kind):
    import os

    path = tmp_path / f"{kind}.jpg"
    if kind == "device":
        path.symlink_to("/dev/zero")
    else:
        os.mkfifo(path)
    with pytest.raises(InputError, match="not a regular file"):
        load_visuals([path])
    from taglens.features import image_features

    with pytest.raises(InputError, match="not a regular file"):  # the feature cache hashes files first
        image_features([path])


def test_exif_rotation_is_applied(tmp_path, rgb):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    img = load_image(save(rgb, tmp_path / "rotated.jpg", exif=exif))
    assert img.size == (40, 60)


def test_animated_gif_is_sampled_like_a_video(tmp_path, rgb):
    frames = [rgb, rgb.transpose(Image.FLIP_LEFT_RIGHT), rgb.convert("L").convert("RGB")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    visuals = load_visuals([path])
    assert 1 <= len(visuals) <= 4 and all(im.mode == "RGB" for _, im in visuals)
    assert visuals[0][0].startswith("anim.gif#frame")
    still = tmp_path / "still.gif"
    rgb.save(still)
    assert [label for label, _ in load_visuals([still])] == ["still.gif"]


def test_video_frames_are_sampled_evenly(tmp_path, make_clip):
    clip = make_clip(tmp_path / "clip.mp4")
    frames = video_frames(clip, n=4)
    assert len(frames) == 4
    levels = [np.asarray(f)[..., 0].mean() for f in frames]
    assert levels == sorted(levels) and levels[-1] - levels[0] > 60  # spread over the clip, in order
    labels = [label for label, _ in load_visuals([clip, clip.with_name("clip.mp4")])]
    assert labels[:4] == [f"clip.mp4#frame{i}" for i in range(4)]


@pytest.mark.parametrize("name,codec", [("clip.webm", "VP80"), ("clip.mkv", "mp4v"), ("clip.mov", "mp4v"),
                                        ("clip.avi", "MJPG")])
def test_frames_are_sampled_over_the_whole_clip_in_every_container(tmp_path, make_clip, name, codec):
    """WebM and Matroska headers give no frame count: it comes from the duration or the packets, not a guess
    (a 60-frame webm gave its first frame only)."""
    clip = make_clip(tmp_path / name, n=60, codec=codec)
    levels = [round(float(np.asarray(f)[..., 0].mean())) for f in video_frames(clip, n=4)]
    # frame i is (10 i) mod 256 grey: the frames at 7, 22, 37, 52 (centres of four equal parts)
    assert len(levels) == 4 and all(abs(a - b) <= 8 for a, b in zip(levels, (70, 220, 114, 8))), levels


def test_a_webm_without_duration_is_sampled_from_what_is_decoded(tmp_path, make_clip):
    """A WebM recorded by a browser (MediaRecorder) has no Duration: OpenCV's frame count is then nonsense
    (-1.1e17), so every frame is decoded and four are picked from a thinned record of them, spread as with a
    count."""
    clip = make_clip(tmp_path / "rec.webm", n=60, codec="VP80")
    data = bytearray(clip.read_bytes())
    at = data.find(b"\x44\x89\x88")  # Segment Info's Duration: an 8-byte float
    assert at > 0
    data[at:at + 11] = b"\xec\x89" + bytes(9)  # a Void element of the same length
    clip.write_bytes(bytes(data))
    levels = [round(float(np.asarray(f)[..., 0].mean())) for f in video_frames(clip, n=4)]
    # the record of 60 frames keeps every other one: frames 6, 22, 36, 52 (7, 22, 37, 52 with a count)
    assert len(levels) == 4 and all(abs(a - b) <= 8 for a, b in zip(levels, (60, 220, 104, 8))), levels


_NO_PYAV = """
import sys
class NoAv:
    def find_spec(self, name, path=None, target=None):
        if name == "av" or name.startswith("av."):
            raise ImportError("PyAV is not installed here")
sys.meta_path.insert(0, NoAv())
from taglens.media import load_visuals
visuals = load_visuals(sys.argv[1:])
assert "av" not in sys.modules
print(len(visuals))
"""


def test_videos_and_gifs_decode_without_pyav(tmp_path, make_clip, rgb):
    """PyAV is no dependency (issue 21: 104 MB of the torch-free install): OpenCV's FFmpeg decodes videos and GIFs,
    and a child where ``import av`` fails reads both."""
    import subprocess
    import sys

    clip = make_clip(tmp_path / "clip.mp4")
    gif = tmp_path / "anim.gif"
    turns = [rgb.transpose(t) for t in (Image.FLIP_LEFT_RIGHT, Image.FLIP_TOP_BOTTOM, Image.ROTATE_180)]
    rgb.save(gif, save_all=True, append_images=turns, duration=100)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.run([sys.executable, "-c", _NO_PYAV, str(clip), str(gif)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0 and proc.stdout.split() == ["8"], proc.stderr


def test_a_bad_video_is_one_line_in_taglens_words(tmp_path):
    """OpenCV and FFmpeg print their own warnings ("moov atom not found", "[ WARN:0@0.02] global cap.cpp ...") to
    stderr: silenced, so the user reads taglens' error alone."""
    import subprocess
    import sys

    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.run([sys.executable, "-m", "taglens", "suggest", str(bad)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == ExitCode.VIDEO
    why = "cannot decode video (not a video format taglens reads, or damaged data)"
    assert proc.stderr.strip().splitlines() == [f"taglens suggest: error: {bad}: {why}"], proc.stderr


def test_an_animated_gif_bomb_is_refused_before_decoding(tmp_path):
    from PIL import Image

    big = tmp_path / "bomb.gif"
    frames = [Image.new("P", (8200, 8200), i) for i in (0, 1)]
    frames[0].save(big, save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(VideoError, match="bomb.gif: a GIF of 8200x8200 pixels is too large .* decompression bomb") as e:
        load_visuals([big])
    assert e.value.exit_code == ExitCode.VIDEO


def test_a_heic_photo_whatever_its_name_and_an_empty_video_say_what_they_are(tmp_path):
    """A phone's HEIC photo saved as .jpg read 'not an image (unrecognised format)', and an MP4 whose recorder
    stopped before its first frame (no track) 'not a video format taglens reads, or damaged data'."""
    import cv2

    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00\x00\x00\x10meta" + bytes(2000)
    (tmp_path / "IMG_0001.jpg").write_bytes(heic)
    with pytest.raises(ImageError, match="IMG_0001.jpg: a HEIC/HEIF photo .*export it as JPEG") as e:
        load_visuals([tmp_path / "IMG_0001.jpg"])
    assert e.value.exit_code == ExitCode.IMAGE
    writer = cv2.VideoWriter(str(tmp_path / "empty.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 64))
    writer.release()  # not one frame written
    with pytest.raises(VideoError, match="empty.mp4: an empty video: it holds no track, so no frame") as e:
        load_visuals([tmp_path / "empty.mp4"])
    assert e.value.exit_code == ExitCode.VIDEO


def test_unreadable_video_names_the_file(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    with pytest.raises(VideoError, match="broken.mp4") as e:
        load_visuals([bad])
    assert e.value.exit_code == ExitCode.VIDEO


def test_a_very_long_image_is_cut_to_its_centre_before_resizing(tmp_path):
    """A 60000x2 banner passes the pixel-count check (120,000 pixels) but resized to a 256-pixel short side it
    would take 8 GB: only its centre can reach the 224 crop, so the long side is cut first."""
    import numpy as np
    from PIL import Image

    from taglens.encoders.image import MAX_ASPECT, preprocess
    from taglens.media import load_image

    banner = tmp_path / "banner.png"
    Image.new("RGB", (60000, 2), (10, 200, 30)).save(banner)
    x = preprocess(load_image(banner))
    assert x.shape == (3, 224, 224) and np.allclose(x[:, 100, 100], (np.array([10, 200, 30]) - 127) / 128, atol=0.02)
    rng = np.random.default_rng(0)
    wide = Image.fromarray(rng.integers(0, 255, (200, 1000, 3), dtype=np.uint8))
    keep = int(MAX_ASPECT * 200)
    centre = wide.crop(((1000 - keep) // 2, 0, (1000 - keep) // 2 + keep, 200))
    assert np.array_equal(preprocess(wide), preprocess(centre))
    tall = wide.transpose(Image.Transpose.TRANSPOSE)
    assert preprocess(tall).shape == (3, 224, 224)


def gif_bytes(width: int, height: int, frames: int) -> bytes:
    """A GIF with a ``width`` x ``height`` canvas and ``frames`` frames of one pixel each, written by hand (no
    encoder writes a canvas larger than its frames): 23 bytes a frame."""
    out = bytearray(b"GIF89a" + width.to_bytes(2, "little") + height.to_bytes(2, "little") + bytes([0x80, 0, 0]))
    out += bytes([0, 0, 0, 255, 255, 255])  # a global colour table of two colours
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for i in range(frames):
        out += b"\x21\xf9\x04\x04\x01\x00\x00\x00"  # 10 ms, keep the canvas
        x, y = i % width, (i // width) % height
        out += b"\x2c" + x.to_bytes(2, "little") + y.to_bytes(2, "little") + b"\x01\x00\x01\x00\x00"
        out += b"\x02\x02\x44\x01\x00"  # LZW: clear, pixel 0, end
    return bytes(out + b"\x3b")


_GIF_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from taglens.exceptions import TaglensError
from taglens.media import load_visuals
try:
    visuals = load_visuals([sys.argv[1]])
    print(len(visuals), max(im.size[0] * im.size[1] for _, im in visuals))
except TaglensError as exc:
    print("error", exc)
"""


def test_a_small_gif_with_a_huge_canvas_decodes_within_a_pixel_budget(tmp_path):
    """Issue 18.4: a 9 KB GIF (8000x8000 canvas, 400 one-pixel frames) took 4.9 GB and 22 s. Under a 2 GiB address
    space limit it now gives a frame or two, scaled down, from the first frames within the budget."""
    import subprocess
    import sys

    bomb = tmp_path / "bomb.gif"
    bomb.write_bytes(gif_bytes(8000, 8000, 400))
    assert bomb.stat().st_size < 10_000
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.run([sys.executable, "-c", _GIF_CHILD, str(bomb)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    n, largest = map(int, proc.stdout.split())
    assert 1 <= n <= 4 and largest <= 9_000_000


def test_a_gif_canvas_too_large_is_refused_in_words(tmp_path):
    huge = tmp_path / "huge.gif"
    huge.write_bytes(gif_bytes(65535, 65535, 3))
    with pytest.raises(VideoError, match=r"huge.gif: a GIF of 65535x65535 pixels is too large to read") as e:
        load_visuals([huge])
    assert "avcodec" not in str(e.value)


def test_a_large_jpeg_is_decoded_at_reduced_size(tmp_path, food_images):
    """libjpeg's DCT scaling decodes a big photo at 1/2, 1/4 or 1/8 of its size while its short side keeps
    DECODE_SHORT_SIDE pixels; what the encoder sees hardly changes (it resizes to 256 anyway)."""
    from taglens.encoders.image import get_image_encoder
    from taglens.media import DECODE_SHORT_SIDE, DRAFT_FROM

    with Image.open(food_images[0]) as img:
        big = img.convert("RGB").resize((2400, 1800), Image.BICUBIC)
    save(big, tmp_path / "big.jpg", quality=92)
    save(big, tmp_path / "big.png")
    save(big.resize((1000, 800)), tmp_path / "small.jpg")
    reduced = load_image(tmp_path / "big.jpg")
    assert reduced.size == (600, 450) and min(reduced.size) >= DECODE_SHORT_SIDE
    assert load_image(tmp_path / "big.png").size == (2400, 1800)  # not a JPEG: decoded whole
    assert load_image(tmp_path / "small.jpg").size == (1000, 800)  # short side below DRAFT_FROM: whole
    assert DRAFT_FROM > 800
    with Image.open(tmp_path / "big.jpg") as full:
        out = get_image_encoder().encode([reduced, full.convert("RGB")])
    a, b = out["pooled"]
    assert a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) > 0.99
    assert np.argsort(-out["logits"][0])[:3].tolist() == np.argsort(-out["logits"][1])[:3].tolist()
