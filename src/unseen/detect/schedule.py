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

from ..settings import Settings
from .passes import Pass
from .presets import Tier, preset_for

_EPS = 1e-6


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
    """The stride ``settings`` ask for (``detect_stride < 0`` means the preset's own)."""
    if settings.detect_stride >= 0:
        return settings.detect_stride
    return preset_for(settings.preset, settings.backend).stride


def video_schedule(settings: Settings, passes: tuple[Pass, ...]) -> Schedule | None:
    """The schedule for a video detected with ``passes`` (the preset's own, thresholds applied) and
    the preset's cheap tiers, or ``None`` when every pass runs on every frame (stride 0; the
    thorough preset unless a stride is given)."""
    stride = stride_for(settings)
    if stride <= 0:
        return None
    tiers = []
    for tier in preset_for(settings.preset, settings.backend).cheap:
        cheap = tier.passes
        if settings.threshold > 0:
            cheap = tuple(dataclasses.replace(p, threshold=settings.threshold) for p in cheap)
        tiers.append(Tier(min(tier.every, stride), cheap))
    tiers.append(Tier(stride, passes))
    return Schedule(tuple(tiers))


__all__ = ["Schedule", "Tier", "stride_for", "video_schedule"]
