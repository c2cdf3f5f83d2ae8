"""Peak memory of the video pipeline against clip length: it must not grow with the video.

Generates synthetic 1080p30 clips (x264 ultrafast; a moving gradient and a moving "face"), then
anonymizes each in a fresh process with a fixed fake detector (one box per frame, so every frame
goes through the cover and re-encode path) and reports the peak resident memory of that process.

    .venv/bin/python benchmarks/video_memory.py --seconds 10 120
    .venv/bin/python benchmarks/video_memory.py --seconds 10 600 --preset ultrafast

Clips are written to a temporary folder and deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np

W, H, FPS = 1920, 1080, 30


def make_clip(path: Path, seconds: float) -> None:
    n = int(seconds * FPS)
    yy, xx = np.mgrid[0:H, 0:W]
    base = ((xx + yy) % 256).astype(np.uint8)
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.codec_context.options = {"preset": "ultrafast", "crf": "28"}
        for i in range(n):
            g = np.roll(base, 4 * i, axis=1)
            frame = np.stack([g, np.roll(g, 60, axis=0), 255 - g], axis=2)
            x = (i * 7) % (W - 200)
            frame[400:600, x : x + 160] = (200, 160, 140)
            for p in s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)


def run(path: Path, preset: str, real: bool = False) -> dict:
    """In this process: anonymize ``path`` and report the peak RSS.

    ``real``: the default detector and its video schedule (models loaded, holds of one stride),
    instead of the fixed fake detector."""
    from unseen.detect.base import FixedDetector
    from unseen.detect.cache import detector_for
    from unseen.pipeline.video import process_video
    from unseen.settings import Settings
    from unseen.types import Faces

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    det = detector_for(Settings()) if real else FixedDetector(Faces(np.array([[800, 400, 960, 600]], np.float32)))
    series: list[tuple[int, float]] = []
    phase = {"loop": True, "loop_max": 0.0, "end_max": 0.0}
    stop = threading.Event()

    def progress(done: int, total: int | None) -> None:
        if done % 300 == 0:  # every 10 s of video: current RSS
            series.append((done, round(_rss_mib(), 1)))
        if total is not None and done >= total:
            phase["loop"] = False

    def sample() -> None:  # where the peak happens: in the frame loop, or finishing/verifying
        while not stop.wait(0.05):
            key = "loop_max" if phase["loop"] else "end_max"
            phase[key] = max(phase[key], _rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.monotonic()
    report = process_video(
        path, path.with_suffix(".out.mp4"), Settings(encoder_preset=preset, overwrite=True), detector=det, progress=progress
    )
    seconds = time.monotonic() - t0
    stop.set()
    sampler.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    path.with_suffix(".out.mp4").unlink()
    return {
        "frames": report.details.frames,
        "peak_rss_mib": round(peak / 1024, 1),
        "rss_after_imports_mib": round(before / 1024, 1),
        "lookahead_frames": report.details.lookahead_frames,
        "run_s": round(seconds, 1),
        "fps": round(report.details.frames / seconds, 1),
        "rss_every_10s": series,
        "loop_max_mib": round(phase["loop_max"], 1),
        "finish_max_mib": round(phase["end_max"], 1),
    }


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, nargs="+", default=[10, 120])
    ap.add_argument("--preset", default="ultrafast", help="x264 preset of the anonymized output")
    ap.add_argument("--cache", type=Path, default=None, help="folder to keep generated clips in (reused when present)")
    ap.add_argument("--real", action="store_true", help="the default detector and schedule instead of a fixed fake box")
    ap.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.run:
        print(json.dumps(run(args.run, args.preset, args.real)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="unseen-mem-") as tmp:
        for sec in args.seconds:
            clip = (args.cache or Path(tmp)) / f"clip_{int(sec)}s.mp4"
            t0 = time.monotonic()
            if not clip.exists():
                make_clip(clip, sec)
            made = time.monotonic() - t0
            out = subprocess.run(
                [sys.executable, __file__, "--run", str(clip), "--preset", args.preset] + (["--real"] if args.real else []),
                check=True,
                capture_output=True,
                text=True,
            )
            row = {"seconds": sec, "clip_mib": round(clip.stat().st_size / 2**20, 1), "make_s": round(made, 1), **json.loads(out.stdout)}
            rows.append(row)
            print(row, file=sys.stderr, flush=True)
            if args.cache is None:
                clip.unlink()
    print(
        "| clip (1080p30) | frames | peak RSS (MiB) | max RSS in frame loop | max RSS finishing + verifying"
        " | RSS after imports | look-ahead frames | fps |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['seconds']:g} s | {r['frames']} | {r['peak_rss_mib']} | {r['loop_max_mib']} | {r['finish_max_mib']}"
            f" | {r['rss_after_imports_mib']} | {r['lookahead_frames']} | {r['fps']} |"
        )
    if len(rows) >= 2:
        lo, hi = rows[0]["peak_rss_mib"], rows[-1]["peak_rss_mib"]
        print(f"\nlongest vs shortest peak: {100 * (hi - lo) / lo:+.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
