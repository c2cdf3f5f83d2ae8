"""Photos: the default preset with CenterFace fp32 beside its int8 build at several thresholds.

Scores the default preset on the WIDER FACE dev subset (``unseen_eval.widerface`` rules, as
``photo_widerface.py``) once with ``--precision fp32`` and once per int8 threshold, in one run.
``--model`` swaps in another int8 file (e.g. one built with other options by
``tools/quantize_centerface.py --out``) to compare quantization choices; its pin is not checked.

    .venv/bin/python benchmarks/centerface_int8_sweep.py                       # shipped file, 0.07 0.075 0.08
    .venv/bin/python benchmarks/centerface_int8_sweep.py --model /tmp/x.onnx --thresholds 0.075

A benchmark script, never a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "src"))

import photo_widerface as pw  # noqa: E402

from unseen import Settings  # noqa: E402
from unseen.detect import centerface, registry  # noqa: E402
from unseen.detect.presets import preset_for  # noqa: E402
from unseen_eval import widerface as wf  # noqa: E402

KEY = ("default", "auto")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=pw.DATA)
    ap.add_argument("--model", type=Path, help="an int8 CenterFace file to use instead of the shipped one")
    ap.add_argument("--thresholds", default="0.07,0.075,0.08", help="CenterFace thresholds for the int8 runs")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args(argv)
    if not args.data.exists():
        raise SystemExit(f"no data at {args.data}")
    if args.model:
        shipped = centerface.load_weights
        centerface.load_weights = lambda name: args.model.read_bytes() if name == "centerface_int8.onnx" else shipped(name)
    truth = wf.load(args.data)
    shipped = preset_for(*KEY)
    rows = []
    with tempfile.TemporaryDirectory(prefix="unseen-int8-") as tmp:
        inputs = Path(tmp) / "inputs"
        originals = pw.prepare(truth, args.data, inputs)
        runs = [("fp32 0.08", "fp32", None)] + [(f"int8 {t}", "int8", float(t)) for t in args.thresholds.split(",")]
        for i, (label, precision, threshold) in enumerate(runs):
            preset = shipped if threshold is None else dataclasses.replace(shipped, int8_threshold=threshold)
            settings = Settings(preset="default", threads=args.threads, precision=precision)
            detector = registry.build(settings, preset)  # the threshold is not a setting: each run's own
            folder = Path(tmp) / f"run{i}"
            folder.mkdir()
            summary = pw.run_unseen(
                "default", args.threads, inputs, truth, originals, folder=folder, precision=precision, detector=detector
            )
            rows.append((f"default, CenterFace {label}", summary))
            print(f"{label} done", file=sys.stderr)
    print(f"# {len(truth)} images; int8 file: {args.model or 'shipped'}")
    print(wf.table(rows, baseline=None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
