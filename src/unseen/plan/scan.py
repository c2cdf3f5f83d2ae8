"""Parse a plan's bytes into plain JSON values without letting hostile input cost unbounded work.

Two steps. First a vectorised scan of the raw bytes (strings masked out) measures the nesting
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


_QUOTE, _BACKSLASH = 0x22, 0x5C
_OPEN = (0x5B, 0x7B)  # [ {
_CLOSE = (0x5D, 0x7D)  # ] }
_COMMA = 0x2C


def _string_quotes(a: np.ndarray) -> np.ndarray:
    """Offsets of the quotes that open or close strings (escaped quotes left out)."""
    q = np.flatnonzero(a == _QUOTE)
    if q.size == 0:
        return q
    maybe = q[(q > 0) & (a[np.maximum(q - 1, 0)] == _BACKSLASH)]
    if maybe.size == 0:
        return q
    escaped = []
    for pos in maybe.tolist():  # only quotes right after a backslash: rare in a plan
        run = 0
        while pos - run - 1 >= 0 and a[pos - run - 1] == _BACKSLASH:
            run += 1
        if run % 2:
            escaped.append(pos)
    return np.setdiff1d(q, np.asarray(escaped, np.int64), assume_unique=True) if escaped else q


def prescan(data: bytes) -> None:
    """Refuse nesting deeper than MAX_DEPTH and more containers or separators than a plan can hold.

    Works outside strings only; a document that is not JSON at all passes here and is refused by
    the parser. Time and memory are linear in the size, which the caller has already bounded.
    """
    a = np.frombuffer(data, np.uint8)
    quotes = _string_quotes(a)
    structural = np.flatnonzero((a == _OPEN[0]) | (a == _OPEN[1]) | (a == _CLOSE[0]) | (a == _CLOSE[1]) | (a == _COMMA))
    if quotes.size:
        # a byte is inside a string when an odd number of string quotes come before it
        structural = structural[np.searchsorted(quotes, structural, side="right") % 2 == 0]
    kinds = a[structural]
    commas = int(np.count_nonzero(kinds == _COMMA))
    if commas > limits.MAX_SEPARATORS:
        raise PlanSyntaxError(
            f"more than {limits.MAX_SEPARATORS} values (limit MAX_SEPARATORS: a plan within MAX_TOTAL_BOXES holds fewer)",
            limit=True,
        )
    brackets = structural[kinds != _COMMA]
    kinds = a[brackets]
    opening = (kinds == _OPEN[0]) | (kinds == _OPEN[1])
    n_open = int(np.count_nonzero(opening))
    if n_open > limits.MAX_CONTAINERS:
        raise PlanSyntaxError(
            f"more than {limits.MAX_CONTAINERS} objects and arrays (limit MAX_CONTAINERS: a plan within MAX_TOTAL_BOXES holds fewer)",
            limit=True,
        )
    if n_open == 0:
        return
    step = np.where(opening, 1, -1).astype(np.int32)
    depth = np.cumsum(step, dtype=np.int64)  # depth after each bracket: an opening's own level
    deepest = int(depth.max())
    if deepest > limits.MAX_DEPTH:
        at = int(brackets[int(np.argmax(depth > limits.MAX_DEPTH))])
        raise PlanSyntaxError(f"byte {at}: nested deeper than {limits.MAX_DEPTH} levels (limit MAX_DEPTH)", limit=True)
    open_pos = brackets[opening]
    open_depth = depth[opening]
    for d in range(4, deepest + 1):
        parents = open_pos[open_depth == d - 1]
        children = open_pos[open_depth == d]
        if parents.size == 0 or children.size == 0:
            continue
        owner = np.searchsorted(parents, children, side="right") - 1
        counts = np.bincount(owner[owner >= 0], minlength=parents.size)
        worst = int(np.argmax(counts))
        if counts[worst] > limits.MAX_CHILDREN:
            raise PlanSyntaxError(
                f"byte {int(parents[worst])}: a list holds more than {limits.MAX_CHILDREN} boxes "
                f"(limits MAX_BOXES_PER_FRAME {limits.MAX_BOXES_PER_FRAME}, MAX_KEYFRAMES_PER_REGION {limits.MAX_KEYFRAMES_PER_REGION})",
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
        raise PlanSyntaxError(f"number {text[:40]}{'...' if len(text) > 40 else ''} is out of range (limit MAX_INTEGER: 2^53)")
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
