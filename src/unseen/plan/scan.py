"""Parse a plan's bytes into plain JSON values without letting hostile input cost unbounded work.

Two steps. First a vectorised scan of the raw bytes (strings masked out, in chunks) measures the nesting
depth, counts objects, arrays and separators, and the objects and arrays directly inside each one,
so that deep nesting or millions of boxes are refused before the parser builds anything. Then
:func:`json.loads` runs with hooks that refuse ``NaN``/``Infinity``, numbers beyond
:data:`~.limits.MAX_ABS_NUMBER` (``1e400`` too) and duplicate keys. Every refusal is a
:class:`PlanSyntaxError` with one line of text; the caller adds the file's name.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from . import limits


class PlanSyntaxError(ValueError):
    """The bytes are not a JSON document the plan loader accepts; ``limit`` marks a size limit."""

    def __init__(self, reason: str, *, limit: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.limit = limit


_BACKSLASH = 0x5C
_OBJECT, _CLOSE, _COMMA, _QUOTE, _ARRAY = 1, 2, 3, 4, 5
_CODES = np.zeros(256, np.uint8)  # byte -> what it is to the scan
_CODES[ord("{")] = _OBJECT
_CODES[ord("[")] = _ARRAY
_CODES[[ord("]"), ord("}")]] = _CLOSE
_CODES[ord(",")] = _COMMA
_CODES[ord('"')] = _QUOTE
_CHUNK = 1 << 24  # bytes scanned at a time: memory stays a few times this, whatever the file's size


# Objects at a nesting level of a version 1 plan (the top-level object is level 1): boxes and
# keyframes at level 5; frames, regions, flags and the settings at level 3 (a frame has a box).
_OBJECTS_AT = (
    (
        5,
        limits.MAX_TOTAL_BOXES + limits.MAX_TOTAL_KEYFRAMES,
        f"boxes and keyframes (limits MAX_TOTAL_BOXES {limits.MAX_TOTAL_BOXES}, "
        f"MAX_TOTAL_KEYFRAMES {limits.MAX_TOTAL_KEYFRAMES})",
    ),
    (
        3,
        limits.MAX_TOTAL_BOXES + limits.MAX_REGIONS + limits.MAX_FLAGS + 1,
        f"frames, regions and flags (limits MAX_TOTAL_BOXES {limits.MAX_TOTAL_BOXES}, "
        f"MAX_REGIONS {limits.MAX_REGIONS}, MAX_FLAGS {limits.MAX_FLAGS})",
    ),
)


def _escaped(a: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """Which of ``quotes`` (offsets into ``a``) are escaped by an odd run of backslashes."""
    out = np.zeros(quotes.size, bool)
    maybe = np.flatnonzero((quotes > 0) & (a[np.maximum(quotes - 1, 0)] == _BACKSLASH))
    for i in maybe.tolist():  # only quotes right after a backslash: rare in a plan
        pos, run = int(quotes[i]), 0
        while pos - run - 1 >= 0 and a[pos - run - 1] == _BACKSLASH:
            run += 1
        out[i] = run % 2 == 1
    return out


def prescan(data: bytes) -> None:
    """Refuse nesting deeper than MAX_DEPTH, more containers or separators than a plan can hold,
    more boxes or frames than the totals allow (counted as objects at their nesting level), and a
    list of more than MAX_CHILDREN objects or arrays below the top two levels.

    Works outside strings only, in chunks; a document that is not JSON at all may pass here and is
    refused by the parser. Time is linear in the size, which the caller has already bounded.
    """
    a = np.frombuffer(data, np.uint8)
    inside = np.uint8(0)  # 1 while in a string, carried from chunk to chunk
    commas = 0
    positions, kinds = [], []
    for start in range(0, a.size, _CHUNK):
        code = _CODES[a[start : start + _CHUNK]]
        quotes = np.flatnonzero(code == _QUOTE)
        if quotes.size:
            quotes = quotes[~_escaped(a, quotes + start)]
            toggle = np.zeros(code.size, np.uint8)
            toggle[quotes] = 1
            parity = np.bitwise_xor.accumulate(toggle)
            if inside:
                parity ^= 1
            inside = parity[-1]
            code[parity.view(bool)] = 0
        elif inside:
            continue  # the whole chunk is inside one string
        commas += int(np.count_nonzero(code == _COMMA))
        at = np.flatnonzero((code == _OBJECT) | (code == _ARRAY) | (code == _CLOSE))
        positions.append(at + start)
        kinds.append(code[at])
    if commas > limits.MAX_SEPARATORS:
        raise PlanSyntaxError(
            f"more than {limits.MAX_SEPARATORS} values (limit "
            "MAX_SEPARATORS: a plan within MAX_TOTAL_BOXES holds fewer)",
            limit=True,
        )
    if not positions:
        return
    brackets = np.concatenate(positions)
    kind = np.concatenate(kinds)
    opening = kind != _CLOSE
    n_open = int(np.count_nonzero(opening))
    if n_open > limits.MAX_CONTAINERS:
        raise PlanSyntaxError(
            f"more than {limits.MAX_CONTAINERS} objects and arrays (limit "
            "MAX_CONTAINERS: a plan within MAX_TOTAL_BOXES holds fewer)",
            limit=True,
        )
    if n_open == 0:
        return
    depth = np.cumsum(np.where(opening, 1, -1).astype(np.int32), dtype=np.int32)  # an opening's own level
    deepest = int(depth.max())
    if deepest > limits.MAX_DEPTH:
        offset = int(brackets[int(np.argmax(depth > limits.MAX_DEPTH))])
        raise PlanSyntaxError(
            f"byte {offset}: nested deeper than {limits.MAX_DEPTH} levels (limit MAX_DEPTH)", limit=True
        )
    open_pos = brackets[opening]
    open_depth = depth[opening]
    objects_at = open_depth[kind[opening] == _OBJECT]
    for level, most, what in _OBJECTS_AT:
        if int(np.count_nonzero(objects_at == level)) > most:
            raise PlanSyntaxError(f"more than {most} {what}", limit=True)
    for d in range(4, deepest + 1):
        # in valid JSON a container's parent is the last opening one level up before it
        is_child = open_depth == d
        if not is_child.any():
            continue
        parent = np.cumsum(open_depth == d - 1)[is_child] - 1
        counts = np.bincount(parent[parent >= 0])
        worst = int(np.argmax(counts)) if counts.size else 0
        if counts.size and counts[worst] > limits.MAX_CHILDREN:
            where = int(open_pos[open_depth == d - 1][worst])
            raise PlanSyntaxError(
                f"byte {where}: a list holds more than {limits.MAX_CHILDREN} boxes "
                f"(limits MAX_BOXES_PER_FRAME {limits.MAX_BOXES_PER_FRAME}, "
                f"MAX_KEYFRAMES_PER_REGION {limits.MAX_KEYFRAMES_PER_REGION})",
                limit=True,
            )


def _parse_constant(name: str) -> Any:
    raise PlanSyntaxError(f"{name} is not a number a plan may hold (only finite numbers)")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > limits.MAX_ABS_NUMBER:
        raise PlanSyntaxError(f"number {text[:40]} is out of range (limit MAX_ABS_NUMBER: 2^53)")
    return value


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > 16:
        raise PlanSyntaxError(
            f"number {text[:40]}{'...' if len(text) > 40 else ''} is out of range (limit MAX_INTEGER: 2^53)"
        )
    value = int(text)
    if abs(value) > limits.MAX_INTEGER:
        raise PlanSyntaxError(f"number {text} is out of range (limit MAX_INTEGER: 2^53)")
    return value


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise PlanSyntaxError(f"duplicate key {json.dumps(key[:80])}")
        out[key] = value
    return out


def parse(data: bytes) -> Any:
    """The JSON value in ``data`` (UTF-8), after :func:`prescan`; refusals as PlanSyntaxError."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanSyntaxError(f"byte {exc.start}: not UTF-8 text") from None
    prescan(data)
    try:
        return json.loads(
            text,
            parse_constant=_parse_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
            object_pairs_hook=_pairs,
        )
    except json.JSONDecodeError as exc:
        raise PlanSyntaxError(f"line {exc.lineno} column {exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:  # the scan bounds depth; this is the parser's own guard behind it
        raise PlanSyntaxError(f"nested deeper than {limits.MAX_DEPTH} levels (limit MAX_DEPTH)", limit=True) from None
