"""What a TIFF/EXIF structure carries, named for the report: GPS, serial numbers, maker note ...

Used two ways: to name what an EXIF block carries so the report can say what was removed, and to
name a TIFF file's own tags outside the allow-list (:data:`unseen.scrub.allow.TIFF_ALLOWED_TAGS`)
so verification can hold them to it. The structure itself is walked by
:mod:`unseen.media.containers.tiff`.
"""

from __future__ import annotations

from ..media.containers.tiff import EXIF_IFD, GPS_IFD, INTEROP_IFD, TiffTags, exif_orientation, read_tiff_tags

# exif_orientation and read_tiff_tags are the walker's, named here too for callers of this module.
__all__ = ["describe_exif", "describe_tags", "exif_orientation", "read_tiff_tags"]

# --- naming what an EXIF block carries -----------------------------------------------------

# (IFD, tag) -> what a person reading the report should understand.
_NAMED: dict[tuple[str, int], str] = {
    ("IFD0", 0x010E): "EXIF image description",
    ("IFD0", 0x010F): "EXIF camera make and model",
    ("IFD0", 0x0110): "EXIF camera make and model",
    ("IFD0", 0x0112): "EXIF orientation",
    ("IFD0", 0x0131): "EXIF software",
    ("IFD0", 0x0132): "EXIF date and time",
    ("IFD0", 0x013B): "EXIF artist",
    ("IFD0", 0x013C): "EXIF host computer",
    ("IFD0", 0x8298): "EXIF copyright",
    ("IFD0", 0x9C9B): "EXIF Windows title/comment/author/keywords",
    ("IFD0", 0x9C9C): "EXIF Windows title/comment/author/keywords",
    ("IFD0", 0x9C9D): "EXIF Windows title/comment/author/keywords",
    ("IFD0", 0x9C9E): "EXIF Windows title/comment/author/keywords",
    ("IFD0", 0x9C9F): "EXIF Windows title/comment/author/keywords",
    ("IFD0", 0xC62F): "EXIF camera serial number",
    ("Exif", 0x9003): "EXIF date and time",
    ("Exif", 0x9004): "EXIF date and time",
    ("Exif", 0x9010): "EXIF date and time",
    ("Exif", 0x9011): "EXIF date and time",
    ("Exif", 0x9012): "EXIF date and time",
    ("Exif", 0x927C): "EXIF maker note",
    ("Exif", 0x9286): "EXIF user comment",
    ("Exif", 0xA420): "EXIF image unique ID",
    ("Exif", 0xA430): "EXIF camera owner name",
    ("Exif", 0xA431): "EXIF camera serial number",
    ("Exif", 0xA433): "EXIF lens make and model",
    ("Exif", 0xA434): "EXIF lens make and model",
    ("Exif", 0xA435): "EXIF lens serial number",
}
_GPS_POSITION = {1, 2, 3, 4}  # latitude ref, latitude, longitude ref, longitude
_STRUCTURAL = {EXIF_IFD, GPS_IFD, INTEROP_IFD}


def describe_exif(data: bytes) -> list[str]:
    """Human-readable names of what an EXIF block carries (never empty: an empty block is named)."""
    items = describe_tags(read_tiff_tags(data))
    return items or ["EXIF (empty block)"]


def describe_tags(
    tags: TiffTags, *, label: str = "EXIF", allowed_ifd0: frozenset[int] = frozenset(), chain: str = "EXIF thumbnail"
) -> list[str]:
    """Name every tag found, except ``allowed_ifd0`` in IFD0 (a TIFF file's own pixel layout).

    ``chain`` names a second IFD in the main chain (a thumbnail in EXIF, a page in a TIFF file).
    """
    items: list[str] = []
    other = 0
    for ifd, found in tags.ifds.items():
        if ifd == "GPS":
            if found:
                items.append("EXIF GPS position" if _GPS_POSITION & set(found) else "EXIF GPS data")
            continue
        if ifd.startswith("IFD") and ifd != "IFD0":
            items.append(chain)
            continue
        if ifd.startswith("SubIFD"):
            items.append(f"{label} sub-image")
            continue
        for tag in found:
            if ifd == "IFD0" and tag in allowed_ifd0:
                continue
            name = _NAMED.get((ifd, tag))
            if name and ifd == "IFD0":
                items.append(label + name[4:])
            elif name:
                items.append(name)
            elif tag in _STRUCTURAL:
                continue
            elif label != "EXIF" and ifd == "IFD0":
                items.append(f"{label} tag {_tag_name(tag)}")
            else:
                other += 1
    if other:
        items.append(f"EXIF ({other} other tag{'s' if other != 1 else ''})")
    if tags.problems:
        items.append(f"{label} (unreadable part: {tags.problems[0]})")
    return _unique(items)


def _tag_name(tag: int) -> str:
    from PIL import TiffTags as _names  # names only, for messages

    name = _names.lookup(tag).name
    return f"{name} ({tag})" if name and name != "unknown" else f"{tag} (0x{tag:04X})"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
