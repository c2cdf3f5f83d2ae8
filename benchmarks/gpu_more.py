"""Short GPU run of end-to-end rows only (after benchmarks/gpu_speed.py): the shipping GPU settings
(the detection schedule), x264 ultrafast (NVENC does not open in the lent VM), every pass on every
frame, and the pipeline's ceiling with a fake detector.

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
        ("warm", "warm-up (default)", dict(device="cuda", backend="torch"), False),
        ("default", "end to end default, --device cuda (schedule: stride 1 s, auto)", dict(device="cuda", backend="torch"), False),
        ("fast", "end to end --fast, --device cuda", dict(device="cuda", backend="torch", preset="fast"), False),
        ("default_ultra", "end to end default, cuda, x264 ultrafast", dict(device="cuda", backend="torch", encoder_preset="ultrafast"), False),
        ("fast_ultra", "end to end --fast, cuda, x264 ultrafast", dict(device="cuda", backend="torch", preset="fast", encoder_preset="ultrafast"), False),
        ("full", "end to end default, cuda, --detect-stride 0 (every pass, every frame)", dict(device="cuda", backend="torch", detect_stride=0.0), False),
        ("fake_ultra", "end to end, fixed fake detector, x264 ultrafast (pipeline ceiling)", dict(encoder_preset="ultrafast"), True),
    ]
    for key, label, kw, fake in runs:
        try:
            bench.step(key, lambda: run_e2e(bench, "d", label, src, work / f"{key}.mp4", Settings(overwrite=True, **kw), fake=fake), need=15)  # noqa: B023 - called at once
        except Exception:
            traceback.print_exc()
    print(table(bench.rows))
    (ns.out / "gpu_more.json").write_text(json.dumps(bench.results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
