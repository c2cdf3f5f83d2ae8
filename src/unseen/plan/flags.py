"""Review flags: where a person should look before trusting a plan, computed when it is made.

Each flag kind has a risk rank (:class:`~.model.FlagKind`, 1 = riskiest) and flags are sorted by
it, then by frame. Flags about a tracked face are raised once per track (at its first or worst
frame), so a long video gets a list a person can read, not one line per frame.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..types import Faces, Origin
from .model import Flag, FlagKind, FrameBoxes, Plan


@dataclass(frozen=True)
class FlagEvidence:
    """What the detection stage knows beyond the boxes; each field is optional (None/empty: the
    flags that need it are not computed)."""

    threshold: float | None = None  # the detector's score threshold
    cut_frames: tuple[int, ...] = ()  # frames that start a new shot
    cheap_only_frames: frozenset[int] | None = None  # frames where only the cheap passes ran
    thorough: tuple[tuple[int, Faces], ...] = ()  # (frame, faces) the thorough check found


@dataclass(frozen=True)
class FlagOptions:
    near_margin: float = 0.05  # a detection scoring below threshold + this is "near the threshold"
    tiny_px: float = 16.0  # a face box narrower or shorter than this is "tiny"
    short_track_s: float = 0.5  # a track spanning less than this (video) is "short"
    gap_s: float = 1.5  # a track not detected for longer than this has a "gap"
    covered_share: float = 0.5  # a thorough-check face is covered when this share of it lies in one plan box


def _t(plan: Plan, frame: int) -> float | None:
    return plan.time_of(frame) if plan.input.is_video else None


def _r(box: tuple[float, ...] | np.ndarray) -> tuple[float, float, float, float]:
    return tuple(round(float(v), 2) for v in box)  # type: ignore[return-value]


def _covered(box: np.ndarray, cover: Faces, share: float) -> bool:
    if not len(cover):
        return False
    b = cover.boxes
    iw = np.clip(np.minimum(b[:, 2], box[2]) - np.maximum(b[:, 0], box[0]), 0, None)
    ih = np.clip(np.minimum(b[:, 3], box[3]) - np.maximum(b[:, 1], box[1]), 0, None)
    area = max(float((box[2] - box[0]) * (box[3] - box[1])), 1e-9)
    return bool(np.max(iw * ih) / area >= share)


def compute_flags(plan: Plan, evidence: FlagEvidence, options: FlagOptions | None = None) -> tuple[Flag, ...]:
    """The review flags of ``plan`` (its flags field is ignored), ordered by risk."""
    options = options or FlagOptions()
    flags: list[Flag] = []
    video = plan.input.is_video
    fps = plan.input.fps or 0.0

    for frame, found in evidence.thorough:
        cover = plan.faces_for(frame)
        for box, score in zip(found.boxes, found.scores, strict=True):
            if not _covered(box, cover, options.covered_share):
                flags.append(
                    Flag(
                        FlagKind.THOROUGH_MISS,
                        frame,
                        "the thorough check found a face the plan does not cover",
                        _t(plan, frame),
                        _r(box),
                        round(float(score), 4),
                    )
                )

    # per track: first and last frame, detected sightings, the weakest and the smallest detection
    first: dict[int, FrameBoxes] = {}
    last: dict[int, int] = {}
    sightings: dict[int, list[int]] = {}
    weakest: dict[int, tuple[float, int, tuple[float, float, float, float]]] = {}
    smallest: dict[int, tuple[float, int, tuple[float, float, float, float]]] = {}
    for entry in plan.frames:
        for j, b in enumerate(entry.boxes):
            tid = b.track
            # untracked boxes: one flag per box in a photo (each is a place to look), per frame in a video
            key = tid if tid >= 0 else -1 - (entry.index if video else j)
            if tid >= 0:
                first.setdefault(tid, entry)
                last[tid] = entry.index
            if b.origin != Origin.DETECTED:
                continue
            if tid >= 0:
                sightings.setdefault(tid, []).append(entry.index)
            if evidence.threshold is not None and b.score < evidence.threshold + options.near_margin:
                if key not in weakest or b.score < weakest[key][0]:
                    weakest[key] = (b.score, entry.index, b.box)
            side = min(b.x2 - b.x1, b.y2 - b.y1)
            if side < options.tiny_px:
                if key not in smallest or side < smallest[key][0]:
                    smallest[key] = (side, entry.index, b.box)

    if evidence.cheap_only_frames is not None:
        for tid, seen in sightings.items():
            if seen[0] in evidence.cheap_only_frames:
                flags.append(
                    Flag(
                        FlagKind.CHEAP_ONLY_APPEARANCE,
                        seen[0],
                        f"track {tid} first detected where only the cheap passes ran: check the frames before it",
                        _t(plan, seen[0]),
                        track=tid,
                    )
                )

    if video and fps > 0:
        gap_frames = options.gap_s * fps
        for tid, seen in sightings.items():
            for seen_at, next_at in itertools.pairwise(seen):
                missing = next_at - seen_at - 1
                if missing > gap_frames:
                    flags.append(
                        Flag(
                            FlagKind.TRACK_GAP,
                            seen_at + 1,
                            f"track {tid} not detected for {missing} frames "
                            f"({(next_at - seen_at) / fps:.2f} s) after frame {seen_at}",
                            _t(plan, seen_at + 1),
                            track=tid,
                        )
                    )

    for frame in sorted(set(evidence.cut_frames)):
        flags.append(
            Flag(
                FlagKind.SHOT_CUT,
                frame,
                "shot cut: cover is not held across it; check the new shot's first frames",
                _t(plan, frame),
            )
        )

    for key, (score, frame, box) in weakest.items():
        track = key if key >= 0 else None
        who = f"track {track}'s weakest detection" if track is not None else "a detection"
        flags.append(
            Flag(
                FlagKind.NEAR_THRESHOLD,
                frame,
                f"{who} scored {score:.3f}, near the threshold {evidence.threshold:.3f}: similar faces may be missed",
                _t(plan, frame),
                _r(box),
                score,
                track,
            )
        )

    for key, (side, frame, box) in smallest.items():
        track = key if key >= 0 else None
        who = f"track {track}" if track is not None else "a face"
        flags.append(
            Flag(
                FlagKind.TINY_FACE,
                frame,
                f"{who} is {side:.1f} px small, below {options.tiny_px:g} "
                "px: tiny faces are the likeliest to be missed",
                _t(plan, frame),
                _r(box),
                track=track,
            )
        )

    if video and fps > 0:
        for tid, entry in first.items():
            span = last[tid] - entry.index + 1
            if span < options.short_track_s * fps:
                flags.append(
                    Flag(
                        FlagKind.SHORT_TRACK,
                        entry.index,
                        f"track {tid} lasts only {span} frames ({span / fps:.2f} s)",
                        _t(plan, entry.index),
                        track=tid,
                    )
                )

    flags.sort(key=lambda f: (f.risk, f.frame, -1 if f.track is None else f.track, f.box or ()))
    return tuple(flags)


__all__ = ["FlagEvidence", "FlagOptions", "compute_flags"]
