"""Open photo bytes with Pillow's own format opener, header only, under unseen's limits.

Shared by the reader (:mod:`unseen.media.image_io`) and the verifier, which re-opens a written file
(:func:`unseen.scrub.image.verify_clean`), so both see a file the same way.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib

from PIL import Image, UnidentifiedImageError

from ..errors import CorruptInput, LimitExceeded
from .image_modes import _reason

DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, RuntimeError, IndexError)


@functools.lru_cache(maxsize=1)
def heif_available() -> bool:
    """Whether HEIF/HEIC can be read and written (pillow-heif installed and registered)."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def open_bytes(data: bytes, container: str) -> Image.Image:
    """Open ``data`` as ``container`` with Pillow, parsing the header only (nothing decoded).

    The caller enforces its own pixel limit from ``im.size``: Pillow's bomb check (a process-wide
    constant, ~179 MP) is bypassed by calling the format's opener directly, so ``max_pixels``
    decides. Where Pillow's registry is not as expected, ``Image.open`` (with its check) is used.

    Raises:
        CorruptInput: the header cannot be parsed.
        LimitExceeded: Pillow refused the size (fallback path only).
    """
    heif_available()
    Image.init()
    opener = Image.OPEN.get(container) if isinstance(getattr(Image, "OPEN", None), dict) else None
    try:
        if isinstance(opener, tuple) and len(opener) == 2 and callable(opener[0]):
            factory, accept = opener
            if accept is not None and not accept(data[:16]):
                raise UnidentifiedImageError(container)
            return factory(io.BytesIO(data), "")
        return Image.open(io.BytesIO(data), formats=[container])
    except Image.DecompressionBombError as exc:
        raise LimitExceeded(f"image header declares too many pixels for Pillow's safety limit ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise CorruptInput(f"looks like {container} but its header cannot be read") from exc
    except DECODE_ERRORS as exc:
        raise_if_text_bomb(exc)
        raise CorruptInput(f"{container} header cannot be read ({_reason(exc)})") from exc


def raise_if_text_bomb(exc: BaseException) -> None:
    # Pillow refuses compressed PNG text that inflates past MAX_TEXT_CHUNK / MAX_TEXT_MEMORY.
    if isinstance(exc, ValueError) and "MAX_TEXT" in str(exc):
        raise LimitExceeded(
            f"compressed text inflates beyond Pillow's limit (a decompression bomb?): {_reason(exc)}"
        ) from exc
