"""Tracking stage (video only): link faces across frames, fill gaps, hold cover in time, find cuts.

Every function here may only ADD boxes: the output of each frame includes every input box.
"""

from __future__ import annotations

from .association import iou_matrix, match
from .cuts import ShotCutDetector
from .temporal import TemporalCover

__all__ = ["TemporalCover", "ShotCutDetector", "iou_matrix", "match"]
