"""A video plan with ``--cover people``: render-from-plan time against the one-shot run, side by side
in one process, on the first S seconds of a real clip (default 3 s of ``short_hamilton_clip.mp4``,
cut by re-encoding into a temporary folder). Also checks that the render covers at least what the
one-shot run covers on every frame (both written lossless, crf 0).

Usage: plan_video_kinds.py [--video PATH] [--seconds S] [--rounds N] [--cover people]"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from unseen.detect.cache import detector_for
from unseen.detect.kinds import region_detectors_for
from unseen.pipeline.plan_run import make_plan, render_plan
from unseen.pipeline.video import process_video
from unseen.settings import Settings

DATA = Path("/work/shared/data")


def _cut(src: Path, dst: Path, seconds: float) -> Path:
    """The first ``seconds`` of ``src``, H.264 crf 18, no audio."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        rate = vin.average_rate
        vout = out.add_stream("libx264", rate=rate)
        vout.codec_context.time_base = 1 / rate
        vout.width, vout.height, vout.pix_fmt = vin.width, vin.height, "yuv420p"
        vout.options = {"crf": "18", "preset": "veryfast"}
        for n, frame in enumerate(inp.decode(vin)):
            if n >= seconds * float(rate):
                break
            f = frame.reformat(format="yuv420p")
            f.pts, f.time_base = n, 1 / rate
            for pkt in vout.encode(f):
                out.mux(pkt)
        for pkt in vout.encode():
            out.mux(pkt)
    return dst


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", default=str(DATA / "video" / "short_hamilton_clip.mp4"))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cover", default="people")
    a = ap.parse_args()
    s = dataclasses.replace(Settings(cover=a.cover), crf=0)
    det = detector_for(s)
    kinds = region_detectors_for(s)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        clip = _cut(Path(a.video), t / "clip.mp4", a.seconds)
        one_s, plan_s, render_s = [], [], []
        for r in range(a.rounds):
            t0 = time.perf_counter()
            process_video(clip, t / f"one{r}.mp4", s, detector=det, region_detectors=kinds)
            t1 = time.perf_counter()
            plan = make_plan(clip, s, detector=det, region_detectors=kinds)
            t2 = time.perf_counter()
            rep = render_plan(clip, plan, t / f"two{r}.mp4", s)
            t3 = time.perf_counter()
            one_s.append(t1 - t0)
            plan_s.append(t2 - t1)
            render_s.append(t3 - t2)
        one, two = _frames(t / "one0.mp4"), _frames(t / f"two{a.rounds - 1}.mp4")
        uncovered = sum(int(((x.max(axis=2) < 20) & ~(y.max(axis=2) < 20)).sum()) for x, y in zip(one, two))
        n = rep.details.frames if rep.details is not None else 0
        print(f"clip: {a.seconds} s of {Path(a.video).name}, {n} frames, --cover {a.cover}, crf 0")
        print(f"plan: version {plan.version}, {plan.box_count} boxes, kinds {plan.box_kinds}")
        print(f"one-shot run  s: {' '.join(f'{x:.2f}' for x in one_s)}")
        print(f"make plan     s: {' '.join(f'{x:.2f}' for x in plan_s)}")
        print(f"render plan   s: {' '.join(f'{x:.2f}' for x in render_s)}")
        print(f"render / one-shot (best of {a.rounds}): {min(render_s) / min(one_s):.3f}")
        print(f"render covers the one-shot's dark pixels: {uncovered} left uncovered over {len(one)} frames")
        print(f"kind frames covered by the render: {getattr(rep.details, 'kind_frames_covered', {})}")


if __name__ == "__main__":
    main()
