"""A batch's files as jobs of tasks for a pool (local workers or Ray actors).

Most files are one task: the file through :func:`unseen.pipeline.one_file.run_one`. A long video
with ``--segment-seconds`` (or, on Ray, a video much longer than its share of the batch) is a
:class:`SegmentedJob` instead, whose tasks spread over the same pool as every other file:

1. here, in the driver: probe, keyframes, the segments (:mod:`unseen.pipeline.segments`, stage 1);
2. one ``signatures`` task per segment; joined here in order: the one-process run's shot cuts;
3. one ``detect`` task per segment (each worker with its own detector); joined here: the covers;
4. one ``encode`` task: the ordinary video run with those covers, the one writer pass (cover,
   encode, verify, commit), its frame progress the file's.

A task's result goes back to its job (:meth:`Job.step`), which answers the next tasks or the
file's report. Any task failing fails the file (no output; one line naming the segment). A job is
restarted whole (:meth:`Job.start` again) when its worker died; results of a job's earlier start
carry an older ``generation`` and are dropped by the engines.

A worker can die after its file was committed (renamed into place, verified) and before its
report reached the driver. The restarted job may then replace that output, and only that: its
writing tasks carry ``replace`` when the output path was free when the job first started (an
output that was there before the batch is still refused without ``--overwrite``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..detect import FaceDetector
from ..errors import PipelineError, UnseenError
from ..settings import Settings
from .progress import FrameProgress
from .report import FileReport, MediaKind

if TYPE_CHECKING:
    from .segments import FrameMark, Segment, SegmentResult

AUTO_SHARE = 2.0  # on Ray, a video of at least this many times its share of the batch's video time ...
AUTO_MIN_SECONDS = 120.0  # ... and at least this long is segmented without --segment-seconds
AUTO_MIN_SEGMENT = 30.0  # the automatic segments' length: the share, never under this


@dataclass(frozen=True)
class WorkUnit:
    """One file of a batch: its place in the batch, input and output."""

    index: int
    src: Path
    dst: Path | None


@dataclass(frozen=True)
class Task:
    """One unit of work: ``stage`` of ``unit``'s job (``file``, ``signatures``, ``detect``, ``encode``)."""

    unit: WorkUnit
    stage: str
    generation: int
    settings: Settings | None = None  # the job's own (segmented runs); None: the batch's
    segment: Segment | None = None
    marks: list[FrameMark] | None = None
    covers: Any = None  # SegmentCovers for ``encode``
    replace: bool = False  # may replace the output an earlier, dead try of this job committed


def run_task(task: Task, settings: Settings, detector: FaceDetector, frames: FrameProgress | None) -> Any:
    """What a worker or actor runs for ``task`` (``settings`` and ``detector``: the worker's)."""
    from .one_file import run_one

    s = task.settings or settings
    if task.replace and task.stage in ("file", "encode"):
        s = dataclasses.replace(s, overwrite=True)
    src = task.unit.src
    if task.stage == "file":
        return run_one(src, task.unit.dst, s, detector, frames)
    if task.stage == "encode":
        return run_one(src, task.unit.dst, s, detector, frames, segmented=task.covers)
    from .segments import detect_segment, segment_signatures

    assert task.segment is not None
    if task.stage == "signatures":
        return segment_signatures(str(src), s, task.segment)
    if task.stage == "detect":
        assert task.marks is not None
        return detect_segment(str(src), s, task.segment, task.marks, detector)
    raise ValueError(f"unknown task stage {task.stage!r}")


def starts_file(task: Task) -> bool:
    """The task whose start is the file's start (one FileStarted per try)."""
    return task.stage == "file" or (task.stage == "signatures" and task.segment is not None and task.segment.index == 0)


@dataclass
class Job:
    """One file: a single ``file`` task."""

    unit: WorkUnit
    generation: int = 0
    done: bool = False
    output_was_free: bool = False  # no file at the output path when the job first started

    def begin_try(self) -> None:
        """A new generation; the first records whether the output path is free (see the module)."""
        self.generation += 1
        if self.generation == 1:
            dst = self.unit.dst
            self.output_was_free = dst is not None and not dst.exists() and not dst.is_symlink()

    @property
    def replace(self) -> bool:
        """Whether this try's writing task may replace the output an earlier, dead try committed."""
        return self.generation > 1 and self.output_was_free

    def start(self) -> list[Task] | FileReport:
        self.begin_try()
        return [Task(self.unit, "file", self.generation, replace=self.replace)]

    def step(self, task: Task, result: Any) -> list[Task] | FileReport:
        assert isinstance(result, FileReport)
        return result

    def failure(self, exc: BaseException) -> FileReport:
        """The report of a task that raised (its one line; segment failures name the segment)."""
        text = " ".join(str(exc).split())
        src = str(self.unit.src)
        if text.startswith(src + ": "):
            text = text[len(src) + 2 :]
        err = exc if isinstance(exc, UnseenError) else PipelineError(text or type(exc).__name__)
        return FileReport(input=src, kind=MediaKind.VIDEO).fail(err.with_path(self.unit.src))


@dataclass
class SegmentedJob(Job):
    """A long video detected segment by segment on the pool, then encoded once (see the module)."""

    settings: Settings | None = None
    segments: list[Segment] = field(default_factory=list)
    info: Any = None
    sigs: dict[int, Any] = field(default_factory=dict)
    results: dict[int, SegmentResult] = field(default_factory=dict)
    marks: list[FrameMark] | None = None

    def start(self) -> list[Task] | FileReport:
        from ..media.video_reader import probe_video
        from .segments import overlap_seconds, plan_segments, scan_keyframes

        self.begin_try()
        self.sigs, self.results, self.marks = {}, {}, None
        s = self.settings
        assert s is not None
        one = dataclasses.replace(s, segment_seconds=0.0)
        whole = [Task(self.unit, "file", self.generation, settings=one, replace=self.replace)]
        try:
            self.info = probe_video(self.unit.src, max_pixels=s.max_pixels)
            if self.info.stated_duration is not None and self.info.stated_duration < s.segment_seconds:
                return whole  # one segment at most: no keyframe scan (the driver does it for every video)
            keys = scan_keyframes(self.info)
            self.segments = plan_segments(self.info, keys, s.segment_seconds, overlap_seconds(s, self.info.fps))
        except UnseenError as err:
            return FileReport(input=str(self.unit.src), kind=MediaKind.VIDEO).fail(err.with_path(self.unit.src))
        if len(self.segments) < 2:  # one segment: the ordinary run in one task
            return whole
        return [Task(self.unit, "signatures", self.generation, s, seg) for seg in self.segments]

    def step(self, task: Task, result: Any) -> list[Task] | FileReport:
        from .segments import frame_marks, join_covers

        if task.stage in ("file", "encode"):
            assert isinstance(result, FileReport)
            return result
        assert task.segment is not None
        if task.stage == "signatures":
            self.sigs[task.segment.index] = result
            if len(self.sigs) < len(self.segments):
                return []
            try:
                self.marks = frame_marks(self.info, [self.sigs[i] for i in range(len(self.segments))])
            except UnseenError as err:
                return FileReport(input=str(self.unit.src), kind=MediaKind.VIDEO).fail(err.with_path(self.unit.src))
            return [Task(self.unit, "detect", self.generation, self.settings, seg, self.marks) for seg in self.segments]
        self.results[task.segment.index] = result
        if len(self.results) < len(self.segments):
            return []
        assert self.settings is not None and self.marks is not None
        covers = join_covers(self.settings, self.info, self.segments, self.marks, list(self.results.values()))
        return [Task(self.unit, "encode", self.generation, self.settings, covers=covers, replace=self.replace)]


def jobs_for(units: list[WorkUnit], settings: Settings, *, workers: int, auto: bool) -> list[Job]:
    """A job per unit: segmented for a video with ``--segment-seconds``, or (``auto``: the Ray
    engine) for one much longer than its share of the batch's video time."""
    from ..media.kinds import media_kind

    videos = {u.index for u in units if media_kind(u.src) == "video"}
    durations = {u.index: _seconds(u, settings) for u in units if auto and u.index in videos}
    share = sum(t for t in durations.values() if t) / max(1, workers)
    jobs: list[Job] = []
    for u in units:
        seconds = durations.get(u.index)
        if u.index in videos and settings.segment_seconds > 0:
            jobs.append(SegmentedJob(u, settings=settings))
        elif (
            auto
            and seconds is not None
            and workers > 1
            # segments carry the other kinds as boxes, not silhouettes (refused with --segment-seconds)
            and not ("people" in settings.extra_kinds and settings.people == "silhouette")
            and seconds >= AUTO_MIN_SECONDS
            and seconds >= AUTO_SHARE * share
        ):
            length = max(AUTO_MIN_SEGMENT, share)
            jobs.append(SegmentedJob(u, settings=dataclasses.replace(settings, segment_seconds=length)))
        else:
            jobs.append(Job(u))
    return jobs


def _seconds(unit: WorkUnit, settings: Settings) -> float | None:
    """A video's stated duration (header only), None when it does not say or cannot be read."""
    from ..media.video_reader import probe_video

    try:
        return probe_video(unit.src, max_pixels=settings.max_pixels).stated_duration
    except UnseenError:
        return None
