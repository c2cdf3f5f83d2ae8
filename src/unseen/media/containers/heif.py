"""HEIF/HEIC (ISO-BMFF): boxes, and the item list of the ``meta`` box.

Boxes nest; :func:`boxes` lists one level, and raises :class:`ValueError` when a box runs past its
container or stray bytes follow the last one (a HEIF file is walked whole, and a malformed one is
reported as such by the caller).
"""

from __future__ import annotations

import struct

from .record import Record

Box = Record[bytes]


def fourcc_text(fourcc: bytes) -> str:
    return "".join(chr(c) if 32 <= c < 127 else "?" for c in fourcc)


def boxes(data: bytes, start: int, end: int) -> list[Box]:
    """The boxes in ``data[start:end]``: ``kind`` the box type, the payload after the header.

    Raises:
        ValueError: a box runs past its container, or bytes are left after the last box.
    """
    out, pos = [], start
    while pos + 8 <= end:
        size = struct.unpack_from(">I", data, pos)[0]
        btype = data[pos + 4 : pos + 8]
        head = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            head = 16
        elif size == 0:
            size = end - pos
        if size < head or pos + size > end:
            raise ValueError(f"HEIF box {fourcc_text(btype)!r} runs past its container")
        out.append(Record(btype, pos, pos + head, size - head, pos + size, data))
        pos += size
    if pos != end:
        raise ValueError(f"{end - pos} stray bytes after the last HEIF box")
    return out


def _cstring(data: bytes, pos: int, end: int) -> tuple[str, int]:
    stop = data.find(b"\x00", pos, end)
    stop = end if stop < 0 else stop
    return data[pos:stop].decode("utf-8", "replace"), min(stop + 1, end)


def item_types(data: bytes, iinf: Box) -> list[tuple[bytes, str]]:
    """``(item_type, content_type)`` per ``infe`` entry of an ``iinf`` box (``content_type`` for
    ``mime`` items only; an entry of version 0 or 1 has no type: ``b"?v0"``/``b"?v1"``)."""
    start, end = iinf.start, iinf.start + iinf.length
    version = data[start]
    pos = start + 4 + (2 if version == 0 else 4)
    items = []
    for infe in boxes(data, pos, end):
        if infe.kind != b"infe":
            continue
        b0, b1 = infe.start, infe.end
        ver = data[b0]
        if ver < 2:
            items.append((b"?v%d" % ver, ""))
            continue
        p = b0 + 4 + (2 if ver == 2 else 4) + 2
        itype = data[p : p + 4]
        _, p = _cstring(data, p + 4, b1)
        content = _cstring(data, p, b1)[0] if itype == b"mime" else ""
        items.append((itype, content))
    return items


def children(data: bytes, box: Box, skip: int = 0) -> list[Box]:
    """The boxes inside ``box``, after ``skip`` bytes of its payload (4 for a full box's version and
    flags)."""
    return boxes(data, box.start + skip, box.end)
