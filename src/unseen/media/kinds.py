"""Which files are photos, which are videos: by their first bytes, then by suffix.

:func:`sniff` is the one place that tells formats apart by their first bytes (the reader, the
verifier and the metadata limits use it too), and :data:`FORMAT_SUFFIXES` the one table of photo
suffixes. Content decides, so a JPEG saved as ``.jfif`` (as browsers do) or with no suffix at all,
a GIF, or a photo whose suffix lies is not mistaken for "not media" and left un-anonymized. Every
file whose bytes announce an image format counts as a photo, including formats unseen cannot read
(AVIF, JPEG XL, JPEG 2000, PSD, QOI, camera raw files by their suffix): the reader refuses those,
so they are reported as failed, not quietly skipped. The suffix is the fallback for files whose
first bytes say nothing (an old QuickTime file, a damaged photo: the reader then says what is
wrong).
"""

from __future__ import annotations

import struct
from pathlib import Path

# The one table of photo suffixes: format -> the suffixes it goes by, the first one given to an
# output named from its content. GIF is read, not written (its output is a PNG).
FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "JPEG": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "PNG": (".png",),
    "WEBP": (".webp",),
    "TIFF": (".tif", ".tiff"),
    "BMP": (".bmp",),
    "HEIF": (".heic", ".heif"),
    "GIF": (".gif",),
}
SUFFIX_FORMAT = {suffix: fmt for fmt, suffixes in FORMAT_SUFFIXES.items() for suffix in suffixes}
IMAGE_SUFFIXES = frozenset(SUFFIX_FORMAT)
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts"})
# What sniff() names that is a still picture, read or not (ICO only with its suffix: its four-byte
# signature also begins other binary files).
IMAGE_CONTAINERS = frozenset(
    {"JPEG", "PNG", "WEBP", "TIFF", "BMP", "HEIF", "GIF", "AVIF", "JPEG XL", "JPEG 2000", "Photoshop PSD", "QOI"}
)
# Camera raw files: most are TIFF inside, and Pillow would read their small embedded preview as if
# it were the photo. They are photos (a batch must not skip them silently) that unseen does not read.
RAW_SUFFIXES = frozenset(
    {
        ".dng",
        ".nef",
        ".nrw",
        ".cr2",
        ".cr3",
        ".crw",
        ".arw",
        ".srf",
        ".sr2",
        ".orf",
        ".rw2",
        ".raf",
        ".pef",
        ".srw",
        ".3fr",
        ".erf",
        ".kdc",
        ".dcr",
        ".mrw",
        ".x3f",
        ".iiq",
        ".rwl",
        ".mos",
    }
)
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}  # ISO media holding sound only
_AUDIO_SUFFIXES = frozenset({".m4a", ".m4b", ".mka", ".weba", ".mp3", ".aac", ".opus", ".ogg", ".oga", ".wav", ".flac"})
HEAD_BYTES = 512


def read_head(path: Path) -> bytes:
    """The first bytes of ``path`` (empty if it cannot be read: the reader will say why)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError:
        return b""


def content_format(path: Path) -> str | None:
    """The container ``path``'s first bytes announce (see :func:`sniff`)."""
    return sniff(read_head(path))


def media_kind(path: Path) -> str | None:
    """``"image"``, ``"video"`` or ``None`` (not something unseen processes)."""
    head = read_head(path)
    container = sniff(head) if head else None
    s = path.suffix.lower()
    if container in IMAGE_CONTAINERS or s in RAW_SUFFIXES or (container == "ICO" and s in (".ico", ".cur")):
        return "image"
    if s in _AUDIO_SUFFIXES:
        return None  # sound only (Matroska/MP4 audio look like video from their first bytes)
    if (container == "ISO media" and head[8:12] not in _AUDIO_BRANDS) or _video_signature(head):
        return "video"
    if s in IMAGE_SUFFIXES:
        return "image"
    if s in VIDEO_SUFFIXES:
        return "video"
    return None


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


def _video_signature(head: bytes) -> bool:
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska / WebM
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return True
    return len(head) > 376 and head[0] == head[188] == head[376] == 0x47  # MPEG transport stream
