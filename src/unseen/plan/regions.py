"""``--region`` values: ``X1,Y1,X2,Y2`` (a photo) or ``X1,Y1,X2,Y2@T0-T1`` (a video, seconds)."""

from __future__ import annotations

import math
import re

from ..errors import ConfigError
from .model import Keyframe, Region

_NUM = r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*"
_REGION = re.compile(rf"{_NUM},{_NUM},{_NUM},{_NUM}(?:@{_NUM}-{_NUM})?")
FORMS = "X1,Y1,X2,Y2 (pixels) or X1,Y1,X2,Y2@T0-T1 (pixels, then seconds)"


def parse_region(text: str) -> Region:
    """A manual region from a ``--region`` value. Without a time range it covers frame 0 (a photo);
    with ``@T0-T1`` it covers T0 to T1 seconds, inclusive. Whether it lies inside the frame is
    checked when it joins a plan (the size is known then). Raises ConfigError (exit status 2)."""
    shown = text if len(text) <= 80 else text[:77] + "..."
    m = _REGION.fullmatch(text)
    if m is None:
        raise ConfigError(f"--region {shown!r}: expected {FORMS}")
    values = [float(g) for g in m.groups() if g is not None]
    if not all(math.isfinite(v) for v in values):
        raise ConfigError(f"--region {shown!r}: numbers must be finite")
    x1, y1, x2, y2 = values[:4]
    if x2 <= x1 or y2 <= y1:
        raise ConfigError(f"--region {shown!r}: X2 must be > X1 and Y2 > Y1 (corners top-left, then bottom-right)")
    box = (x1, y1, x2, y2)
    if len(values) == 4:
        return Region("frame", 0, 0, (Keyframe(0, box),))
    t0, t1 = values[4:]
    if t1 < t0:
        raise ConfigError(f"--region {shown!r}: T1 must be >= T0 (seconds from the start)")
    keys = (Keyframe(t0, box),) if t1 == t0 else (Keyframe(t0, box), Keyframe(t1, box))
    return Region("time", t0, t1, keys)
