"""Second GPU run: end-to-end rows the first run of gpu_speed.py could not reach (NVENC does not
open in the lent VM): the CPU's detection schedule on the GPU, and the x264 ultrafast ceiling.

    python3 benchmarks/gpu_more.py --out "$OUT"      (after gpu_device.sh's wheel install)
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gpu_speed import Bench, run_e2e, table  # noqa: E402
from unseen.settings import Settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--video", type=Path, default=ROOT / ".gpu" / "hamilton_1080p30_10s.mp4")
    ns = ap.parse_args()
    ns.out.mkdir(parents=True, exist_ok=True)
    bench = Bench(ns.out, 200.0)
    src, work = ns.video, Path("/tmp/gpu_more")
    work.mkdir(exist_ok=True)
    runs = [
        ("warm", "warm-up (default, stride 1)", dict(device="cuda", backend="torch", detect_stride=1.0), False),
        ("stride1", "end to end default, --device cuda --detect-stride 1 (the CPU schedule)", dict(device="cuda", backend="torch", detect_stride=1.0), False),
        ("stride1_fast", "end to end --fast, --device cuda --detect-stride 1", dict(device="cuda", backend="torch", preset="fast", detect_stride=1.0), False),
        ("stride1_ultra", "end to end default, cuda, stride 1, x264 ultrafast", dict(device="cuda", backend="torch", detect_stride=1.0, encoder_preset="ultrafast"), False),
        ("full_ultra", "end to end default, cuda, every pass every frame, x264 ultrafast", dict(device="cuda", backend="torch", encoder_preset="ultrafast"), False),
        ("fake_ultra", "end to end, fixed fake detector, x264 ultrafast (pipeline ceiling)", dict(encoder_preset="ultrafast"), True),
    ]
    for key, label, kw, fake in runs:
        try:
            bench.step(key, lambda: run_e2e(bench, "d", label, src, work / f"{key}.mp4", Settings(overwrite=True, **kw), fake=fake), need=15)
        except Exception:
            traceback.print_exc()
    print(table(bench.rows))
    (ns.out / "gpu_more.json").write_text(json.dumps(bench.results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
