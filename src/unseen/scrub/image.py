"""Image metadata by allow-list: name what a file carries, and verify that an output carries nothing.

Each container is walked by its own small parser here (JPEG segments, PNG chunks, WebP RIFF chunks,
TIFF tags, the BMP header, HEIF items through pillow-heif), not through Pillow's view of it, so the
check is independent of the library that wrote the file. Everything that is not needed to store
pixels is reported; the only extra allowed is an ICC colour profile in its canonical,
colour-tags-only form (:mod:`unseen.scrub.icc`: each container's profile is taken out and checked
tag by tag; anything beyond the colour tags is named, e.g. "ICC profile: description, copyright,
2 private tags"), and plain technical fields (resolution, gamma, colour space). Data after the end
of an image (a motion-photo video, a camera trailer) counts as metadata too.

:func:`describe_metadata` names what a file carries (for the report, and to check outputs);
:func:`verify_clean` re-opens a written file and raises :class:`VerificationError` if anything but
pixels and ICC is left, if it does not decode fully, or if its size is not the expected one.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from ..errors import InputError, InputNotFound, UnsupportedFormat, VerificationError
from .exif import describe_exif, describe_tags, read_tiff_tags
from .gif import describe_gif
from .heif import describe_heif
from .icc import MAX_ICC_BYTES, icc_item

# --- telling containers apart ---------------------------------------------------------------

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2", b"miaf"}
_OTHER_SIGNATURES = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF", "PDF"),
    (b"%!PS", "PostScript"),
    (b"8BPS", "Photoshop PSD"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"qoif", "QOI"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
)


def sniff(data: bytes) -> str | None:
    """The container a file's first bytes announce: ``"JPEG"``, ``"PNG"``, ``"WEBP"``, ``"TIFF"``,
    ``"BMP"``, ``"HEIF"``, another format's name (``"GIF"``, ``"AVIF"`` ...) or ``None``."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if data[:2] == b"BM" and len(data) >= 26:
        return "BMP"
    if data[4:8] == b"ftyp":
        brands = {data[8:12]} | {data[i : i + 4] for i in range(16, min(len(data), 8 + _be32(data, 0)), 4)}
        if data[8:12] in (b"avif", b"avis"):
            return "AVIF"
        if brands & _HEIF_BRANDS:
            return "HEIF"
        if brands & {b"avif", b"avis"}:
            return "AVIF"
        return "ISO media"
    for sig, name in _OTHER_SIGNATURES:
        if data.startswith(sig):
            return name
    return None


def _be32(data: bytes, pos: int) -> int:
    try:
        return int(struct.unpack_from(">I", data, pos)[0])
    except struct.error:
        return 0


def _ident(seg: bytes) -> str:
    head = seg[:40].split(b"\x00", 1)[0]
    text = "".join(chr(c) if 32 <= c < 127 else "?" for c in head[:24])
    return text or "unnamed"


# --- JPEG -----------------------------------------------------------------------------------

_JPEG_ALLOWED = {0xC4, 0xCC, 0xDB, 0xDD, 0xDC, 0xDE, 0xDF} | (set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC})
_PS_NAMES = {0x0404: "IPTC", 0x0409: "Photoshop thumbnail", 0x040C: "Photoshop thumbnail"}


def _jpeg(data: bytes) -> list[str]:
    items: list[str] = []
    icc_chunks: list[bytes] = []
    pos, n, end = 2, len(data), None
    while pos < n:
        if data[pos] != 0xFF:
            items.append(f"unrecognised JPEG data at byte {pos}")
            return items
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            break
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            end = pos
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        if pos + 2 > n:
            break
        length = struct.unpack_from(">H", data, pos)[0]
        if length < 2 or pos + length > n:
            items.append(f"JPEG segment 0x{marker:02X} runs past the end of the file")
            return items
        seg = data[pos + 2 : pos + length]
        items.extend(_jpeg_segment(marker, seg))
        if marker == 0xE2 and seg.startswith(b"ICC_PROFILE\x00"):
            icc_chunks.append(seg[12:])
        pos += length
        if marker == 0xDA:  # entropy-coded data: skip to the next real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    pos = n
                    break
                nxt = data[pos + 1]
                if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:
                    pos += 2
                    continue
                break
    items.extend(_jpeg_icc(icc_chunks))
    if end is None:
        items.append("JPEG without an end-of-image marker (truncated)")
    elif end < n:
        items.append(f"data after the end of the JPEG image ({n - end} bytes)")
    return items


def _jpeg_segment(marker: int, seg: bytes) -> list[str]:
    if marker in _JPEG_ALLOWED or marker == 0xDA:
        return []
    if marker == 0xFE:
        return ["JPEG comment"]
    if marker == 0xE0:
        if seg.startswith(b"JFIF\x00"):
            return ["JFIF thumbnail"] if len(seg) >= 14 and seg[12] and seg[13] else []
        if seg.startswith(b"JFXX\x00"):
            return ["JFIF extension thumbnail (JFXX)"]
    if marker == 0xE1:
        if seg.startswith(b"Exif\x00"):
            return describe_exif(seg[6:])
        if seg.startswith(b"http://ns.adobe.com/xap/1.0/\x00"):
            return ["XMP"]
        if seg.startswith(b"http://ns.adobe.com/xmp/extension/\x00"):
            return ["XMP (extended)"]
    if marker == 0xE2:
        if seg.startswith(b"ICC_PROFILE\x00"):
            return []
        if seg.startswith(b"MPF\x00"):
            return ["MPO secondary images (multi-picture index)"]
    if marker == 0xED and seg.startswith(b"Photoshop 3.0\x00"):
        return _photoshop(seg[14:])
    if marker == 0xEE and seg.startswith(b"Adobe"):
        return []
    if 0xE0 <= marker <= 0xEF:
        return [f"JPEG APP{marker - 0xE0} segment '{_ident(seg)}'"]
    return [f"JPEG marker 0x{marker:02X}"]


def _jpeg_icc(chunks: list[bytes]) -> list[str]:
    """The profile split over APP2 segments (sequence number, count, data), joined and checked."""
    if not chunks:
        return []
    count = chunks[0][1] if len(chunks[0]) >= 2 else 0
    seqs = sorted(c[0] for c in chunks if len(c) >= 2)
    if count == 0 or any(len(c) < 2 or c[1] != count for c in chunks) or seqs != list(range(1, count + 1)):
        return ["ICC profile: APP2 chunks missing, repeated or out of order"]
    return icc_item(b"".join(c[2:] for c in sorted(chunks, key=lambda c: c[0])))


def _photoshop(block: bytes) -> list[str]:
    items, pos = [], 0
    while pos + 12 <= len(block) and block[pos : pos + 4] == b"8BIM":
        rid = struct.unpack_from(">H", block, pos + 4)[0]
        name_len = block[pos + 6]
        pos += 6 + 1 + name_len + ((1 + name_len) % 2)
        if pos + 4 > len(block):
            break
        size = struct.unpack_from(">I", block, pos)[0]
        pos += 4 + size + (size % 2)
        items.append(_PS_NAMES.get(rid, "Photoshop image resources"))
    return list(dict.fromkeys(items)) or ["Photoshop image resources"]


# --- PNG ------------------------------------------------------------------------------------

_PNG_ALLOWED = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"pHYs", b"sBIT", b"cICP"}
_PNG_TEXT_KEYS = {
    "XML:com.adobe.xmp": "XMP",
    "Raw profile type xmp": "XMP",
    "Raw profile type exif": "EXIF (in PNG text)",
    "Raw profile type APP1": "EXIF (in PNG text)",
    "Raw profile type iptc": "IPTC",
    "Raw profile type 8bim": "Photoshop image resources",
}


def _png(data: bytes) -> list[str]:
    items: list[str] = []
    pos, n, end = 8, len(data), None
    while pos + 12 <= n:
        length = struct.unpack_from(">I", data, pos)[0]
        ctype = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if pos + 12 + length > n:
            items.append(f"PNG chunk {_ident(ctype)!r} runs past the end of the file")
            return items
        pos += 12 + length
        if ctype == b"IEND":
            end = pos
            break
        if ctype == b"iCCP":
            items.extend(_png_icc(body))
            continue
        if ctype in _PNG_ALLOWED:
            continue
        if ctype in (b"tEXt", b"zTXt", b"iTXt"):
            key = body.split(b"\x00", 1)[0].decode("latin-1", "replace")
            items.append(_PNG_TEXT_KEYS.get(key, f"PNG text '{key}'"))
        elif ctype in (b"eXIf", b"exIf"):
            items.extend(describe_exif(body))
        elif ctype == b"tIME":
            items.append("PNG modification time")
        elif ctype in (b"acTL", b"fcTL", b"fdAT"):
            items.append("PNG animation (APNG)")
        else:
            items.append(f"PNG chunk '{_ident(ctype)}'")
    if end is None:
        items.append("PNG without an end chunk (truncated)")
    elif end < n:
        items.append(f"data after the end of the PNG image ({n - end} bytes)")
    return items


#: The profile name Pillow writes in a PNG iCCP chunk; any other name is reported (it is free text).
PNG_ICC_NAME = b"ICC Profile"


def _png_icc(body: bytes) -> list[str]:
    name, _, rest = body.partition(b"\x00")
    items = [] if name == PNG_ICC_NAME else [f"PNG ICC profile name '{_ident(name)}'"]
    if not rest or rest[0] != 0:
        return items + ["ICC profile: unknown PNG compression method"]
    inflater = zlib.decompressobj()
    try:
        profile = inflater.decompress(rest[1:], MAX_ICC_BYTES + 1)
    except zlib.error:
        return items + ["ICC profile: damaged compressed data"]
    if len(profile) > MAX_ICC_BYTES or inflater.unconsumed_tail:
        return items + [f"ICC profile: inflates past {MAX_ICC_BYTES:,} bytes"]
    return items + icc_item(profile)


# --- WebP -----------------------------------------------------------------------------------

_WEBP_ALLOWED = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP"}


def _webp(data: bytes) -> list[str]:
    items: list[str] = []
    riff_end = 8 + struct.unpack_from("<I", data, 4)[0]
    n = len(data)
    if riff_end > n:
        return ["WebP data runs past the end of the file (truncated)"]
    pos = 12
    while pos + 8 <= riff_end:
        fourcc = data[pos : pos + 4]
        size = struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size % 2)
        if fourcc == b"ICCP":
            items.extend(icc_item(body))
            continue
        if fourcc in _WEBP_ALLOWED:
            continue
        if fourcc == b"EXIF":
            items.extend(describe_exif(body))
        elif fourcc == b"XMP ":
            items.append("XMP")
        elif fourcc in (b"ANIM", b"ANMF"):
            items.append("WebP animation")
        else:
            items.append(f"WebP chunk '{_ident(fourcc)}'")
    if riff_end < n:
        items.append(f"data after the end of the WebP image ({n - riff_end} bytes)")
    return list(dict.fromkeys(items))


# --- TIFF -----------------------------------------------------------------------------------

#: Tags a TIFF needs to store pixels (layout, compression, colour) plus resolution and ICC.
TIFF_ALLOWED_TAGS = frozenset(
    {254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 282, 283, 284, 296, 317, 320,
     322, 323, 324, 325, 338, 339, 347, 530, 531, 532, 34675}
)  # fmt: skip


TIFF_ICC_TAG = 34675  # InterColorProfile


def _tiff(data: bytes) -> list[str]:
    tags = read_tiff_tags(data)
    items = describe_tags(tags, label="TIFF", allowed_ifd0=TIFF_ALLOWED_TAGS, chain="TIFF second image (page or thumbnail)")
    entry = tags.entries.get(("IFD0", TIFF_ICC_TAG))
    if entry is not None:
        typ, count, offset = entry
        if typ not in (1, 7):  # BYTE or UNDEFINED
            items.append(f"ICC profile: TIFF tag of type {typ}")
        elif count > MAX_ICC_BYTES or offset + count > len(data):
            items.append("ICC profile: TIFF tag runs past the end of the file")
        else:
            items.extend(icc_item(data[offset : offset + count]))
    return items


# --- BMP ------------------------------------------------------------------------------------


_BMP_PROFILES = {0x4D424544: "BMP embedded ICC profile", 0x4C494E4B: "BMP linked ICC profile (a file name)"}


def _bmp(data: bytes) -> list[str]:
    items: list[str] = []
    header = _le32(data, 14)
    if header >= 108:  # BITMAPV4HEADER and later: bV4CSType says whether a profile is attached
        profile = _BMP_PROFILES.get(_le32(data, 14 + 56))
        if profile:
            items.append(profile)
    declared = struct.unpack_from("<I", data, 2)[0]
    if declared and declared < len(data):
        items.append(f"data after the end of the BMP image ({len(data) - declared} bytes)")
    return items


def _le32(data: bytes, pos: int) -> int:
    try:
        return int(struct.unpack_from("<I", data, pos)[0])
    except struct.error:
        return 0


# --- public ---------------------------------------------------------------------------------

_WALKERS = {"JPEG": _jpeg, "PNG": _png, "WEBP": _webp, "TIFF": _tiff, "BMP": _bmp, "HEIF": describe_heif, "GIF": describe_gif}
CONTAINERS = tuple(_WALKERS)


def describe_bytes(data: bytes, container: str | None = None) -> list[str]:
    """What ``data`` carries beyond pixels and ICC, one readable name per kind, in file order.

    Raises:
        UnsupportedFormat: not one of the containers unseen reads.
    """
    container = container or sniff(data)
    walker = _WALKERS.get(container or "")
    if walker is None:
        raise UnsupportedFormat(f"not an image unseen can check ({container or 'unknown format'})")
    try:
        items = walker(data)
    except (struct.error, IndexError, ValueError, SyntaxError, EOFError, zlib.error) as exc:
        items = [f"unreadable {container} structure ({exc})"]  # a malformed structure is itself suspect
    return list(dict.fromkeys(items))


def describe_metadata(path: Path) -> list[str]:
    """What the image file at ``path`` carries besides pixels and an ICC profile.

    Raises:
        UnsupportedFormat: not one of the containers unseen reads.
        InputError: the file cannot be read.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputNotFound("no such file", path=path) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    try:
        return describe_bytes(data)
    except UnsupportedFormat as err:
        raise err.with_path(path)


def verify_clean(path: Path, *, expected_size: tuple[int, int] | None = None) -> None:
    """Re-open a written image; raise unless it holds pixels (and ICC) only, decodes fully, is a
    single image, and is ``expected_size`` (width, height) when given.

    Raises:
        VerificationError: naming what is wrong.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VerificationError(f"cannot re-open the output: {exc.strerror or exc}", path=path) from exc
    container = sniff(data)
    if container not in _WALKERS:
        raise VerificationError(f"output is not a readable image ({container or 'unknown format'})", path=path)
    left = describe_bytes(data, container)
    if left:
        raise VerificationError("metadata left in output: " + ", ".join(left), path=path)
    try:
        size, pillow_left = _pillow_view(data, container)
    except ValueError as exc:
        raise VerificationError(f"output does not decode: {exc}", path=path) from exc
    if pillow_left:
        raise VerificationError("metadata left in output (seen by Pillow): " + ", ".join(pillow_left), path=path)
    if expected_size is not None and tuple(size) != tuple(expected_size):
        raise VerificationError(
            f"output is {size[0]}x{size[1]} pixels, expected {expected_size[0]}x{expected_size[1]}", path=path
        )


# --- a second opinion: what Pillow sees in the written file -----------------------------------

_PILLOW_META_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "iptc", "mp", "mpoffset")


def _pillow_view(data: bytes, container: str) -> tuple[tuple[int, int], list[str]]:
    """Decode fully with Pillow: ``((width, height), metadata Pillow still sees)``.

    Raises ``ValueError`` when the file does not decode or holds more than one image.
    """
    from PIL import ImageFile

    from ..errors import UnseenError
    from ..media.image_io import DECODE_ERRORS, open_bytes

    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise ValueError("Pillow is set to accept truncated images (LOAD_TRUNCATED_IMAGES)")
    try:
        with open_bytes(data, container) as im:
            im.load()
            frames = int(getattr(im, "n_frames", 1) or 1)
            left = [k for k in _PILLOW_META_KEYS if im.info.get(k)]
            icc = im.info.get("icc_profile")
            left += icc_item(bytes(icc)) if icc else []
            left += [f"text '{k}'" for k in (getattr(im, "text", None) or {})]
            if container in ("JPEG", "PNG", "WEBP", "HEIF") and len(im.getexif()):
                left.append("EXIF tags")
            if container == "TIFF":
                tags = set(getattr(im, "tag_v2", {}).keys())
                left += [f"TIFF tag {t}" for t in sorted(tags - TIFF_ALLOWED_TAGS)]
            if container == "HEIF":
                left += [f"HEIF {k}" for k in ("metadata", "thumbnails", "depth_images", "aux") if im.info.get(k)]
            size = im.size
    except UnseenError as err:
        raise ValueError(err.reason) from err
    except DECODE_ERRORS as exc:
        raise ValueError((str(exc).strip() or type(exc).__name__).splitlines()[0][:200]) from exc
    if frames != 1:
        raise ValueError(f"{frames} frames where one image was written")
    return size, left
