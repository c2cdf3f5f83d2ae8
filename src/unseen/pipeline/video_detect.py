"""Detection for the video run: which passes each frame gets, and frames sent to the detector in batches.

Each decoded frame is prepared (its upright picture, whether it follows a shot cut, the passes the
schedule gives it) and queued; the queue goes to the detector when it holds ``detector.batch``
frames. Frames of one queue that get the same passes go to ``detect_many`` together (a GPU gains
from batches; a CPU detector has ``batch`` 1 and is called frame by frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..detect.base import FaceDetector
from ..detect.passes import Pass
from ..detect.presets import Tier
from ..detect.schedule import Schedule, video_schedule
from ..errors import PipelineError
from ..media.video_reader import DecodedFrame
from ..settings import Settings
from ..types import Faces


@dataclass
class Pending:
    """A decoded frame prepared for detection (its upright picture and the passes it gets)."""

    df: DecodedFrame
    view: np.ndarray | None  # dropped once detected
    k: int  # counter-clockwise quarter turns from the stored frame to ``view``
    cut: bool
    passes: tuple[Pass, ...] | None  # None: all of the detector's


def schedule_for(settings: Settings, detector: FaceDetector) -> Schedule | None:
    """The video schedule (cheap passes often, the preset's own on a stride) for a detector with
    passes; ``None`` (every pass on every frame) for one without, or at stride 0."""
    return video_schedule(settings, detector.passes) if detector.passes else None


def kinds_schedule_for(settings: Settings, kinds: int) -> Schedule | None:
    """When the detectors of the kinds beyond faces run: every ``kinds_stride`` seconds and after a
    cut; ``None`` (every frame) at stride 0 or with no such kind."""
    return Schedule((Tier(settings.kinds_stride, ()),)) if settings.kinds_stride > 0 and kinds else None


def kinds_due(schedule: Schedule | None, time: float, cut: bool) -> bool:
    """Whether the kinds' detectors run on this frame (feed every frame in order)."""
    if schedule is None:
        return True
    before = schedule.runs[0]
    schedule.passes_at(time, cut)
    return schedule.runs[0] != before


def holds_for(settings: Settings, fps: float, *schedules: Schedule | None) -> tuple[float, float]:
    """The run's holds (before, after): the settings', made at least one stride of each schedule long
    (so the frames between a schedule's runs stay covered). Every tracker of a run shares them."""
    hold = max((s.hold(fps) for s in schedules if s is not None), default=0.0)
    return max(settings.hold_before, hold), max(settings.hold_after, hold)


class BatchedDetection:
    """Detections for prepared frames, in order, in batches of at most ``size`` frames."""

    def __init__(self, detector: FaceDetector):
        self.detector = detector
        self.size = max(1, int(detector.batch))

    def detect(self, batch: list[Pending]) -> list[Faces]:
        if len(batch) == 1:
            return [self._one(batch[0])]
        groups: dict[tuple[Pass, ...] | None, list[int]] = {}
        for i, p in enumerate(batch):
            groups.setdefault(p.passes, []).append(i)
        out: list[Faces] = [Faces.empty()] * len(batch)
        for passes, idxs in groups.items():
            views = [_view(batch[i]) for i in idxs]
            found = self.detector.detect_many(views, passes)
            if not isinstance(found, list) or len(found) != len(views):
                n = len(found) if isinstance(found, list) else type(found).__name__
                raise PipelineError(f"detector {self.detector.name} returned {n} results for {len(views)} frames")
            for i, faces in zip(idxs, found, strict=True):
                out[i] = faces
        return out

    def _one(self, p: Pending) -> Faces:
        if p.passes is None:
            return self.detector.detect(_view(p))
        return self.detector.detect(_view(p), p.passes)


def _view(p: Pending) -> np.ndarray:
    if p.view is None:
        raise PipelineError("a frame was sent to the detector twice")  # pragma: no cover - a bug here
    return p.view


__all__ = ["BatchedDetection", "Pending", "holds_for", "kinds_due", "kinds_schedule_for", "schedule_for"]
