"""Frames where each person (text) track is covered with per-frame detection alone vs with tracking,
and what tracking costs, on a real clip through the real video pipeline (issue 14).

The clip's first ``--seconds`` are copied (packets, no re-encode) to a temporary file, then run as
``unseen CLIP --cover people`` (default preset) with a wrapper around the real region detector that
records each frame's boxes and its CPU time. The run's per-frame boxes after tracking (with track
ids) come from the pipeline itself (``PlanRecord.kinds``). Per track: "detected" = frames where the
detector found it (what per-frame detection alone covered: the cover before this change), "covered"
= frames with any box of it after tracking, of which "filled" lie between its first and last
sighting (misses the detector made while the person was in view) and "held" before the first or
after the last. Tracking's own cost: the recorded detections replayed through a fresh
:class:`KindTracks` with the run's holds and cuts (the replay must give the pipeline's boxes).

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/kinds_tracking.py [--clip PATH] [--seconds 4]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import av
import numpy as np

from unseen.detect.kinds import region_detectors_for
from unseen.pipeline.video import PlanRecord, process_video
from unseen.settings import Settings
from unseen.track.kinds import KindTracks
from unseen.types import Origin, Regions

DATA = Path(__file__).resolve().parents[2] / "shared/data/video"


class Recording:
    """The real region detector, its boxes and CPU time recorded per call (frame)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.kind = inner.kind
        self.name = inner.name
        self.found: list[Regions] = []
        self.cpu = 0.0

    def detect(self, image: np.ndarray) -> Regions:
        c = time.process_time()
        r = self.inner.detect(image)
        self.cpu += time.process_time() - c
        self.found.append(r)
        return r


def head(src: Path, dst: Path, seconds: float) -> None:
    """The first ``seconds`` of ``src``'s video stream, packets copied."""
    with av.open(str(src)) as i, av.open(str(dst), "w") as o:
        vs = i.streams.video[0]
        out = o.add_stream_from_template(vs)
        start = vs.start_time or 0
        for p in i.demux(vs):
            if p.dts is None:
                continue
            if p.pts is not None and float((p.pts - start) * vs.time_base) >= seconds:
                break
            p.stream = out
            o.mux(p)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", type=Path, default=DATA / "short_hamilton_clip.mp4")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--cover", default="people")
    args = ap.parse_args()
    settings = Settings(cover=args.cover, threads=1)
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "head.mp4"
        head(args.clip, clip, args.seconds)
        detectors = [Recording(d) for d in region_detectors_for(settings)]
        record = PlanRecord()
        c0, w0 = time.process_time(), time.monotonic()
        report = process_video(clip, Path(tmp) / "out.mp4", settings, region_detectors=detectors, record=record)
        run_cpu, run_wall = time.process_time() - c0, time.monotonic() - w0
    d = report.details
    assert d is not None
    n = d.frames
    print(
        f"{args.clip.name}: first {args.seconds:g} s, {n} frames {d.width}x{d.height}, {d.shot_cuts} cuts, holds {d.hold_seconds}"
    )
    print(f"run: {run_cpu:.1f} CPU-s ({run_cpu / n:.3f} per frame), {run_wall:.1f} s wall")
    for det in detectors:
        print(f"{det.kind} detector {det.name}: {det.cpu:.1f} CPU-s ({det.cpu / n:.3f} per frame)")
    print(
        "report:",
        {
            k: getattr(d, k)
            for k in (
                "kind_detections",
                "kind_frames_covered",
                "kind_frames_interpolated",
                "kind_frames_held",
                "kind_tracks",
            )
        },
    )

    # Per track: frames detected (the per-frame cover before) vs covered after tracking.
    for det in detectors:
        kind = det.kind
        detected: dict[int, set[int]] = defaultdict(set)
        covered: dict[int, set[int]] = defaultdict(set)
        for index, kinds in record.kinds.items():
            boxes = kinds.get(kind)
            if boxes is None:
                continue
            for tid, origin in zip(boxes.track_ids.tolist(), boxes.origin.tolist(), strict=True):
                covered[tid].add(index)
                if origin == Origin.DETECTED:
                    detected[tid].add(index)
        rows = []
        for tid in sorted(detected):
            seen = detected[tid]
            first, last = min(seen), max(seen)
            filled = {i for i in covered[tid] - seen if first < i < last}
            held = covered[tid] - seen - filled
            rows.append(
                (tid, len(seen), len(covered[tid]), first, last, last - first + 1 - len(seen), len(filled), len(held))
            )
        print(f"\n{kind}: {len(rows)} tracks; per track (sorted by frames detected, top 15):")
        print(
            "| track | frames detected (before) | frames covered (after) | first-last seen | missed in span | filled | held |"
        )
        print("|---|---|---|---|---|---|---|")
        for r in sorted(rows, key=lambda r: -r[1])[:15]:
            print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]}-{r[4]} | {r[5]} | {r[6]} | {r[7]} |")
        tot = [sum(r[k] for r in rows) for k in (1, 2, 5, 6, 7)]
        print(f"| all {len(rows)} | {tot[0]} | {tot[1]} | | {tot[2]} | {tot[3]} | {tot[4]} |")
        multi = [r for r in rows if r[1] >= 2]
        print(
            f"tracks seen on >= 2 frames: {len(multi)}; misses inside their spans: {sum(r[5] for r in multi)}, all filled: {all(r[5] == r[6] for r in rows)}"
        )

        # Tracking's own cost: the recorded detections replayed with the run's holds and cuts.
        cuts = set(record.cuts)
        times = [t for _, t, _ in record.frames]
        tracks = KindTracks([kind], d.hold_seconds[0], d.hold_seconds[1], frame=(d.width, d.height))
        c0 = time.process_time()
        out = {}
        for i, r in enumerate(det.found):
            out.update(tracks.push(i, times[i], [r], cut=i in cuts))
        out.update(tracks.flush())
        cost = time.process_time() - c0
        same = all(
            np.array_equal(out[i][kind].boxes.boxes, record.kinds[i][kind].boxes)
            for i in record.kinds
            if kind in record.kinds[i]
        )
        print(f"tracking {kind}: {cost * 1000 / n:.2f} CPU-ms per frame (replay matches the run: {same})")


if __name__ == "__main__":
    main()
