"""PNG chunks in file order, up to and including IEND."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from .record import Damage, Record, Walk

SIGNATURE = b"\x89PNG\r\n\x1a\n"
IEND, ICCP, EXIF = b"IEND", b"iCCP", b"eXIf"


class PngWalk(Walk[bytes]):
    """Iterate as ``for chunk in PngWalk(data)``; ``chunk.kind`` is the chunk type (``b"IDAT"``)."""

    def _records(self) -> Iterator[Record[bytes]]:
        buf, n, pos = self.buf, len(self.buf), len(SIGNATURE)
        while pos + 12 <= n:
            length, ctype = struct.unpack(">I4s", buf[pos : pos + 8])
            if pos + 12 + length > n:
                self._stop(Damage.OVERRUN, pos, ctype)
                return
            rec = Record(ctype, pos, pos + 8, length, pos + 12 + length, buf)
            yield rec
            pos = rec.end
            if ctype == IEND:
                self.end = pos
                return
        self._stop(Damage.TRUNCATED, pos)


def exif_block(data: bytes) -> bytes | None:
    """The first ``eXIf`` chunk (the one Pillow and viewers read); ``None`` if there is none."""
    return next((rec.payload() for rec in PngWalk(data) if rec.kind == EXIF), None)
