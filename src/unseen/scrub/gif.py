"""What a GIF carries besides pixels: comments, plain-text blocks, application blocks (XMP ...).

unseen reads single-frame GIFs (and writes them as PNG, see :mod:`unseen.media.image_io`), so this
walker only names what the input carried, for the report. Kept as pixels: the colour tables, the
graphic control block (transparency), the image data, an ICC profile (``ICCRGBG1012``).
"""

from __future__ import annotations

import struct


def describe_gif(data: bytes) -> list[str]:
    """One readable name per kind of non-pixel block in the GIF ``data``, in file order."""
    items: list[str] = []
    if len(data) < 13:
        return ["unreadable GIF structure (no screen descriptor)"]
    pos = 13 + _table_size(data[10])
    n = len(data)
    while pos < n:
        b = data[pos]
        if b == 0x3B:  # trailer
            if n - pos - 1 > 0:
                items.append(f"data after the end of the GIF image ({n - pos - 1} bytes)")
            return items
        if b == 0x2C:  # image descriptor, local colour table, LZW code size, data sub-blocks
            if pos + 10 > n:
                break
            pos = _skip_blocks(data, pos + 10 + _table_size(data[pos + 9]) + 1)
        elif b == 0x21 and pos + 1 < n:
            label = data[pos + 1]
            first = data[pos + 3 : pos + 3 + data[pos + 2]] if pos + 2 < n else b""
            if label == 0xFE:
                items.append("GIF comment")
            elif label == 0x01:
                items.append("GIF plain text block")
            elif label == 0xFF:
                ident = first[:11]
                if ident == b"XMP DataXMP":
                    items.append("XMP")
                elif ident != b"ICCRGBG1012":
                    name = "".join(chr(c) if 32 <= c < 127 else "?" for c in ident) or "unnamed"
                    items.append(f"GIF application block ({name})")
            elif label != 0xF9:
                items.append(f"GIF extension 0x{label:02x}")
            pos = _skip_blocks(data, pos + 2)
        else:
            break
        if pos < 0:
            break
    items.append("unreadable GIF structure (no trailer)")
    return items


def _table_size(packed: int) -> int:
    return 3 * (2 ** ((packed & 7) + 1)) if packed & 0x80 else 0


def _skip_blocks(data: bytes, pos: int) -> int:
    """Offset after the data sub-blocks starting at ``pos`` (-1 if they run past the end)."""
    n = len(data)
    while pos < n:
        size = struct.unpack_from("B", data, pos)[0]
        pos += 1 + size
        if size == 0:
            return pos
    return -1
