"""Make a plan from what the detection and tracking stages found in one photo or video."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..cover.kinds import boxes_holding_mask
from ..errors import CorruptInput, LimitExceeded
from ..settings import Settings
from ..types import Faces, Origin, Regions
from .encode import plan_to_json, written_version
from .flags import FlagEvidence, FlagOptions, compute_flags
from .model import FACE_KIND, KINDS_VERSION, OTHER_KINDS, FrameBoxes, InputInfo, Plan, PlanBox, Producer, Region
from .validate import PlanFieldError, plan_from_json


def json_settings(settings: Any) -> dict[str, Any]:
    """A Settings (or a mapping of its fields) as plain JSON values: tuples become lists."""
    raw = settings.to_dict() if isinstance(settings, Settings) else dict(settings)

    def plain(v: Any) -> Any:
        return [plain(x) for x in v] if isinstance(v, (tuple, list)) else v

    return {str(k): plain(v) for k, v in raw.items()}


def _outward(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float, float, float]:
    """Round to 0.01 px without ever shrinking the box (and never to zero size)."""
    a, b = math.floor(x1 * 100) / 100, math.floor(y1 * 100) / 100
    c, d = math.ceil(x2 * 100) / 100, math.ceil(y2 * 100) / 100
    return a, b, max(c, a + 0.01), max(d, b + 0.01)


def _boxes(faces: Faces, where: str, kind: str = FACE_KIND) -> tuple[PlanBox, ...]:
    out = []
    rolls = [None if math.isnan(r) else round(r, 2) for r in faces.roll.tolist()]
    for box, score, origin, tid, roll in zip(
        faces.boxes.tolist(), faces.scores.tolist(), faces.origin.tolist(), faces.track_ids.tolist(), rolls, strict=True
    ):
        o = Origin(int(origin))
        if o == Origin.MANUAL:
            raise ValueError(f"{where}: manual boxes belong in the plan's regions, not in its frames")
        s = min(max(round(float(score), 4), 0.0), 1.0)
        out.append(PlanBox(*_outward(*box), s, o, int(tid), None, kind, roll if kind == FACE_KIND else None))
    return tuple(out)


def without_held_copies_inside(boxes: Faces) -> Faces:
    """``boxes`` without the tracking's added boxes (interpolated, held) that lie inside another box of
    the same track on the frame (of two equal boxes the first is kept; a detected box always is).
    A held track puts grown copies of its nearby sightings on each frame; the ones inside another
    add no cover (solid or mosaic paints that area anyway), only plan size and boxes to review."""
    n = len(boxes)
    if n < 2:
        return boxes
    b, t = boxes.boxes, boxes.track_ids
    # inside[i, j]: box i lies in box j
    inside = (
        (b[None, :, 0] <= b[:, None, 0])
        & (b[None, :, 1] <= b[:, None, 1])
        & (b[None, :, 2] >= b[:, None, 2])
        & (b[None, :, 3] >= b[:, None, 3])
    )
    equal = (b[None, :, :] == b[:, None, :]).all(axis=2)
    idx = np.arange(n)
    inside &= ~equal | (idx[None, :] < idx[:, None])
    inside &= (t[:, None] == t[None, :]) & (t[:, None] >= 0)
    np.fill_diagonal(inside, False)
    drop = inside.any(axis=1) & (boxes.origin != Origin.DETECTED)
    return boxes if not drop.any() else boxes[np.flatnonzero(~drop)]


def build_plan(
    info: InputInfo,
    settings: Any,
    detector: str,
    frames: Iterable[tuple[int, float | None, Faces]],
    *,
    regions: Iterable[Region] = (),
    evidence: FlagEvidence | None = None,
    options: FlagOptions | None = None,
    unseen_version: str = "",
    others: Iterable[tuple[int, float | None, Regions]] = (),
) -> Plan:
    """The plan of one input from its per-frame faces ``(index, time or None, Faces)`` (a photo:
    one entry, index 0), with the manual ``regions`` and the review flags computed from the boxes
    and ``evidence``. Every box is kept (rounded outward to 0.01 px); frames without boxes are
    left out. The result is checked by the loader's rules: a region outside the frame, or sizes
    beyond the limits, raise CorruptInput / LimitExceeded naming the input and the field.

    ``others``: boxes of the other kinds (people, text, plates) per frame ``(index, time, Regions)``,
    kept after the frame's faces with their kind (plan version 2), less the tracking's copies inside
    another box of their track (:func:`without_held_copies_inside`), a silhouette as boxes holding
    its mask. The review flags are computed on the faces alone (a text box is not a tiny face)."""
    if not unseen_version:
        from ..version import __version__

        unseen_version = __version__
    entries = []
    for index, time, faces in sorted(frames, key=lambda f: f[0]):
        if len(faces):
            t = None if time is None else round(float(time), 6)
            entries.append(FrameBoxes(int(index), _boxes(faces, f"frame {index}"), t))
    plan = Plan(info, Producer(detector, json_settings(settings), unseen_version), tuple(entries), tuple(regions))
    plan = dataclasses.replace(plan, flags=compute_flags(plan, evidence or FlagEvidence(), options))
    extra: dict[int, tuple[float | None, list[PlanBox]]] = {}
    for index, time, found in others:
        if found.kind not in OTHER_KINDS:
            raise ValueError(f"frame {index}: {found.kind!r} is not a kind a plan holds besides faces")
        if len(found):
            t = None if time is None else round(float(time), 6)
            # A plan keeps boxes, not masks: a silhouette's boxes grown to hold its mask (never less cover).
            held = without_held_copies_inside(boxes_holding_mask(found))
            extra.setdefault(int(index), (t, []))[1].extend(_boxes(held, f"frame {index}", found.kind))
    if extra:
        merged = {f.index: f for f in plan.frames}
        for index, (t, boxes) in extra.items():
            old = merged.get(index)
            merged[index] = (
                FrameBoxes(index, tuple(boxes), t)
                if old is None
                else dataclasses.replace(old, boxes=old.boxes + tuple(boxes))
            )
        plan = dataclasses.replace(plan, frames=tuple(merged[i] for i in sorted(merged)))
    # Version 2 when the other kinds were looked for (recorded, found or not; Plan.planned_kinds).
    plan = dataclasses.replace(plan, version=max(written_version(plan), KINDS_VERSION if plan.asked_kinds else 1))
    try:
        plan_from_json(plan_to_json(plan))
    except PlanFieldError as exc:
        cls = LimitExceeded if exc.limit else CorruptInput
        raise cls(exc.reason, path=info.name, where=exc.where or None) from None
    return plan
