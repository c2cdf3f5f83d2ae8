"""One detection pass: which network, at which scale and threshold (no network is loaded here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pass:
    """One network at one scale, optionally on the mirrored image.

    ``max_height``: keep only boxes at most this tall (native pixels); upscaled passes use it to
    add small faces without adding the false positives they make at large sizes. ``flip``: run on
    the horizontally mirrored image (the networks miss different faces in the mirror image).
    ``grow``: scale this pass's boxes about their centres (YuNet's boxes are tighter than
    CenterFace's; a video schedule that mixes them keeps the head regions the same size).
    ``min_height``: keep only boxes at least this tall (native pixels); context levels use it to
    add large faces only (small ones, seen there at a few pixels, come back as loose boxes).
    """

    net: str
    scale: float
    threshold: float
    max_height: float | None = None
    flip: bool = False
    grow: float = 1.0
    min_height: float | None = None


__all__ = ["Pass"]
