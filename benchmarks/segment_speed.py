"""A long 1080p video segmented (``--segment-seconds``) beside the one-process run, in one run.

Input: the same as ``video_speed.py`` (``../shared/data/video/short_hamilton_clip.mp4`` upscaled to
1920x1080, looped to ``--seconds`` at 30 fps, x264 crf 18 with its AAC sound; cached in
``.bench/speed``). Both runs use the default preset and the real detector, each in a fresh
process state (the segmented run's workers load their own detector). Then the equality check:
every frame of both outputs decoded side by side with the original, the covered mask of a frame
= pixels painted black (output luma < 24 where the original's is > 48); the segmented mask must
contain the one-process mask (grown by 2 px for codec ringing at region edges). Also frame count,
video timestamps and audio packets compared.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/segment_speed.py --seconds 60 --segment-seconds 10

A benchmark script, never a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from video_speed import build_input  # noqa: E402

from unseen.pipeline.video import process_video  # noqa: E402
from unseen.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def timed(src: Path, dst: Path, settings: Settings) -> dict:
    dst.unlink(missing_ok=True)
    t = time.monotonic()
    rep = process_video(src, dst, settings)
    wall = time.monotonic() - t
    d = rep.details
    return {"wall_s": round(wall, 1), "frames": d.frames, "fps": round(d.frames / wall, 2), "faces": rep.faces}


def _luma(frame: av.VideoFrame) -> np.ndarray:
    return frame.to_ndarray(format="gray")


def packets(path: Path, kind: str) -> list[tuple[int | None, int]]:
    with av.open(str(path)) as c:
        s = c.streams.video[0] if kind == "video" else c.streams.audio[0]
        return [(p.pts, p.size) if kind == "audio" else (p.pts, 0) for p in c.demux(s) if p.size]


def containment(orig: Path, one: Path, seg: Path) -> dict:
    kernel = np.ones((5, 5), np.uint8)
    frames = bad_frames = bad_px = one_px = seg_px = 0
    at: list[int] = []
    with av.open(str(orig)) as a, av.open(str(one)) as b, av.open(str(seg)) as c:
        for fa, fb, fc in zip(a.decode(video=0), b.decode(video=0), c.decode(video=0), strict=True):
            la, lb, lc = _luma(fa), _luma(fb), _luma(fc)
            mb = (lb < 24) & (la > 48)
            mc = (lc < 24) & (la > 48)
            grown = cv2.dilate(mc.astype(np.uint8), kernel).astype(bool)
            miss = int(np.count_nonzero(mb & ~grown))
            frames += 1
            one_px += int(mb.sum())
            seg_px += int(mc.sum())
            if miss:
                at.append(frames - 1)
                bad_frames += 1
                bad_px += miss
    return {
        "frames_compared": frames,
        "frames_not_contained": bad_frames,
        "pixels_not_contained": bad_px,
        "frames_not_contained_at": at,
        "covered_px_one": one_px,
        "covered_px_segmented": seg_px,
        "video_pts_equal": packets(one, "video") == packets(seg, "video"),
        "audio_packets_equal": packets(one, "audio") == packets(seg, "audio") == packets(orig, "audio"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--segment-seconds", type=float, default=10.0)
    p.add_argument("--workers", type=int, default=0, help="segment workers (0: all cores)")
    p.add_argument("--cache", type=Path, default=ROOT / ".bench" / "speed")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    a.cache.mkdir(parents=True, exist_ok=True)
    src = a.cache / f"input_{int(a.seconds)}s_1080p.mp4"
    if not src.exists():
        build_input(src, a.seconds)
    one, seg = a.cache / "one.mp4", a.cache / "segmented.mp4"
    rows = {
        "one_process": timed(src, one, Settings()),
        "segmented": timed(src, seg, Settings(segment_seconds=a.segment_seconds, segment_workers=a.workers)),
    }
    rows["ratio_one_over_segmented"] = round(rows["one_process"]["wall_s"] / rows["segmented"]["wall_s"], 3)
    rows["equality"] = containment(src, one, seg)
    rows["cores"] = os.cpu_count()
    print(json.dumps(rows, indent=2))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=2))
    return 0 if rows["equality"]["frames_not_contained"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
