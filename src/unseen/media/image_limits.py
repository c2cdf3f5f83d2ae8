"""Refuse photos whose metadata blocks are enormous, from their headers, before reading them whole.

A PNG text chunk or a run of JPEG comment/APPn segments can be hundreds of megabytes while the
picture is tiny; Pillow reads such blocks into memory (measured: peak memory grows by 2-4x the
block size), so the block size, not the pixel count, decides the memory used. The walk here
seeks from header to header (PNG chunks, JPEG segments up to the start of the image data, WebP
RIFF chunks) and reads only the few bytes of each header, so refusing costs no memory.

Blocks that hold pixels or are needed to show them (PNG IDAT/PLTE/tRNS, JPEG tables and frame
headers, WebP bitstreams, the ICC profile) do not count. Other formats are not walked (TIFF and
HEIF metadata is bounded by their own parsers; BMP has none).
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from ..errors import LimitExceeded

MAX_METADATA_BYTES = 64 << 20  # default of Settings.max_metadata_mb
# Peak memory of a default photo run, measured from 4 to 48 MP (benchmarks/photo_memory.py, docs/
# BENCHMARKS.md): a fixed part (interpreter, models) plus this much per pixel (decoded pixels, their
# copies, the detector's scaled and mirrored inputs). Named in the error that refuses a photo over
# max_pixels, so the user knows what raising the limit costs.
PHOTO_FIXED_BYTES = 600_000_000
PHOTO_BYTES_PER_PIXEL = 36


def photo_run_bytes(pixels: int) -> int:
    """About how much memory a default photo run of ``pixels`` pixels needs at its peak."""
    return PHOTO_FIXED_BYTES + PHOTO_BYTES_PER_PIXEL * pixels


def pixel_limit_message(width: int, height: int, limit: int) -> str:
    """Why a ``width`` x ``height`` photo is refused under ``limit`` pixels, naming the setting and flag."""
    n = width * height
    return (
        f"image is {width}x{height} = {n:,} pixels, over the limit of {limit:,} (max_pixels; --max-pixels N "
        f"raises it: a photo run needs about {PHOTO_FIXED_BYTES / 1e9:.1f} GB + {PHOTO_BYTES_PER_PIXEL} bytes "
        f"per pixel, {photo_run_bytes(n) / 1e9:.1f} GB for this one)"
    )

_PNG_PIXELS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"pHYs", b"sBIT", b"cICP"}
_WEBP_PIXELS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP", b"ANIM", b"ANMF"}
_JPEG_PIXELS = {0xC4, 0xCC, 0xDB, 0xDD} | (set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC})
_ICC_MARK = b"ICC_PROFILE\x00"


def metadata_bytes(fh: BinaryIO, size: int) -> int:
    """Bytes of non-pixel blocks in the photo open as ``fh`` (``size`` bytes long), by headers only."""
    fh.seek(0)
    head = fh.read(16)
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return _png(fh, size)
    if head[:2] == b"\xff\xd8":
        return _jpeg(fh, size)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(fh, size)
    return 0


def check_metadata_size(fh: BinaryIO, size: int, limit: int = MAX_METADATA_BYTES) -> None:
    """Raise :class:`LimitExceeded` naming the limit when metadata blocks total more than ``limit``."""
    total = metadata_bytes(fh, size)
    if total > limit:
        raise LimitExceeded(
            f"metadata blocks total {total:,} bytes, over the limit of {limit:,} bytes "
            f"({limit / 2**20:g} MB, max_metadata_mb); refused before reading them"
        )


def _png(fh: BinaryIO, size: int) -> int:
    total, pos = 0, 8
    while pos + 8 <= size:
        fh.seek(pos)
        hdr = fh.read(8)
        if len(hdr) < 8:
            break
        n, typ = struct.unpack(">I4s", hdr)
        if pos + 12 + n > size:
            break  # a length past the end is damage for the decoder to report, not metadata
        if typ not in _PNG_PIXELS:
            total += n
        if typ == b"IEND":
            total += max(0, size - (pos + 12 + n))  # data after the end counts as metadata
            break
        pos += 12 + n
    return total


def _jpeg(fh: BinaryIO, size: int) -> int:
    total, pos = 0, 2
    while pos + 4 <= size:
        fh.seek(pos)
        hdr = fh.read(4)
        if len(hdr) < 4 or hdr[0] != 0xFF:
            break
        marker = hdr[1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end: entropy data follows, headers are over
            break
        n = struct.unpack(">H", hdr[2:4])[0]
        if pos + 2 + n > size:
            break
        if marker not in _JPEG_PIXELS and not (marker == 0xE2 and fh.read(12) == _ICC_MARK):
            total += n
        pos += 2 + n
    return total


def _webp(fh: BinaryIO, size: int) -> int:
    total, pos = 0, 12
    while pos + 8 <= size:
        fh.seek(pos)
        hdr = fh.read(8)
        if len(hdr) < 8:
            break
        typ, n = hdr[:4], struct.unpack("<I", hdr[4:8])[0]
        if pos + 8 + n > size:
            break
        if typ not in _WEBP_PIXELS:
            total += n
        pos += 8 + n + (n % 2)
    return total
