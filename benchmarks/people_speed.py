"""CPU cost of --cover people beside the face detector, per 1080p frame (measured side by side).

A 1080p frame is a frame of ../shared/data/video/short_hamilton_clip.mp4 (640x360) scaled 3x.
Process CPU-seconds, onnxruntime threads = 1, median of --repeat runs.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/people_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import av
import cv2
import numpy as np

from unseen.detect.people import PeopleRegions
from unseen.detect.registry import build
from unseen.settings import Settings

CLIP = Path(__file__).resolve().parents[2] / "shared/data/video/short_hamilton_clip.mp4"


def cpu(fn, rgb: np.ndarray, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        c = time.process_time()
        fn(rgb)
        times.append(time.process_time() - c)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with av.open(str(CLIP)) as c:
        frame = next(f for i, f in enumerate(c.decode(video=0)) if i == 100).to_ndarray(format="rgb24")
    rgb = np.ascontiguousarray(cv2.resize(frame, (1920, 1080), interpolation=cv2.INTER_CUBIC))
    faces = build(Settings(threads=1))
    box, sil = PeopleRegions("box"), PeopleRegions("silhouette")
    f = cpu(faces.detect, rgb, args.repeat)
    b = cpu(box.detect, rgb, args.repeat)
    s = cpu(sil.detect, rgb, args.repeat)
    print(
        f"1080p CPU-s: faces (default preset) {f:.2f}; people box {b:.2f} ({b / f:.1f}x faces); "
        f"people silhouette {s:.2f} ({s / f:.1f}x faces); people found {len(box.detect(rgb))}"
    )


if __name__ == "__main__":
    main()
