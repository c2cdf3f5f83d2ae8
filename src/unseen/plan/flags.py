"""Review flags: where a person should look before trusting a plan, computed when it is made.

Each flag kind has a risk rank (:class:`~.model.FlagKind`, 1 = riskiest) and flags are sorted by
it, then by frame, then within a frame by how much each says (a larger group, a surer thorough-check
face first). Flags about a tracked face are raised once per track (at its first or worst frame), so
a long video gets a list a person can read, not one line per frame. Flags about untracked boxes in
one frame (a photo's) that lie near each other are one flag: its box is the area they span and its
message says how many (a crowd of tiny faces is one place to look). A flag only directs attention:
nothing here changes a box.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..geometry import grow
from ..geometry.groups import central_share_in, near_groups
from ..types import Faces, Origin
from .model import Flag, FlagKind, FrameBoxes, Plan


@dataclass(frozen=True)
class FlagEvidence:
    """What the detection stage knows beyond the boxes; each field is optional (None/empty: the
    flags that need it are not computed, or the boxes are taken as they are)."""

    threshold: float | None = None  # the detector's score threshold
    cut_frames: tuple[int, ...] = ()  # frames that start a new shot
    cheap_only_frames: frozenset[int] | None = None  # frames where only the cheap passes ran
    thorough: tuple[tuple[int, Faces], ...] = ()  # (frame, faces) the thorough check found
    # How the cover grows each plan box into the region it paints (cover.box_scale and
    # cover.regions.UP_SHIFT; cover_ellipse: it paints the ellipse inscribed in that region): a
    # thorough-check face inside what is painted is covered. cover_scale None: the boxes as they are.
    cover_scale: float | None = None
    cover_up: float = 0.0
    cover_ellipse: bool = False


@dataclass(frozen=True)
class FlagOptions:
    near_margin: float = 0.05  # a detection scoring below threshold + this is "near the threshold"
    tiny_px: float = 16.0  # a face box narrower or shorter than this is "tiny"
    short_track_s: float = 0.5  # a track spanning less than this (video) is "short"
    gap_s: float = 1.5  # a track not detected for longer than this has a "gap"
    # A thorough-check face is covered when this share of its central half lies inside the plan's
    # cover (the union of its regions; the same rule unseen_eval.widerface scores coverage with).
    covered_share: float = 0.9
    # A tiny detection scoring at least this (and not near the threshold), alone or with one other,
    # says nothing: it is covered. On WIDER dev even weak lone ones rarely mark a miss (at a bar of
    # 0.5, 548 such flags pointed at one); 0.1 is just above the default preset's 0.08.
    tiny_sure: float = 0.1
    crowd: int = 3  # this many tiny faces near each other are a crowd: flagged however sure each is
    # Untracked flags of one kind in one frame are one flag when their boxes lie within this many
    # times the larger one's short side of each other (single linkage).
    group_link: float = 1.0


def _t(plan: Plan, frame: int) -> float | None:
    return plan.time_of(frame) if plan.input.is_video else None


def _r(box: tuple[float, ...] | np.ndarray) -> tuple[float, float, float, float]:
    return tuple(round(float(v), 2) for v in box)  # type: ignore[return-value]


def _span(boxes: np.ndarray) -> tuple[float, float, float, float]:
    """The area ``boxes`` span, rounded outward to 0.01 px (a flag's box never cuts a member)."""
    lo = np.floor(boxes[:, :2].min(axis=0) * 100) / 100
    hi = np.ceil(boxes[:, 2:].max(axis=0) * 100) / 100
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def _cover_regions(cover: Faces, evidence: FlagEvidence, width: int, height: int) -> np.ndarray:
    """Rectangles inside what the cover paints for ``cover``'s boxes: each box grown as the cover
    grows it; for an ellipse cover the rectangle inscribed in its ellipse (1/sqrt(2) of each side,
    less a pixel), so a face counted as covered always is."""
    if not len(cover):
        return np.zeros((0, 4), np.float64)
    boxes = cover.boxes.astype(np.float64)
    if evidence.cover_scale is None:
        return boxes
    regions = grow(boxes, evidence.cover_scale, up=evidence.cover_up)
    if not evidence.cover_ellipse:
        return regions
    # the ellipse is inscribed in the region as painted (clipped to the frame); the rectangle in it
    # has its corners on the ellipse: 1 px in, for the pixel grid
    regions = np.clip(regions, 0, [width, height, width, height])
    inner = grow(regions, 1 / np.sqrt(2))
    centre = (inner[:, :2] + inner[:, 2:]) / 2
    return np.concatenate([np.minimum(inner[:, :2] + 1, centre), np.maximum(inner[:, 2:] - 1, centre)], axis=1)


# A flag and how much it says among flags of its kind and frame (larger: listed first).
_Ranked = tuple[Flag, float]


def _thorough_flags(plan: Plan, evidence: FlagEvidence, options: FlagOptions) -> list[_Ranked]:
    """One flag per group of thorough-check faces the plan's cover leaves uncovered. Faces are
    grouped when near each other or near the same covered faces (a crowd links them): the faces a
    detector misses sit between the ones it finds, and a crowd is one place to look."""
    out: list[_Ranked] = []
    for frame, found in evidence.thorough:
        cover = plan.faces_for(frame)
        regions = _cover_regions(cover, evidence, plan.input.width, plan.input.height)
        missed = [k for k, box in enumerate(found.boxes) if central_share_in(box, regions) < options.covered_share]
        if not missed:
            continue
        boxes, scores = found.boxes[missed].astype(np.float64), found.scores[missed].astype(np.float64)
        n = len(boxes)
        linked = np.concatenate([boxes, cover.boxes.astype(np.float64)]) if len(cover) else boxes
        for members in near_groups(linked, options.group_link):
            group = members[members < n]
            if not len(group):
                continue
            best = float(scores[group].max())
            among = int(np.sum(members >= n))
            context = f", among {among} covered faces" if among else ""
            if len(group) == 1:
                message = f"the thorough check found a face the plan does not cover (score {best:.2f}{context})"
                box = _r(boxes[group[0]])
            else:
                message = (
                    f"the thorough check found {len(group)} faces here that the plan does not cover "
                    f"(best score {best:.2f}{context})"
                )
                box = _span(boxes[group])
            flag = Flag(FlagKind.THOROUGH_MISS, frame, message, _t(plan, frame), box, round(best, 4))
            out.append((flag, float(scores[group].sum())))
    return out


# An untracked detection as the grouping sees it: (score, short side, box).
_Seen = tuple[float, float, tuple[float, float, float, float]]


def _untracked_groups(
    plan: Plan,
    kind: FlagKind,
    per_frame: dict[int, list[_Seen]],
    options: FlagOptions,
    describe: Callable[[list[_Seen]], str | None],
) -> list[_Ranked]:
    """Flags of untracked detections per frame, nearby ones grouped into one; ``describe`` gives a
    group's message, or None where the group says nothing. Ranked by the group's size."""
    out: list[_Ranked] = []
    for frame, members in per_frame.items():
        boxes = np.asarray([m[2] for m in members], np.float64)
        for group in near_groups(boxes, options.group_link):
            chosen = [members[k] for k in group]
            message = describe(chosen)
            if message is None:
                continue
            box = _r(chosen[0][2]) if len(chosen) == 1 else _span(boxes[group])
            score = min(m[0] for m in chosen) if kind == FlagKind.NEAR_THRESHOLD else None
            out.append((Flag(kind, frame, message, _t(plan, frame), box, score), float(len(chosen))))
    return out


def _near_message(group: list[_Seen], threshold: float) -> str:
    weakest = min(m[0] for m in group)
    if len(group) == 1:
        return f"a detection scored {weakest:.3f}, near the threshold {threshold:.3f}: similar faces may be missed"
    return (
        f"{len(group)} detections here scored near the threshold {threshold:.3f} (lowest {weakest:.3f}): "
        "similar faces may be missed"
    )


def _tiny_message(group: list[_Seen], options: FlagOptions, sure: float) -> str | None:
    """A crowd of tiny faces, or tiny faces not surely detected; None for a few sure ones."""
    weakest = min(m[0] for m in group)
    smallest = min(m[1] for m in group)
    if len(group) >= options.crowd:
        return (
            f"a crowd of {len(group)} tiny faces (under {options.tiny_px:g} px, smallest {smallest:.1f} px): "
            "faces this small are the likeliest to be missed; look for more among them"
        )
    if weakest >= sure:
        return None
    if len(group) == 1:
        return (
            f"a face is {smallest:.1f} px small, below {options.tiny_px:g} px, and scored only {weakest:.2f}: "
            "tiny faces are the likeliest to be missed"
        )
    return (
        f"{len(group)} tiny faces here (smallest {smallest:.1f} px, lowest score {weakest:.2f}): "
        "tiny faces are the likeliest to be missed"
    )


def compute_flags(plan: Plan, evidence: FlagEvidence, options: FlagOptions | None = None) -> tuple[Flag, ...]:
    """The review flags of ``plan`` (its flags field is ignored), ordered by risk."""
    options = options or FlagOptions()
    ranked: list[_Ranked] = _thorough_flags(plan, evidence, options)
    flags: list[Flag] = []
    video = plan.input.is_video
    fps = plan.input.fps or 0.0

    # per track: first and last frame, detected sightings, the weakest and the smallest detection;
    # untracked detections near the threshold or tiny: per frame, to be grouped
    first: dict[int, FrameBoxes] = {}
    last: dict[int, int] = {}
    sightings: dict[int, list[int]] = {}
    weakest: dict[int, tuple[float, int, tuple[float, float, float, float]]] = {}
    smallest: dict[int, tuple[float, int, tuple[float, float, float, float], int]] = {}  # .., its place in tiny_in
    weakest_tiny: dict[int, float] = {}
    weak_boxes: dict[int, list[_Seen]] = {}
    tiny_boxes: dict[int, list[_Seen]] = {}
    tiny_in: dict[int, list[tuple[float, float, float, float]]] = {}  # per frame, tracked or not: for crowds
    # a tiny detection is sure (says nothing alone) from tiny_sure up, and never near the threshold
    near_bar = -1.0 if evidence.threshold is None else evidence.threshold + options.near_margin
    sure = max(options.tiny_sure, near_bar)
    for entry in plan.frames:
        for b in entry.boxes:
            tid = b.track
            if tid >= 0:
                first.setdefault(tid, entry)
                last[tid] = entry.index
            if b.origin != Origin.DETECTED:
                continue
            if tid >= 0:
                sightings.setdefault(tid, []).append(entry.index)
            if b.rejected is not None:  # decided not a face: it marks nothing about faces
                continue
            side = min(b.x2 - b.x1, b.y2 - b.y1)
            near = b.score < near_bar
            tiny = side < options.tiny_px
            if tiny:
                tiny_in.setdefault(entry.index, []).append(b.box)
            if tid < 0:
                if near:
                    weak_boxes.setdefault(entry.index, []).append((b.score, side, b.box))
                if tiny:
                    tiny_boxes.setdefault(entry.index, []).append((b.score, side, b.box))
                continue
            if near and (tid not in weakest or b.score < weakest[tid][0]):
                weakest[tid] = (b.score, entry.index, b.box)
            if tiny:
                weakest_tiny[tid] = min(b.score, weakest_tiny.get(tid, 1.0))
                if tid not in smallest or side < smallest[tid][0]:
                    smallest[tid] = (side, entry.index, b.box, len(tiny_in[entry.index]) - 1)

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

    for tid, (score, frame, box) in weakest.items():
        flags.append(
            Flag(
                FlagKind.NEAR_THRESHOLD,
                frame,
                f"track {tid}'s weakest detection scored {score:.3f}, near the threshold "
                f"{evidence.threshold:.3f}: similar faces may be missed",
                _t(plan, frame),
                _r(box),
                score,
                tid,
            )
        )
    threshold = evidence.threshold or 0.0
    ranked += _untracked_groups(
        plan, FlagKind.NEAR_THRESHOLD, weak_boxes, options, lambda g: _near_message(g, threshold)
    )

    crowd_of: dict[int, np.ndarray] = {}  # per frame: the size of each tiny detection's group
    for tid, (side, frame, box, at) in smallest.items():
        # a tracked tiny face is flagged (once, at its smallest) when it was ever weakly detected, or
        # when it is in a crowd of tiny faces there; a sure one alone says nothing
        if frame not in crowd_of:
            sizes = np.zeros(len(tiny_in[frame]), np.int64)
            for g in near_groups(np.asarray(tiny_in[frame], np.float64), options.group_link):
                sizes[g] = len(g)
            crowd_of[frame] = sizes
        crowd = int(crowd_of[frame][at])
        weak = weakest_tiny[tid] < sure
        if not weak and crowd < options.crowd:
            continue
        why = f"scored only {weakest_tiny[tid]:.2f}" if weak else f"is in a crowd of {crowd} tiny faces"
        flags.append(
            Flag(
                FlagKind.TINY_FACE,
                frame,
                f"track {tid} is {side:.1f} px small, below {options.tiny_px:g} px, and {why}: "
                "tiny faces are the likeliest to be missed",
                _t(plan, frame),
                _r(box),
                track=tid,
            )
        )
    ranked += _untracked_groups(
        plan, FlagKind.TINY_FACE, tiny_boxes, options, lambda g: _tiny_message(g, options, sure)
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

    ranked += [(f, 0.0) for f in flags]
    ranked.sort(key=lambda r: (r[0].risk, r[0].frame, -r[1], -1 if r[0].track is None else r[0].track, r[0].box or ()))
    return tuple(f for f, _ in ranked)


__all__ = ["FlagEvidence", "FlagOptions", "compute_flags"]
