"""Output naming: ``photo.jpg`` -> ``photo.unseen.jpg`` beside it, unless told otherwise."""

from __future__ import annotations

from pathlib import Path

OUTPUT_TAG = ".unseen"


def default_output(src: Path, suffix: str | None = None) -> Path:
    """``dir/name.ext`` -> ``dir/name.unseen.ext`` (or with another ``suffix``, e.g. ``.mp4``)."""
    return src.with_name(f"{src.stem}{OUTPUT_TAG}{suffix if suffix is not None else src.suffix}")


def is_unseen_output(path: Path) -> bool:
    """True for names this tool writes by default (skipped when a folder is processed again)."""
    return path.stem.endswith(OUTPUT_TAG)
