"""The video pipeline: decode -> detect -> track (link, fill, hold) -> cover -> encode -> verify.

Three threads, two bounded queues::

    reader thread   demux + decode        -> q_in  (frames and passthrough packets)
    this thread     detect, cut, track, cover  -> q_out
    writer thread   encode + mux

Memory is bounded by the queues plus the tracker's look-ahead window (``max(hold_before,
max_gap)`` seconds of decoded frames), never by the length of the video. A thread that fails
records its error and sets the shared stop event; every queue operation polls that event, so no
thread can block forever, and the first error is re-raised here with the file and position.
The output is written to a temporary file, re-opened and verified, then moved into place
(:func:`unseen.pipeline.commit.staged_output`); on any error nothing is left behind.
"""

from __future__ import annotations

import queue
import threading
import time as _time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import av
import av.error
import numpy as np

from ..cover import apply_cover, regions_for
from ..cover.looks import solid_i420
from ..cover.regions import without_contained
from ..detect.base import FaceDetector
from ..detect.schedule import Schedule, video_schedule
from ..errors import (
    CorruptInput,
    LimitExceeded,
    OutputError,
    PipelineError,
    UnseenError,
    UnsupportedFormat,
    VerificationError,
)
from ..media.video_reader import AUDIO, DATA, SUBTITLE, DecodedFrame, VideoInfo, VideoReader, probe_video, where
from ..media.video_writer import PLANAR_420, VideoWriter, container_for, fill_yuv, from_rgb, output_suffix_for, to_rgb
from ..scrub.container import Expected, removed_metadata, verify_video
from ..settings import Settings
from ..track import ShotCutDetector, TemporalCover
from ..types import Faces
from .commit import check_output_target, staged_output
from .paths import default_output
from .report import FileReport, MediaKind, VideoCounters, VideoDetails

Progress = Callable[[int, "int | None"], None]
"""``progress(frames_done, frames_total)``; total is ``None`` when the container does not say."""

QUEUE_FRAMES = 8  # frames in flight between threads, each way
# The look-ahead window's limits are Settings.max_lookahead_frames and max_lookahead_mb: frames
# packed densely in time ("millions of tiny frames") all fall inside the window; the 2048 MB default
# holds 1 s of 4K at 120 fps, 10000 frames is 10x a 1000 fps camera's second. Each frame is costed
# at its planes' bytes plus FRAME_OVERHEAD.
FRAME_OVERHEAD = 16 << 10
_POLL = 0.05
_JOIN_TIMEOUT = 30.0
_END = object()


class _Stop(Exception):
    """Raised inside a thread when another thread has failed (not an error of its own)."""


@dataclass
class _Shared:
    stop: threading.Event
    errors: list[BaseException]
    lock: threading.Lock

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            if not isinstance(exc, _Stop):
                self.errors.append(exc)
        self.stop.set()

    def put(self, q: queue.Queue, item: Any) -> None:
        while True:
            if self.stop.is_set():
                raise _Stop()
            try:
                q.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue

    def get(self, q: queue.Queue) -> Any:
        while True:
            if self.stop.is_set():
                raise _Stop()
            try:
                return q.get(timeout=_POLL)
            except queue.Empty:
                continue


@dataclass
class _Decoded:
    """A decoded frame with its RGB picture and shot-cut signature (made on the reader thread)."""

    df: DecodedFrame
    rgb: np.ndarray
    signature: tuple[np.ndarray, np.ndarray]


@dataclass
class _Pending:
    """A decoded frame prepared for detection (its upright picture and the passes it gets)."""

    df: DecodedFrame
    view: np.ndarray
    k: int
    cut: bool
    passes: tuple | None


class _Worker(threading.Thread):
    def __init__(self, name: str, fn: Callable[[], None], shared: _Shared):
        super().__init__(name=f"unseen-{name}", daemon=True)
        self.fn = fn
        self.shared = shared

    def run(self) -> None:
        try:
            self.fn()
        except BaseException as exc:  # handed home: the main thread re-raises it
            self.shared.fail(exc)


# --- rotation ------------------------------------------------------------------------------
def upright(rgb: np.ndarray, rotation: int) -> tuple[np.ndarray, int]:
    """The frame as displayed (rotated counter-clockwise by ``rotation``) and the quarter turns."""
    k = (int(round(rotation / 90.0))) % 4
    return (np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb), k


def boxes_to_stored(faces: Faces, k: int, width: int, height: int) -> Faces:
    """Boxes found on the upright frame (``k`` counter-clockwise quarter turns of a ``width`` x
    ``height`` stored frame) mapped back to stored-frame pixels."""
    if k == 0 or len(faces) == 0:
        return faces
    b = faces.boxes.astype(np.float64)
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    if k == 1:  # stored (x, y) -> upright (y, W - x)
        out = np.stack([width - y2, x1, width - y1, x2], axis=1)
    elif k == 2:
        out = np.stack([width - x2, height - y2, width - x1, height - y1], axis=1)
    else:  # k == 3: stored (x, y) -> upright (H - y, x)
        out = np.stack([y1, height - x2, y2, height - x1], axis=1)
    return Faces(out.astype(np.float32), faces.scores, faces.origin, faces.track_ids)


# --- planning ------------------------------------------------------------------------------
def _plan_streams(info: VideoInfo, settings: Settings, report: FileReport) -> list[int]:
    keep = []
    for s in info.others:
        if s.role == AUDIO and settings.audio:
            if s.codec is None:  # a sample description cut short: nothing to copy or decode
                if not settings.allow_damaged:
                    raise CorruptInput(f"audio stream {s.index} has no codec parameters (damaged header?)", path=info.path)
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


# --- the run -------------------------------------------------------------------------------
class _Run:
    def __init__(
        self,
        info: VideoInfo,
        settings: Settings,
        detector: FaceDetector,
        reader: VideoReader,
        writer: VideoWriter,
        progress: Progress | None,
    ):
        self.info = info
        self.settings = settings
        self.detector = detector
        self.reader = reader
        self.writer = writer
        self.progress = progress
        self.shared = _Shared(threading.Event(), [], threading.Lock())
        self.q_in: queue.Queue = queue.Queue(QUEUE_FRAMES)
        self.q_out: queue.Queue = queue.Queue(QUEUE_FRAMES)
        self.frames_done = 0
        self.covers = VideoCounters()
        self.detections = 0
        self.cuts = 0
        self.position = "before the first frame"
        # Cheap passes on every frame, the preset's thorough ones on a stride; the holds are made at
        # least one stride long so the frames between thorough sightings stay covered.
        self.schedule: Schedule | None = None
        passes = getattr(detector, "passes", None)  # a multi-pass detector (or a wrapper of one)
        if passes:
            self.schedule = video_schedule(settings, tuple(passes))
        hold = self.schedule.hold(info.fps) if self.schedule is not None else 0.0
        # Boxes reach the tracker in stored-frame pixels: its frame-edge rules use the stored size.
        self.temporal: TemporalCover[DecodedFrame] = TemporalCover(
            max(settings.hold_before, hold), max(settings.hold_after, hold), frame=(info.width, info.height)
        )
        self._frame_cost: int | None = None
        # A solid cover on a 4:2:0 video written in the same format is painted on the YUV planes:
        # no RGB round trip (two colour conversions per covered frame), and the pixels outside
        # the covers stay exactly as decoded. Any other case takes the RGB path.
        self.planar_fill: tuple[int, int, int] | None = None
        if (
            settings.mode == "solid"
            and writer.pix_fmt in PLANAR_420
            and info.pix_fmt == writer.pix_fmt
            and info.width % 2 == 0
            and info.height % 2 == 0
        ):
            self.planar_fill = fill_yuv(settings.fill, info, writer.pix_fmt)

    def _read(self) -> None:
        # The RGB picture and the shot-cut signature are made here, beside decoding, so the main
        # thread (detection, tracking, cover) does not wait for them (swscale releases the GIL).
        for item in self.reader.items():
            if isinstance(item, DecodedFrame):
                try:
                    rgb = to_rgb(item.frame, self.info)
                    item = _Decoded(item, rgb, ShotCutDetector.signature(rgb))
                except (av.error.FFmpegError, ValueError) as exc:  # named by its own frame, not the main thread's
                    raise PipelineError(f"cannot convert the frame to RGB: {exc}", where=where(item.index, item.time)) from exc
            self.shared.put(self.q_in, item)
        self.shared.put(self.q_in, _END)

    def _write(self) -> None:
        while True:
            item = self.shared.get(self.q_out)
            if item is _END:
                self.writer.close()
                return
            if isinstance(item, tuple):
                frame, pts, label = item
                try:
                    self.writer.write_frame(frame, pts)
                except av.error.FFmpegError as exc:
                    raise PipelineError(f"encoder failed: {exc}", where=label) from exc
            else:
                self.writer.write_packet(item)

    def _emit(self, ready: list[tuple[DecodedFrame, Faces]]) -> None:
        info = self.info
        for df, faces in ready:
            frame: av.VideoFrame = df.frame
            if (
                len(faces)
                and self.planar_fill is not None
                and frame.format.name == self.writer.pix_fmt
                and (frame.width, frame.height) == (info.width, info.height)
            ):
                regions = regions_for(faces, info.width, info.height, self.settings)
                if self.settings.shape != "ellipse":
                    regions = without_contained(regions)
                if len(regions):
                    planes = frame.to_ndarray()  # a copy: the decoder may still reference this frame
                    solid_i420(planes, regions, self.planar_fill, self.settings.shape == "ellipse")
                    self.covers.covered(faces, regions, info.width, info.height)
                    frame = av.VideoFrame.from_ndarray(planes, format=self.writer.pix_fmt)
            elif len(faces):
                rgb = to_rgb(frame, info)
                regions = apply_cover(rgb, faces, self.settings)
                if len(regions):
                    self.covers.covered(faces, regions, info.width, info.height)
                    frame = from_rgb(rgb, info, self.writer.pix_fmt)
            self.shared.put(self.q_out, (frame, df.pts, where(df.index, df.time)))

    def _prepare(self, decoded: _Decoded) -> _Pending:
        """Everything before detection: picture, shot-cut test, the passes this frame gets."""
        info = self.info
        df, rgb = decoded.df, decoded.rgb
        self.position = where(df.index, df.time)
        cut = self.cut_detector.is_cut(signature=decoded.signature)
        self.cuts += int(cut)
        view, k = upright(rgb, info.rotation)
        passes = self.schedule.passes_at(df.time, cut) if self.schedule is not None else None
        return _Pending(df, view, k, cut, passes)

    def _detect(self, batch: list[_Pending]) -> list[Faces]:
        """Detections for prepared frames, in order; frames that get the same passes go to the
        detector together when it takes batches (a GPU)."""
        if len(batch) == 1 or not hasattr(self.detector, "detect_many"):
            return [self._detect_one(p) for p in batch]
        groups: dict[Any, list[int]] = {}
        for i, p in enumerate(batch):
            groups.setdefault(p.passes, []).append(i)
        out: list[Faces | None] = [None] * len(batch)
        for passes, idxs in groups.items():
            views = [batch[i].view for i in idxs]
            found = self.detector.detect_many(views, passes)  # type: ignore[attr-defined]
            if not isinstance(found, list) or len(found) != len(views):
                n = len(found) if isinstance(found, list) else type(found).__name__
                raise PipelineError(f"detector {getattr(self.detector, 'name', '?')} returned {n} results for {len(views)} frames")
            for i, faces in zip(idxs, found):
                out[i] = faces
        return out  # type: ignore[return-value]

    def _detect_one(self, p: _Pending) -> Faces:
        if p.passes is None:
            return self.detector.detect(p.view)
        return self.detector.detect(p.view, p.passes)  # type: ignore[call-arg]

    def _finish(self, p: _Pending, found: Faces) -> None:
        info = self.info
        df = p.df
        self.position = where(df.index, df.time)
        if not isinstance(found, Faces):
            raise PipelineError(f"detector {getattr(self.detector, 'name', '?')} returned {type(found).__name__}, not Faces")
        faces = boxes_to_stored(found, p.k, info.width, info.height).clipped(info.width, info.height)
        p.view = None  # type: ignore[assignment]  # the picture is no longer needed
        self.detections += len(faces)
        self._emit(self.temporal.push(df, df.time, faces, cut=p.cut))
        self._check_window(df)
        self.frames_done += 1
        if self.progress is not None:
            self.progress(self.frames_done, self.info.stated_frames)

    def _run_batch(self, batch: list[_Pending]) -> None:
        for p, found in zip(batch, self._detect(batch)):
            self._finish(p, found)
        batch.clear()

    def _check_window(self, df: DecodedFrame) -> None:
        """Refuse a video whose look-ahead window would hold too many frames or bytes."""
        if self._frame_cost is None:
            self._frame_cost = sum(p.buffer_size for p in df.frame.planes) + FRAME_OVERHEAD
        held = len(self.temporal)
        window = f"{held} frames fall inside the {self.temporal.lookahead:g} s look-ahead window"
        max_frames = self.settings.max_lookahead_frames
        max_bytes = self.settings.max_lookahead_mb << 20
        if held > max_frames:
            limit = f"the limit of {max_frames} frames (--max-lookahead-frames)"
        elif held * self._frame_cost > max_bytes:
            limit = f"the limit of {max_bytes >> 20} MB (--max-lookahead-mb; ~{held * self._frame_cost >> 20} MB to hold)"
        else:
            return
        raise LimitExceeded(f"{window}, over {limit}: frames are packed too densely in time", where=self.position)

    def go(self) -> None:
        self.cut_detector = ShotCutDetector()
        shared = self.shared
        threads = [_Worker("reader", self._read, shared), _Worker("writer", self._write, shared)]
        for t in threads:
            t.start()
        batch_size = max(1, int(getattr(self.detector, "batch", 1) or 1))
        batch: list[_Pending] = []
        try:
            last_pts: int | None = None
            while True:
                item = shared.get(self.q_in)
                if item is _END:
                    break
                if isinstance(item, _Decoded):
                    df = item.df
                    if last_pts is not None and df.pts <= last_pts:
                        self.reader.damaged("timestamps do not increase", df.index, df.time)
                        continue
                    last_pts = df.pts
                    batch.append(self._prepare(item))
                    if len(batch) >= batch_size:
                        self._run_batch(batch)
                else:
                    shared.put(self.q_out, item)  # passthrough packets (audio): their own order
            if batch:
                self._run_batch(batch)
            self.position = "at the end of the video"
            self._emit(self.temporal.flush())
            shared.put(self.q_out, _END)
        except BaseException as exc:
            shared.fail(exc)
        finally:
            deadline = _time.monotonic() + _JOIN_TIMEOUT
            for t in threads:
                # The writer finishes the file after _END; give it the time it needs unless failing.
                while t.is_alive():
                    t.join(timeout=_POLL)
                    if shared.stop.is_set() and _time.monotonic() > deadline:
                        break
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
) -> FileReport:
    """Anonymize one video file into ``dst`` (default: ``name.unseen.ext`` beside ``src``).

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
    if detector is None:
        from .api import detector_for

        detector = detector_for(settings)
    keep = _plan_streams(info, settings, report)
    run: _Run | None = None
    try:
        with staged_output(final, overwrite=settings.overwrite) as tmp:
            with VideoReader(info, passthrough=keep, allow_damaged=settings.allow_damaged) as reader:
                writer = VideoWriter(tmp, info, settings, input_streams=reader.input_streams, passthrough=keep)
                run = _Run(info, settings, detector, reader, writer, progress)
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
        detections=run.detections,
        regions_covered=covers.regions_covered,
        shot_cuts=run.cuts,
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
        lookahead_frames=run.temporal.max_buffered,
        hold_seconds=[run.temporal.hold_before, run.temporal.hold_after],
        detect_stride=run.schedule.stride if run.schedule is not None else 0.0,
        thorough_frames=run.schedule.runs[-1] if run.schedule is not None else run.frames_done,
        detector=getattr(detector, "name", type(detector).__name__),
    )
    return report


__all__ = ["process_video", "Progress", "upright", "boxes_to_stored"]
