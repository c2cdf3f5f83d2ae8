"""Every pixel mode a photo can have, as 8-bit RGB or RGBA for the rest of unseen.

Palettes are expanded (to RGBA when they have a transparent entry), greyscale becomes RGB (and is
flagged so the writer can store it as greyscale again), 16-bit samples are scaled (not clipped) to
8 bits, CMYK goes through its ICC profile to sRGB when it has one.

The ICC profile is the one extra an output may carry, so it is never kept as it came
(:mod:`unseen.scrub.icc`): an RGB matrix/TRC profile is reduced to its colour tags; an RGB profile
whose colours are in lookup tables only has the pixels converted to sRGB through it (littleCMS,
offline) and is dropped; a profile that does not parse, or describes another colour space than the
RGB pixels now are, is dropped. Each of these is said in the notes.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from ..errors import CorruptInput, UnsupportedFormat
from ..scrub.icc import MAX_ICC_BYTES, canonical_icc, parse_icc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _valid_icc(icc: bytes | None, notes: list[str]) -> bytes | None:
    """The profile if its header and tag table parse (sizes, offsets and counts bounded)."""
    if not icc:
        return None
    icc = bytes(icc)
    if len(icc) > MAX_ICC_BYTES:
        notes.append(f"ICC profile dropped: {len(icc):,} bytes is implausibly large")
        return None
    try:
        parse_icc(icc)
    except CorruptInput as err:
        notes.append(f"ICC profile dropped: not a well-formed profile ({err.reason.removeprefix('ICC ')})")
        return None
    return icc


def to_rgb8(im: Image.Image, notes: list[str]) -> tuple[np.ndarray, bytes | None, bool]:
    """A decoded image as ``(pixels, canonical RGB ICC profile or None, input was greyscale)``.

    Conversions worth telling the user are appended to ``notes``.

    Raises:
        UnsupportedFormat: a pixel mode unseen does not convert (float, 32-bit integer).
    """
    icc = _valid_icc(im.info.get("icc_profile") or None, notes)
    space = icc[16:20] if icc else None
    mode, grey = im.mode, False
    if mode in ("RGB", "RGBA"):
        out = im
    elif mode in ("RGBX", "YCbCr", "LAB", "HSV"):
        out = im.convert("RGB")
    elif mode == "RGBa":
        out = im.convert("RGBA")
    elif mode in ("P", "PA"):
        out = im.convert("RGBA" if mode == "PA" or "transparency" in im.info else "RGB")
    elif mode in ("1", "L", "LA", "La"):
        out, grey = im.convert("RGBA" if mode in ("LA", "La") else "RGB"), True
    elif mode.startswith("I;16") or mode == "I":
        arr = np.asarray(im)
        if arr.size and (arr.min() < 0 or arr.max() > 65535):
            raise UnsupportedFormat(f"greyscale with samples outside 16 bits (mode {mode}) is not handled")
        grey8 = ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
        notes.append("16-bit samples reduced to 8 bits")
        return _colour_tags_only(np.ascontiguousarray(np.repeat(grey8[..., None], 3, axis=2)), icc, space, notes) + (
            True,
        )
    elif mode == "CMYK":
        out, icc = _cmyk_to_rgb(im, icc, space, notes), None
        space = None
    else:
        raise UnsupportedFormat(f"pixel mode {mode} is not handled")
    if out.mode not in ("RGB", "RGBA"):
        out = out.convert("RGB")
    pixels = np.asarray(out, dtype=np.uint8)
    if pixels.ndim != 3:
        raise CorruptInput(f"decoded pixels have an unexpected shape {pixels.shape}")
    return _colour_tags_only(np.ascontiguousarray(pixels), icc, space, notes) + (grey,)


def _colour_tags_only(
    pixels: np.ndarray, icc: bytes | None, space: bytes | None, notes: list[str]
) -> tuple[np.ndarray, bytes | None]:
    """``(pixels, profile)`` with the profile reduced to its colour tags, or the pixels converted
    to sRGB through it when it has no such form; never the profile as it came."""
    if icc is None:
        return pixels, None
    if space != b"RGB ":
        notes.append(f"ICC profile for {(space or b'?').decode('latin-1').strip() or '?'} dropped: pixels are RGB now")
        return pixels, None
    try:
        return pixels, canonical_icc(icc)
    except CorruptInput as err:
        notes.append(f"ICC profile dropped: a colour tag is malformed ({err.reason.removeprefix('ICC ')})")
        return pixels, None
    except UnsupportedFormat as err:
        why = err.reason.removeprefix("ICC profile ")
        return _to_srgb(pixels, icc, why, notes), None


def _to_srgb(pixels: np.ndarray, icc: bytes, why: str, notes: list[str]) -> np.ndarray:
    """Pixels converted from the profile ``icc`` to sRGB (alpha untouched)."""
    from PIL import ImageCms

    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        dst = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        rgb = ImageCms.profileToProfile(
            Image.fromarray(np.ascontiguousarray(pixels[..., :3]), "RGB"), src, dst, outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        notes.append(f"ICC profile dropped, pixels left as they are: littleCMS cannot use it ({_reason(exc)})")
        return pixels
    out = np.asarray(rgb, dtype=np.uint8)
    if pixels.shape[2] == 4:
        out = np.concatenate([out, pixels[..., 3:4]], axis=2)
    notes.append(f"pixels converted to sRGB through the ICC profile, which is dropped (a profile {why})")
    return np.ascontiguousarray(out)


def _cmyk_to_rgb(im: Image.Image, icc: bytes | None, space: bytes | None, notes: list[str]) -> Image.Image:
    if icc and space == b"CMYK":
        from PIL import ImageCms

        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            out = ImageCms.profileToProfile(im, src, dst, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError) as exc:
            notes.append(f"CMYK converted to RGB without its ICC profile (profile unusable: {_reason(exc)})")
            return im.convert("RGB")
        notes.append("CMYK converted to sRGB through its ICC profile")
        return out  # type: ignore[return-value]  # outputMode set: an image, never None
    notes.append("CMYK converted to RGB (no ICC profile)")
    return im.convert("RGB")
