"""Build ``src/unseen/detect/models/centerface_int8.onnx`` from the vendored ``centerface.onnx``.

CenterFace is most of the default preset's cost on a CPU (two full-frame passes, about 0.45 s each
at 1080p in fp32 on the 2-core test machine). Its int8 build runs the same graph with 8-bit
convolutions: about 0.10 s there, with WIDER FACE coverage at least the fp32 build's in every
size bin (docs/BENCHMARKS.md, "CenterFace int8").

How the file is made (onnxruntime's own static quantizer; nothing is trained or changed otherwise):

1. the vendored graph with its batch, height and width made symbolic (as ``CenterFaceNet`` loads
   it), converted to opset 13 (per-channel quantization needs it);
2. static QDQ quantization: weights int8 per output channel with ``reduce_range`` (7-bit), so the
   u8 x s8 product pairs of x86's ``vpmaddubsw`` never saturate and a CPU without VNNI sums the same
   integers as one with it (measured only on a VNNI CPU); activations uint8, ranges from the 99.999th percentile of each tensor
   over the calibration images;
3. calibration images: every third photo of ``../shared/data/identities_dev/images`` and the two
   ``unlabelled`` photos, plus every 40th frame of the two clips in ``../shared/data/video``, each
   scaled to fit 960 x 544 and padded there (the histogram calibrator needs one shape). None of the
   WIDER FACE images the coverage is measured on is among them.

    .venv/bin/python tools/quantize_centerface.py            # writes the model, prints its SHA-256
    .venv/bin/python tools/quantize_centerface.py --check    # rebuild in a temp dir, compare with the shipped file

Made with onnxruntime 1.32.0 and onnx 1.23.2; other versions may write other bytes (then the pin in
``src/unseen/detect/weights.py`` and the coverage figures must be renewed together).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from unseen.detect.onnx_dims import symbolic_dims  # noqa: E402
from unseen.detect.onnx_session import pad_to_multiple  # noqa: E402
from unseen.detect.weights import MODELS_DIR, load_weights  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
W, H = 960, 544


def _fit(rgb: np.ndarray) -> np.ndarray:
    s = min(W / rgb.shape[1], H / rgb.shape[0])
    small = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)[:H, :W]
    out = np.zeros((H, W, 3), np.uint8)
    out[: small.shape[0], : small.shape[1]] = small
    return out


def calibration_images(data: Path = DATA) -> list[np.ndarray]:
    ident = data / "identities_dev"
    photos = sorted((ident / "images").glob("*.jpg"))[::3] + sorted((ident / "unlabelled").glob("*.jpg"))
    out = []
    for path in photos:
        bgr = cv2.imread(str(path))
        if bgr is None:
            raise SystemExit(f"cannot read {path}")
        out.append(_fit(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    for clip in sorted((data / "video").glob("*.mp4")):
        with av.open(str(clip)) as c:
            for i, frame in enumerate(c.decode(video=0)):
                if i % 40 == 0:
                    out.append(_fit(frame.to_ndarray(format="rgb24")))
    if len(out) < 20:
        raise SystemExit(f"only {len(out)} calibration images under {data}; is ../shared/data there?")
    return out


def build(out_path: Path, data: Path = DATA) -> str:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    images = calibration_images(data)
    model = onnx.load_from_string(
        symbolic_dims(load_weights("centerface.onnx"), {0: "n", 2: "h", 3: "w"}, {0: "n", 2: "fh", 3: "fw"})
    )
    model = version_converter.convert_version(model, 13)
    with tempfile.TemporaryDirectory(prefix="unseen-quant-") as tmp:
        fp32, pre = Path(tmp) / "fp32.onnx", Path(tmp) / "pre.onnx"
        onnx.save(model, str(fp32))
        quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        name = onnx.load(str(pre)).graph.input[0].name

        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                self._it = iter(images)

            def get_next(self):  # type: ignore[no-untyped-def]
                rgb = next(self._it, None)
                if rgb is None:
                    return None
                return {name: np.ascontiguousarray(pad_to_multiple(rgb, 32).transpose(2, 0, 1)[None], dtype=np.float32)}

        quantize_static(
            str(pre),
            str(out_path),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            reduce_range=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile,
        )
    return hashlib.sha256(out_path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--out", type=Path, default=MODELS_DIR / "centerface_int8.onnx")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--check", action="store_true", help="build in a temp dir and compare with --out")
    args = ap.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            digest = build(Path(tmp) / "c.onnx", args.data)
        shipped = hashlib.sha256(args.out.read_bytes()).hexdigest()
        print(f"rebuilt {digest}\nshipped {shipped}\n{'same' if digest == shipped else 'DIFFERENT'}")
        return 0 if digest == shipped else 1
    digest = build(args.out, args.data)
    print(f"{args.out}: {args.out.stat().st_size} bytes, SHA-256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
