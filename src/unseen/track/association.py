"""Linking face boxes across frames: overlap first, then distance relative to the face's size.

Greedy matching on a score (IoU when boxes overlap, else minus the centre distance in face
widths) is enough here: a wrong link can only cause extra cover (gap filling between two faces),
never less, because every detection is kept whether it is linked or not.
"""

from __future__ import annotations

import numpy as np

from ..geometry import iou_matrix

# A detection links to a track when they overlap at all, or when its centre is within this many
# face sizes of the track's predicted centre.
MAX_DISTANCE = 1.0
# ... plus this many face sizes per second since the track was last seen: a face found only by the
# passes a video runs on a stride is seen every half second or so, and a person walking across the
# picture moves several face widths in that time. A wrong link only adds cover (see above).
LINK_SPEED = 6.0
# A track seen only once has no velocity to predict it by: it links within this many face sizes per
# second instead. A small face at a low frame rate moves one or two face sizes a frame (15 px a
# frame at 10 fps is 12 face sizes a second for a 12 px face); a person running across the picture
# moves 25.
FIRST_LINK_SPEED = 25.0
# ... and never to a box more than this many times larger or smaller (longer sides): one face's box
# does not change size that much between sightings, and a large false box seen once must not take
# over a small face's first sighting (its hold before would then not follow the face's path).
MAX_SIZE_RATIO = 2.0


def match(
    tracks: np.ndarray,
    detections: np.ndarray,
    max_distance: float | np.ndarray = MAX_DISTANCE,
    sizes: np.ndarray | None = None,
) -> list[tuple[int, int]]:
    """Pairs ``(track_row, detection_row)``, each row used at most once, best score first.

    ``max_distance`` (face sizes) is one number or one per track. ``sizes`` (px, one per track:
    the face's size when ``tracks`` are predicted boxes grown along a path) refuses detections more
    than :data:`MAX_SIZE_RATIO` times larger or smaller."""
    if len(tracks) == 0 or len(detections) == 0:
        return []
    iou = iou_matrix(tracks, detections)
    tc = (tracks[:, :2] + tracks[:, 2:]) / 2
    dc = (detections[:, :2] + detections[:, 2:]) / 2
    size = np.maximum(tracks[:, 2] - tracks[:, 0], tracks[:, 3] - tracks[:, 1])[:, None]
    dist = np.linalg.norm(tc[:, None, :] - dc[None, :, :], axis=2) / np.maximum(size, 1.0)
    score = np.where(iou > 0, iou, -dist)
    limit = np.broadcast_to(np.asarray(max_distance, np.float64).reshape(-1, 1), (len(tracks), 1))
    allowed = (iou > 0) | (dist <= limit)
    if sizes is not None:
        ds = np.maximum(detections[:, 2] - detections[:, 0], detections[:, 3] - detections[:, 1])[None, :]
        ts = np.asarray(sizes, np.float64).reshape(-1, 1)
        allowed &= (ds <= MAX_SIZE_RATIO * ts) & (ts <= MAX_SIZE_RATIO * ds)
    rows, cols = np.nonzero(allowed)
    order = np.argsort(-score[rows, cols], kind="stable")
    used_t: set[int] = set()
    used_d: set[int] = set()
    pairs = []
    for k in order:
        t, d = int(rows[k]), int(cols[k])
        if t in used_t or d in used_d:
            continue
        used_t.add(t)
        used_d.add(d)
        pairs.append((t, d))
    return pairs


__all__ = ["FIRST_LINK_SPEED", "LINK_SPEED", "MAX_DISTANCE", "MAX_SIZE_RATIO", "iou_matrix", "match"]
