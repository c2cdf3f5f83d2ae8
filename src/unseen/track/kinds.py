"""Tracking the kinds beyond faces (people, text, plates) across frames, as faces are tracked.

:class:`KindTracks` keeps one :class:`~unseen.track.temporal.TemporalCover` per kind: the same
linking (overlap, then centre distance in region sizes), gap filling by interpolation, holds before
the first and after the last sighting along the measured motion, frame-edge rules and shot cuts
ending every track. A region the detector misses on some frames between two sightings is filled from
them; one seen at a track's ends is held a little beyond. Every detected box stays in the output, so
tracking only ever adds cover.

Every kind's tracker is built with the same holds and gap limit as the video's face tracker, so all
of them let a frame go on the same push: the caller gets each frame's kinds when its faces are final.
A silhouette mask (``--people silhouette``) travels with its own frame; the boxes added to a frame by
tracking carry no mask (the cover paints them as boxes beside the mask; see
:func:`unseen.cover.kinds.cover_regions`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..types import Regions
from .temporal import MAX_GAP, TemporalCover

Frame = tuple[int, int]  # width, height
_Payload = tuple[int, "np.ndarray | None"]  # frame index, the frame's own mask


class KindTracks:
    """Streaming per-kind tracking: push each frame's :class:`Regions` (one per kind, in order);
    get back the frames now final as ``(index, {kind: Regions})``, boxes after tracking."""

    def __init__(
        self,
        kinds: Sequence[str],
        hold_before: float,
        hold_after: float,
        max_gap: float = MAX_GAP,
        frame: Frame | None = None,
    ):
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"each kind is tracked once, got {list(kinds)}")
        self.kinds = tuple(kinds)
        self.frame = frame
        self._trackers: dict[str, TemporalCover[_Payload]] = {
            k: TemporalCover(hold_before, hold_after, max_gap, frame=frame) for k in self.kinds
        }
        self.lookahead = max(hold_before, max_gap)

    def __len__(self) -> int:
        return max((len(t) for t in self._trackers.values()), default=0)

    def push(
        self, index: int, time: float, found: Sequence[Regions], *, cut: bool = False
    ) -> list[tuple[int, dict[str, Regions]]]:
        """Add one frame's regions (a kind missing from ``found``: nothing found); return the frames
        now final."""
        by_kind = {r.kind: r for r in found}
        unknown = set(by_kind) - set(self.kinds)
        if unknown:
            raise ValueError(f"regions of kinds not tracked here: {sorted(unknown)}")
        out = []
        for kind, tracker in self._trackers.items():
            r = by_kind[kind] if kind in by_kind else Regions.empty(kind)
            out.append((kind, tracker.push((index, r.mask), time, r.boxes, cut=cut)))
        return self._joined(out)

    def flush(self) -> list[tuple[int, dict[str, Regions]]]:
        """Every remaining frame (at the end of the video)."""
        return self._joined([(kind, t.flush()) for kind, t in self._trackers.items()])

    def _joined(self, per_kind: list[tuple[str, list]]) -> list[tuple[int, dict[str, Regions]]]:  # type: ignore[type-arg]
        frames: dict[int, dict[str, Regions]] = {}
        order: list[int] = []
        for kind, ready in per_kind:
            for (index, mask), boxes in ready:
                if index not in frames:
                    frames[index] = {}
                    order.append(index)
                if self.frame is not None:
                    boxes = boxes.clipped(*self.frame)  # a box wholly outside the frame covers nothing
                frames[index][kind] = Regions(kind, boxes, mask)
        # Every tracker has the same look-ahead and gets the same frames: each lets the same go.
        if any(len(v) != len(self.kinds) for v in frames.values()):
            raise RuntimeError("kind trackers let different frames go")  # pragma: no cover - a bug here
        return [(i, frames[i]) for i in order]


__all__ = ["KindTracks"]
