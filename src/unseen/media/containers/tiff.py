"""TIFF structures (a TIFF file, or an EXIF block): which tags sit in which IFD.

It reads tag numbers, types, counts and value offsets, never follows an offset or a count without
a bounds check, and stops at loops and at implausible counts. What the tags *mean* for privacy is
:mod:`unseen.scrub.exif`'s business; the orientation is read here, for the reader to apply.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

# Pointer tags: the IFDs they lead to.
EXIF_IFD, GPS_IFD, INTEROP_IFD, SUB_IFDS = 0x8769, 0x8825, 0xA005, 0x014A
_POINTERS = {EXIF_IFD: "Exif", GPS_IFD: "GPS", INTEROP_IFD: "Interop"}
_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
_MAX_IFDS = 64
_MAX_ENTRIES = 4096


@dataclass
class TiffTags:
    """Tag numbers found per IFD: ``"IFD0"``, ``"IFD1"`` ... (the chain), ``"Exif"``, ``"GPS"``,
    ``"Interop"``, ``"SubIFD0"`` ...; ``problems`` lists what could not be read."""

    ifds: dict[str, list[int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    shorts: dict[tuple[str, int], int] = field(default_factory=dict)  # single SHORT values, e.g. orientation
    entries: dict[tuple[str, int], tuple[int, int, int]] = field(default_factory=dict)  # (type, count, value or offset)

    def tags(self, name: str) -> list[int]:
        return self.ifds.get(name, [])


def read_tiff_tags(data: bytes) -> TiffTags:
    """Walk a TIFF structure (a TIFF file, or an EXIF block with or without ``Exif\\0\\0``)."""
    out = TiffTags()
    if data[:6] == b"Exif\x00\x00":
        data = data[6:]
    if data[:4] in (b"II*\x00", b"II+\x00"):
        bo = "<"
    elif data[:4] in (b"MM\x00*", b"MM\x00+"):
        bo = ">"
    else:
        out.problems.append("not a TIFF/EXIF structure")
        return out
    big = data[2:4] in (b"+\x00", b"\x00+")
    try:
        first = struct.unpack_from(bo + ("Q" if big else "I"), data, 8 if big else 4)[0]
    except struct.error:
        out.problems.append("truncated TIFF header")
        return out
    seen: set[int] = set()
    queue: list[tuple[str, int]] = []
    # The main chain (IFD0 -> IFD1 -> ...) first.
    offset, n = first, 0
    while offset and n < _MAX_IFDS:
        name = f"IFD{n}"
        nxt = _read_ifd(data, offset, bo, big, name, out, seen, queue)
        if nxt is None:
            break
        offset, n = nxt, n + 1
    while queue and len(seen) < _MAX_IFDS:
        name, off = queue.pop(0)
        _read_ifd(data, off, bo, big, name, out, seen, queue)
    return out


def _read_ifd(
    data: bytes,
    offset: int,
    bo: str,
    big: bool,
    name: str,
    out: TiffTags,
    seen: set[int],
    queue: list[tuple[str, int]],
) -> int | None:
    if offset in seen:
        out.problems.append(f"{name}: IFD loop")
        return None
    seen.add(offset)
    count_fmt, entry_size, count_size = ("Q", 20, 8) if big else ("H", 12, 2)
    try:
        (count,) = struct.unpack_from(bo + count_fmt, data, offset)
    except struct.error:
        out.problems.append(f"{name}: offset {offset} outside the data")
        return None
    if count > _MAX_ENTRIES:
        out.problems.append(f"{name}: implausible entry count {count}")
        return None
    tags: list[int] = []
    base = offset + count_size
    for i in range(count):
        pos = base + i * entry_size
        try:
            if big:
                tag, typ, cnt, val = struct.unpack_from(bo + "HHQQ", data, pos)
            else:
                tag, typ, cnt, val = struct.unpack_from(bo + "HHII", data, pos)
        except struct.error:
            out.problems.append(f"{name}: truncated entry")
            break
        tags.append(tag)
        out.entries.setdefault((name, tag), (typ, cnt, val))
        if typ == 3 and cnt == 1:
            out.shorts[(name, tag)] = (val >> 48 if big else val >> 16) if bo == ">" else val & 0xFFFF
        if tag in _POINTERS and val:
            queue.append((_POINTERS[tag], val))
        elif tag == SUB_IFDS:
            for j, sub in enumerate(_offsets(data, bo, big, typ, cnt, val)):
                queue.append((f"SubIFD{j}", sub))
    out.ifds.setdefault(name, []).extend(tags)
    try:
        (nxt,) = struct.unpack_from(bo + ("Q" if big else "I"), data, base + count * entry_size)
    except struct.error:
        return None
    return nxt or None


def _offsets(data: bytes, bo: str, big: bool, typ: int, cnt: int, val: int) -> list[int]:
    size = _TYPE_SIZE.get(typ, 4) * cnt
    if cnt == 0 or cnt > 64:
        return []
    fmt = {4: "I", 13: "I", 16: "Q", 18: "Q"}.get(typ)
    if fmt is None:
        return []
    inline = size <= (8 if big else 4)
    if inline:
        raw = struct.pack(bo + ("Q" if big else "I"), val)[:size]
        try:
            return list(struct.unpack(bo + fmt * cnt, raw))
        except struct.error:
            return []
    try:
        return list(struct.unpack_from(bo + fmt * cnt, data, val))
    except struct.error:
        return []


ORIENTATION = 0x0112
ICC_PROFILE = 34675  # InterColorProfile


def exif_orientation(data: bytes) -> int:
    """The orientation (1-8) an EXIF block declares; 1 when absent or not a valid value."""
    value = read_tiff_tags(data).shorts.get(("IFD0", ORIENTATION), 1)
    return value if 1 <= value <= 8 else 1
