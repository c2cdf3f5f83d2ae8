"""What a walker reads from: bytes in memory, or a file read on demand (only the bytes asked for)."""

from __future__ import annotations

from typing import BinaryIO, Protocol

_FIND_CHUNK = 1 << 16


class Buffer(Protocol):
    """The little a walker needs: a length, slices (as bytes) and a forward search."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: slice, /) -> bytes: ...

    def find(self, sub: bytes, start: int, /) -> int: ...


class FileBuffer:
    """A file of ``size`` bytes, sliced by seeking: walking its headers reads only the headers.

    A slice inside ``size`` that the file no longer holds (it shrank while being read) raises
    :class:`OSError`, which the reader reports as a file it cannot read.
    """

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self._fh = fh
        self._size = size

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: slice, /) -> bytes:
        start, stop, _ = index.indices(self._size)
        if stop <= start:
            return b""
        self._fh.seek(start)
        got = self._fh.read(stop - start)
        if len(got) != stop - start:
            raise OSError(f"the file changed while being read ({self._size:,} bytes expected)")
        return got

    def find(self, sub: bytes, start: int, /) -> int:
        pos = start
        while pos < self._size:
            chunk = self[pos : pos + _FIND_CHUNK + len(sub) - 1]
            hit = chunk.find(sub)
            if hit >= 0:
                return pos + hit
            if len(chunk) < len(sub):
                return -1
            pos += _FIND_CHUNK
        return -1


def byte_at(buf: Buffer, pos: int) -> int:
    """The byte at ``pos`` (the caller has checked ``pos < len(buf)``)."""
    return buf[pos : pos + 1][0]
