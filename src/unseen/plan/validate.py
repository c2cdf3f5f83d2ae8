"""Turn parsed JSON into a :class:`~.model.Plan`, checking every field; the loader's real check.

Each refusal is a :class:`PlanFieldError` naming the JSON path of the bad field
(``frames[12].boxes[3]``) and what is wrong with it, in one line. The checks are those of
``plan.schema.json`` plus what a schema cannot say: x2 > x1, boxes against the frame's size,
indices against the frame count, order, and the risk order of flags.
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeVar

from ..types import Origin
from . import limits
from .model import (
    FACE_KIND,
    ORIGINS_BY_NAME,
    OTHER_KINDS,
    Flag,
    FlagKind,
    FrameBoxes,
    InputInfo,
    Keyframe,
    Plan,
    PlanBox,
    Producer,
    Region,
    Rejection,
)

T = TypeVar("T")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PlanFieldError(ValueError):
    """A field of a parsed plan is missing, of the wrong type or out of range."""

    def __init__(self, where: str, reason: str, *, limit: bool = False):
        super().__init__(f"{where}: {reason}" if where else reason)
        self.where = where
        self.reason = reason
        self.limit = limit


def _join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def _obj(value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PlanFieldError(where, f"must be an object, not {_kind(value)}")
    for key in required:
        if key not in value:
            raise PlanFieldError(where, f"missing field {key!r}")
    allowed = set(required) | set(optional)
    for key in value:
        if key not in allowed:
            raise PlanFieldError(where, f"unknown field {key[:80]!r}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _list(value: Any, where: str, most: int, limit_name: str) -> list[Any]:
    if not isinstance(value, list):
        raise PlanFieldError(where, f"must be an array, not {_kind(value)}")
    if len(value) > most:
        raise PlanFieldError(where, f"holds {len(value)} items, more than {limit_name} ({most})", limit=True)
    return value


def _int(value: Any, where: str, lo: int, hi: int) -> int:
    # JSON has one number type: 3.0 is the integer 3 (as in JSON Schema)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        what = "a fraction" if isinstance(value, float) else _kind(value)
        raise PlanFieldError(where, f"must be an integer, not {what}")
    if not lo <= value <= hi:
        raise PlanFieldError(where, f"must be between {lo} and {hi}, got {value}")
    return value


def _num(value: Any, where: str, lo: float, hi: float, *, above: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlanFieldError(where, f"must be a number, not {_kind(value)}")
    v = float(value)
    if not math.isfinite(v) or v > hi or v < lo or (above and v <= lo):
        bound = f"> {lo:g}" if above else f">= {lo:g}"
        raise PlanFieldError(where, f"must be {bound} and <= {hi:g}, got {value!r}")
    return v


def _str(value: Any, where: str, *, empty: bool = True) -> str:
    if not isinstance(value, str):
        raise PlanFieldError(where, f"must be a string, not {_kind(value)}")
    if len(value) > limits.MAX_TEXT:
        raise PlanFieldError(where, f"is longer than MAX_TEXT ({limits.MAX_TEXT} characters)", limit=True)
    if not empty and not value.strip():
        raise PlanFieldError(where, "must not be empty")
    return value


def _choice(value: Any, where: str, choices: dict[str, T]) -> T:
    if not isinstance(value, str) or value not in choices:
        names = ", ".join(sorted(choices))
        shown = value[:40] if isinstance(value, str) else _kind(value)
        raise PlanFieldError(where, f"must be one of {names}, got {shown!r}")
    return choices[value]


def _box(value: Any, where: str, width: int, height: int, *, margin: bool) -> tuple[float, float, float, float]:
    """x1, y1, x2, y2 with x2 > x1 and y2 > y1. Manual boxes lie inside the frame; detected ones
    may reach out of it by up to one frame size (a face cut by the edge, or a held box drifting
    out: the cover grows from the whole box, so clipping it would shrink the cover)."""
    if not isinstance(value, list):
        raise PlanFieldError(where, f"must be an array, not {_kind(value)}")
    items = value
    if len(items) != 4:
        raise PlanFieldError(where, f"must hold 4 numbers x1, y1, x2, y2, got {len(items)}")
    mx, my = (width, height) if margin else (0, 0)
    x1 = _num(items[0], _join(where, 0), -mx, width + mx)
    y1 = _num(items[1], _join(where, 1), -my, height + my)
    x2 = _num(items[2], _join(where, 2), -mx, width + mx)
    y2 = _num(items[3], _join(where, 3), -my, height + my)
    if x2 <= x1:
        raise PlanFieldError(where, f"x2 must be > x1 (got x1={x1:g}, x2={x2:g})")
    if y2 <= y1:
        raise PlanFieldError(where, f"y2 must be > y1 (got y1={y1:g}, y2={y2:g})")
    return (x1, y1, x2, y2)


def _input(value: Any) -> InputInfo:
    w = "input"
    common = ("name", "size", "sha256", "kind", "width", "height")
    video = ("frame_count", "time_base", "fps", "duration")
    d = _obj(value, w, common, video)
    kind = _choice(d["kind"], _join(w, "kind"), {"image": "image", "video": "video"})
    name = _str(d["name"], _join(w, "name"), empty=False)
    size = _int(d["size"], _join(w, "size"), 0, limits.MAX_FILE_BYTES)
    sha = _str(d["sha256"], _join(w, "sha256"))
    if not _SHA256.fullmatch(sha):
        raise PlanFieldError(_join(w, "sha256"), "must be 64 lowercase hexadecimal digits")
    width = _int(d["width"], _join(w, "width"), 1, limits.MAX_DIMENSION)
    height = _int(d["height"], _join(w, "height"), 1, limits.MAX_DIMENSION)
    if kind == "image":
        for key in video:
            if key in d:
                raise PlanFieldError(w, f"field {key!r} is for videos only")
        return InputInfo(name, size, sha, kind, width, height)
    for key in video:
        if key not in d:
            raise PlanFieldError(w, f"missing field {key!r} (a video's plan needs it)")
    frame_count = _int(d["frame_count"], _join(w, "frame_count"), 1, limits.MAX_FRAME_COUNT)
    tb = d["time_base"]
    if not isinstance(tb, list) or len(tb) != 2:
        raise PlanFieldError(_join(w, "time_base"), "must hold 2 integers: numerator, denominator")
    time_base = (
        _int(tb[0], _join(w, "time_base[0]"), 1, limits.MAX_INTEGER),
        _int(tb[1], _join(w, "time_base[1]"), 1, limits.MAX_INTEGER),
    )
    fps = _num(d["fps"], _join(w, "fps"), 0, limits.MAX_FPS, above=True)
    duration = _num(d["duration"], _join(w, "duration"), 0, limits.MAX_DURATION_S)
    return InputInfo(name, size, sha, kind, width, height, frame_count, time_base, fps, duration)


def _setting(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return _str(value, where) if isinstance(value, str) else value
    if isinstance(value, float):
        return _num(value, where, -limits.MAX_ABS_NUMBER, limits.MAX_ABS_NUMBER)
    if isinstance(value, list):
        items = _list(value, where, limits.MAX_SETTING_LIST, "MAX_SETTING_LIST")
        for i, item in enumerate(items):
            if isinstance(item, (list, dict)):
                raise PlanFieldError(_join(where, i), "a setting's list holds only numbers, strings, booleans or null")
            _setting(item, _join(where, i))
        return list(items)
    raise PlanFieldError(where, "a setting is a number, string, boolean, null or a list of them")


def _producer(value: Any) -> Producer:
    w = "producer"
    d = _obj(value, w, ("detector", "settings", "unseen_version"))
    detector = _str(d["detector"], _join(w, "detector"), empty=False)
    version = _str(d["unseen_version"], _join(w, "unseen_version"))
    sw = _join(w, "settings")
    settings = d["settings"]
    if not isinstance(settings, dict):
        raise PlanFieldError(sw, f"must be an object, not {_kind(settings)}")
    if len(settings) > limits.MAX_SETTINGS:
        raise PlanFieldError(
            sw, f"holds {len(settings)} settings, more than MAX_SETTINGS ({limits.MAX_SETTINGS})", limit=True
        )
    out = {}
    for key, item in settings.items():
        if not key or len(key) > 64:
            raise PlanFieldError(sw, f"setting name {key[:80]!r} must be 1-64 characters")
        out[key] = _setting(item, _join(sw, key))
    return Producer(detector, out, version)


def _rejection(d: dict[str, Any], where: str) -> Rejection | None:
    if "rejected" not in d:
        for key in ("by", "at", "why"):
            if key in d:
                raise PlanFieldError(_join(where, key), 'belongs to a rejection: set "rejected": true, or remove it')
        return None
    if d["rejected"] is not True:
        raise PlanFieldError(
            _join(where, "rejected"), "must be true when present (a box is kept unless explicitly rejected)"
        )
    for key in ("by", "at"):
        if key not in d:
            raise PlanFieldError(where, f"a rejection must say {'who' if key == 'by' else 'when'} (field {key!r})")
    return Rejection(
        _str(d["by"], _join(where, "by"), empty=False),
        _str(d["at"], _join(where, "at"), empty=False),
        _str(d.get("why", ""), _join(where, "why")),
    )


_FRAME_ORIGINS = {name: o for name, o in ORIGINS_BY_NAME.items() if o != Origin.MANUAL}


_BOX_KEYS = frozenset(("box", "score", "origin", "track"))
_ROLLED_BOX_KEYS = _BOX_KEYS | {"roll"}
_NUMBER = (float, int)  # exact types: bool, a subclass of int, is not a number here


def _plain_box(b: Any, width: int, height: int, version: int) -> PlanBox | None:
    """The common case, checked without building JSON paths: a box without a rejection whose
    fields are all fine. None sends it to :func:`_frame_box`, which names what is wrong. It
    accepts exactly what _frame_box accepts (comparisons are False for NaN)."""
    if type(b) is not dict:
        return None
    if b.keys() != _BOX_KEYS and (version < limits.KINDS_VERSION or b.keys() != _ROLLED_BOX_KEYS):
        return None
    xy, score, origin, track, roll = b["box"], b["score"], b["origin"], b["track"], b.get("roll")
    if type(xy) is not list or len(xy) != 4:
        return None
    x1, y1, x2, y2 = xy
    if type(x1) not in _NUMBER or type(y1) not in _NUMBER or type(x2) not in _NUMBER or type(y2) not in _NUMBER:
        return None
    if not (-width <= x1 < x2 <= 2 * width and -height <= y1 < y2 <= 2 * height):
        return None
    if type(score) not in _NUMBER or not 0.0 <= score <= 1.0:
        return None
    if type(origin) is not str or origin not in _FRAME_ORIGINS:
        return None
    if type(track) is not int or not -1 <= track <= limits.MAX_INTEGER:
        return None
    if roll is not None and (type(roll) not in _NUMBER or not -180.0 <= roll <= 180.0):
        return None
    r = None if roll is None else float(roll)
    return PlanBox(float(x1), float(y1), float(x2), float(y2), float(score), _FRAME_ORIGINS[origin], track, roll=r)


_KINDS = {k: k for k in OTHER_KINDS}

# Box fields a version 1 plan does not have (the loader of that version refuses unknown fields).
_V2_BOX_FIELDS = ("kind", "roll")


def _frame_box(raw: Any, where: str, info: InputInfo, version: int) -> PlanBox:
    if version < limits.KINDS_VERSION and isinstance(raw, dict):
        for field in _V2_BOX_FIELDS:
            if field in raw:
                need = limits.KINDS_VERSION
                raise PlanFieldError(
                    where, f"field '{field}' needs plan version {need} (this plan is version {version})"
                )
    optional = ("rejected", "by", "at", "why") + (_V2_BOX_FIELDS if version >= limits.KINDS_VERSION else ())
    b = _obj(raw, where, ("box", "score", "origin", "track"), optional)
    x1, y1, x2, y2 = _box(b["box"], _join(where, "box"), info.width, info.height, margin=True)
    score = _num(b["score"], _join(where, "score"), 0.0, 1.0)
    origin = _choice(b["origin"], _join(where, "origin"), _FRAME_ORIGINS)
    track = _int(b["track"], _join(where, "track"), -1, limits.MAX_INTEGER)
    kind = _choice(b["kind"], _join(where, "kind"), _KINDS) if "kind" in b else FACE_KIND
    roll = _num(b["roll"], _join(where, "roll"), -180.0, 180.0) if "roll" in b else None
    return PlanBox(x1, y1, x2, y2, score, origin, track, _rejection(b, where), kind, roll)


def _frames(value: Any, info: InputInfo, version: int = 1) -> tuple[FrameBoxes, ...]:
    frames = _list(value, "frames", limits.MAX_FRAME_COUNT, "MAX_FRAME_COUNT")
    last_index = (info.frame_count - 1) if info.frame_count is not None else 0
    out = []
    total = 0
    prev = -1
    for i, raw in enumerate(frames):
        w = f"frames[{i}]"
        d = _obj(raw, w, ("index", "boxes"), ("time",) if info.is_video else ())
        index = _int(d["index"], _join(w, "index"), 0, limits.MAX_FRAME_COUNT)
        if index > last_index:
            what = f"the video's {info.frame_count} frames" if info.is_video else "a photo (frame 0 only)"
            raise PlanFieldError(_join(w, "index"), f"frame {index} is outside {what}")
        if index <= prev:
            raise PlanFieldError(
                _join(w, "index"), f"frames must be listed by increasing index (frame {index} after {prev})"
            )
        prev = index
        time = None
        if info.is_video:
            if "time" not in d:
                raise PlanFieldError(w, "missing field 'time' (a video frame's time in seconds)")
            time = _num(d["time"], _join(w, "time"), -limits.MAX_DURATION_S, limits.MAX_DURATION_S)
        bw = _join(w, "boxes")
        boxes_raw = _list(d["boxes"], bw, limits.MAX_BOXES_PER_FRAME, "MAX_BOXES_PER_FRAME")
        if not boxes_raw:
            raise PlanFieldError(bw, "is empty: list only frames that have boxes")
        total += len(boxes_raw)
        if total > limits.MAX_TOTAL_BOXES:
            raise PlanFieldError(
                bw, f"the plan holds more than MAX_TOTAL_BOXES ({limits.MAX_TOTAL_BOXES}) boxes", limit=True
            )
        boxes = []
        for j, rb in enumerate(boxes_raw):
            box = _plain_box(rb, info.width, info.height, version)
            boxes.append(box if box is not None else _frame_box(rb, _join(bw, j), info, version))
        out.append(FrameBoxes(index, tuple(boxes), time))
    return tuple(out)


def _position(value: Any, where: str, unit: str, last: float) -> float:
    """A region's start, end or keyframe: a frame number (unit "frame") or seconds, 0 to ``last``."""
    if unit == "frame":
        return float(_int(value, where, 0, int(last)))
    return _num(value, where, 0.0, last)


def _regions(value: Any, info: InputInfo) -> tuple[Region, ...]:
    regions = _list(value, "regions", limits.MAX_REGIONS, "MAX_REGIONS")
    out = []
    total = 0
    for i, raw in enumerate(regions):
        w = f"regions[{i}]"
        d = _obj(raw, w, ("unit", "start", "end", "keyframes"), ("note",))
        unit = _choice(d["unit"], _join(w, "unit"), {"frame": "frame", "time": "time"})
        if unit == "frame":
            last = float(info.frame_count - 1) if info.frame_count is not None else 0.0
        else:
            if not info.is_video:
                raise PlanFieldError(
                    _join(w, "unit"), 'a photo\'s region has no time range: use unit "frame" (frame 0)'
                )
            # a time may reach one frame interval past the duration (rounding of the last frame's end)
            last = min(float(info.duration or 0.0) + 1.0 / float(info.fps or 1.0), limits.MAX_DURATION_S + 1.0)
        start = _position(d["start"], _join(w, "start"), unit, last)
        end = _position(d["end"], _join(w, "end"), unit, last)
        if end < start:
            raise PlanFieldError(_join(w, "end"), f"must be >= start ({start:g}), got {end:g}")
        kw = _join(w, "keyframes")
        keys_raw = _list(d["keyframes"], kw, limits.MAX_KEYFRAMES_PER_REGION, "MAX_KEYFRAMES_PER_REGION")
        if not keys_raw:
            raise PlanFieldError(kw, "must hold at least one keyframe")
        total += len(keys_raw)
        if total > limits.MAX_TOTAL_KEYFRAMES:
            raise PlanFieldError(
                kw, f"the plan holds more than MAX_TOTAL_KEYFRAMES ({limits.MAX_TOTAL_KEYFRAMES}) keyframes", limit=True
            )
        keys: list[Keyframe] = []
        for j, rk in enumerate(keys_raw):
            kj = _join(kw, j)
            k = _obj(rk, kj, ("at", "box"))
            at = _position(k["at"], _join(kj, "at"), unit, last)
            if not start <= at <= end:
                raise PlanFieldError(
                    _join(kj, "at"), f"must lie within the region's start and end ({start:g}-{end:g}), got {at:g}"
                )
            if keys and at <= keys[-1].at:
                raise PlanFieldError(
                    _join(kj, "at"), f"keyframes must be in increasing order ({at:g} after {keys[-1].at:g})"
                )
            box = _box(k["box"], _join(kj, "box"), info.width, info.height, margin=False)
            keys.append(Keyframe(at, box))
        note = _str(d.get("note", ""), _join(w, "note"))
        out.append(Region(unit, start, end, tuple(keys), note))
    return tuple(out)


_FLAG_KINDS = {k.value: k for k in FlagKind}


def _flags(value: Any, info: InputInfo) -> tuple[Flag, ...]:
    flags = _list(value, "flags", limits.MAX_FLAGS, "MAX_FLAGS")
    last_index = (info.frame_count - 1) if info.frame_count is not None else 0
    out: list[Flag] = []
    for i, raw in enumerate(flags):
        w = f"flags[{i}]"
        d = _obj(raw, w, ("kind", "risk", "frame", "message"), ("time", "box", "score", "track"))
        kind = _choice(d["kind"], _join(w, "kind"), _FLAG_KINDS)
        risk = _int(d["risk"], _join(w, "risk"), 1, len(FlagKind))
        if risk != kind.risk:
            raise PlanFieldError(_join(w, "risk"), f"a {kind.value} flag has risk {kind.risk}, got {risk}")
        if out and risk < out[-1].risk:
            raise PlanFieldError(_join(w, "risk"), f"flags must be ordered by risk (risk {risk} after {out[-1].risk})")
        frame = _int(d["frame"], _join(w, "frame"), 0, limits.MAX_FRAME_COUNT)
        if frame > last_index:
            raise PlanFieldError(_join(w, "frame"), f"frame {frame} is outside the input")
        message = _str(d["message"], _join(w, "message"), empty=False)
        time = None
        if "time" in d:
            if not info.is_video:
                raise PlanFieldError(_join(w, "time"), "a photo's flag has no time")
            time = _num(d["time"], _join(w, "time"), -limits.MAX_DURATION_S, limits.MAX_DURATION_S)
        box = _box(d["box"], _join(w, "box"), info.width, info.height, margin=True) if "box" in d else None
        score = _num(d["score"], _join(w, "score"), 0.0, 1.0) if "score" in d else None
        track = _int(d["track"], _join(w, "track"), -1, limits.MAX_INTEGER) if "track" in d else None
        out.append(Flag(kind, frame, message, time, box, score, track))
    return tuple(out)


def plan_from_json(doc: Any) -> Plan:
    """The Plan in a parsed document; PlanFieldError names the first bad field."""
    if not isinstance(doc, dict):
        raise PlanFieldError("", f"a plan is a JSON object, not {_kind(doc)}")
    if doc.get("format") != limits.FORMAT:
        raise PlanFieldError("format", f"must be {limits.FORMAT!r}: this is not an unseen plan")
    if "version" not in doc:
        raise PlanFieldError("", "missing field 'version'")
    version = doc["version"]
    if isinstance(version, float) and version.is_integer():
        version = int(version)
    if isinstance(version, bool) or not isinstance(version, int) or version not in limits.VERSIONS:
        known = ", ".join(str(v) for v in limits.VERSIONS)
        shown = version if isinstance(version, (int, float)) and not isinstance(version, bool) else _kind(version)
        what = "versions" if len(limits.VERSIONS) > 1 else "version"
        raise PlanFieldError("version", f"unknown plan version {shown} (this unseen reads {what} {known})")
    d = _obj(doc, "", ("format", "version", "input", "producer", "frames", "regions", "flags"))
    info = _input(d["input"])
    producer = _producer(d["producer"])
    return Plan(
        info,
        producer,
        _frames(d["frames"], info, version),
        _regions(d["regions"], info),
        _flags(d["flags"], info),
        version,
    )
