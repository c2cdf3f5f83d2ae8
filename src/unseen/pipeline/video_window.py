"""The look-ahead window's limits: refuse a video whose frames are packed too densely in time.

The tracker holds every frame of its look-ahead window (``max(hold_before, max_gap)`` seconds)
before it can be covered and written. The limits are ``Settings.max_lookahead_frames`` and
``max_lookahead_mb``: frames packed densely in time ("millions of tiny frames") all fall inside the
window; the 2048 MB default holds 1 s of 4K at 120 fps, 10000 frames is 10x a 1000 fps camera's
second. Each frame is costed at its planes' bytes plus ``FRAME_OVERHEAD``.
"""

from __future__ import annotations

from ..errors import LimitExceeded
from ..media.video_reader import DecodedFrame
from ..settings import Settings

FRAME_OVERHEAD = 16 << 10


class LookaheadLimit:
    """Checks, after each frame, how many frames and bytes the window holds."""

    def __init__(self, settings: Settings):
        self.max_frames = settings.max_lookahead_frames
        self.max_bytes = settings.max_lookahead_mb << 20
        self._frame_cost: int | None = None

    def check(self, held: int, lookahead: float, df: DecodedFrame, position: str) -> None:
        """Raise :class:`LimitExceeded` when ``held`` frames (like ``df``) are over a limit."""
        if self._frame_cost is None:
            self._frame_cost = sum(p.buffer_size for p in df.frame.planes) + FRAME_OVERHEAD
        window = f"{held} frames fall inside the {lookahead:g} s look-ahead window"
        if held > self.max_frames:
            limit = f"the limit of {self.max_frames} frames (--max-lookahead-frames)"
        elif held * self._frame_cost > self.max_bytes:
            limit = (
                f"the limit of {self.max_bytes >> 20} MB (--max-lookahead-mb; "
                f"~{held * self._frame_cost >> 20} MB to hold)"
            )
        else:
            return
        raise LimitExceeded(f"{window}, over {limit}: frames are packed too densely in time", where=position)


__all__ = ["FRAME_OVERHEAD", "LookaheadLimit"]
