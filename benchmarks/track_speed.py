"""Time the tracking stage alone (``TemporalCover.push``), which runs on the video's main thread.

A synthetic stream: ``--faces`` faces walking across a 1920x1080 frame at 30 fps with the default
holds of the detection schedule (1.1 s each way), some seen on every frame, some only every
``--every`` frames (small faces the thorough passes find once a stride), some flickering in and
out (new tracks, the faces held toward the frame edges). Prints milliseconds per frame.

    PYTHONPATH=src .venv/bin/python benchmarks/track_speed.py
    PYTHONPATH=/path/to/older/src .venv/bin/python benchmarks/track_speed.py --no-frame  # before them
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from unseen.track import TemporalCover
from unseen.types import Faces

W, H, FPS = 1920, 1080, 30.0


def stream(n: int, faces: int, every: int, seed: int = 0) -> list[Faces]:
    rng = np.random.default_rng(seed)
    start = rng.uniform([0, 0], [W, H], (faces, 2))
    speed = rng.uniform(-300, 300, (faces, 2))  # px/s
    size = rng.uniform(10, 120, faces)
    kind = rng.integers(0, 3, faces)  # 0 every frame, 1 every `every` frames, 2 flickering
    out = []
    for i in range(n):
        c = (start + speed * (i / FPS)) % [W, H]
        seen = (kind == 0) | ((kind == 1) & (i % every == 0)) | ((kind == 2) & (rng.random(faces) < 0.3))
        b = np.concatenate([c - size[:, None] / 2, c + size[:, None] / 2], axis=1)[seen]
        b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, W)
        b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, H)
        out.append(Faces(b.astype(np.float32)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--faces", type=int, default=20)
    ap.add_argument("--every", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-frame", action="store_true", help="for a version before the frame-edge rules")
    args = ap.parse_args()
    dets = stream(args.frames, args.faces, args.every)
    best = float("inf")
    boxes = 0
    for _ in range(args.repeat):
        tc: TemporalCover[int] = TemporalCover(1.1, 1.1, frame=(W, H)) if not args.no_frame else TemporalCover(1.1, 1.1)
        boxes = 0
        t0 = time.perf_counter()
        for i, d in enumerate(dets):
            for _, f in tc.push(i, i / FPS, d):
                boxes += len(f)
        for _, f in tc.flush():
            boxes += len(f)
        best = min(best, time.perf_counter() - t0)
    print(f"{args.frames} frames, {args.faces} faces: {1000 * best / args.frames:.3f} ms/frame (best of {args.repeat}), {boxes / args.frames:.1f} boxes/frame out")


if __name__ == "__main__":
    main()
