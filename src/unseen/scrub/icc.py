"""ICC colour profiles by allow-list: keep the colour, drop everything that can name someone.

A profile is a 128-byte header, a tag table and tag data. Besides the colour it can carry a
description, a copyright, device maker and model text, dates, the creating program, a device
serial in a private tag, even a whole embedded JPEG. unseen never copies a profile: it parses it
(every size, offset and count bounds-checked) and writes a **canonical** one that holds only

* the header's colour fields: version, device class (monitor, input or colour space), colour space
  (RGB), PCS (XYZ) and rendering intent; the PCS illuminant is the D50 the standard fixes; every
  identifying field (preferred CMM, date, platform, flags, device maker, model and attributes,
  creator, reserved bytes) is zero, and a version 4 profile ID is the MD5 of the new profile;
* the matrix/TRC colour tags, each re-serialized from its parsed value (so no padding, reserved
  bytes or trailing data travel): ``rXYZ gXYZ bXYZ wtpt bkpt`` (XYZType), ``rTRC gTRC bTRC``
  (curveType or parametricCurveType), ``chad`` (s15Fixed16ArrayType);
* a fixed description, :data:`DESCRIPTION`, and a fixed copyright text, :data:`COPYRIGHT`,
  which the standard requires.

Everything else is dropped: text tags, private tags, measurement and viewing conditions, and the
lookup-table tags (``A2B0``, ``B2A0`` ...). When a profile holds the matrix/TRC tags, those define
its colours and its tables are dropped. A profile whose colours live only in lookup tables (or in
a Lab PCS) has no canonical form here: :func:`canonical_icc` raises :class:`UnsupportedFormat`
and the reader converts the pixels to sRGB through it instead (``media/image_modes.py``). A
profile that does not parse raises :class:`CorruptInput` and is dropped, never kept.

:func:`describe_icc` names what a profile carries beyond its canonical form, tag by tag and header
field by header field; it is empty exactly when the profile *is* canonical (byte for byte), which
is how a written file's profile is verified.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import dataclass

from ..errors import CorruptInput, UnsupportedFormat

MAX_ICC_BYTES = 4 * 1024 * 1024  # real profiles are a few KB to a few hundred KB
MAX_TAGS = 100  # real profiles have under 40
MAX_CURVE_POINTS = 65536
HEADER_SIZE = 128

DESCRIPTION = "unseen: colour tags only"
COPYRIGHT = "No copyright"

_D50 = struct.pack(">3i", 0x0000F6D6, 0x00010000, 0x0000D32D)  # the PCS illuminant ICC.1 fixes
_CLASSES = {b"mntr", b"scnr", b"spac"}
_MATRIX_TRC = (b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC")
# Kept tags in the order the canonical profile writes them, and the types each may have.
_KEEP_TYPES: dict[bytes, tuple[bytes, ...]] = {
    b"wtpt": (b"XYZ ",),
    b"bkpt": (b"XYZ ",),
    b"chad": (b"sf32",),
    b"rXYZ": (b"XYZ ",),
    b"gXYZ": (b"XYZ ",),
    b"bXYZ": (b"XYZ ",),
    b"rTRC": (b"curv", b"para"),
    b"gTRC": (b"curv", b"para"),
    b"bTRC": (b"curv", b"para"),
}
_PARA_PARAMS = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}

# Header fields that identify a device, a program, a person or a time: zero in a canonical profile.
_HEADER_FIELDS = (
    ("CMM", 4, 8),
    ("version reserved bytes", 10, 12),
    ("date", 24, 36),
    ("platform", 40, 44),
    ("flags", 44, 48),
    ("device maker", 48, 52),
    ("device model", 52, 56),
    ("device attributes", 56, 64),
    ("creator", 80, 84),
    ("reserved bytes", 100, 128),
)

# Registered tags dropped, by what a reader of the report understands; others count as private.
_TAG_NAMES = {
    b"desc": "description", b"cprt": "copyright", b"dmnd": "device maker text",
    b"dmdd": "device model text", b"vued": "viewing conditions text", b"view": "viewing conditions",
    b"meta": "metadata dictionary", b"pseq": "profile sequence", b"psid": "profile sequence identifiers",
    b"targ": "characterization target", b"ciis": "colorimetric intent", b"tech": "technology",
    b"meas": "measurement", b"chrm": "chromaticity", b"lumi": "luminance", b"gamt": "gamut table",
    b"calt": "calibration date", b"scrd": "screening text", b"scrn": "screening", b"ncol": "named colours",
    b"ncl2": "named colours", b"clrt": "colorant table", b"clro": "colorant order", b"clot": "colorant table",
    b"resp": "response curves", b"rig0": "rendering intent gamut", b"rig2": "rendering intent gamut",
    b"cicp": "code points", b"bfd ": "UCR/BG", b"devs": "device settings", b"crdi": "CRD info",
    b"pre0": "preview table", b"pre1": "preview table", b"pre2": "preview table", b"ps2s": "PostScript data",
    b"ps2i": "PostScript data", b"psd0": "PostScript data", b"psd1": "PostScript data", b"psd2": "PostScript data",
    b"psd3": "PostScript data", b"kTRC": "grey curve",
}  # fmt: skip
_LOOKUP_TABLES = {b"A2B0", b"A2B1", b"A2B2", b"A2B3", b"B2A0", b"B2A1", b"B2A2", b"B2A3",
                  b"D2B0", b"D2B1", b"D2B2", b"D2B3", b"B2D0", b"B2D1", b"B2D2", b"B2D3"}  # fmt: skip


@dataclass(frozen=True)
class Tag:
    sig: bytes
    offset: int
    size: int


@dataclass(frozen=True)
class Profile:
    """A parsed, bounds-checked profile: the raw bytes and its tag table."""

    data: bytes
    tags: tuple[Tag, ...]

    @property
    def version(self) -> int:
        return self.data[8]

    @property
    def device_class(self) -> bytes:
        return self.data[12:16]

    @property
    def colour_space(self) -> bytes:
        return self.data[16:20]

    @property
    def pcs(self) -> bytes:
        return self.data[20:24]

    def tag(self, sig: bytes) -> Tag | None:
        return next((t for t in self.tags if t.sig == sig), None)

    def body(self, tag: Tag) -> bytes:
        return self.data[tag.offset : tag.offset + tag.size]


def _sig(raw: bytes) -> str:
    return "".join(chr(c) if 32 <= c < 127 else "?" for c in raw)


# --- parsing ---------------------------------------------------------------------------------


def parse_icc(data: bytes) -> Profile:
    """Parse the header and tag table, checking every size, offset and count.

    Raises:
        CorruptInput: truncated, a size field that disagrees, no ``acsp`` signature, too many
            tags, a tag outside the profile or inside the tag table, a repeated tag, or two tags
            that overlap without being the same data (shared data, as three TRCs often are, is
            allowed).
    """
    data = bytes(data)
    n = len(data)
    if n > MAX_ICC_BYTES:
        raise CorruptInput(f"ICC profile of {n:,} bytes is over the limit of {MAX_ICC_BYTES:,}")
    if n < HEADER_SIZE + 4:
        raise CorruptInput(f"ICC profile truncated ({n} bytes)")
    declared = struct.unpack_from(">I", data, 0)[0]
    if declared != n:
        raise CorruptInput(f"ICC profile declares {declared:,} bytes but has {n:,}")
    if data[36:40] != b"acsp":
        raise CorruptInput("ICC profile without its 'acsp' signature")
    count = struct.unpack_from(">I", data, HEADER_SIZE)[0]
    if count > MAX_TAGS:
        raise CorruptInput(f"ICC profile declares {count:,} tags, over the limit of {MAX_TAGS}")
    table_end = HEADER_SIZE + 4 + 12 * count
    if table_end > n:
        raise CorruptInput(f"ICC tag table of {count} tags runs past the end of the profile")
    tags: list[Tag] = []
    for i in range(count):
        sig, offset, size = struct.unpack_from(">4sII", data, HEADER_SIZE + 4 + 12 * i)
        if size < 8 or offset < table_end or offset + size > n:
            raise CorruptInput(f"ICC tag '{_sig(sig)}' (offset {offset}, {size} bytes) lies outside the tag data")
        if any(t.sig == sig for t in tags):
            raise CorruptInput(f"ICC tag '{_sig(sig)}' appears twice")
        tags.append(Tag(sig, offset, size))
    spans = sorted({(t.offset, t.size) for t in tags})
    for (o1, s1), (o2, _) in itertools.pairwise(spans):
        if o2 < o1 + s1:
            raise CorruptInput(f"ICC tags overlap (data at {o1} and {o2})")
    return Profile(data, tuple(tags))


# --- the canonical profile -------------------------------------------------------------------


def _tag_value(prof: Profile, tag: Tag) -> bytes:
    """A kept tag re-serialized from its parsed value (reserved bytes zero, no trailing data).

    Raises:
        CorruptInput: a type the tag may not have, or a value that does not fit its size.
    """
    body = prof.body(tag)
    typ = body[:4]
    if typ not in _KEEP_TYPES[tag.sig]:
        raise CorruptInput(f"ICC tag '{_sig(tag.sig)}' has type '{_sig(typ)}', not a colour type")
    if typ == b"XYZ ":
        if tag.size < 20:
            raise CorruptInput(f"ICC tag '{_sig(tag.sig)}' is too short for an XYZ value")
        return b"XYZ \x00\x00\x00\x00" + body[8:20]
    if typ == b"sf32":
        if tag.size < 8 + 36:
            raise CorruptInput(f"ICC tag '{_sig(tag.sig)}' is too short for a 3x3 matrix")
        return b"sf32\x00\x00\x00\x00" + body[8:44]
    if typ == b"curv":
        if tag.size < 12:
            raise CorruptInput(f"ICC tag '{_sig(tag.sig)}' is too short for a curve")
        points = struct.unpack_from(">I", body, 8)[0]
        if points > MAX_CURVE_POINTS or 12 + 2 * points > tag.size:
            raise CorruptInput(f"ICC curve '{_sig(tag.sig)}' declares {points:,} points that do not fit")
        return b"curv\x00\x00\x00\x00" + body[8 : 12 + 2 * points]
    # parametricCurveType
    if tag.size < 12:
        raise CorruptInput(f"ICC tag '{_sig(tag.sig)}' is too short for a parametric curve")
    kind = struct.unpack_from(">H", body, 8)[0]
    params = _PARA_PARAMS.get(kind)
    if params is None or 12 + 4 * params > tag.size:
        raise CorruptInput(f"ICC parametric curve '{_sig(tag.sig)}' of type {kind} is not valid")
    return b"para\x00\x00\x00\x00" + body[8:10] + b"\x00\x00" + body[12 : 12 + 4 * params]


def _text_tag(text: str, version: int, *, description: bool) -> bytes:
    """``text`` as the type the profile's version requires (v4: mluc; v2: desc or text)."""
    if version >= 4:
        utf16 = text.encode("utf-16-be")
        return b"mluc\x00\x00\x00\x00" + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(utf16), 28) + utf16
    ascii_ = text.encode("ascii") + b"\x00"
    if description:  # textDescriptionType: ASCII, then empty Unicode and ScriptCode parts
        return b"desc\x00\x00\x00\x00" + struct.pack(">I", len(ascii_)) + ascii_ + b"\x00" * (4 + 4 + 2 + 1 + 67)
    return b"text\x00\x00\x00\x00" + ascii_


def _pad4(blob: bytes) -> bytes:
    return blob + b"\x00" * (-len(blob) % 4)


def _header(prof: Profile, size: int) -> bytearray:
    src = prof.data
    head = bytearray(HEADER_SIZE)
    struct.pack_into(">I", head, 0, size)
    head[8:10] = src[8:10]
    head[12:24] = src[12:24]  # device class, colour space, PCS
    head[36:40] = b"acsp"
    intent = struct.unpack_from(">I", src, 64)[0]
    struct.pack_into(">I", head, 64, intent if intent <= 3 else 0)
    head[68:80] = _D50
    return head


def canonical_icc(data: bytes) -> bytes:
    """The colour-tags-only form of an RGB matrix/TRC profile (see the module docstring).

    Idempotent: ``canonical_icc(canonical_icc(p)) == canonical_icc(p)``.

    Raises:
        CorruptInput: the profile does not parse, or a colour tag is malformed.
        UnsupportedFormat: not an RGB matrix/TRC profile with an XYZ PCS (its colours are in
            lookup tables, or it is another kind of profile): there is no canonical form.
    """
    prof = parse_icc(data)
    if prof.version not in (2, 4):
        raise UnsupportedFormat(f"ICC profile version {prof.version} (only versions 2 and 4 are reduced)")
    if prof.colour_space != b"RGB ":
        raise UnsupportedFormat(f"ICC profile for '{_sig(prof.colour_space).strip()}', not RGB")
    if prof.device_class not in _CLASSES:
        raise UnsupportedFormat(
            f"ICC profile of class '{_sig(prof.device_class)}' (not a display, input or colour space profile)"
        )
    missing = [_sig(s) for s in _MATRIX_TRC if prof.tag(s) is None]
    if missing or prof.pcs != b"XYZ ":
        why = f"without the matrix/TRC tags {', '.join(missing)}" if missing else f"with PCS '{_sig(prof.pcs)}'"
        raise UnsupportedFormat(f"ICC profile {why}: its colours are in lookup tables")
    values = [(b"desc", _text_tag(DESCRIPTION, prof.version, description=True)),
              (b"cprt", _text_tag(COPYRIGHT, prof.version, description=False))]  # fmt: skip
    for sig in _KEEP_TYPES:
        tag = prof.tag(sig)
        if tag is not None:
            values.append((sig, _tag_value(prof, tag)))
    table_end = HEADER_SIZE + 4 + 12 * len(values)
    table, blobs, placed = bytearray(struct.pack(">I", len(values))), bytearray(), {}
    for sig, value in values:
        if value not in placed:  # identical values (three equal TRCs) share their data
            placed[value] = table_end + len(blobs)
            blobs += _pad4(value)
        table += struct.pack(">4sII", sig, placed[value], len(value))
    size = table_end + len(blobs)
    out = _header(prof, size) + table + blobs
    if prof.version >= 4:  # ICC.1 7.2.18: MD5 with flags, intent and the ID itself zeroed
        scratch = bytearray(out)
        scratch[64:68] = b"\x00" * 4
        out[84:100] = hashlib.md5(bytes(scratch), usedforsecurity=False).digest()
    return bytes(out)


# --- what a profile carries beyond its canonical form ---------------------------------------


def describe_icc(data: bytes) -> list[str]:
    """What the profile ``data`` carries beyond its canonical form, as short names (header fields,
    dropped tags, extra bytes in kept tags); ``[]`` exactly when ``data`` is canonical."""
    try:
        prof = parse_icc(data)
    except CorruptInput as err:
        return [f"unreadable profile ({err.reason})"]
    parts: list[str] = []
    header = [name for name, lo, hi in _HEADER_FIELDS if any(prof.data[lo:hi])]
    if struct.unpack_from(">I", prof.data, 64)[0] > 3:
        header.append("rendering intent")
    if prof.data[68:80] != _D50:
        header.append("illuminant")
    if header:
        parts.append("header " + "/".join(header))
    private, tables = 0, []
    for tag in prof.tags:
        if tag.sig in _KEEP_TYPES:
            try:
                if _tag_value(prof, tag) != prof.body(tag):
                    parts.append(f"extra bytes in '{_sig(tag.sig)}'")
            except CorruptInput as err:
                parts.append(err.reason.removeprefix("ICC "))
        elif tag.sig in (b"desc", b"cprt"):
            fixed = _text_tag(
                DESCRIPTION if tag.sig == b"desc" else COPYRIGHT, prof.version, description=tag.sig == b"desc"
            )
            if prof.body(tag) != fixed:
                parts.append(_TAG_NAMES[tag.sig])
        elif tag.sig in _LOOKUP_TABLES:
            tables.append(_sig(tag.sig))
        elif _TAG_NAMES.get(tag.sig):
            parts.append(f"{_TAG_NAMES[tag.sig]} ('{_sig(tag.sig)}')")
        else:
            private += 1
    hidden = _unreferenced(prof)
    if hidden:
        parts.append(f"{hidden:,} bytes outside any tag")
    if tables:
        parts.append(f"lookup tables ({', '.join(tables)})")
    if private:
        parts.append(f"{private} private tag{'s' if private != 1 else ''}")
    try:
        canonical = canonical_icc(data)
    except (CorruptInput, UnsupportedFormat) as err:
        parts.append(f"no colour-tags-only form: {err.reason.removeprefix('ICC profile ')}")
    else:
        if any(prof.data[84:100]) and prof.data[84:100] != canonical[84:100]:
            parts.append("header profile ID")
        if canonical != prof.data and not parts:
            parts.append("tag layout, order or profile ID")
    return list(dict.fromkeys(parts))


def _unreferenced(prof: Profile) -> int:
    """Non-zero bytes after the tag table that no tag points at (data hidden between tags)."""
    pos, hidden = HEADER_SIZE + 4 + 12 * len(prof.tags), 0
    for offset, size in sorted({(t.offset, t.size) for t in prof.tags}) + [(len(prof.data), 0)]:
        gap = prof.data[pos:offset]
        hidden += len(gap) - gap.count(0)
        pos = max(pos, offset + size)
    return hidden


def icc_item(data: bytes) -> list[str]:
    """``describe_icc`` as one report item: ``["ICC profile: description, copyright, ..."]`` or ``[]``."""
    parts = describe_icc(data)
    return [f"ICC profile: {', '.join(parts)}"] if parts else []
