"""Refuse photos whose metadata blocks are enormous, from their headers, before reading them whole.

A PNG text chunk or a run of JPEG comment/APPn segments can be hundreds of megabytes while the
picture is tiny; Pillow reads such blocks into memory (measured: peak memory grows by 2-4x the
block size), so the block size, not the pixel count, decides the memory used. The container
walkers (:mod:`unseen.media.containers`) seek from header to header (PNG chunks, JPEG segments up
to the start of the image data, WebP RIFF chunks and the chunks inside animation frames) through
a :class:`~unseen.media.containers.buffer.FileBuffer` and read only the few bytes of each header,
so refusing costs no memory.

What counts is what the allow-list (:mod:`unseen.scrub.allow`, the one the verifier uses) calls
metadata or technical fields: blocks that hold pixels or are needed to show them (PNG
IDAT/PLTE/tRNS, JPEG tables and frame headers, WebP bitstreams), animation frames and the ICC
profile do not count; the JFIF header and data after the end of a PNG or WebP do. Other formats
are not walked (TIFF and HEIF metadata is bounded by their own parsers; BMP has none).
"""

from __future__ import annotations

from typing import BinaryIO

from ..errors import LimitExceeded
from ..scrub.allow import JPEG_HEAD_BYTES, SIZE_LIMITED, jpeg_role, png_role, webp_role
from .containers import jpeg, webp
from .containers.buffer import FileBuffer
from .containers.png import PngWalk
from .containers.webp import WebpWalk
from .kinds import sniff

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


def metadata_bytes(fh: BinaryIO, size: int) -> int:
    """Bytes of non-pixel blocks in the photo open as ``fh`` (``size`` bytes long), by headers only."""
    buf = FileBuffer(fh, size)
    container = sniff(buf[0:16])
    if container == "PNG":
        return _png(buf)
    if container == "JPEG":
        return _jpeg(buf)
    if container == "WEBP":
        return _webp(buf)
    return 0


def check_metadata_size(fh: BinaryIO, size: int, limit: int = MAX_METADATA_BYTES) -> None:
    """Raise :class:`LimitExceeded` naming the limit when metadata blocks total more than ``limit``."""
    total = metadata_bytes(fh, size)
    if total > limit:
        raise LimitExceeded(
            f"metadata blocks total {total:,} bytes, over the limit of {limit:,} bytes "
            f"({limit / 2**20:g} MB, max_metadata_mb); refused before reading them"
        )


def _png(buf: FileBuffer) -> int:
    walk = PngWalk(buf)
    total = sum(rec.length for rec in walk if png_role(rec.kind) in SIZE_LIMITED)
    return total + walk.trailing()  # data after the end counts as metadata


def _jpeg(buf: FileBuffer) -> int:
    total = 0
    for rec in jpeg.header_segments(buf):  # the image data starts at the first scan: headers are over
        if jpeg_role(rec.kind, rec.head(JPEG_HEAD_BYTES)) in SIZE_LIMITED:
            total += rec.length + 2  # the segment's length field counts itself
    return total


def _webp(buf: FileBuffer) -> int:
    walk = WebpWalk(buf)
    total = 0
    for rec in walk:
        if rec.kind == webp.ANMF:  # a frame holds chunks of its own, unknown ones too
            total += sum(sub.length for sub in webp.frame_chunks(rec) if webp_role(sub.kind) in SIZE_LIMITED)
        elif webp_role(rec.kind) in SIZE_LIMITED:
            total += rec.length
    return total + walk.trailing()  # data after the RIFF data counts as metadata
