"""Which detection passes run on which video frame: cheap ones often, thorough ones on a stride.

A photo gets every pass of its preset. A video frame is rarely alone: a face is seen in many
frames, and how far it moves between frames (in pixels) scales with its size. So a schedule runs
cheap passes that find medium and large faces (the fast movers) on every frame or nearly, and the
preset's thorough passes (the ones that find tiny, blurred and turned faces, which move few pixels)
every ``stride`` seconds. The temporal stage covers the frames between: it links sightings and
fills the gaps, and the video pipeline lengthens the holds to at least one stride, so that a face
the cheap passes miss is covered from one thorough sighting to the next, and for a stride before
its first and after its last.

A shot cut restarts every tier at once (the frame after a cut gets every pass), as does the first
frame. Times are presentation times in seconds, so a variable frame rate changes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..settings import Settings
from .multiscale import Pass

_EPS = 1e-6

# Cheap passes per preset: (seconds between runs, pass). 0 = every frame. YuNet costs about a tenth
# of CenterFace per pixel; at half size it still finds faces from ~20 px up (9 ms at 1080p here).
# Under the default preset, whose head regions are sized for CenterFace's boxes (1.3x), YuNet's
# tighter boxes are grown by 1.6 / 1.3 (the --fast preset's own scale for YuNet, measured on re-id).
_YUNET_AS_CENTERFACE = 1.6 / 1.3
_CHEAP: dict[str, tuple[tuple[float, Pass], ...]] = {
    "default": (
        (0.0, Pass("yunet", 0.5, 0.5, grow=_YUNET_AS_CENTERFACE)),
        (0.1, Pass("yunet", 1, 0.3, grow=_YUNET_AS_CENTERFACE)),
    ),
    "fast": ((0.0, Pass("yunet", 0.5, 0.5)), (0.2, Pass("yunet", 1, 0.3))),
}
_CHEAP["thorough"] = _CHEAP["default"]  # only with an explicit stride: thorough runs every pass by default
DEFAULT_STRIDE = {"cpu": 1.0, "cuda": 1.0}  # seconds between thorough passes when stride is "auto"


@dataclass(frozen=True)
class Tier:
    """``passes`` run on a frame when at least ``every`` seconds passed since they last ran."""

    every: float
    passes: tuple[Pass, ...]


class Schedule:
    """Feed frames in order to :meth:`passes_at`; it answers the passes to run on each."""

    def __init__(self, tiers: tuple[Tier, ...]):
        if not tiers:
            raise ValueError("a schedule needs at least one tier")
        self.tiers = tiers
        self.stride = max(t.every for t in tiers)
        self._last: list[float | None] = [None] * len(tiers)
        self.runs = [0] * len(tiers)

    def passes_at(self, time: float, cut: bool = False) -> tuple[Pass, ...]:
        out: list[Pass] = []
        for i, tier in enumerate(self.tiers):
            last = self._last[i]
            if cut or last is None or time - last >= tier.every - _EPS or time < last:
                self._last[i] = time
                self.runs[i] += 1
                out.extend(p for p in tier.passes if p not in out)
        return tuple(out)

    def hold(self, fps: float) -> float:
        """Seconds each sighting must be held so thorough-only faces are covered between strides."""
        return self.stride + (1.0 / fps if fps > 0 else 0.0) if self.stride > 0 else 0.0


def stride_for(settings: Settings) -> float:
    """The stride ``settings`` ask for (``detect_stride < 0`` means the device's default)."""
    if settings.detect_stride >= 0:
        return settings.detect_stride
    return DEFAULT_STRIDE.get(settings.device, 0.0)


def video_schedule(settings: Settings, passes: tuple[Pass, ...]) -> Schedule | None:
    """The schedule for a video detected with ``passes`` (the preset's own, threshold override
    applied), or ``None`` when every pass runs on every frame (stride 0)."""
    if settings.preset == "thorough" and settings.detect_stride < 0:
        return None  # the preset for the most recall: every pass on every frame unless asked otherwise
    stride = stride_for(settings)
    if stride <= 0:
        return None
    tiers = []
    for every, p in _CHEAP.get(settings.preset, ()):
        if settings.threshold > 0:
            p = dataclasses.replace(p, threshold=settings.threshold)
        tiers.append(Tier(min(every, stride), (p,)))
    tiers.append(Tier(stride, passes))
    return Schedule(tuple(tiers))


__all__ = ["Schedule", "Tier", "video_schedule", "stride_for", "DEFAULT_STRIDE"]
