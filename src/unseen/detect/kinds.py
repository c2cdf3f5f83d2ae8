"""Which :class:`RegionDetector` serves each ``--cover`` kind beyond faces.

:data:`BUILDERS` maps a kind (``people``, ``text``, ``plates``) to a function of the settings that
builds its detector; a helper module registers its kind with :func:`register` at import, and
:data:`MODULES` names the module to import for each kind, so nothing is loaded for a kind that is
not asked for (the default, faces only, builds none). A kind asked for with no detector in this
build is a :class:`ConfigError` (exit 2): unseen never runs with less cover than asked.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..errors import ConfigError
from ..settings import Settings
from .base import RegionDetector

Builder = Callable[[Settings], RegionDetector]

BUILDERS: dict[str, Builder] = {}

# kind -> module that registers its builder (imported only when the kind is asked for).
MODULES: dict[str, str] = {
    "people": "unseen.detect.people",
    "text": "unseen.detect.text",
    "plates": "unseen.detect.text",
}


def register(kind: str, builder: Builder) -> None:
    BUILDERS[kind] = builder


def region_detectors_for(settings: Settings) -> list[RegionDetector]:
    """One detector per kind in ``settings.extra_kinds``, in that order (none by default)."""
    out: list[RegionDetector] = []
    for kind in settings.extra_kinds:
        if kind not in BUILDERS and kind in MODULES:
            try:
                importlib.import_module(MODULES[kind])
            except ModuleNotFoundError as exc:
                if exc.name != MODULES[kind]:
                    raise
        if kind not in BUILDERS:
            raise ConfigError(f"--cover {kind}: no {kind} detector in this build of unseen")
        out.append(BUILDERS[kind](settings))
    return out


__all__ = ["BUILDERS", "MODULES", "Builder", "region_detectors_for", "register"]
