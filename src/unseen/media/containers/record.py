"""A record of a container (segment, chunk, block or box) and a walk over them."""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from .buffer import Buffer

K = TypeVar("K")


class Record(NamedTuple, Generic[K]):
    """One segment/chunk/block/box: its kind (a JPEG marker, a four-character code ...), where it
    starts, where its payload starts and how long that is, and where the next record starts.
    (A named tuple: a walk over a restart-marked JPEG makes tens of thousands of them.)"""

    kind: K
    offset: int  # the record's first byte (marker, length or type field)
    start: int  # the payload's first byte
    length: int  # payload bytes (never past the container: the walker checked)
    end: int  # the first byte after the record (checksum and padding included)
    buf: Buffer  # what the walk reads: the payload is sliced from it on demand

    def __repr__(self) -> str:  # not the buffer
        return f"Record({self.kind!r}, offset={self.offset}, start={self.start}, length={self.length}, end={self.end})"

    def payload(self) -> bytes:
        return self.buf[self.start : self.start + self.length]

    def head(self, n: int) -> bytes:
        """The first ``n`` bytes of the payload (fewer if it is shorter): enough to tell its kind."""
        return self.buf[self.start : self.start + min(n, self.length)]


class Damage(enum.Enum):
    """Why a walk stopped before its container's end marker."""

    TRUNCATED = "the data ends before the end marker"
    HEADER_TRUNCATED = "the data ends inside a record's header"
    OVERRUN = "a record's length runs past the end of its container"
    NOT_A_RECORD = "bytes where a record header belongs"
    DATA_TRUNCATED = "the data ends inside image data"


@dataclass(frozen=True)
class Problem(Generic[K]):
    damage: Damage
    offset: int  # where the record (or the bytes) that could not be read begins
    kind: K | None = None  # the record's kind, when its header was read


class Walk(abc.ABC, Generic[K]):
    """Records in file order, walked once (lazily: a caller may stop early).

    After the iteration, :attr:`end` is the offset after the end marker (``None`` if none was
    reached) and :attr:`problem` says why the walk stopped early (``None`` after a clean end).
    """

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf
        self.end: int | None = None
        self.problem: Problem[K] | None = None

    def __iter__(self) -> Iterator[Record[K]]:
        self.end, self.problem = None, None
        return self._records()

    @abc.abstractmethod
    def _records(self) -> Iterator[Record[K]]:
        """Yield the records; set :attr:`end` or call :meth:`_stop` before returning."""

    def _stop(self, damage: Damage, offset: int, kind: K | None = None) -> None:
        self.problem = Problem(damage, offset, kind)

    def trailing(self) -> int:
        """Bytes after the end marker (0 when no end marker was reached)."""
        return len(self.buf) - self.end if self.end is not None else 0
