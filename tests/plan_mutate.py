"""Mutations of valid plans, for the plan fuzz test and benchmarks/plan_fuzz.py.

:func:`mutate_doc` edits the parsed document (the result is still JSON: for comparing the loader
with the JSON Schema); :func:`mutate` also works on bytes (truncation, NaN tokens, deep nesting,
duplicate keys, bytes that are not UTF-8). Both are deterministic for a given ``random.Random``.
"""

from __future__ import annotations

import copy
import json
import math
import random
from collections.abc import Callable
from typing import Any

HOSTILE = [None, True, False, 0, -1, 1, 2, 7, 2.5, -0.0, 1e308, -1e308, 2**53 + 1, 2**64, 10**400, "", " ", "x" * 2000,
           "detected", "held", "time", "frame", "video", "image", [], {}, [0, 0, 1, 1], [1.0, 2.0, 3.0, 4.0, 5.0],
           {"a": 1}, [[[]]], "\u0000", "\ud800"]


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _numbers(doc: Any) -> list[tuple]:
    return [p for p in _paths(doc) if p and isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)]


def _replace(doc, rng):
    path = rng.choice(_paths(doc))
    return "replace", _set(doc, path, copy.deepcopy(rng.choice(HOSTILE)))


def _nudge(doc, rng):
    paths = _numbers(doc)
    if not paths:
        return _replace(doc, rng)
    path = rng.choice(paths)
    v = _get(doc, path)
    if abs(v) > 1e300:  # 10**400 + 0.5 does not fit a float
        return "nudge", _set(doc, path, rng.choice([0, 1, -1]))
    candidates = [v + 1, v - 1, -v, v * 10, v + 0.5, v * 1000, 0, v + 641, v - 641, 89, 90, 91]
    new = rng.choice([c for c in candidates if math.isfinite(c)])
    return "nudge", _set(doc, path, new)


def _delete(doc, rng):
    paths = [p for p in _paths(doc) if p]
    if not paths:
        return _replace(doc, rng)
    path = rng.choice(paths)
    parent = _get(doc, path[:-1])
    del parent[path[-1]]
    return "delete", doc


def _add_key(doc, rng):
    dicts = [p for p in _paths(doc) if isinstance(_get(doc, p), dict)]
    if not dicts:
        return _replace(doc, rng)
    target = _get(doc, rng.choice(dicts))
    key = rng.choice(["extra", "rejected", "by", "why", "time", "fps", "note", "at", "box", "frame_count", "", "x" * 100])
    target[key] = copy.deepcopy(rng.choice(HOSTILE))
    return "add_key", doc


def _duplicate(doc, rng):
    lists = [p for p in _paths(doc) if isinstance(_get(doc, p), list) and _get(doc, p)]
    if not lists:
        return _replace(doc, rng)
    target = _get(doc, rng.choice(lists))
    target.extend(copy.deepcopy(target) * rng.choice([1, 2, 5]))
    return "duplicate", doc


def _swap_container(doc, rng):
    paths = [p for p in _paths(doc) if isinstance(_get(doc, p), (list, dict))]
    if not paths:
        return _replace(doc, rng)
    path = rng.choice(paths)
    v = _get(doc, path)
    new: Any = list(v.values()) if isinstance(v, dict) else {str(i): x for i, x in enumerate(v)}
    return "swap_container", _set(doc, path, new)


DOC_MUTATORS: list[Callable] = [_replace, _nudge, _delete, _add_key, _duplicate, _swap_container]


def mutate_doc(doc: Any, rng: random.Random) -> tuple[str, Any]:
    """One to three document edits; the result is plain JSON (no NaN)."""
    doc = copy.deepcopy(doc)
    names = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        name, doc = rng.choice(DOC_MUTATORS)(doc, rng)
        names.append(name)
    return "+".join(names), doc


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _truncate(data, rng):
    return "truncate", data[: rng.randrange(len(data))]


def _flip(data, rng):
    b = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return "bytes", bytes(b)


def _token(data, rng):
    tok = rng.choice([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e400", b"1" * 5000, b"0." + b"0" * 5000 + b"1", b"-0", b"1E+308"])
    spots = [i for i in range(len(data)) if data[i:i + 1] in (b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9")]
    i = rng.choice(spots) if spots else 0
    j = i
    while j < len(data) and data[j:j + 1] in b"0123456789.eE+-":
        j += 1
    return "number_token", data[:i] + tok + data[j:]


def _nest(data, rng):
    depth = rng.choice([20, 1000, 100_000])
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
    i = data.find(b'"frames": ') + len(b'"frames": ')
    return "deep_nesting", data[:i] + opener * depth + b"1" + closer * depth + data[data.find(b', "regions"'):]


def _dup_key(data, rng):
    i = data.find(b"{") + 1
    return "duplicate_key", data[:i] + b'"version": 1, ' + data[i:]


def _not_utf8(data, rng):
    i = rng.randrange(len(data))
    return "not_utf8", data[:i] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]) + data[i:]


def _bom(data, rng):
    return "bom", rng.choice([b"\xef\xbb\xbf", b"\xff\xfe"]) + data


BYTE_MUTATORS: list[Callable] = [_truncate, _flip, _token, _nest, _dup_key, _not_utf8, _bom]


def mutate(doc: Any, rng: random.Random) -> tuple[str, bytes]:
    """A hostile plan file: half of the time a document edit, else a byte-level one."""
    if rng.random() < 0.5:
        name, new = mutate_doc(doc, rng)
        return name, _dump(new)
    name, data = rng.choice(BYTE_MUTATORS)(_dump(doc), rng)
    return name, data
