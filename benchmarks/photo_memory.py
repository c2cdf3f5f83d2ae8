"""Peak memory (and time) of a default photo run against the photo's size, to set ``max_pixels``.

Generates synthetic JPEG photos (a smooth gradient with noise, quality 90) of the given sizes in
megapixels and anonymizes each with the ``unseen`` command in a fresh process (default preset,
real detector); that process reports its own peak resident memory (``VmHWM``). The slope of peak
memory against pixels is the pipeline's memory per pixel; the intercept is its fixed cost
(interpreter, models).

    .venv/bin/python benchmarks/photo_memory.py                 # 0.3, 4, 12, 24, 48 MP
    .venv/bin/python benchmarks/photo_memory.py --mp 1 8 --json

Photos are written to a temporary folder and deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def make_photo(path: Path, mp: float) -> tuple[int, int]:
    w = round((mp * 1e6 * 4 / 3) ** 0.5)
    h = round(mp * 1e6 / w)
    rng = np.random.default_rng(0)
    rows = []
    for y0 in range(0, h, 512):  # in bands: the generator itself should not need much memory
        yy, xx = np.mgrid[y0 : min(h, y0 + 512), 0:w]
        band = np.stack([(xx * 255 // max(1, w - 1)), (yy * 255 // max(1, h - 1)), (xx + yy) % 256], axis=2)
        band = band + rng.integers(-12, 13, band.shape)
        rows.append(np.clip(band, 0, 255).astype(np.uint8))
    Image.fromarray(np.concatenate(rows)).save(path, "JPEG", quality=90)
    return w, h


# The child reports its own VmHWM: ru_maxrss of a child counts the parent's size at fork.
_CHILD = """
import sys
from unseen.cli import main
try:
    code = main(sys.argv[1:])
finally:
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1]
    print("VmHWM", hwm, file=sys.stderr)
sys.exit(code)
"""


def run_one(src: Path, dst: Path) -> tuple[float, float, int]:
    """(peak resident memory in MB, seconds, exit code) of `unseen src -o dst -q` in a fresh process."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(src), "-o", str(dst), "-q"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - started
    lines = proc.stderr.splitlines()
    hwm = [int(ln.split()[1]) for ln in lines if ln.startswith("VmHWM")]
    if proc.returncode != 0:
        print("\n".join(ln for ln in lines if not ln.startswith("VmHWM")), file=sys.stderr)
    return (hwm[0] / 1024 if hwm else float("nan")), seconds, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mp", type=float, nargs="+", default=[0.3, 4, 12, 24, 48], help="photo sizes in megapixels")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mp in args.mp:
            src = Path(tmp) / f"p{mp:g}.jpg"
            w, h = make_photo(src, mp)
            peak, seconds, code = run_one(src, Path(tmp) / f"p{mp:g}.out.jpg")
            rows.append({"mp": w * h / 1e6, "width": w, "height": h, "file_mb": src.stat().st_size / 1e6,
                         "peak_mb": peak, "seconds": seconds, "exit": code})
            src.unlink()
            print(f"{w}x{h} ({w * h / 1e6:.1f} MP): peak {peak:,.0f} MB, {seconds:.1f} s, exit {code}", flush=True)
    # Below ~4 MP the detector's fixed-size passes dominate (a step from 0.3 to 4 MP): fit above it.
    fit = [r for r in rows if r["mp"] >= 3.5] if sum(r["mp"] >= 3.5 for r in rows) >= 2 else rows
    xs = np.array([r["mp"] for r in fit])
    ys = np.array([r["peak_mb"] for r in fit])
    slope, intercept = np.polyfit(xs, ys, 1) if len(rows) > 1 else (float("nan"), float("nan"))
    per_px = slope * 2**20 / 1e6  # bytes per pixel
    print(f"fit ({len(fit)} sizes): peak = {intercept:,.0f} MB + {slope:,.1f} MB per MP ({per_px:.1f} bytes per pixel)")
    for budget_gb in (4, 8, 16):
        print(f"  peak under {budget_gb} GB up to {(budget_gb * 1024 - intercept) / slope:,.0f} MP")
    if args.json:
        print(json.dumps({"rows": rows, "mb_per_mp": slope, "fixed_mb": intercept}, indent=2))


if __name__ == "__main__":
    main()
