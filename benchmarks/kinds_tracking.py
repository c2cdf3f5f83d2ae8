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
Whether a ``--kinds-stride`` is safe: the recorded detections kept only on the frames that stride's
schedule runs the detector on, replayed with its holds, and every box the every-frame run detected
checked against the strided cover of its frame (``--strides``).

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

from unseen.cover.kinds import box_regions
from unseen.detect.kinds import region_detectors_for
from unseen.detect.presets import Tier
from unseen.detect.schedule import Schedule
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
    ap.add_argument(
        "--strides", type=lambda v: [float(x) for x in v.split(",") if x], default=[0.0, 0.1, 0.2, 0.5, 1.0]
    )
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

        # Is a stride safe? The same detections, kept only on the frames a --kinds-stride schedule
        # would run the detector on, replayed with the holds that stride gets; every box the
        # every-frame run detected is then checked against the strided run's cover of its frame.
        for stride in args.strides:
            print(strided(det.found, times, cuts, kind, stride, d.hold_seconds, (d.width, d.height)))


def strided(found, times, cuts, kind, stride, holds, frame):  # type: ignore[no-untyped-def]
    schedule = Schedule((Tier(stride, ()),))
    fps = (len(times) - 1) / max(times[-1] - times[0], 1e-9)
    hold = max(schedule.hold(fps), *holds)
    tracks = KindTracks([kind], hold, hold, frame=frame)
    out: dict[int, dict[str, Regions]] = {}
    ran = 0
    for i, r in enumerate(found):
        before = schedule.runs[0]
        schedule.passes_at(times[i], i in cuts)
        due = schedule.runs[0] != before
        ran += due
        out.update(tracks.push(i, times[i], [r] if due else [], cut=i in cuts))
    out.update(tracks.flush())
    w, h = frame
    boxes = missed = 0
    where: list[str] = []
    area_every = area_strided = 0
    for i, r in enumerate(found):
        every = np.zeros((h, w), bool)
        for x1, y1, x2, y2 in box_regions(r.boxes, w, h):
            every[y1:y2, x1:x2] = True
        cover = np.zeros((h, w), bool)
        for x1, y1, x2, y2 in box_regions(out[i][kind].boxes, w, h):
            cover[y1:y2, x1:x2] = True
        for x1, y1, x2, y2 in box_regions(r.boxes, w, h):
            boxes += 1
            share = float(cover[y1:y2, x1:x2].mean())
            if share < 0.99:
                missed += 1
                if len(where) < 4:
                    where.append(f"frame {i} {x2 - x1}x{y2 - y1} px {share:.0%} covered")
        area_every += int(every.sum())
        area_strided += int(cover.sum())
    return (
        f"stride {stride:g} s: detector on {ran}/{len(found)} frames; of the {boxes} boxes the every-frame run "
        f"detected, {missed} are < 99 % inside the strided cover of their frame; cover area "
        f"{area_strided / max(area_every, 1):.2f}x the every-frame detections'"
        + (f" ({'; '.join(where)})" if where else "")
    )


if __name__ == "__main__":
    main()
