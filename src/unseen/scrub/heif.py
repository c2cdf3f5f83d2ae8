"""What a HEIF/HEIC file carries besides its image: two readers that must agree on "nothing".

Our own walk of the ISO-BMFF boxes reads the item list (``iinf``) and item references (``iref``):
EXIF and XMP are items of type ``Exif`` and ``mime``, thumbnails are images referenced with
``thmb``. pillow-heif (libheif) then names what it decodes: EXIF contents, XMP, other metadata
blocks, thumbnails, depth and auxiliary images, and extra top-level images (bursts). ICC profiles
(``colr`` properties of type ``prof`` or ``rICC``, and the one libheif reports) are checked against
their canonical, colour-tags-only form (:mod:`unseen.scrub.icc`).
"""

from __future__ import annotations

import io
import struct

from .exif import describe_exif
from .icc import icc_item

_TOP_ALLOWED = {b"ftyp", b"meta", b"mdat", b"free", b"skip"}
# Item types that hold pixels (coded images and their derivations).
_IMAGE_ITEMS = {b"hvc1", b"av01", b"grid", b"iden", b"iovl", b"jpeg", b"unci", b"vvc1"}


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """``(type, body_start, body_end)`` of the boxes in ``data[start:end]``; raises on overrun."""
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
            raise ValueError(f"HEIF box {_name(btype)!r} runs past its container")
        out.append((btype, pos + head, pos + size))
        pos += size
    if pos != end:
        raise ValueError(f"{end - pos} stray bytes after the last HEIF box")
    return out


def _name(fourcc: bytes) -> str:
    return "".join(chr(c) if 32 <= c < 127 else "?" for c in fourcc)


def _cstring(data: bytes, pos: int, end: int) -> tuple[str, int]:
    stop = data.find(b"\x00", pos, end)
    stop = end if stop < 0 else stop
    return data[pos:stop].decode("utf-8", "replace"), min(stop + 1, end)


def _items(data: bytes, start: int, end: int) -> list[tuple[bytes, str]]:
    """``(item_type, content_type)`` per entry of an ``iinf`` box body."""
    version = data[start]
    pos = start + 4 + (2 if version == 0 else 4)
    items = []
    for btype, b0, b1 in _boxes(data, pos, end):
        if btype != b"infe":
            continue
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


def _structure(data: bytes) -> list[str]:
    items: list[str] = []
    for btype, b0, b1 in _boxes(data, 0, len(data)):
        if btype not in _TOP_ALLOWED:
            items.append(f"HEIF box '{_name(btype)}'")
        if btype != b"meta":
            continue
        for child, c0, c1 in _boxes(data, b0 + 4, b1):
            if child == b"iinf":
                for itype, content in _items(data, c0, c1):
                    if itype == b"Exif":
                        items.append("HEIF EXIF item")
                    elif itype == b"mime":
                        items.append("XMP" if "rdf+xml" in content else f"HEIF metadata item ({content or 'mime'})")
                    elif itype not in _IMAGE_ITEMS:
                        items.append(f"HEIF item '{_name(itype)}'")
            elif child == b"iprp":
                items.extend(_colour_profiles(data, c0, c1))
            elif child == b"iref":
                for ref, _, _ in _boxes(data, c0 + 4, c1):
                    if ref == b"thmb":
                        items.append("HEIF thumbnail")
    return items


def _colour_profiles(data: bytes, start: int, end: int) -> list[str]:
    """ICC profiles among the item properties (``iprp`` > ``ipco`` > ``colr``)."""
    items: list[str] = []
    for box, b0, b1 in _boxes(data, start, end):
        if box != b"ipco":
            continue
        for prop, p0, p1 in _boxes(data, b0, b1):
            if prop == b"colr" and data[p0 : p0 + 4] in (b"prof", b"rICC"):
                items.extend(icc_item(data[p0 + 4 : p1]))
    return items


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip() or type(exc).__name__).splitlines()[0][:160]


def describe_heif(data: bytes) -> list[str]:
    """What a HEIF file carries besides pixels and an ICC profile."""
    try:
        items = _structure(data)
    except (ValueError, IndexError, struct.error) as exc:
        items = [f"unreadable HEIF structure ({exc})"]
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - pillow-heif is a dependency
        return items + ["HEIF contents unknown (pillow-heif is not installed)"]
    try:
        heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=False)
    except (OSError, RuntimeError, ValueError, SyntaxError, EOFError) as exc:
        return items + [f"HEIF unreadable by libheif ({_first_line(exc)})"]
    if len(heif) > 1:
        items.append(f"HEIF additional images ({len(heif) - 1})")
    for img in heif:
        info = img.info
        if info.get("exif"):
            items.extend(describe_exif(info["exif"]))
        if info.get("xmp"):
            items.append("XMP")
        if info.get("icc_profile"):
            items.extend(icc_item(bytes(info["icc_profile"])))
        for block in info.get("metadata") or []:
            items.append(f"HEIF metadata '{block.get('type', '?')}'")
        if info.get("thumbnails"):
            items.append("HEIF thumbnail")
        if info.get("depth_images"):
            items.append("HEIF depth image")
        if info.get("aux"):
            items.append("HEIF auxiliary image")
    return list(dict.fromkeys(items))
