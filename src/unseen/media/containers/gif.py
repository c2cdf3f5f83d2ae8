"""GIF blocks in file order: images, extensions, up to the trailer."""

from __future__ import annotations

from collections.abc import Iterator

from .buffer import Buffer, byte_at
from .record import Damage, Record, Walk

IMAGE, EXTENSION, TRAILER = 0x2C, 0x21, 0x3B
GRAPHIC_CONTROL, COMMENT, PLAIN_TEXT, APPLICATION = 0xF9, 0xFE, 0x01, 0xFF
SCREEN_DESCRIPTOR_END = 13


class GifWalk(Walk[tuple[int, int]]):
    """Iterate as ``for block in GifWalk(data)``. ``block.kind`` is ``(IMAGE, 0)`` for an image
    (payload: its LZW data sub-blocks) or ``(EXTENSION, label)`` (payload: the sub-blocks); the
    trailer ends the walk. Too short for a screen descriptor: :attr:`Damage.HEADER_TRUNCATED`."""

    def _records(self) -> Iterator[Record[tuple[int, int]]]:
        buf, n = self.buf, len(self.buf)
        if n < SCREEN_DESCRIPTOR_END:
            self._stop(Damage.HEADER_TRUNCATED, 0)
            return
        pos = SCREEN_DESCRIPTOR_END + _table_size(byte_at(buf, 10))
        while pos < n:
            b = byte_at(buf, pos)
            if b == TRAILER:
                self.end = pos + 1
                return
            if b == IMAGE:
                if pos + 10 > n:
                    break
                start = pos + 10 + _table_size(byte_at(buf, pos + 9)) + 1  # after the LZW code size
                kind = (IMAGE, 0)
            elif b == EXTENSION and pos + 1 < n:
                start, kind = pos + 2, (EXTENSION, byte_at(buf, pos + 1))
            else:
                break
            end = _skip_blocks(buf, start)
            if end < 0:
                break
            yield Record(kind, pos, start, end - start, end, buf)
            pos = end
        self._stop(Damage.TRUNCATED, pos)


def first_sub_block(block: Record[tuple[int, int]]) -> bytes:
    """The first data sub-block of a block (an application extension's identifier)."""
    head = block.head(256)
    return head[1 : 1 + head[0]] if head else b""


def _table_size(packed: int) -> int:
    return 3 * (2 ** ((packed & 7) + 1)) if packed & 0x80 else 0


def _skip_blocks(buf: Buffer, pos: int) -> int:
    """Offset after the data sub-blocks starting at ``pos`` (-1 if they run past the end)."""
    n = len(buf)
    while pos < n:
        size = byte_at(buf, pos)
        pos += 1 + size
        if size == 0:
            return pos if pos <= n else -1
    return -1
