"""The video pipeline: decode -> detect -> track (link, fill, hold) -> cover -> encode -> verify.

Three threads, two bounded queues (:mod:`.video_threads`)::

    reader thread   demux + decode, RGB picture, shot-cut signature  -> q_in (frames, packets)
    this thread     schedule + detect (:mod:`.video_detect`), cut, track, cover (:mod:`.video_cover`)  -> q_out
    writer thread   encode + mux

Memory is bounded by the queues plus the tracker's look-ahead window (``max(hold_before,
max_gap)`` seconds of decoded frames, limited by :mod:`.video_window`), never by the length of the
video. The first error of any thread is re-raised here with the file and position. Detection runs
on the upright picture (:mod:`unseen.geometry.rotation`) and its boxes are mapped back. The output
is written to a temporary file, re-opened and verified, then moved into place
(:func:`unseen.pipeline.commit.staged_output`); on any error nothing is left behind.
"""

from __future__ import annotations

import queue
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from ..cover.kinds import boxes_holding_mask
from ..detect.base import FaceDetector, RegionDetector
from ..detect.cache import detector_for
from ..detect.kinds import region_detectors_for
from ..errors import (
    ConfigError,
    CorruptInput,
    OutputError,
    PipelineError,
    UnseenError,
    UnsupportedFormat,
    VerificationError,
)
from ..geometry.rotation import boxes_to_stored, upright
from ..media.video_reader import AUDIO, DATA, SUBTITLE, DecodedFrame, VideoInfo, VideoReader, probe_video, where
from ..media.video_writer import VideoWriter, container_for, output_suffix_for, to_rgb
from ..plan.model import Plan
from ..scrub.container import Expected, removed_metadata, verify_video
from ..settings import Settings
from ..track import ShotCutDetector, TemporalCover
from ..track.kinds import KindTracks
from ..types import Faces, Regions
from .commit import check_output_target, staged_output
from .paths import default_output
from .report import FileReport, MediaKind, VideoCounters, VideoDetails
from .segments import SegmentCovers, segment_covers
from .video_cover import FrameCover
from .video_detect import BatchedDetection, Pending, holds_for, kinds_due, kinds_schedule_for, schedule_for
from .video_threads import END, QUEUE_FRAMES, Shared, Worker, join_all
from .video_window import LookaheadLimit

Progress = Callable[[int, "int | None"], None]
"""``progress(frames_done, frames_total)``; total is ``None`` when the container does not say."""


@dataclass
class _Decoded:
    """A decoded frame with its RGB picture and shot-cut signature (made on the reader thread)."""

    df: DecodedFrame
    rgb: np.ndarray | None  # None in a segmented run's writer pass (covers already known)
    signature: tuple[np.ndarray, np.ndarray] | None


# --- planning ------------------------------------------------------------------------------
def _plan_streams(info: VideoInfo, settings: Settings, report: FileReport) -> list[int]:
    keep = []
    for s in info.others:
        if s.role == AUDIO and settings.audio:
            if s.codec is None:  # a sample description cut short: nothing to copy or decode
                if not settings.allow_damaged:
                    raise CorruptInput(
                        f"audio stream {s.index} has no codec parameters (damaged header?)", path=info.path
                    )
                report.warnings.append(f"audio stream {s.index} has no codec parameters: dropped (allow_damaged)")
                continue
            keep.append(s.index)
        elif s.role == SUBTITLE and settings.keep_subtitles:
            keep.append(s.index)
        elif s.role == DATA and settings.keep_data_streams:
            keep.append(s.index)
    return keep


def _output_path(src: Path, dst: Path | None, report: FileReport) -> Path:
    if dst is None:
        suffix, warning = output_suffix_for(src)
        if warning:
            report.warnings.append(warning)
        return default_output(src, suffix)
    if container_for(dst.suffix) is None:
        raise UnsupportedFormat(
            f"cannot write video as {dst.suffix or 'a file without suffix'}; use .mp4, .mov, .mkv, .webm, .avi or .ts",
            path=dst,
        )
    return dst


@dataclass
class PlanRecord:
    """What a run saw, for a plan: the final boxes of every frame (index, seconds, faces), the
    frames that start a shot, and those where only the schedule's cheap passes ran."""

    frames: list[tuple[int, float, Faces]] = field(default_factory=list)
    cuts: list[int] = field(default_factory=list)
    cheap_only: set[int] = field(default_factory=set)
    # Kinds beyond faces (people, text, plates): frame index -> kind -> final boxes after tracking
    # (detected, interpolated and held, with track ids), for the frames with any.
    kinds: dict[int, dict[str, Faces]] = field(default_factory=dict)


# --- the run -------------------------------------------------------------------------------
class _Run:
    """One video's data flow: read -> prepare -> detect (batched) -> track -> cover -> write."""

    def __init__(
        self,
        info: VideoInfo,
        settings: Settings,
        detector: FaceDetector | None,
        reader: VideoReader,
        writer: VideoWriter | None,
        progress: Progress | None,
        covers: SegmentCovers | None = None,
        region_detectors: Sequence[RegionDetector] = (),
        *,
        source: Plan | None = None,
        record: PlanRecord | None = None,
    ):
        self.info = info
        self.covers_known = covers
        self.settings = settings
        self.reader = reader
        self.writer = writer
        self.progress = progress
        self.shared = Shared()
        self.q_in: queue.Queue[Any] = queue.Queue(QUEUE_FRAMES)
        self.q_out: queue.Queue[Any] = queue.Queue(QUEUE_FRAMES)
        self.frames_done = 0
        self.covers = VideoCounters()
        self.detections = 0
        self.cuts = 0
        self.position = "before the first frame"
        self.detection = BatchedDetection(detector) if detector is not None else None
        self.cut_detector = ShotCutDetector()
        # Cheap passes on every frame, the preset's thorough ones on a stride; the holds are made at
        # least one stride long so the frames between thorough sightings stay covered.
        self.schedule = schedule_for(settings, detector) if detector is not None else None
        # The kinds beyond faces are detected on every frame, or every --kinds-stride seconds (and
        # after a cut) with the holds made at least one stride long, as for the faces' schedule.
        # Every tracker of the run shares the holds, so a frame's kinds are final when its faces are.
        self.kinds_schedule = kinds_schedule_for(settings, len(region_detectors) if source is None else 0)
        hold_before, hold_after = holds_for(settings, info.fps, self.schedule, self.kinds_schedule)
        # Boxes reach the tracker in stored-frame pixels: its frame-edge rules use the stored size.
        self.temporal: TemporalCover[DecodedFrame] = TemporalCover(
            hold_before, hold_after, frame=(info.width, info.height)
        )
        self.window = LookaheadLimit(settings)
        # With ``source`` the plan's boxes are covered and nothing is detected; with ``record`` the
        # final per-frame boxes (after tracking and holds) and the schedule's evidence are kept; with
        # no writer (a plan-only run) nothing is covered or written.
        self.source = source
        self.record = record
        self.cover = FrameCover(info, settings, writer.pix_fmt, self.covers) if writer is not None else None
        # Kinds beyond faces (--cover people/text/plates): found on each frame's upright picture,
        # tracked per kind with the face tracker's holds and gap limit (so a frame's kinds are final
        # when its faces are), kept by frame index until then, painted over the faces.
        self.region_detectors = list(region_detectors)
        self.kind_tracks = (
            KindTracks(
                [d.kind for d in self.region_detectors],
                self.temporal.hold_before,
                self.temporal.hold_after,
                self.temporal.max_gap,
                frame=(info.width, info.height),
            )
            if self.region_detectors and source is None and covers is None
            else None
        )
        self.extra: dict[int, dict[str, Regions]] = {}
        self.kind_detections: dict[str, int] = {d.kind: 0 for d in self.region_detectors}
        self.kind_detect_frames = 0

    # --- the reader and writer threads ------------------------------------------------------
    def _read(self) -> None:
        # The RGB picture and the shot-cut signature are made here, beside decoding, so the main
        # thread (detection, tracking, cover) does not wait for them (swscale releases the GIL).
        for item in self.reader.items():
            if not isinstance(item, DecodedFrame):
                self.shared.put(self.q_in, item)
                continue
            if self.covers_known is not None:  # a segmented run: detection is done, only cover
                self.shared.put(self.q_in, _Decoded(item, None, None))
                continue
            try:
                rgb = to_rgb(item.frame, self.info)
            except (av.error.FFmpegError, ValueError) as exc:  # named by its own frame, not the main thread's
                raise PipelineError(
                    f"cannot convert the frame to RGB: {exc}", where=where(item.index, item.time)
                ) from exc
            self.shared.put(self.q_in, _Decoded(item, rgb, ShotCutDetector.signature(rgb)))
        self.shared.put(self.q_in, END)

    def _write(self) -> None:
        while True:
            item = self.shared.get(self.q_out)
            if item is END:
                if self.writer is not None:
                    self.writer.close()
                return
            if self.writer is None:
                continue
            if isinstance(item, tuple):
                frame, pts, label = item
                try:
                    self.writer.write_frame(frame, pts)
                except av.error.FFmpegError as exc:
                    raise PipelineError(f"encoder failed: {exc}", where=label) from exc
            else:
                self.writer.write_packet(item)

    # --- this thread ------------------------------------------------------------------------
    def _known(self, df: DecodedFrame) -> None:
        """A segmented run's writer pass: the frame covered with the joined segments' boxes."""
        assert self.covers_known is not None and self.cover is not None
        self.position = where(df.index, df.time)
        # Painted: the union of every segment that saw the frame. Counted: the owning segment's
        # boxes only, so a face in an overlap is one face-frame, as in a one-process run.
        painted = VideoCounters()
        self.cover.counters = painted
        frame = self.cover.cover(df.frame, self.covers_known.at(df.pts))
        kinds = self.covers_known.kinds_at(df.pts)
        if any(len(r) for r in kinds):  # the kinds beyond faces, painted over the faces
            frame = self.cover.cover_regions(frame, kinds)
            for r in self.covers_known.kinds_at(df.pts, owned=True):
                self.covers.covered_kind(r, self.info.width, self.info.height)
        self.shared.put(self.q_out, (frame, df.pts, where(df.index, df.time)))
        if painted.frames_covered:
            counted = VideoCounters()
            counted.covered(self.covers_known.owned_at(df.pts), np.ones((1, 4)), self.info.width, self.info.height)
            self.covers.frames_covered += painted.frames_covered
            self.covers.regions_covered += painted.regions_covered
            self.covers.face_frames_covered += counted.face_frames_covered
            self.covers.track_ids |= counted.track_ids
        self.frames_done += 1
        if self.progress is not None:
            self.progress(self.frames_done, self.info.stated_frames)

    def _prepare(self, decoded: _Decoded) -> Pending:
        """Everything before detection: picture, shot-cut test, the passes this frame gets."""
        df = decoded.df
        assert decoded.rgb is not None and decoded.signature is not None
        self.position = where(df.index, df.time)
        cut = self.cut_detector.is_cut(signature=decoded.signature)
        self.cuts += int(cut)
        view, k = upright(decoded.rgb, self.info.rotation)
        before = self.schedule.runs[-1] if self.schedule is not None else 0
        passes = self.schedule.passes_at(df.time, cut) if self.schedule is not None else None
        if self.record is not None:
            if cut:
                self.record.cuts.append(df.index)
            if self.schedule is not None and self.schedule.runs[-1] == before:
                self.record.cheap_only.add(df.index)
        return Pending(df, view, k, cut, passes)

    def _finish(self, p: Pending, found: Faces) -> None:
        """After detection: boxes back to stored pixels, tracked; the frames the tracker lets go covered."""
        info = self.info
        df = p.df
        self.position = where(df.index, df.time)
        if not isinstance(found, Faces):
            raise PipelineError(f"detector {self._detector_name} returned {type(found).__name__}, not Faces")
        faces = boxes_to_stored(found, p.k, info.width, info.height).clipped(info.width, info.height)
        if self.kind_tracks is not None:
            view = p.view if kinds_due(self.kinds_schedule, df.time, p.cut) else None
            regions = [self._stored(d.detect(view), p.k) for d in self.region_detectors] if view is not None else []
            self.kind_detect_frames += int(view is not None)
            for r in regions:
                self.kind_detections[r.kind] += len(r)
            self.extra.update(self.kind_tracks.push(df.index, df.time, regions, cut=p.cut))
        p.view = None  # the picture is no longer needed
        self.detections += len(faces)
        self._emit(self.temporal.push(df, df.time, faces, cut=p.cut))
        self.window.check(len(self.temporal), self.temporal.lookahead, df, self.position)
        self.frames_done += 1
        if self.progress is not None:
            self.progress(self.frames_done, self.info.stated_frames)

    def _stored(self, found: Regions, k: int) -> Regions:
        """Regions of the upright picture in stored-frame pixels (a rotated frame keeps boxes only:
        they contain the mask, so the cover only grows)."""
        info = self.info
        boxes = boxes_to_stored(found.boxes, k, info.width, info.height).clipped(info.width, info.height)
        return Regions(found.kind, boxes, found.mask if k == 0 else None)

    def _emit(self, ready: list[tuple[DecodedFrame, Faces]]) -> None:
        for df, faces in ready:
            extra = self._kinds_at(df)
            if self.record is not None:
                self.record.frames.append((df.index, df.time, faces))
                if any(len(r) for r in extra):
                    # A plan keeps boxes, not masks: a silhouette's boxes grown to hold its mask.
                    self.record.kinds[df.index] = {r.kind: boxes_holding_mask(r) for r in extra}
            self._put_covered(df, faces, extra)

    def _put_covered(self, df: DecodedFrame, faces: Faces, extra: Sequence[Regions]) -> None:
        """The frame with its faces covered, then the other kinds over them, to the writer."""
        if self.cover is None:
            return
        frame = self.cover.cover(df.frame, faces)
        if any(len(r) or r.mask is not None for r in extra):
            frame = self.cover.cover_regions(frame, list(extra))
        self.shared.put(self.q_out, (frame, df.pts, where(df.index, df.time)))

    def _kinds_at(self, df: DecodedFrame) -> list[Regions]:
        """The frame's final regions of the kinds beyond faces, in the detectors' order."""
        if self.kind_tracks is None:
            return []
        regions = self.extra.pop(df.index, None)
        if regions is None:  # pragma: no cover - the kind trackers let every frame go with the faces
            raise PipelineError("the kinds' tracker has not let this frame go", where=where(df.index, df.time))
        return [regions[k] for k in self.kind_tracks.kinds]

    @property
    def _detector_name(self) -> str:
        return self.detection.detector.name if self.detection is not None else "none"

    def _from_plan(self, df: DecodedFrame) -> None:
        """Render from a plan: the plan's boxes for this frame index (faces and manual regions, then
        the other kinds' boxes not rejected, as boxes), no detection, no tracking."""
        assert self.source is not None
        self.position = where(df.index, df.time)
        faces = self.source.faces_for(df.index, df.time)
        self._put_covered(df, faces, self.source.regions_for(df.index))
        self.frames_done += 1
        if self.progress is not None:
            self.progress(self.frames_done, self.info.stated_frames)

    def _run_batch(self, batch: list[Pending]) -> None:
        assert self.detection is not None  # batches are only made when detecting
        for p, found in zip(batch, self.detection.detect(batch), strict=True):
            self._finish(p, found)
        batch.clear()

    def go(self) -> None:
        shared = self.shared
        threads = [Worker("reader", self._read, shared), Worker("writer", self._write, shared)]
        for t in threads:
            t.start()
        batch: list[Pending] = []
        try:
            last_pts: int | None = None
            while True:
                item = shared.get(self.q_in)
                if item is END:
                    break
                if isinstance(item, _Decoded):
                    df = item.df
                    if last_pts is not None and df.pts <= last_pts:
                        self.reader.damaged("timestamps do not increase", df.index, df.time)
                        continue
                    last_pts = df.pts
                    if self.covers_known is not None:
                        self._known(df)
                        continue
                    if self.source is not None:
                        self._from_plan(df)
                        continue
                    batch.append(self._prepare(item))
                    if self.detection is not None and len(batch) >= self.detection.size:
                        self._run_batch(batch)
                else:
                    shared.put(self.q_out, item)  # passthrough packets (audio): their own order
            if batch:
                self._run_batch(batch)
            self.position = "at the end of the video"
            if self.kind_tracks is not None:
                self.extra.update(self.kind_tracks.flush())
            self._emit(self.temporal.flush())
            shared.put(self.q_out, END)
        except BaseException as exc:
            shared.fail(exc)
        finally:
            join_all(threads, shared)
        if shared.errors:
            raise shared.errors[0]
        for t in threads:
            if t.is_alive():  # pragma: no cover - only when FFmpeg itself hangs
                raise PipelineError(f"{t.name} thread did not stop", where=self.position)


def _as_unseen(exc: BaseException, src: Path, position: str) -> UnseenError:
    if isinstance(exc, UnseenError):
        if exc.where is None and not isinstance(exc, (OutputError, VerificationError)):
            exc.where = position
            exc.args = (exc.message,)
        return exc.with_path(src) if not isinstance(exc, OutputError) else exc
    if isinstance(exc, MemoryError):
        return PipelineError("out of memory", path=src, where=position)
    return PipelineError(f"{type(exc).__name__}: {exc}", path=src, where=position)


def process_video(
    src: Path,
    dst: Path | None,
    settings: Settings,
    *,
    detector: FaceDetector | None = None,
    progress: Progress | None = None,
    region_detectors: Sequence[RegionDetector] | None = None,
    plan: Plan | None = None,
    record: PlanRecord | None = None,
    segmented: SegmentCovers | None = None,
) -> FileReport:
    """Anonymize one video file into ``dst`` (default: ``name.unseen.ext`` beside ``src``).

    ``segmented``: the joined covers of a ``--segment-seconds`` run whose segments a batch's pool
    already detected (:mod:`unseen.pipeline.jobs`): this call is then only the one writer pass.

    Returns the :class:`FileReport` of a verified, committed output.

    Raises:
        InputError: the input is missing, not a video, damaged (unless ``allow_damaged``) or too big.
        OutputError: the output exists, is the input, or cannot be written.
        VerificationError: the written file failed its check (nothing is left behind).
        PipelineError: a stage or worker failed; the message names the frame and time.
        ModelError: the detector could not be built or failed.
    """
    started = _time.monotonic()
    src = Path(src)
    report = FileReport(input=str(src), kind=MediaKind.VIDEO)
    final = _output_path(src, None if dst is None else Path(dst), report)
    check_output_target(src, final, settings.overwrite)
    info = probe_video(src, max_pixels=settings.max_pixels)
    planned: tuple[str, ...] = ()
    if plan is not None:
        # A plan answers for its kinds (their final boxes per frame, after tracking): covered from it,
        # never detected again. A kind asked for now that it does not answer for would need detecting
        # and tracking beside the plan's faces: refused rather than left out.
        planned = plan.planned_kinds
        asked = [d.kind for d in region_detectors] if region_detectors is not None else list(settings.extra_kinds)
        missing = [k for k in asked if k not in planned]
        if missing:
            raise ConfigError(
                f"--cover {','.join(missing)}: the video's plan does not hold {', '.join(missing)}; "
                f"make the plan with --cover {','.join(['faces', *planned, *missing])} (a video render "
                "from a plan detects nothing)"
            )
        region_detectors = []
    if region_detectors is None:
        region_detectors = region_detectors_for(settings)
    if (
        region_detectors
        and settings.segment_seconds > 0
        and settings.people == "silhouette"
        and "people" in {d.kind for d in region_detectors}
    ):
        # Segments carry boxes; a silhouette mask per frame is too big to send between processes.
        raise ConfigError(
            "--segment-seconds carries people as boxes, not silhouettes: use --people box, or no --segment-seconds"
        )
    keep = _plan_streams(info, settings, report)
    run: _Run | None = None
    if segmented is None and settings.segment_seconds > 0 and plan is None and record is None:
        # Detection and tracking per segment in worker processes; then the one writer pass below.
        try:
            segmented = segment_covers(
                info, settings, detector=detector, region_detectors=list(region_detectors) if region_detectors else None
            )
        except UnseenError as exc:
            raise _as_unseen(exc, src, "before the first frame") from exc
    if detector is None and plan is None:
        detector = detector_for(settings)  # after the workers: the report names it
    try:
        with staged_output(final, overwrite=settings.overwrite) as tmp:
            with VideoReader(info, passthrough=keep, allow_damaged=settings.allow_damaged) as reader:
                writer = VideoWriter(tmp, info, settings, input_streams=reader.input_streams, passthrough=keep)
                run = _Run(
                    info,
                    settings,
                    detector,
                    reader,
                    writer,
                    progress,
                    segmented,
                    region_detectors,
                    source=plan,
                    record=record,
                )
                try:
                    run.go()
                except BaseException:
                    writer.abort()
                    raise
                kept_streams = writer.kept_streams()
            expected = Expected(
                width=info.width,
                height=info.height,
                time_base=info.time_base,
                pts=writer.written_pts,
                streams=kept_streams,
                rotation=info.rotation,
                frame_tolerance=0.0011 if writer.format in ("matroska", "webm") else 0.0,
                max_offset=2.0 / info.fps if writer.format == "avi" else 0.0,
                max_shift=writer.timeline_shift(),
                stream_starts=writer.stream_starts(),
            )
            verify_video(tmp, expected, label=final)
    except (KeyboardInterrupt, SystemExit):
        raise  # the temporary file is already gone; the CLI maps this to its own exit status
    except BaseException as exc:
        raise _as_unseen(exc, src, run.position if run else "before the first frame") from exc

    report.output = str(final)
    report.metadata_removed = removed_metadata(info, set(keep))
    report.warnings.extend(writer.notes)
    report.warnings.extend(reader.notes)
    damage = list(reader.damage) + list(writer.damage)
    if damage:
        report.warnings.append(f"damaged input accepted (allow_damaged): {len(damage)} problem(s)")
    has_audio = any(s.role == AUDIO for s in info.others)
    if not settings.audio and has_audio:
        report.warnings.append("audio removed (--no-audio)")
    report.seconds = round(_time.monotonic() - started, 3)
    covers = run.covers
    report.faces = covers.face_frames_covered  # face-frames covered, not raw detections
    report.details = VideoDetails(
        frames=run.frames_done,
        frames_covered=covers.frames_covered,
        face_frames_covered=covers.face_frames_covered,
        tracks=covers.tracks,
        detections=run.detections if segmented is None else segmented.detections,
        regions_covered=covers.regions_covered,
        shot_cuts=run.cuts if segmented is None else sum(m.cut for m in segmented.marks),
        width=info.width,
        height=info.height,
        rotation=info.rotation,
        fps=round(info.fps, 6),
        duration=info.stated_duration,
        video_codec=writer.encoder,
        pix_fmt=writer.pix_fmt,
        container=writer.format,
        streams_kept=kept_streams,
        audio_kept=kept_streams.get("audio", 0) > 0,
        damage=damage,
        lookahead_frames=run.temporal.max_buffered if segmented is None else segmented.lookahead_frames,
        hold_seconds=[run.temporal.hold_before, run.temporal.hold_after],
        detect_stride=run.schedule.stride if run.schedule is not None else 0.0,
        thorough_frames=(
            segmented.thorough_frames
            if segmented is not None
            else run.schedule.runs[-1]
            if run.schedule is not None
            else run.frames_done
        ),
        detector=detector.name if detector is not None else f"plan ({plan.producer.detector})" if plan else "",
        kind_frames_covered=dict(covers.kind_frames),
        kind_frames_interpolated=dict(covers.kind_interpolated),
        kind_frames_held=dict(covers.kind_held),
        kind_tracks={k: len(v) for k, v in covers.kind_track_ids.items()},
        kind_detections=dict(run.kind_detections) if segmented is None else dict(segmented.kind_detections),
        kind_detect_frames=run.kind_detect_frames if segmented is None else segmented.kind_detect_frames,
        kinds_stride=run.kinds_schedule.stride if run.kinds_schedule is not None else 0.0,
        region_detectors=[f"plan ({k})" for k in planned] + [d.name for d in run.region_detectors],
        plan_rejected=plan.rejected_count if plan is not None else 0,
        manual_regions=len(plan.regions) if plan is not None else 0,
        segments=segmented.segments if segmented is not None else 0,
    )
    return report


def scan_video(
    src: Path,
    settings: Settings,
    *,
    detector: FaceDetector | None = None,
    progress: Progress | None = None,
    region_detectors: Sequence[RegionDetector] | None = None,
) -> tuple[VideoInfo, PlanRecord, FaceDetector]:
    """Detect and track through one video as the full run does, writing nothing: the final
    per-frame boxes (faces, and the kinds of ``region_detectors``, default one per
    ``settings.extra_kinds``, in ``record.kinds``) and the schedule's evidence, for a plan."""
    src = Path(src)
    info = probe_video(src, max_pixels=settings.max_pixels)
    if detector is None:
        detector = detector_for(settings)
    if region_detectors is None:
        region_detectors = region_detectors_for(settings)
    record = PlanRecord()
    run: _Run | None = None
    try:
        with VideoReader(info, passthrough=[], allow_damaged=settings.allow_damaged) as reader:
            run = _Run(info, settings, detector, reader, None, progress, None, region_detectors, record=record)
            run.go()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        raise _as_unseen(exc, src, run.position if run else "before the first frame") from exc
    return info, record, detector


__all__ = ["PlanRecord", "Progress", "process_video", "scan_video"]
