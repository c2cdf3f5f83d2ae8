"""A face's roll (in-plane tilt) from its five landmarks: both eyes, the nose tip, the mouth corners.

YuNet and CenterFace both give the points in the same order: the eye on the image's left, the other
eye, the nose tip, the mouth corner on the image's left, the other corner (for an upright face).
The up axis is estimated from three cues summed as vectors: mouth centre to eye centre, and the eye
line and mouth line each turned a quarter (left to right becomes bottom to top). On a turned-away
(profile) face the two lines shrink and the mouth-to-eyes cue dominates. Only the direction is used.
"""

from __future__ import annotations

import numpy as np

from ..types import roll_of_up


def roll_from_landmarks(points: np.ndarray) -> np.ndarray:
    """Roll in degrees ``(N,)`` (see :class:`unseen.types.Faces`) of ``(N, 5, 2)`` landmark points
    as ``x, y`` in pixels; NaN for a face whose points give no direction (all coincide, not finite)."""
    p = np.asarray(points, np.float64).reshape(-1, 5, 2)
    eyes = (p[:, 0] + p[:, 1]) / 2
    mouth = (p[:, 3] + p[:, 4]) / 2
    lines = (p[:, 1] - p[:, 0]) + (p[:, 4] - p[:, 3])  # the face's left-to-right axis, twice
    # a quarter turn of a left-to-right vector (x, y) is the bottom-to-top vector (y, -x); each
    # line is about as long as mouth-to-eyes, so the two lines together count half
    ux = eyes[:, 0] - mouth[:, 0] + 0.5 * lines[:, 1]
    uy = eyes[:, 1] - mouth[:, 1] - 0.5 * lines[:, 0]
    return roll_of_up(ux, uy)


__all__ = ["roll_from_landmarks"]
