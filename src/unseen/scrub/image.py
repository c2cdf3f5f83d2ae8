"""Image metadata by allow-list: name what a file carries, and verify that an output carries nothing.

Each container is walked by unseen's own walkers (:mod:`unseen.media.containers`: JPEG segments,
PNG chunks, WebP RIFF chunks, TIFF tags, HEIF boxes, GIF blocks; here the BMP header; HEIF items
also through pillow-heif), not through Pillow's view of it, so the check is independent of the
library that wrote the file, and every record is judged by the one allow-list per format
(:mod:`unseen.scrub.allow`), the same one the metadata size limit uses. Everything that is not
needed to store pixels is reported; the only extra allowed is an ICC colour profile in its canonical,
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
from ..media.containers import jpeg
from ..media.containers.jpeg import JpegWalk
from ..media.containers.png import PngWalk
from ..media.containers.profiles import Embedded, jpeg_profile, png_profile, tiff_profile
from ..media.containers.record import Damage
from ..media.containers.tiff import read_tiff_tags
from ..media.containers.webp import WebpWalk
from ..media.kinds import sniff
from .allow import JPEG_HEAD_BYTES, TIFF_ALLOWED_TAGS, Role, jpeg_role, png_role, webp_role
from .exif import describe_exif, describe_tags
from .gif import describe_gif
from .heif import describe_heif
from .icc import MAX_ICC_BYTES, icc_item


def _ident(seg: bytes) -> str:
    head = seg[:40].split(b"\x00", 1)[0]
    text = "".join(chr(c) if 32 <= c < 127 else "?" for c in head[:24])
    return text or "unnamed"


def _profile_items(embedded: Embedded) -> list[str]:
    """A profile taken out of its container, checked (``[]`` when canonical), or why it could not be."""
    if embedded.profile is None:
        return [f"ICC profile: {embedded.problem}"]
    return icc_item(embedded.profile)


# --- JPEG -----------------------------------------------------------------------------------

_PS_NAMES = {0x0404: "IPTC", 0x0409: "Photoshop thumbnail", 0x040C: "Photoshop thumbnail"}


def _jpeg(data: bytes) -> list[str]:
    items: list[str] = []
    icc_chunks: list[bytes] = []
    walk = JpegWalk(data)
    for rec in walk:
        role = jpeg_role(rec.kind, rec.head(JPEG_HEAD_BYTES))
        if role is Role.PROFILE:
            icc_chunks.append(rec.payload()[len(jpeg.ICC_MARK) :])
        elif role is Role.METADATA:
            items.extend(_jpeg_segment(rec.kind, rec.payload()))
    problem = walk.problem
    if problem is not None and problem.damage is Damage.NOT_A_RECORD:
        return items + [f"unrecognised JPEG data at byte {problem.offset}"]
    if problem is not None and problem.damage is Damage.OVERRUN:
        return items + [f"JPEG segment 0x{problem.kind or 0:02X} runs past the end of the file"]
    if icc_chunks:
        items.extend(_profile_items(jpeg_profile(icc_chunks)))
    if walk.end is None:
        items.append("JPEG without an end-of-image marker (truncated)")
    elif walk.trailing():
        items.append(f"data after the end of the JPEG image ({walk.trailing()} bytes)")
    return items


def _jpeg_segment(marker: int, seg: bytes) -> list[str]:
    """What a JPEG segment the allow-list calls metadata holds, by name."""
    if marker == jpeg.COM:
        return ["JPEG comment"]
    if marker == jpeg.APP0:
        if seg.startswith(b"JFIF\x00"):
            return ["JFIF thumbnail"]
        if seg.startswith(b"JFXX\x00"):
            return ["JFIF extension thumbnail (JFXX)"]
    if marker == jpeg.APP1:
        if seg.startswith(b"Exif\x00"):
            return describe_exif(seg[6:])
        if seg.startswith(b"http://ns.adobe.com/xap/1.0/\x00"):
            return ["XMP"]
        if seg.startswith(b"http://ns.adobe.com/xmp/extension/\x00"):
            return ["XMP (extended)"]
    if marker == jpeg.APP2 and seg.startswith(b"MPF\x00"):
        return ["MPO secondary images (multi-picture index)"]
    if marker == jpeg.APP13 and seg.startswith(b"Photoshop 3.0\x00"):
        return _photoshop(seg[14:])
    if 0xE0 <= marker <= 0xEF:
        return [f"JPEG APP{marker - 0xE0} segment '{_ident(seg)}'"]
    return [f"JPEG marker 0x{marker:02X}"]


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
    walk = PngWalk(data)
    for rec in walk:
        role = png_role(rec.kind)
        if role is Role.PROFILE:
            items.extend(_png_icc(rec.payload()))
        elif role is Role.ANIMATION:
            items.append("PNG animation (APNG)")
        elif rec.kind in (b"eXIf", b"exIf"):
            items.extend(describe_exif(rec.payload()))
        elif role is Role.METADATA:
            items.append(_png_chunk(rec.kind, rec.payload()))
    problem = walk.problem
    if problem is not None and problem.damage is Damage.OVERRUN:
        return items + [f"PNG chunk {_ident(problem.kind or b'')!r} runs past the end of the file"]
    if walk.end is None:
        items.append("PNG without an end chunk (truncated)")
    elif walk.trailing():
        items.append(f"data after the end of the PNG image ({walk.trailing()} bytes)")
    return items


def _png_chunk(ctype: bytes, body: bytes) -> str:
    """What a PNG chunk the allow-list calls metadata holds, by name (EXIF: see ``_png``)."""
    if ctype in (b"tEXt", b"zTXt", b"iTXt"):
        key = body.split(b"\x00", 1)[0].decode("latin-1", "replace")
        return _PNG_TEXT_KEYS.get(key, f"PNG text '{key}'")
    if ctype == b"tIME":
        return "PNG modification time"
    return f"PNG chunk '{_ident(ctype)}'"


#: The profile name Pillow writes in a PNG iCCP chunk; any other name is reported (it is free text).
PNG_ICC_NAME = b"ICC Profile"


def _png_icc(body: bytes) -> list[str]:
    name, embedded = png_profile(body, MAX_ICC_BYTES)
    items = [] if name == PNG_ICC_NAME else [f"PNG ICC profile name '{_ident(name)}'"]
    return items + _profile_items(embedded)


# --- WebP -----------------------------------------------------------------------------------


def _webp(data: bytes) -> list[str]:
    items: list[str] = []
    walk = WebpWalk(data)
    for rec in walk:
        role = webp_role(rec.kind)
        if role is Role.PROFILE:
            items.extend(icc_item(rec.payload()))
        elif role is Role.ANIMATION:
            items.append("WebP animation")
        elif role is Role.METADATA:
            if rec.kind == b"EXIF":
                items.extend(describe_exif(rec.payload()))
            elif rec.kind == b"XMP ":
                items.append("XMP")
            else:
                items.append(f"WebP chunk '{_ident(rec.kind)}'")
    problem = walk.problem
    if problem is not None and problem.damage is Damage.TRUNCATED:
        return ["WebP data runs past the end of the file (truncated)"]
    if problem is not None and problem.damage is Damage.OVERRUN:
        items.append(f"WebP chunk '{_ident(problem.kind or b'')}' runs past the end of the RIFF data")
    if walk.trailing():
        items.append(f"data after the end of the WebP image ({walk.trailing()} bytes)")
    return list(dict.fromkeys(items))


# --- TIFF -----------------------------------------------------------------------------------


def _tiff(data: bytes) -> list[str]:
    tags = read_tiff_tags(data)
    items = describe_tags(
        tags, label="TIFF", allowed_ifd0=TIFF_ALLOWED_TAGS, chain="TIFF second image (page or thumbnail)"
    )
    embedded = tiff_profile(data, tags, MAX_ICC_BYTES)
    if embedded is not None:
        items.extend(_profile_items(embedded))
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

_DESCRIBE = {
    "JPEG": _jpeg, "PNG": _png, "WEBP": _webp, "TIFF": _tiff, "BMP": _bmp, "HEIF": describe_heif, "GIF": describe_gif,
}  # fmt: skip


def describe_bytes(data: bytes, container: str | None = None) -> list[str]:
    """What ``data`` carries beyond pixels and ICC, one readable name per kind, in file order.

    Raises:
        UnsupportedFormat: not one of the containers unseen reads.
    """
    container = container or sniff(data)
    walker = _DESCRIBE.get(container or "")
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
        raise err.with_path(path)  # noqa: B904 - the same error, given its path


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
    if container not in _DESCRIBE:
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
    from ..media.pillow_open import DECODE_ERRORS, open_bytes

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
