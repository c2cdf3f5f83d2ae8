"""The one allow-list per container: what each segment, chunk, block or box of a photo is.

Every record a container walker (:mod:`unseen.media.containers`) yields has one role here:

* ``PIXELS``: needed to store or show the pixels (frame headers, tables, image data, plain
  technical fields such as resolution or gamma). Allowed in a written file; not metadata.
* ``TECHNICAL``: small fields that describe the picture without being part of it (JFIF's
  resolution header, Adobe's colour-transform flag, PNG ``pHYs``). Allowed in a written file; as
  the non-pixel blocks they are, counted by the size limit.
* ``PROFILE``: an ICC colour profile. Allowed in a written file only in its canonical,
  colour-tags-only form (:mod:`unseen.scrub.icc`, checked by the verifier); not counted as
  metadata by the size limit (profiles are bounded by their own parser).
* ``ANIMATION``: further frames and their timing (WebP ``ANIM``/``ANMF``, APNG ``acTL``/``fcTL``/
  ``fdAT``). Picture data, so not metadata for the size limit (the reader refuses animations by
  their frame count, with its own message); never in a written file (unseen writes still images),
  so the verifier names it.
* ``METADATA``: everything else. Counted against ``max_metadata_mb`` before the file is read,
  named in the report, and refused in a written file.

The metadata size limit (``media/image_limits.py``) and the verifier (``scrub/image.py``) both
ask these functions, so they cannot disagree about what is pixels.

JPEG markers DNL (0xDC), DHP (0xDE) and EXP (0xDF) are ``METADATA`` (the verifier used to allow
them while the limit counted them): libjpeg, the decoder behind Pillow and OpenCV, skips a DNL
segment whatever it holds (a JPEG with 600 bytes of text in one decodes to the same pixels) and
refuses the hierarchical process DHP and EXP belong to, so they never carry pixels a reader sees,
while a payload can carry anything.
"""

from __future__ import annotations

import enum

from ..media.containers import gif, jpeg, png, webp


class Role(enum.Enum):
    PIXELS = "pixels"
    TECHNICAL = "technical fields"
    PROFILE = "ICC profile"
    ANIMATION = "animation"
    METADATA = "metadata"


#: The roles whose bytes count against the metadata size limit.
SIZE_LIMITED = frozenset({Role.METADATA, Role.TECHNICAL})

# --- JPEG ------------------------------------------------------------------------------------

JPEG_PIXEL_MARKERS = frozenset(jpeg.SOF | {jpeg.DHT, jpeg.DAC, jpeg.DQT, jpeg.DRI, jpeg.SOS})
JPEG_HEAD_BYTES = 14  # enough of a payload to tell its kind (JFIF's thumbnail size is at 12-13)
JFIF_MARK, ADOBE_MARK = b"JFIF\x00", b"Adobe"


def jfif_thumbnail(head: bytes) -> bool:
    """Whether an APP0 JFIF payload declares a thumbnail (its width and height are not 0)."""
    return len(head) >= 14 and bool(head[12]) and bool(head[13])


def jpeg_role(marker: int, head: bytes) -> Role:
    """The role of a JPEG segment, from its marker and the first :data:`JPEG_HEAD_BYTES` of its payload."""
    if marker in JPEG_PIXEL_MARKERS or jpeg.is_standalone(marker):
        return Role.PIXELS
    if marker == jpeg.APP2 and head.startswith(jpeg.ICC_MARK):
        return Role.PROFILE
    if marker == jpeg.APP0 and head.startswith(JFIF_MARK) and not jfif_thumbnail(head):
        return Role.TECHNICAL  # the JFIF header: version, resolution
    if marker == jpeg.APP14 and head.startswith(ADOBE_MARK):
        return Role.TECHNICAL  # Adobe's colour transform flag: how to read the components
    return Role.METADATA


# --- PNG -------------------------------------------------------------------------------------

PNG_PIXEL_CHUNKS = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"sRGB", b"gAMA", b"cHRM", b"sBIT", b"cICP"})
PNG_TECHNICAL_CHUNKS = frozenset({b"pHYs"})
PNG_ANIMATION_CHUNKS = frozenset({b"acTL", b"fcTL", b"fdAT"})


def png_role(chunk_type: bytes) -> Role:
    if chunk_type in PNG_PIXEL_CHUNKS:
        return Role.PIXELS
    if chunk_type in PNG_TECHNICAL_CHUNKS:
        return Role.TECHNICAL
    if chunk_type == png.ICCP:
        return Role.PROFILE
    if chunk_type in PNG_ANIMATION_CHUNKS:
        return Role.ANIMATION
    return Role.METADATA


# --- WebP ------------------------------------------------------------------------------------

WEBP_PIXEL_CHUNKS = frozenset({webp.VP8, webp.VP8L, webp.VP8X, webp.ALPH})
WEBP_ANIMATION_CHUNKS = frozenset({webp.ANIM, webp.ANMF})


def webp_role(fourcc: bytes) -> Role:
    """The role of a WebP chunk (of the file, or inside an ``ANMF`` frame)."""
    if fourcc in WEBP_PIXEL_CHUNKS:
        return Role.PIXELS
    if fourcc == webp.ICCP:
        return Role.PROFILE
    if fourcc in WEBP_ANIMATION_CHUNKS:
        return Role.ANIMATION
    return Role.METADATA


# --- GIF (read, never written) ---------------------------------------------------------------

GIF_ICC_APPLICATION = b"ICCRGBG1012"


def gif_role(kind: tuple[int, int], first_block: bytes) -> Role:
    """The role of a GIF block, from its kind and its first data sub-block."""
    if kind == (gif.IMAGE, 0) or kind == (gif.EXTENSION, gif.GRAPHIC_CONTROL):
        return Role.PIXELS  # image data, colour tables, transparency
    if kind == (gif.EXTENSION, gif.APPLICATION) and first_block[:11] == GIF_ICC_APPLICATION:
        return Role.PROFILE
    return Role.METADATA


# --- TIFF ------------------------------------------------------------------------------------

#: Tags a TIFF needs to store pixels (layout, compression, colour) plus resolution and ICC.
TIFF_ALLOWED_TAGS = frozenset(
    {254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 282, 283, 284, 296, 317, 320,
     322, 323, 324, 325, 338, 339, 347, 530, 531, 532, 34675}
)  # fmt: skip


# --- HEIF ------------------------------------------------------------------------------------

HEIF_TOP_BOXES = frozenset({b"ftyp", b"meta", b"mdat", b"free", b"skip"})
#: Item types that hold pixels (coded images and their derivations).
HEIF_IMAGE_ITEMS = frozenset({b"hvc1", b"av01", b"grid", b"iden", b"iovl", b"jpeg", b"unci", b"vvc1"})
