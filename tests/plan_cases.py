"""Small valid plans (as JSON documents) for the plan tests and the plan fuzz benchmark."""

from __future__ import annotations

import copy
import json
from typing import Any

SHA = "0123456789abcdef" * 4


def video_doc() -> dict[str, Any]:
    """A 640x480, 90-frame video's plan: two tracks, a rejected box, a keyframed region, flags."""
    return {
        "format": "unseen-plan",
        "version": 1,
        "input": {
            "name": "clip.mp4", "size": 4096, "sha256": SHA, "kind": "video", "width": 640, "height": 480,
            "frame_count": 90, "time_base": [1, 30000], "fps": 30.0, "duration": 3.0,
        },
        "producer": {"detector": "default/centerface", "settings": {"mode": "solid", "fill": [0, 0, 0], "threshold": 0.0, "verify": False}, "unseen_version": "0.1.0"},
        "frames": [
            {"index": 0, "time": 0.0, "boxes": [
                {"box": [10.0, 20.0, 50.0, 70.0], "score": 0.91, "origin": "detected", "track": 1},
                {"box": [-8.0, 400.0, 12.0, 470.0], "score": 0.5, "origin": "held", "track": 2},
            ]},
            {"index": 1, "time": 0.033333, "boxes": [
                {"box": [11.0, 20.0, 51.0, 70.0], "score": 0.9, "origin": "interpolated", "track": 1},
                {"box": [300.0, 10.0, 340.0, 60.0], "score": 0.6, "origin": "detected", "track": 3,
                 "rejected": True, "by": "alice", "at": "2026-12-02T07:00Z", "why": "a poster"},
            ]},
        ],
        "regions": [
            {"unit": "time", "start": 0.5, "end": 2.0, "keyframes": [
                {"at": 1.0, "box": [100.0, 100.0, 140.0, 150.0]},
                {"at": 2.0, "box": [200.0, 100.0, 240.0, 150.0]},
            ], "note": "a name tag"},
            {"unit": "frame", "start": 10, "end": 20, "keyframes": [{"at": 10, "box": [0.0, 0.0, 64.0, 48.0]}]},
        ],
        "flags": [
            {"kind": "thorough_miss", "risk": 1, "frame": 5, "time": 0.166667, "box": [300.0, 300.0, 340.0, 350.0], "score": 0.3,
             "message": "the thorough check found a face the plan does not cover"},
            {"kind": "shot_cut", "risk": 4, "frame": 30, "time": 1.0, "message": "shot cut"},
            {"kind": "short_track", "risk": 7, "frame": 1, "time": 0.033333, "track": 3, "message": "track 3 lasts only 1 frames"},
        ],
    }


def image_doc() -> dict[str, Any]:
    return {
        "format": "unseen-plan",
        "version": 1,
        "input": {"name": "photo.jpg", "size": 1000, "sha256": SHA, "kind": "image", "width": 320, "height": 240},
        "producer": {"detector": "default/centerface", "settings": {"mode": "solid"}, "unseen_version": "0.1.0"},
        "frames": [{"index": 0, "boxes": [{"box": [1.0, 2.0, 30.0, 40.0], "score": 0.8, "origin": "detected", "track": -1}]}],
        "regions": [{"unit": "frame", "start": 0, "end": 0, "keyframes": [{"at": 0, "box": [100.0, 100.0, 120.0, 130.0]}]}],
        "flags": [{"kind": "tiny_face", "risk": 6, "frame": 0, "box": [1.0, 2.0, 30.0, 40.0], "message": "a face is 12 px small"}],
    }


def to_bytes(doc: Any) -> bytes:
    return json.dumps(doc).encode("utf-8")


def edited(doc: dict[str, Any], path: tuple, value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    """A deep copy of ``doc`` with the item at ``path`` (keys and indices) replaced or deleted."""
    out = copy.deepcopy(doc)
    cur = out
    for key in path[:-1]:
        cur = cur[key]
    if delete:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return out
