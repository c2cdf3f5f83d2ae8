"""WebP: the RIFF chunks of the file, and those inside an animation frame (``ANMF``)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from .buffer import Buffer
from .record import Damage, Record, Walk

VP8, VP8L, VP8X, ALPH, ICCP, EXIF = b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP", b"EXIF"
ANIM, ANMF = b"ANIM", b"ANMF"
ANMF_HEADER = 16  # frame position, size, duration and flags, before the frame's own chunks


class WebpWalk(Walk[bytes]):
    """The chunks of ``buf[start:stop]`` (default: the file's RIFF body, bounded by the RIFF size
    and the file's length); ``rec.kind`` is the four-character code.

    :attr:`end` is the end of the RIFF data; when the RIFF size says more than the file holds the
    walk covers what is there and stops with :attr:`Damage.TRUNCATED`.
    """

    def __init__(self, buf: Buffer, start: int = 12, stop: int | None = None) -> None:
        super().__init__(buf)
        self._start = start
        self._declared = stop if stop is not None else 8 + struct.unpack("<I", buf[4:8])[0]

    def _records(self) -> Iterator[Record[bytes]]:
        buf, bound, pos = self.buf, min(self._declared, len(self.buf)), self._start
        while pos + 8 <= bound:
            fourcc, size = struct.unpack("<4sI", buf[pos : pos + 8])
            if pos + 8 + size > bound:
                self._stop(Damage.OVERRUN, pos, fourcc)
                return
            rec = Record(fourcc, pos, pos + 8, size, min(pos + 8 + size + size % 2, bound), buf)
            yield rec
            pos = pos + 8 + size + size % 2
        if self._declared > len(buf):
            self._stop(Damage.TRUNCATED, len(buf))
        else:
            self.end = self._declared


def frame_chunks(frame: Record[bytes]) -> WebpWalk:
    """The chunks inside an ``ANMF`` frame (its bitstream, alpha, and any unknown chunk)."""
    return WebpWalk(frame.buf, frame.start + ANMF_HEADER, frame.start + frame.length)


def is_lossless(data: bytes) -> bool:
    """Whether the picture is coded losslessly: its first bitstream chunk is ``VP8L``."""
    for rec in WebpWalk(data):
        if rec.kind in (VP8, VP8L):
            return rec.kind == VP8L
    return False


def exif_block(data: bytes) -> bytes | None:
    """The first ``EXIF`` chunk; ``None`` if there is none."""
    return next((rec.payload() for rec in WebpWalk(data) if rec.kind == EXIF), None)
