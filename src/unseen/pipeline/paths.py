"""Output naming: ``photo.jpg`` -> ``photo.unseen.jpg`` beside it, unless told otherwise."""

from __future__ import annotations

from pathlib import Path

from ..media.image_io import READ_FORMATS, SUPPORTED_FORMATS, WRITTEN_SUFFIXES
from ..media.kinds import FORMAT_SUFFIXES, content_format

OUTPUT_TAG = ".unseen"
# The suffix a photo's output gets when its own suffix is not one unseen writes, by the format of
# its content: a format read but not written (GIF) is written as PNG (lossless); a JPEG without a
# suffix gets ``.jpg``.
_CONTENT_SUFFIX = {fmt: FORMAT_SUFFIXES[fmt if fmt in SUPPORTED_FORMATS else "PNG"][0] for fmt in READ_FORMATS}
# Replaced rather than kept (x.gif -> x.png).
_READ_ONLY_SUFFIXES = frozenset(s for fmt in READ_FORMATS if fmt not in SUPPORTED_FORMATS for s in FORMAT_SUFFIXES[fmt])


def default_output(src: Path, suffix: str | None = None) -> Path:
    """``dir/name.ext`` -> ``dir/name.unseen.ext`` (or with another ``suffix``, e.g. ``.mp4``)."""
    return src.with_name(f"{src.stem}{OUTPUT_TAG}{suffix if suffix is not None else src.suffix}")


def default_photo_output(src: Path) -> Path:
    """``dir/name.jpg`` -> ``dir/name.unseen.jpg``; ``dir/x.gif`` -> ``dir/x.unseen.png``; a JPEG
    called ``dir/IMG_1`` -> ``dir/IMG_1.unseen.jpg`` (see :func:`photo_output_name`)."""
    return src.with_name(photo_output_name(src, OUTPUT_TAG))


def photo_output_name(src: Path, tag: str = "") -> str:
    """The file name of the output of the photo ``src``, from its name and the format of its bytes.

    ``tag`` goes before the suffix
    (``OUTPUT_TAG`` for an output beside its input, ``""`` in a mirrored folder). A suffix unseen
    writes is kept; ``x.gif`` becomes ``x.png``; any other name keeps all of itself (a dot in it
    need not start a suffix: ``DSC.0001``) and gets the suffix of its content (``DSC.0001.jpg``).
    """
    p = Path(src)
    suffix, content = p.suffix.lower(), content_format(p)
    if suffix in WRITTEN_SUFFIXES or content not in _CONTENT_SUFFIX:
        return f"{p.stem}{tag}{p.suffix}"
    if suffix in _READ_ONLY_SUFFIXES:
        return f"{p.stem}{tag}{_CONTENT_SUFFIX[content]}"
    return f"{p.name}{tag}{_CONTENT_SUFFIX[content]}"


def is_unseen_output(path: Path) -> bool:
    """True for names this tool writes by default (skipped when a folder is processed again)."""
    return path.stem.endswith(OUTPUT_TAG)


def is_unseen_output_folder(path: Path) -> bool:
    """True for a folder named as unseen names its output folders (``photos.unseen``)."""
    return path.name.endswith(OUTPUT_TAG) and len(path.name) > len(OUTPUT_TAG)
