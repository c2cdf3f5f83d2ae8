"""Faces-only speed before/after the --cover framework, side by side, and the cost of --cover text.

Runs the CLI as a subprocess from two source trees (``--before``, default /work/main/src, and this
tree), alternating, on one WIDER photo and one short clip; prints the median wall seconds.

    OMP_NUM_THREADS=1 python benchmarks/cover_kinds_speed.py --reps 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
DATA = HERE / ".." / "shared" / "data"


def _run(src: Path, args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "unseen", *args, "--quiet", "--threads", "1"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", type=Path, default=Path("/work/main/src"))
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    photo = DATA / "widerface_dev" / "WIDER_val" / "images" / "0--Parade" / "0_Parade_Parade_0_102.jpg"
    video = DATA / "video" / "carphone_pristine.mp4"
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "photo faces (before)": (a.before, photo, []),
            "photo faces (after)": (HERE / "src", photo, []),
            "photo faces,text (after)": (HERE / "src", photo, ["--cover", "text"]),
            "video faces (before)": (a.before, video, []),
            "video faces (after)": (HERE / "src", video, []),
            "video faces,text (after)": (HERE / "src", video, ["--cover", "text"]),
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        for r in range(a.reps):
            for k, (src, inp, extra) in cases.items():
                out = Path(tmp) / f"{r}-{abs(hash(k))}{inp.suffix}"
                times[k].append(_run(src, [str(inp), "-o", str(out), *extra]))
        for k, v in times.items():
            print(f"{k:28s} median {statistics.median(v):.2f} s  ({', '.join(f'{x:.2f}' for x in v)})")


if __name__ == "__main__":
    main()
