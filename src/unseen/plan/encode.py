"""A :class:`~.model.Plan` as JSON: plain values (:func:`plan_to_json`) and deterministic text
(:func:`dumps`): keys sorted, one box, keyframe or flag per line, UTF-8, no NaN."""

from __future__ import annotations

import json
from typing import Any

from . import limits
from .model import (
    ORIGIN_NAMES,
    Flag,
    FrameBoxes,
    InputInfo,
    Plan,
    PlanBox,
    Producer,
    Region,
)


def _input(i: InputInfo) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": i.name,
        "size": i.size,
        "sha256": i.sha256,
        "kind": i.kind,
        "width": i.width,
        "height": i.height,
    }
    if i.is_video:
        d.update(frame_count=i.frame_count, time_base=list(i.time_base or ()), fps=i.fps, duration=i.duration)
    return d


def _producer(p: Producer) -> dict[str, Any]:
    return {"detector": p.detector, "settings": dict(p.settings), "unseen_version": p.unseen_version}


def _box(b: PlanBox) -> dict[str, Any]:
    d: dict[str, Any] = {"box": list(b.box), "score": b.score, "origin": ORIGIN_NAMES[b.origin], "track": b.track}
    if not b.is_face:
        d["kind"] = b.kind
    if b.roll is not None:
        d["roll"] = b.roll
    if b.rejected is not None:
        d.update(rejected=True, by=b.rejected.by, at=b.rejected.at)
        if b.rejected.why:
            d["why"] = b.rejected.why
    return d


def _frame(f: FrameBoxes) -> dict[str, Any]:
    d: dict[str, Any] = {"index": f.index, "boxes": [_box(b) for b in f.boxes]}
    if f.time is not None:
        d["time"] = f.time
    return d


def _region(r: Region) -> dict[str, Any]:
    d: dict[str, Any] = {
        "unit": r.unit,
        "start": _at(r.unit, r.start),
        "end": _at(r.unit, r.end),
        "keyframes": [{"at": _at(r.unit, k.at), "box": list(k.box)} for k in r.keyframes],
    }
    if r.note:
        d["note"] = r.note
    return d


def _at(unit: str, value: float) -> float | int:
    return int(value) if unit == "frame" else value


def _flag(f: Flag) -> dict[str, Any]:
    d: dict[str, Any] = {"kind": f.kind.value, "risk": f.risk, "frame": f.frame, "message": f.message}
    if f.time is not None:
        d["time"] = f.time
    if f.box is not None:
        d["box"] = list(f.box)
    if f.score is not None:
        d["score"] = f.score
    if f.track is not None:
        d["track"] = f.track
    return d


def written_version(plan: Plan) -> int:
    """The version a plan is written as: the oldest that holds it, never older than it was made or
    loaded as (``build_plan`` makes a plan version 2 when its producer asked for other kinds, found
    or not). A loaded version 1 plan stays version 1 unless boxes of other kinds were added: its
    producer's ``cover`` never becomes an answer for kinds it did not record. A face's ``roll`` is a
    version 2 field too: a plan that records one is written as version 2."""
    return max(plan.version, limits.KINDS_VERSION if plan.box_kinds or plan.has_rolls else 1)


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format": limits.FORMAT,
        "version": written_version(plan),
        "input": _input(plan.input),
        "producer": _producer(plan.producer),
        "frames": [_frame(f) for f in plan.frames],
        "regions": [_region(r) for r in plan.regions],
        "flags": [_flag(f) for f in plan.flags],
    }


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _leaf(value: Any) -> str:
    return _ENCODER.encode(value)


def _holds_objects(value: Any) -> bool:
    """An object with a list of objects among its values, or a list of objects (a plan's lists
    hold one kind of item, so the first tells)."""
    if isinstance(value, dict):
        return any(isinstance(v, list) and v and isinstance(v[0], dict) for v in value.values())
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def _emit(value: Any, indent: int, out: list[str]) -> None:
    """Objects and arrays that hold objects go one member per line; everything else on one line."""
    pad = " " * (indent + 1)
    if isinstance(value, dict) and (indent == 0 or _holds_objects(value)):
        if not value:
            out.append("{}")
            return
        out.append("{\n")
        for n, key in enumerate(sorted(value)):
            out.append(f"{pad}{_leaf(key)}: ")
            _emit(value[key], indent + 1, out)
            out.append(",\n" if n < len(value) - 1 else "\n")
        out.append(" " * indent + "}")
    elif isinstance(value, list) and _holds_objects(value):
        out.append("[\n")
        for n, item in enumerate(value):
            out.append(pad)
            _emit(item, indent + 1, out)
            out.append(",\n" if n < len(value) - 1 else "\n")
        out.append(" " * indent + "]")
    else:
        out.append(_leaf(value))


def dumps(plan: Plan) -> str:
    out: list[str] = []
    _emit(plan_to_json(plan), 0, out)
    out.append("\n")
    return "".join(out)
