"""What a HEIF/HEIC file carries besides its image: two readers that must agree on "nothing".

Our own walk of the ISO-BMFF boxes (:mod:`unseen.media.containers.heif`) reads the item list
(``iinf``) and item references (``iref``): EXIF and XMP are items of type ``Exif`` and ``mime``,
thumbnails are images referenced with ``thmb``; the boxes and item types allowed are in
:mod:`unseen.scrub.allow`. pillow-heif (libheif) then names what it decodes: EXIF contents, XMP, other metadata
blocks, thumbnails, depth and auxiliary images, and extra top-level images (bursts). ICC profiles
(``colr`` properties of type ``prof`` or ``rICC``, and the one libheif reports) are checked against
their canonical, colour-tags-only form (:mod:`unseen.scrub.icc`).
"""

from __future__ import annotations

import io
import struct
from typing import Any

from ..media.containers.heif import Box, boxes, children, fourcc_text, item_types
from ..media.containers.profiles import heif_profile
from .allow import HEIF_IMAGE_ITEMS, HEIF_TOP_BOXES
from .exif import describe_exif
from .icc import icc_item


def _structure(data: bytes) -> list[str]:
    items: list[str] = []
    for box in boxes(data, 0, len(data)):
        if box.kind not in HEIF_TOP_BOXES:
            items.append(f"HEIF box '{fourcc_text(box.kind)}'")
        if box.kind != b"meta":
            continue
        for child in children(data, box, 4):
            if child.kind == b"iinf":
                for itype, content in item_types(data, child):
                    if itype == b"Exif":
                        items.append("HEIF EXIF item")
                    elif itype == b"mime":
                        items.append("XMP" if "rdf+xml" in content else f"HEIF metadata item ({content or 'mime'})")
                    elif itype not in HEIF_IMAGE_ITEMS:
                        items.append(f"HEIF item '{fourcc_text(itype)}'")
            elif child.kind == b"iprp":
                items.extend(_colour_profiles(data, child))
            elif child.kind == b"iref" and any(ref.kind == b"thmb" for ref in children(data, child, 4)):
                items.append("HEIF thumbnail")
    return items


def _colour_profiles(data: bytes, iprp: Box) -> list[str]:
    """ICC profiles among the item properties (``iprp`` > ``ipco`` > ``colr``)."""
    items: list[str] = []
    for ipco in children(data, iprp):
        if ipco.kind != b"ipco":
            continue
        for prop in children(data, ipco):
            profile = heif_profile(prop.payload()) if prop.kind == b"colr" else None
            if profile is not None:
                items.extend(icc_item(profile))
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
        info: dict[str, Any] = img.info
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
