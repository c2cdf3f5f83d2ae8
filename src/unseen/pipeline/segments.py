"""Long videos in segments: detection and tracking in parallel worker processes, one encode.

``--segment-seconds S`` splits a video at keyframes into segments of about ``S`` seconds. The
expensive part, detection (and tracking), runs per segment in parallel; the covers it finds are
joined and the video is then covered, encoded, verified and committed in ONE writer pass by the
ordinary run (:func:`unseen.pipeline.video.process_video` with ``covers=``). One encode keeps the
output exact by construction: the same frames, timestamps, audio packets (copied once), metadata
scrub and verification as a one-process run, and no packet-level concatenation of separately
encoded pieces (which needs identical encoder settings, an IDR at every join and matching SPS/PPS).

The stages, each a plain function of picklable arguments (a unit of work for any process pool):

1. :func:`scan_keyframes` (this process, packets only, no decoding): the segment boundaries.
2. :func:`segment_signatures` (parallel): each frame's time and shot-cut signature for the frames a
   segment owns. Joined in order here, the shot cuts are those of a one-process run exactly (a
   cut compares a frame with the one before it), and so is the detection schedule (which thorough
   passes run on which frame: a function of times and cuts from the first frame on), which each
   worker replays from the first frame.
3. :func:`detect_segment` (parallel): decodes from a keyframe at least :func:`overlap_seconds`
   before the segment to that much after it, detects on the frames the schedule names, tracks with
   the one-process cuts and returns every decoded frame's final boxes. The overlap is at least the
   holds + the gap-fill limit + the stride (+ a second of context for velocities), so the tracker
   sees all the evidence that reaches a frame the segment owns. The kinds beyond faces (``--cover
   people,text,plates``) are detected and tracked the same way, on their own schedule
   (``--kinds-stride``), and their final boxes come back beside the faces'.
4. :func:`join_covers`: for each frame the union of the boxes of every segment that decoded it
   (boxes are only added: a frame in an overlap gets both segments' covers), per kind.

Silhouettes (``--people silhouette``) are not carried: a mask per frame is too big to send between
processes, and its boxes do not contain it; :func:`unseen.pipeline.video.process_video` refuses them
with segments.

Any segment failing fails the video (no output; the message names the file and the segment's time).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from ..detect.base import FaceDetector, RegionDetector
from ..detect.cache import detector_for
from ..detect.kinds import region_detectors_for
from ..detect.schedule import stride_for
from ..errors import CorruptInput, PipelineError, UnseenError
from ..geometry.rotation import boxes_to_stored, upright
from ..media.video_reader import DecodedFrame, VideoInfo, _open, probe_video
from ..media.video_writer import to_rgb
from ..settings import Settings
from ..track import ShotCutDetector, TemporalCover
from ..track.kinds import KindTracks
from ..track.temporal import MAX_GAP
from ..types import Faces, Regions
from .video_detect import BatchedDetection, Pending, holds_for, kinds_due, kinds_schedule_for, schedule_for

TRACK_ID_SPAN = 1_000_000  # track ids of segment k start at k * this (ids stay distinct per segment)
CONTEXT = 1.0  # seconds of overlap beyond holds + gap + stride: context for velocities and links


@dataclass(frozen=True)
class Segment:
    """One segment: the frames it owns (``start`` <= pts < ``end``) and the range it decodes."""

    index: int
    start: int | None  # first owned pts (a keyframe); None: from the first frame
    end: int | None  # first pts of the next segment; None: to the last frame
    seek: int | None  # keyframe to start decoding from (<= start - overlap); None: the first frame
    stop: int | None  # stop decoding at the first frame with pts >= this; None: the last frame
    start_time: float
    end_time: float | None

    def label(self) -> str:
        end = "end" if self.end_time is None else f"{self.end_time:.3f} s"
        return f"segment {self.index + 1} ({self.start_time:.3f} s - {end})"

    def owns(self, pts: int) -> bool:
        return (self.start is None or pts >= self.start) and (self.end is None or pts < self.end)


@dataclass(frozen=True)
class FrameMark:
    """A frame's timestamp and whether it starts a shot (as the one-process run decides)."""

    pts: int
    time: float
    cut: bool


@dataclass
class SegmentResult:
    """What one segment found: final boxes per decoded frame, and counts. The boxes travel as
    pickled float arrays, never as ``Faces.to_dict`` (rounded to 0.01 px: a box could shrink)."""

    index: int
    faces: dict[int, Faces]
    detections: int  # detector boxes on the frames it owns
    thorough_frames: int  # owned frames the preset's own passes ran on
    lookahead_frames: int
    # Kinds beyond faces: pts -> kind -> final boxes (frames with any), detector boxes on the frames
    # it owns per kind, and the owned frames the kinds' detectors ran on.
    kinds: dict[int, dict[str, Faces]] = dataclasses.field(default_factory=dict)
    kind_detections: dict[str, int] = dataclasses.field(default_factory=dict)
    kind_detect_frames: int = 0


@dataclass
class SegmentCovers:
    """The joined covers of a segmented run: what the single writer pass paints, frame by frame."""

    faces: dict[int, Faces]  # the union over the segments that decoded the frame: what is painted
    owned: dict[int, Faces]  # the owning segment's boxes: what is counted (a face once per frame)
    marks: list[FrameMark]
    detections: int
    thorough_frames: int
    lookahead_frames: int
    hold: tuple[float, float]
    stride: float
    segments: int
    kinds: tuple[str, ...] = ()  # the kinds beyond faces, in the region detectors' order
    kind_faces: dict[int, dict[str, Faces]] = dataclasses.field(default_factory=dict)  # painted (union)
    kind_owned: dict[int, dict[str, Faces]] = dataclasses.field(default_factory=dict)  # counted
    kind_detections: dict[str, int] = dataclasses.field(default_factory=dict)
    kind_detect_frames: int = 0

    def at(self, pts: int) -> Faces:
        return self.faces.get(pts, Faces.empty())

    def owned_at(self, pts: int) -> Faces:
        return self.owned.get(pts, Faces.empty())

    def kinds_at(self, pts: int, owned: bool = False) -> list[Regions]:
        """The frame's regions of each kind beyond faces (painted: every segment's; ``owned``: the
        owning segment's, for the counts)."""
        got = (self.kind_owned if owned else self.kind_faces).get(pts, {})
        return [Regions(k, got[k]) if k in got else Regions.empty(k) for k in self.kinds]


# --- boundaries ------------------------------------------------------------------------------
def overlap_seconds(settings: Settings, fps: float) -> float:
    """Seconds each segment is decoded beyond its own frames, on each side."""
    stride = max(stride_for(settings), settings.kinds_stride if settings.extra_kinds else 0.0, 0.0)
    schedule_hold = stride + (1.0 / fps if fps > 0 and stride > 0 else 0.0)
    hold = max(settings.hold_before, settings.hold_after, schedule_hold)
    return hold + MAX_GAP + stride + CONTEXT


def scan_keyframes(info: VideoInfo) -> list[int]:
    """The video stream's keyframe timestamps, in order (demuxed, not decoded)."""
    container = _open(info.path, info.max_pixels)
    try:
        vs = container.streams[info.stream_index]
        keys = {int(p.pts) for p in container.demux(vs) if p.size and p.is_keyframe and p.pts is not None}
    except av.error.FFmpegError as exc:
        raise CorruptInput(f"cannot scan keyframes: {exc.strerror or exc}", path=info.path) from exc
    finally:
        container.close()
    return sorted(keys)


def plan_segments(info: VideoInfo, keyframes: list[int], seconds: float, overlap: float) -> list[Segment]:
    """Segments of about ``seconds`` each, starting at keyframes, decoded ``overlap`` s beyond."""
    if not keyframes:
        return [Segment(0, None, None, None, None, info.start_time, None)]
    starts = [keyframes[0]]
    for k in keyframes[1:]:
        if info.seconds(k) >= info.seconds(starts[-1]) + seconds - 1e-6:
            starts.append(k)
    out = []
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else None
        t0 = info.seconds(s)
        before = [k for k in keyframes if info.seconds(k) <= t0 - overlap + 1e-9]
        seek = None if i == 0 or not before else before[-1]
        stop = None if end is None else end + int(np.ceil(overlap / float(info.time_base)))
        out.append(
            Segment(
                i,
                None if i == 0 else s,
                end,
                seek,
                stop,
                info.start_time if i == 0 else t0,
                None if end is None else info.seconds(end),
            )
        )
    return out


# --- decoding a range ------------------------------------------------------------------------
def _frames(info: VideoInfo, seg: Segment, lo: int | None, hi: int | None) -> Iterator[tuple[int, Any]]:
    """Decoded frames with lo <= pts < hi (None: open), seeking to ``seg.seek`` first."""
    container = _open(info.path, info.max_pixels)
    try:
        vs = container.streams[info.stream_index]
        vs.thread_type = "AUTO"
        if seg.seek is not None:
            container.seek(seg.seek, stream=vs, backward=True, any_frame=False)
        for packet in container.demux(vs):
            if packet.size and packet.is_corrupt:
                at = info.seconds(packet.pts) if packet.pts is not None else seg.start_time
                raise CorruptInput("packet flagged corrupt by the demuxer", path=info.path, where=f"at {at:.3f} s")
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                at = info.seconds(packet.pts) if packet.pts is not None else seg.start_time
                raise CorruptInput(
                    f"undecodable video data ({exc.strerror or exc})", path=info.path, where=f"at {at:.3f} s"
                ) from exc
            for frame in frames:
                if frame.pts is None:
                    raise CorruptInput("decoded frame has no timestamp", path=info.path, where=seg.label())
                pts = int(frame.pts)
                if hi is not None and pts >= hi:
                    return
                if lo is not None and pts < lo:
                    continue
                if frame.is_corrupt:
                    raise CorruptInput(
                        "frame decoded with errors (corrupt data)",
                        path=info.path,
                        where=f"at {info.seconds(pts):.3f} s",
                    )
                yield pts, frame
    finally:
        container.close()


def _guarded(seg: Segment, src: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn``; any failure becomes one picklable RuntimeError naming the file and segment."""
    try:
        return fn()
    except UnseenError as exc:
        raise RuntimeError(f"{src}: {seg.label()}: {exc.message}" + (f" ({exc.where})" if exc.where else "")) from None
    except Exception as exc:  # noqa: BLE001  # re-raised as one line the parent can unpickle
        raise RuntimeError(f"{src}: {seg.label()}: {type(exc).__name__}: {exc}") from None


# --- stage 2: signatures ---------------------------------------------------------------------
def segment_signatures(src: str, settings: Settings, seg: Segment) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(pts, luma, histogram) of every frame ``seg`` owns, in order (stage 2, any process)."""

    def run() -> list[tuple[int, np.ndarray, np.ndarray]]:
        info = probe_video(Path(src), max_pixels=settings.max_pixels)
        out = []
        for pts, frame in _frames(info, dataclasses.replace(seg, seek=seg.start), seg.start, seg.end):
            luma, hist = ShotCutDetector.signature(to_rgb(frame, info))
            out.append((pts, luma, hist))
        return out

    return _guarded(seg, src, run)


def frame_marks(info: VideoInfo, parts: list[list[tuple[int, np.ndarray, np.ndarray]]]) -> list[FrameMark]:
    """The one-process run's shot cuts, from the segments' signatures joined in order."""
    detector = ShotCutDetector()
    marks: list[FrameMark] = []
    for part in parts:
        for pts, luma, hist in part:
            if marks and pts <= marks[-1].pts:
                raise CorruptInput(
                    "timestamps do not increase: run this video without --segment-seconds",
                    path=info.path,
                    where=f"at {info.seconds(pts):.3f} s",
                )
            marks.append(FrameMark(pts, info.seconds(pts), detector.is_cut(signature=(luma, hist))))
    if not marks:
        raise CorruptInput("no video frame could be decoded (zero-length or damaged video)", path=info.path)
    return marks


# --- stage 3: detection and tracking -----------------------------------------------------------
def detect_segment(
    src: str,
    settings: Settings,
    seg: Segment,
    marks: list[FrameMark],
    detector: FaceDetector | None = None,
    region_detectors: list[RegionDetector] | None = None,
) -> SegmentResult:
    """Detect and track over ``seg``'s decode range; the final boxes of every decoded frame."""

    def run() -> SegmentResult:
        info = probe_video(Path(src), max_pixels=settings.max_pixels)
        det = detector if detector is not None else detector_for(settings)
        regs = region_detectors if region_detectors is not None else region_detectors_for(settings)
        schedule = schedule_for(settings, det)
        kinds_schedule = kinds_schedule_for(settings, len(regs))
        hold_before, hold_after = holds_for(settings, info.fps, schedule, kinds_schedule)
        frame_size = (info.width, info.height)
        temporal: TemporalCover[int] = TemporalCover(hold_before, hold_after, frame=frame_size)
        kind_tracks = KindTracks([r.kind for r in regs], hold_before, hold_after, frame=frame_size) if regs else None
        detection = BatchedDetection(det)
        by_pts = {m.pts: m for m in marks}
        lo = marks[0].pts if seg.seek is None else seg.seek
        # The schedule is replayed from the first frame: the passes each frame gets are the
        # one-process run's (its state depends on every earlier time and cut).
        passes: dict[int, Any] = {}
        kinds_run: set[int] = set()  # the frames the kinds' detectors run on (also replayed)
        for m in marks:
            if seg.stop is not None and m.pts >= seg.stop:
                break
            if schedule is not None:
                passes[m.pts] = schedule.passes_at(m.time, m.cut)
            if kinds_due(kinds_schedule, m.time, m.cut):
                kinds_run.add(m.pts)
        faces: dict[int, Faces] = {}
        kinds: dict[int, dict[str, Faces]] = {}
        detections = 0
        kind_detections = {r.kind: 0 for r in regs}
        kind_detect_frames = 0
        offset = seg.index * TRACK_ID_SPAN

        def offset_ids(f: Faces) -> Faces:
            return f.with_track_ids(np.where(f.track_ids >= 0, f.track_ids + offset, f.track_ids))

        def emit(ready: list[tuple[int, Faces]]) -> None:
            for pts, f in ready:
                if len(f):
                    faces[pts] = offset_ids(f)

        def emit_kinds(ready: list[tuple[int, dict[str, Regions]]]) -> None:
            for pts, by_kind in ready:
                got = {k: offset_ids(r.boxes) for k, r in by_kind.items() if len(r)}
                if got:
                    kinds[pts] = got

        def stored(r: Regions, k: int) -> Regions:
            # Boxes only: a mask is not carried between processes (silhouettes are refused).
            b = boxes_to_stored(r.boxes, k, info.width, info.height).clipped(info.width, info.height)
            return Regions(r.kind, b)

        batch: list[Pending] = []

        def run_batch() -> None:
            nonlocal detections
            nonlocal kind_detect_frames
            for p, found in zip(batch, detection.detect(batch), strict=True):
                df_pts, df_time = p.df.pts, p.df.time
                found = boxes_to_stored(found, p.k, info.width, info.height).clipped(info.width, info.height)
                if seg.owns(df_pts):
                    detections += len(found)
                if kind_tracks is not None:
                    view = p.view if df_pts in kinds_run else None
                    regions = [stored(r.detect(view), p.k) for r in regs] if view is not None else []
                    if seg.owns(df_pts):
                        kind_detect_frames += int(view is not None)
                        for r in regions:
                            kind_detections[r.kind] += len(r)
                    emit_kinds(kind_tracks.push(df_pts, df_time, regions, cut=p.cut))
                p.view = None
                emit(temporal.push(df_pts, df_time, found, cut=p.cut))
            batch.clear()

        # Frames between the keyframe sought and the overlap's start are decoded, not detected.
        first = (
            None
            if seg.start is None
            else seg.start - int(np.floor(overlap_seconds(settings, info.fps) / float(info.time_base)))
        )
        for pts, frame in _frames(info, seg, lo, seg.stop):
            if first is not None and pts < first:
                continue
            mark = by_pts.get(pts)
            if mark is None:
                raise PipelineError("a frame the first pass did not see", where=f"at {info.seconds(pts):.3f} s")
            view, k = upright(to_rgb(frame, info), info.rotation)
            df = DecodedFrame(-1, pts, mark.time, frame)  # index unknown here: messages name the time
            batch.append(Pending(df, view, k, mark.cut, passes.get(pts)))
            if len(batch) >= detection.size:
                run_batch()
        if batch:
            run_batch()
        if kind_tracks is not None:
            emit_kinds(kind_tracks.flush())
        emit(temporal.flush())
        owned_thorough = 0
        if schedule is not None:
            owned_thorough = sum(1 for m in marks if seg.owns(m.pts) and _is_thorough(passes.get(m.pts), schedule))
        return SegmentResult(
            seg.index,
            faces,
            detections,
            owned_thorough,
            temporal.max_buffered,
            kinds,
            kind_detections,
            kind_detect_frames,
        )

    return _guarded(seg, src, run)


def _is_thorough(passes: Any, schedule: Any) -> bool:
    return bool(passes) and all(p in passes for p in schedule.tiers[-1].passes)


# --- stage 4: join -----------------------------------------------------------------------------
def join_covers(
    settings: Settings,
    info: VideoInfo,
    segments: list[Segment],
    marks: list[FrameMark],
    results: list[SegmentResult],
    kinds: tuple[str, ...] = (),
) -> SegmentCovers:
    """Every frame's boxes: the union over the segments that decoded it (only adds boxes), per kind."""
    parts: dict[int, list[Faces]] = {}
    owned: dict[int, Faces] = {}
    kind_parts: dict[int, dict[str, list[Faces]]] = {}
    kind_owned: dict[int, dict[str, Faces]] = {}
    kind_detections: dict[str, int] = {k: 0 for k in kinds}
    for r in sorted(results, key=lambda r: r.index):
        seg = segments[r.index]
        for pts, f in r.faces.items():
            parts.setdefault(int(pts), []).append(f)
            if seg.owns(int(pts)):
                owned[int(pts)] = f
        for pts, by_kind in r.kinds.items():
            for k, f in by_kind.items():
                kind_parts.setdefault(int(pts), {}).setdefault(k, []).append(f)
            if seg.owns(int(pts)):
                kind_owned[int(pts)] = by_kind
        for k, n in r.kind_detections.items():
            kind_detections[k] = kind_detections.get(k, 0) + n
    stride = max(stride_for(settings), 0.0)
    kinds_schedule = kinds_schedule_for(settings, len(kinds))
    hold = holds_for(settings, info.fps, kinds_schedule)  # and at least the faces' stride, below
    return SegmentCovers(
        faces={pts: Faces.merge(p) for pts, p in parts.items()},
        owned=owned,
        marks=marks,
        detections=sum(r.detections for r in results),
        thorough_frames=sum(r.thorough_frames for r in results) if stride > 0 else len(marks),
        lookahead_frames=max((r.lookahead_frames for r in results), default=0),
        hold=(max(hold[0], _stride_hold(stride, info.fps)), max(hold[1], _stride_hold(stride, info.fps))),
        stride=stride,
        segments=len(results),
        kinds=kinds,
        kind_faces={pts: {k: Faces.merge(p) for k, p in by.items()} for pts, by in kind_parts.items()},
        kind_owned=kind_owned,
        kind_detections=kind_detections,
        kind_detect_frames=sum(r.kind_detect_frames for r in results),
    )


def _stride_hold(stride: float, fps: float) -> float:
    return stride + 1.0 / fps if stride > 0 and fps > 0 else 0.0


def _picklable(obj: object) -> bool:
    try:
        pickle.dumps(obj)
    except Exception:  # noqa: BLE001  # any reason it cannot be sent is the same answer
        return False
    return True


# --- the whole --------------------------------------------------------------------------------
def workers_for(settings: Settings, segments: int) -> int:
    """Worker processes: ``segment_workers``, or the cores (never more than segments)."""
    n = settings.segment_workers or (os.cpu_count() or 1)
    return max(1, min(n, segments))


def worker_settings(settings: Settings, workers: int) -> Settings:
    """The settings a worker runs with: the cores shared out when threads are left to the machine."""
    if settings.threads or workers <= 1:
        return settings
    return dataclasses.replace(settings, threads=max(1, (os.cpu_count() or 1) // workers))


def segment_covers(
    info: VideoInfo,
    settings: Settings,
    *,
    detector: FaceDetector | None = None,
    region_detectors: list[RegionDetector] | None = None,
) -> SegmentCovers:
    """Stages 1-4 for one video. With ``detector`` given (or one worker) they run in this process;
    so do ``region_detectors`` (else each worker builds the settings' own)."""
    src = str(info.path)
    overlap = overlap_seconds(settings, info.fps)
    segments = plan_segments(info, scan_keyframes(info), settings.segment_seconds, overlap)
    workers = workers_for(settings, len(segments))
    if detector is not None and workers > 1 and not _picklable(detector):
        workers = 1  # a detector that cannot travel to a worker process (an ONNX session) runs here
    if region_detectors is not None and workers > 1 and not _picklable(region_detectors):
        workers = 1
    kinds = tuple(r.kind for r in region_detectors) if region_detectors is not None else settings.extra_kinds
    try:
        if workers == 1:
            sigs = [segment_signatures(src, settings, s) for s in segments]
            marks = frame_marks(info, sigs)
            results = [detect_segment(src, settings, s, marks, detector, region_detectors) for s in segments]
        else:
            ws = worker_settings(settings, workers)
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
                sigs = list(pool.map(segment_signatures, [src] * len(segments), [ws] * len(segments), segments))
                marks = frame_marks(info, sigs)
                n = len(segments)
                results = list(
                    pool.map(
                        detect_segment,
                        [src] * n,
                        [ws] * n,
                        segments,
                        [marks] * n,
                        [detector] * n,
                        [region_detectors] * n,
                    )
                )
    except RuntimeError as exc:  # a segment failed: its one line names the file and the segment
        raise PipelineError(str(exc).split(": ", 1)[1] if str(exc).startswith(src) else str(exc)) from exc
    except UnseenError:
        raise  # found here (timestamps that do not increase): already one line
    except Exception as exc:  # a worker process died (BrokenProcessPool) or could not start
        raise PipelineError(f"a segment worker failed: {type(exc).__name__}: {exc}") from exc
    return join_covers(settings, info, segments, marks, results, kinds)


__all__ = [
    "FrameMark",
    "Segment",
    "SegmentCovers",
    "SegmentResult",
    "detect_segment",
    "frame_marks",
    "join_covers",
    "overlap_seconds",
    "plan_segments",
    "scan_keyframes",
    "segment_covers",
    "segment_signatures",
]
