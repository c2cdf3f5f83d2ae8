"""The ICC profile as each container embeds it, taken out whole (or the reason it cannot be).

JPEG splits it over APP2 segments (sequence number, count, data), PNG deflates it in ``iCCP``
behind a name, WebP stores it in ``ICCP``, TIFF in tag 34675, HEIF in a ``colr`` property.
Checking the profile itself is :mod:`unseen.scrub.icc`'s job.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from .tiff import ICC_PROFILE, TiffTags


@dataclass(frozen=True)
class Embedded:
    """A profile taken out of its container, or why it could not be (then ``profile`` is None)."""

    profile: bytes | None
    problem: str | None = None


def jpeg_profile(chunks: list[bytes]) -> Embedded:
    """Join the APP2 pieces (each its payload after ``ICC_PROFILE\\0``) in sequence order."""
    count = chunks[0][1] if chunks and len(chunks[0]) >= 2 else 0
    seqs = sorted(c[0] for c in chunks if len(c) >= 2)
    if count == 0 or any(len(c) < 2 or c[1] != count for c in chunks) or seqs != list(range(1, count + 1)):
        return Embedded(None, "APP2 chunks missing, repeated or out of order")
    return Embedded(b"".join(c[2:] for c in sorted(chunks, key=lambda c: c[0])))


def png_profile(body: bytes, max_bytes: int) -> tuple[bytes, Embedded]:
    """``(profile name, profile)`` from an ``iCCP`` chunk, inflated to at most ``max_bytes``."""
    name, _, rest = body.partition(b"\x00")
    if not rest or rest[0] != 0:
        return name, Embedded(None, "unknown PNG compression method")
    inflater = zlib.decompressobj()
    try:
        profile = inflater.decompress(rest[1:], max_bytes + 1)
    except zlib.error:
        return name, Embedded(None, "damaged compressed data")
    if len(profile) > max_bytes or inflater.unconsumed_tail:
        return name, Embedded(None, f"inflates past {max_bytes:,} bytes")
    return name, Embedded(profile)


def tiff_profile(data: bytes, tags: TiffTags, max_bytes: int) -> Embedded | None:
    """The profile tag 34675 of the first IFD points at (``None`` when there is no such tag)."""
    entry = tags.entries.get(("IFD0", ICC_PROFILE))
    if entry is None:
        return None
    typ, count, offset = entry
    if typ not in (1, 7):  # BYTE or UNDEFINED
        return Embedded(None, f"TIFF tag of type {typ}")
    if count > max_bytes or offset + count > len(data):
        return Embedded(None, "TIFF tag runs past the end of the file")
    return Embedded(data[offset : offset + count])


def heif_profile(colr: bytes) -> bytes | None:
    """The profile in a ``colr`` property's payload (types ``prof`` and ``rICC``; ``nclx`` holds
    code points, not a profile)."""
    return colr[4:] if colr[:4] in (b"prof", b"rICC") else None
