"""Which files are photos, which are videos: by their first bytes, then by suffix.

Content decides, so a JPEG saved as ``.jfif`` (as browsers do) or with no suffix at all, a GIF, or
a photo whose suffix lies is not mistaken for "not media" and left un-anonymized. Every file whose
bytes announce an image format counts as a photo, including formats unseen cannot read (AVIF,
JPEG XL, JPEG 2000, PSD, QOI, camera raw files by their suffix): the reader refuses those, so they
are reported as failed, not quietly skipped. The suffix is the fallback for files whose first bytes say nothing (an old
QuickTime file, a damaged photo: the reader then says what is wrong).
"""

from __future__ import annotations

from pathlib import Path

from ..scrub.image import sniff

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".bmp", ".heic", ".heif", ".gif"}
)
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts"})
# What sniff() names that is a still picture, read or not (ICO only with its suffix: its four-byte
# signature also begins other binary files).
IMAGE_CONTAINERS = frozenset(
    {"JPEG", "PNG", "WEBP", "TIFF", "BMP", "HEIF", "GIF", "AVIF", "JPEG XL", "JPEG 2000", "Photoshop PSD", "QOI"}
)
# Camera raw files: most are TIFF inside, and Pillow would read their small embedded preview as if
# it were the photo. They are photos (a batch must not skip them silently) that unseen does not read.
RAW_SUFFIXES = frozenset(
    {".dng", ".nef", ".nrw", ".cr2", ".cr3", ".crw", ".arw", ".srf", ".sr2", ".orf", ".rw2", ".raf", ".pef",
     ".srw", ".3fr", ".erf", ".kdc", ".dcr", ".mrw", ".x3f", ".iiq", ".rwl", ".mos"}
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
    """The container ``path``'s first bytes announce (see :func:`unseen.scrub.image.sniff`)."""
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


def _video_signature(head: bytes) -> bool:
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska / WebM
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return True
    return len(head) > 376 and head[0] == head[188] == head[376] == 0x47  # MPEG transport stream
