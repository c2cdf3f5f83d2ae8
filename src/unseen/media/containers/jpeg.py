"""JPEG markers in file order, the entropy-coded data after each scan skipped.

Segments (a marker with a length) become records with their payload; standalone markers (SOI,
TEM, RST0-7) become records with no payload. The restart markers inside a scan's entropy-coded
data are yielded too when asked (``restarts=True``: where they sit, so a caller can check their
order). The walk starts after the SOI at offset 0 and ends at EOI.
"""

from __future__ import annotations

import struct
from collections.abc import Generator, Iterator

from .buffer import Buffer, byte_at
from .record import Damage, Record, Walk

SOI, EOI, SOS, TEM = 0xD8, 0xD9, 0xDA, 0x01
APP0, APP1, APP2, APP13, APP14, COM = 0xE0, 0xE1, 0xE2, 0xED, 0xEE, 0xFE
DHT, DAC, DQT, DRI, DNL, DHP, EXP = 0xC4, 0xCC, 0xDB, 0xDD, 0xDC, 0xDE, 0xDF
#: Start-of-frame markers (frame headers): C0-CF but for DHT, JPG and DAC.
SOF = frozenset(range(0xC0, 0xD0)) - {DHT, 0xC8, DAC}
SOF_PROGRESSIVE = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
ICC_MARK = b"ICC_PROFILE\x00"  # an APP2 payload holding a piece of the ICC profile
EXIF_MARK = b"Exif\x00\x00"


def is_rst(marker: int) -> bool:
    return 0xD0 <= marker <= 0xD7


def is_standalone(marker: int) -> bool:
    """Markers without a length field."""
    return marker in (SOI, TEM) or is_rst(marker)


class JpegWalk(Walk[int]):
    """Iterate as ``for rec in JpegWalk(data)``; ``rec.kind`` is the marker byte. With
    ``restarts`` the restart markers inside each scan's data are records too."""

    def __init__(self, buf: Buffer, *, restarts: bool = False) -> None:
        super().__init__(buf)
        self._restarts = restarts

    def _records(self) -> Iterator[Record[int]]:
        buf, n, pos = self.buf, len(self.buf), 2
        while True:
            if pos + 2 > n:
                self._stop(Damage.TRUNCATED, pos)
                return
            if byte_at(buf, pos) != 0xFF:
                self._stop(Damage.NOT_A_RECORD, pos)
                return
            marker = byte_at(buf, pos + 1)
            if marker == 0xFF:  # a fill byte before the marker
                pos += 1
                continue
            if marker == EOI:
                self.end = pos + 2
                return
            if is_standalone(marker):
                yield Record(marker, pos, pos + 2, 0, pos + 2, buf)
                pos += 2
                continue
            if pos + 4 > n:
                self._stop(Damage.HEADER_TRUNCATED, pos, marker)
                return
            length = struct.unpack(">H", buf[pos + 2 : pos + 4])[0]
            if length < 2 or pos + 2 + length > n:
                self._stop(Damage.OVERRUN, pos, marker)
                return
            rec = Record(marker, pos, pos + 4, length - 2, pos + 2 + length, buf)
            yield rec
            pos = rec.end
            if marker == SOS:
                found = yield from _entropy_data(buf, pos, self._restarts)
                if found is None:
                    self._stop(Damage.DATA_TRUNCATED, len(buf), SOS)
                    return
                pos = found


def _entropy_data(buf: Buffer, pos: int, restarts: bool) -> Generator[Record[int], None, int | None]:
    """Skip a scan's entropy-coded data (stuffed bytes, fill bytes), yielding its restart markers
    if asked; return the offset of the marker that ends it, or ``None`` if the data runs to the end."""
    n = len(buf)
    while True:
        ff = buf.find(b"\xff", pos)
        if ff < 0 or ff + 1 >= n:
            return None
        b = byte_at(buf, ff + 1)
        if b == 0x00:  # a stuffed 0xFF data byte
            pos = ff + 2
        elif b == 0xFF:
            pos = ff + 1
        elif 0xD0 <= b <= 0xD7:
            if restarts:
                yield Record(b, ff, ff + 2, 0, ff + 2, buf)
            pos = ff + 2
        else:
            return ff


def header_segments(buf: Buffer) -> Iterator[Record[int]]:
    """The segments before the first scan: the frame's tables and the APPn/COM blocks a reader
    takes its metadata from (an MPO's later images are not reached)."""
    for rec in JpegWalk(buf):
        if rec.kind == SOS:
            return
        yield rec


def exif_block(buf: Buffer) -> bytes | None:
    """The first APP1 EXIF block before the first scan (what Pillow and viewers read), with its
    ``Exif\\0\\0`` mark; ``None`` if there is none."""
    for rec in header_segments(buf):
        if rec.kind == APP1 and rec.head(6) == EXIF_MARK:
            return rec.payload()
    return None
