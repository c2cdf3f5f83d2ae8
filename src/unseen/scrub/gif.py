"""What a GIF carries besides pixels: comments, plain-text blocks, application blocks (XMP ...).

unseen reads single-frame GIFs (and writes them as PNG, see :mod:`unseen.media.image_io`), so this
only names what the input carried, for the report. The blocks are walked by
:mod:`unseen.media.containers.gif` and judged by :func:`unseen.scrub.allow.gif_role`: kept as
pixels are the colour tables, the graphic control block (transparency), the image data, an ICC
profile (``ICCRGBG1012``).
"""

from __future__ import annotations

from ..media.containers import gif
from ..media.containers.gif import GifWalk, first_sub_block
from ..media.containers.record import Damage
from .allow import Role, gif_role


def describe_gif(data: bytes) -> list[str]:
    """One readable name per kind of non-pixel block in the GIF ``data``, in file order."""
    items: list[str] = []
    walk = GifWalk(data)
    for block in walk:
        first = first_sub_block(block)
        if gif_role(block.kind, first) is not Role.METADATA:
            continue
        _, label = block.kind
        if label == gif.COMMENT:
            items.append("GIF comment")
        elif label == gif.PLAIN_TEXT:
            items.append("GIF plain text block")
        elif label == gif.APPLICATION:
            ident = first[:11]
            if ident == b"XMP DataXMP":
                items.append("XMP")
            else:
                name = "".join(chr(c) if 32 <= c < 127 else "?" for c in ident) or "unnamed"
                items.append(f"GIF application block ({name})")
        else:
            items.append(f"GIF extension 0x{label:02x}")
    if walk.problem is not None and walk.problem.damage is Damage.HEADER_TRUNCATED:
        return ["unreadable GIF structure (no screen descriptor)"]
    if walk.end is None:
        items.append("unreadable GIF structure (no trailer)")
    elif walk.trailing():
        items.append(f"data after the end of the GIF image ({walk.trailing()} bytes)")
    return items
