"""Read photos into RGB(A) pixels and write pixels back: nothing but pixels and an ICC profile.

Reading fails closed: a missing, unreadable, empty, truncated, oversized, animated or multi-page
file raises a typed :class:`~unseen.errors.InputError` naming the file; the image is decoded fully
before anything else happens. EXIF orientation is applied to the pixels (HEIF: the container's own
rotation, applied by libheif). Every mode becomes 8-bit RGB or RGBA: 16-bit samples are scaled,
palettes expanded, CMYK converted through its ICC profile when it carries one (see
:mod:`unseen.media.image_modes`). ``max_pixels`` is checked from the header before any decoding,
and it is the only size limit: Pillow's process-wide bomb constant does not apply.

Writing builds a fresh image from the array, so no metadata of the input can travel with it; the
save options are held to a per-format allow-list, and an ICC profile is written only in its
canonical, colour-tags-only form (:func:`unseen.scrub.icc.canonical_icc`). Decisions:

* Alpha into a format without it (JPEG, BMP): composited onto **white**, the usual page colour;
  covered regions are opaque already, so this changes nothing there.
* Animated or multi-page files (TIFF pages, animated WebP, APNG, HEIF with several images) are
  refused rather than cut to their first frame. MPO (a JPEG with secondary images, as stereo and
  some phone cameras write) keeps its primary image; the secondary images are reported as removed.
* JPEG is written at quality 95 with the input's chroma subsampling; the input's quantisation
  tables are not copied (they fingerprint the camera model). WebP stays lossless if it was
  lossless, else quality 95. TIFF keeps its compression. HEIF is written at quality 90.
  Greyscale inputs are written as greyscale again while every pixel is still grey.
* Supported formats: JPEG, PNG, WebP, TIFF, BMP, HEIF/HEIC (through pillow-heif). GIF is read
  (a single frame only: an animated GIF is refused, as every frame would need covering) but not
  written: its output is a PNG. Others are refused.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFile

from ..errors import (
    CorruptInput,
    InputError,
    InputNotFound,
    LimitExceeded,
    OutputNotWritable,
    PipelineError,
    UnseenError,
    UnsupportedFormat,
)
from ..scrub.icc import describe_icc
from ..scrub.image import describe_bytes
from .c_stderr import captured_fd2
from .containers import jpeg, png, webp
from .containers.tiff import exif_orientation
from .image_limits import MAX_METADATA_BYTES, check_metadata_size, pixel_limit_message
from .image_modes import _reason, to_rgb8
from .jpeg_check import entropy_check_works, jpeg_damage, structural_damage
from .kinds import SUFFIX_FORMAT, sniff
from .pillow_open import DECODE_ERRORS, heif_available, open_bytes, raise_if_text_bomb

# Pillow logs some refusals (TIFF "More samples per pixel ...") at ERROR level; with no handler
# configured, Python's last-resort handler prints them on stderr beside unseen's own one-line
# error, which already carries the reason. An application that configures logging still sees them.
logging.getLogger("PIL").addHandler(logging.NullHandler())

SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "HEIF")
READ_FORMATS = (*SUPPORTED_FORMATS, "GIF")  # GIF: read, written as PNG
ALPHA_FORMATS = frozenset({"PNG", "WEBP", "TIFF", "HEIF"})
GREY_FORMATS = frozenset({"JPEG", "PNG", "TIFF", "BMP"})
JPEG_QUALITY = 95
WEBP_QUALITY = 95
HEIF_QUALITY = 90
FLATTEN_BACKGROUND = 255  # white

_SUFFIX_FORMAT = {suffix: fmt for suffix, fmt in SUFFIX_FORMAT.items() if fmt in SUPPORTED_FORMATS}
WRITTEN_SUFFIXES = frozenset(_SUFFIX_FORMAT)
_FORMAT_ALIASES = {"JPG": "JPEG", "MPO": "JPEG", "TIF": "TIFF", "HEIC": "HEIF"}
# Save options each format may receive; anything else (exif, comment, pnginfo ...) is refused.
_SAVE_KEYS = {
    "JPEG": {"quality", "subsampling", "progressive", "optimize", "dpi"},
    "PNG": {"compress_level", "optimize", "dpi"},
    "WEBP": {"quality", "lossless", "method"},
    "TIFF": {"compression", "quality", "dpi"},
    "BMP": {"dpi"},
    "HEIF": {"quality"},
}
# Used when no options come from the input (a different output format): never Pillow's quality 75.
_DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": JPEG_QUALITY},
    "WEBP": {"quality": WEBP_QUALITY, "method": 4},
    "HEIF": {"quality": HEIF_QUALITY},
}
_TIFF_COMPRESSIONS = {"raw", "tiff_lzw", "tiff_adobe_deflate", "packbits", "jpeg"}
_TRANSPOSE = {  # EXIF orientation -> what to do to the stored pixels
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1, :],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: a.transpose(1, 0, 2)[:, ::-1],
    7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],
    8: lambda a: a.transpose(1, 0, 2)[::-1, :],
}


@dataclass
class LoadedImage:
    """A decoded photo: pixels plus what is needed to write a faithful, metadata-free copy."""

    pixels: np.ndarray  # (H, W, 3) RGB or (H, W, 4) RGBA, uint8, orientation applied
    format: str  # "JPEG", "PNG", "WEBP", "TIFF", "BMP" or "HEIF" (an MPO reads as "JPEG")
    icc_profile: bytes | None  # the input's RGB profile reduced to its colour tags (scrub/icc.py)
    metadata: list[str]  # what the input carried and the output will not
    save_options: dict  # format options for write_image; never metadata
    notes: list[str] = field(default_factory=list)  # conversions worth telling (16-bit, CMYK ...)


def format_for_path(path: Path) -> str | None:
    """The format a file with this suffix is written in (``None``: a suffix unseen does not write)."""
    fmt = _SUFFIX_FORMAT.get(Path(path).suffix.lower())
    if fmt == "HEIF" and not heif_available():
        return None
    return fmt


def normalize_format(fmt: str) -> str:
    f = fmt.upper()
    return _FORMAT_ALIASES.get(f, f)


# --- reading --------------------------------------------------------------------------------


def read_image(
    path: Path, *, max_pixels: int, max_metadata: int = MAX_METADATA_BYTES, allow_damaged: bool = False
) -> LoadedImage:
    """Decode the photo at ``path`` fully into 8-bit RGB/RGBA with its orientation applied.

    Raises:
        InputNotFound: no such file.
        InputError: a folder, not a regular file, or not readable (permissions).
        CorruptInput: empty, truncated or undecodable; or a JPEG whose image data is damaged
            (junk in the entropy-coded data, progressive scans missing: see
            :mod:`unseen.media.jpeg_check`) unless ``allow_damaged``, which reads it as it decodes
            and says so in :attr:`LoadedImage.notes`.
        UnsupportedFormat: not an image, a format unseen does not handle, or animated/multi-page.
        LimitExceeded: more than ``max_pixels`` pixels (checked from the header, before decoding),
            or metadata blocks over ``max_metadata`` bytes (checked from block headers, before
            reading the file whole).
    """
    path = Path(path)
    try:
        return _read(path, max_pixels, max_metadata, allow_damaged)
    except UnseenError as err:
        raise err.with_path(path)  # noqa: B904 - the same error, given its path


def _read(path: Path, max_pixels: int, max_metadata: int, allow_damaged: bool) -> LoadedImage:
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise CorruptInput("Pillow is set to accept truncated images (LOAD_TRUNCATED_IMAGES); refusing to read")
    data = _read_bytes(path, max_metadata)
    container = sniff(data)
    if container not in READ_FORMATS:
        what = f"a {container} file" if container else "not an image"
        raise UnsupportedFormat(f"{what}; unseen reads {', '.join(_supported_names(READ_FORMATS))}")
    if container == "HEIF" and not heif_available():
        raise UnsupportedFormat("HEIF/HEIC needs pillow-heif, which is not installed")
    im = open_bytes(data, container)
    fmt = normalize_format(im.format or container)
    width, height = im.size
    if width < 1 or height < 1:
        raise CorruptInput(f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise LimitExceeded(pixel_limit_message(width, height, max_pixels))
    frames = int(getattr(im, "n_frames", 1) or 1)
    if frames > 1 and im.format != "MPO":
        raise UnsupportedFormat(
            f"{fmt} with {frames} frames or pages: only single images are handled "
            "(refused rather than keeping the first frame only)"
        )
    _decode(im)
    metadata = describe_bytes(data, container)
    if container == "PNG" and "PNG animation (APNG)" in metadata:
        raise UnsupportedFormat("animated PNG: only single images are handled")
    notes: list[str] = []
    if container == "JPEG":
        _check_jpeg_data(data, allow_damaged, notes)
    orientation = _orientation(im, container, data) if fmt != "HEIF" else 1
    pixels, icc, grey = to_rgb8(im, notes)
    if _deep(im, container, data) and not any("16-bit" in n for n in notes):
        notes.append("16-bit samples reduced to 8 bits")
    if orientation in _TRANSPOSE:
        pixels = np.ascontiguousarray(_TRANSPOSE[orientation](pixels))
        notes.append(f"EXIF orientation {orientation} applied to the pixels")
    options = _save_options(im, fmt, data)
    if grey:
        options["grayscale"] = True
    return LoadedImage(pixels, fmt, icc, metadata, options, notes)


def _check_jpeg_data(data: bytes, allow_damaged: bool, notes: list[str]) -> None:
    if entropy_check_works():
        damage = jpeg_damage(data)
    elif not allow_damaged:
        raise PipelineError(
            "cannot check the JPEG's image data for damage: OpenCV's JPEG decoder reports no warnings in "
            "this install; refused (--allow-damaged reads JPEGs without that check)"
        )
    else:
        notes.append(
            "JPEG image data not checked for damage: OpenCV reports no decoder warnings here (--allow-damaged)"
        )
        damage = structural_damage(data)
    if damage is None:
        return
    if not allow_damaged:
        raise CorruptInput(f"damaged JPEG: {damage}; refused (--allow-damaged reads it as it decodes)")
    notes.append(f"damaged JPEG read as it decodes (--allow-damaged): {damage}; the picture may be garbled or blurred")


def _supported_names(formats: tuple[str, ...] = SUPPORTED_FORMATS) -> list[str]:
    return [f for f in formats if f != "HEIF" or heif_available()]


def _read_bytes(path: Path, max_metadata: int) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise InputNotFound("no such file") from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a folder, not an image file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError("not a regular file")
    if st.st_size == 0:
        raise CorruptInput("empty file (0 bytes)")
    try:
        with open(path, "rb") as fh:
            check_metadata_size(fh, st.st_size, max_metadata)
            fh.seek(0)
            data = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from exc
    if not data:
        raise CorruptInput("empty file (0 bytes)")
    return data


def _decode(im: Image.Image) -> None:
    failure: BaseException | None = None
    with captured_fd2(im.format == "TIFF") as said:  # libtiff prints its reasons on fd 2
        try:
            im.load()
        except BaseException as exc:  # examined below, once fd 2 is back
            failure = exc
    if failure is None:
        return
    detail = f"; {said[0].removeprefix('tempfile.tif: ')[:160]}" if said else ""
    if isinstance(failure, Image.DecompressionBombError):
        raise LimitExceeded(f"decompression bomb refused ({failure})") from failure
    if isinstance(failure, MemoryError):
        raise LimitExceeded(f"not enough memory to decode {im.size[0]}x{im.size[1]} pixels") from failure
    if isinstance(failure, DECODE_ERRORS):
        raise_if_text_bomb(failure)
        raise CorruptInput(f"cannot decode the image ({_reason(failure)}{detail})") from failure
    raise failure


def _deep(im: Image.Image, container: str, data: bytes) -> bool:
    """Whether the file stores more than 8 bits per sample (Pillow reduces some silently)."""
    if container == "PNG":
        return len(data) > 24 and data[24] == 16
    if container == "TIFF":
        bits = getattr(im, "tag_v2", {}).get(258, 8)
        bits = bits if isinstance(bits, tuple) else (bits,)
        return any(isinstance(b, int) and b > 8 for b in bits)
    return False


_EXIF_BLOCK = {"JPEG": jpeg.exif_block, "PNG": png.exif_block, "WEBP": webp.exif_block}


def _orientation(im: Image.Image, container: str, data: bytes) -> int:
    """EXIF orientation, from the EXIF block unseen's own container walker finds where viewers look
    (JPEG: the first APP1 EXIF before the image data; PNG: ``eXIf``; WebP: ``EXIF``), read by its
    own TIFF parser (no warnings on broken blocks: those are named in the report, and a viewer
    could not read an orientation from them either)."""
    if im.format == "TIFF":
        value = getattr(im, "tag_v2", {}).get(0x0112, 1)
        return value if isinstance(value, int) and 1 <= value <= 8 else 1
    find = _EXIF_BLOCK.get(container)
    raw = find(data) if find is not None else None
    return exif_orientation(raw) if raw else 1


def _save_options(im: Image.Image, fmt: str, data: bytes) -> dict[str, Any]:
    info = im.info
    opts: dict[str, Any] = {}
    dpi = info.get("dpi")
    if (
        fmt in ("JPEG", "PNG", "TIFF", "BMP")
        and isinstance(dpi, tuple)
        and len(dpi) == 2
        and all(isinstance(v, (int, float)) and 0 < float(v) < 100_000 for v in dpi)
        and tuple(dpi) != (1, 1)  # Pillow's placeholder for "no resolution"
    ):
        opts["dpi"] = (float(dpi[0]), float(dpi[1]))
    if fmt == "JPEG":
        from PIL import JpegImagePlugin

        opts["quality"] = JPEG_QUALITY
        sampling = JpegImagePlugin.get_sampling(im) if im.mode in ("RGB", "YCbCr") else -1
        opts["subsampling"] = sampling if sampling in (0, 1, 2) else 2
        if info.get("progressive") or info.get("progression"):
            opts["progressive"] = True
    elif fmt == "WEBP":
        if webp.is_lossless(data):
            opts.update(lossless=True, quality=80, method=4)
        else:
            opts.update(quality=WEBP_QUALITY, method=4)
    elif fmt == "TIFF":
        comp = info.get("compression", "raw")
        comp = {"tiff_deflate": "tiff_adobe_deflate"}.get(comp, comp)
        opts["compression"] = comp if comp in _TIFF_COMPRESSIONS else "tiff_adobe_deflate"
        if opts["compression"] == "jpeg":
            opts["quality"] = JPEG_QUALITY
    elif fmt == "HEIF":
        opts["quality"] = HEIF_QUALITY
    return opts


# --- writing --------------------------------------------------------------------------------


def write_image(
    pixels: np.ndarray, path: Path, *, format: str, icc_profile: bytes | None, save_options: dict | None = None
) -> None:
    """Write ``pixels`` (and the ICC profile, nothing else) to ``path`` in ``format``.

    ``icc_profile`` must be canonical (what :func:`read_image` gives): any other profile is refused,
    so a profile as it came can never be written.

    ``save_options`` come from :attr:`LoadedImage.save_options` (same format only); the key
    ``grayscale`` asks for a greyscale file when every pixel is still grey.

    Raises:
        UnsupportedFormat: a format unseen does not write.
        OutputNotWritable: the file cannot be written (disk full, permissions ...).
        PipelineError: pixels of the wrong shape or type, a save option that is not allowed, or an
            ICC profile that is not in its canonical form.
    """
    path = Path(path)
    fmt = normalize_format(format)
    if fmt not in SUPPORTED_FORMATS or (fmt == "HEIF" and not heif_available()):
        raise UnsupportedFormat(
            f"cannot write {format} images; unseen writes {', '.join(_supported_names())}", path=path
        )
    if (
        not isinstance(pixels, np.ndarray)
        or pixels.dtype != np.uint8
        or pixels.ndim != 3
        or pixels.shape[2] not in (3, 4)
    ):
        got = f"{pixels.dtype} {pixels.shape}" if isinstance(pixels, np.ndarray) else type(pixels).__name__
        raise PipelineError(f"pixels must be uint8 (H, W, 3) or (H, W, 4); got {got}", path=path)
    if pixels.shape[0] < 1 or pixels.shape[1] < 1:
        raise PipelineError(f"pixels must not be empty; got {pixels.shape}", path=path)
    opts = {**_DEFAULT_OPTIONS.get(fmt, {}), **(save_options or {})}
    grey = bool(opts.pop("grayscale", False))
    bad = set(opts) - _SAVE_KEYS[fmt]
    if bad:
        raise PipelineError(f"save option(s) not allowed for {fmt}: {', '.join(sorted(bad))}", path=path)
    if icc_profile:
        extra = describe_icc(bytes(icc_profile))
        if extra:
            raise PipelineError(f"ICC profile not reduced to its colour tags: {', '.join(extra)}", path=path)
    image = _to_pil(pixels, fmt, grey and icc_profile is None)
    if icc_profile and fmt != "BMP":
        opts["icc_profile"] = bytes(icc_profile)
    existed = path.exists()
    try:
        with open(path, "wb") as fh:
            image.save(fh, format=fmt, **opts)
    except OSError as exc:
        _remove_partial(path, existed)
        raise OutputNotWritable(f"cannot write: {exc.strerror or _reason(exc)}", path=path) from exc
    except (ValueError, TypeError, RuntimeError) as exc:
        _remove_partial(path, existed)
        raise PipelineError(f"{fmt} encoder failed: {_reason(exc)}", path=path) from exc


def _to_pil(pixels: np.ndarray, fmt: str, grey: bool) -> Image.Image:
    arr = pixels
    if arr.shape[2] == 4 and fmt not in ALPHA_FORMATS:
        arr = flatten_alpha(arr)
    if grey and fmt in GREY_FORMATS and _is_grey(arr):
        if arr.shape[2] == 4:
            return Image.fromarray(np.ascontiguousarray(arr[..., [0, 3]]), "LA")
        return Image.fromarray(np.ascontiguousarray(arr[..., 0]), "L")
    return Image.fromarray(np.ascontiguousarray(arr), "RGBA" if arr.shape[2] == 4 else "RGB")


def _is_grey(arr: np.ndarray) -> bool:
    return bool(np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 0], arr[..., 2]))


def flatten_alpha(rgba: np.ndarray, background: int = FLATTEN_BACKGROUND) -> np.ndarray:
    """Composite RGBA onto a plain background (white by default); opaque pixels are unchanged."""
    alpha = rgba[..., 3:4].astype(np.uint16)
    if np.all(alpha == 255):
        return np.ascontiguousarray(rgba[..., :3])
    rgb = rgba[..., :3].astype(np.uint16)
    out = (rgb * alpha + background * (255 - alpha) + 127) // 255
    return out.astype(np.uint8)


def _remove_partial(path: Path, existed: bool) -> None:
    if not existed:
        try:
            os.unlink(path)
        except OSError:
            pass
