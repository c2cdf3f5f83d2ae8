"""Which :class:`RegionDetector` serves each ``--cover`` kind beyond faces.

:data:`BUILDERS` maps a kind (``people``, ``text``, ``plates``) to a function of the settings that
builds its detector; a helper module registers its kind with :func:`register` at import, and
:data:`MODULES` names the module to import for each kind, so nothing is loaded for a kind that is
not asked for (the default, faces only, builds none). A kind asked for with no detector in this
build is a :class:`ConfigError` (exit 2): unseen never runs with less cover than asked.

Kinds that share a network register together with :func:`register_group` (``text`` and
``plates``: one PP-OCR pass per picture serves both): the group's builder is called once with
every kind of the group that was asked for and answers one detector per kind, in that order.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..errors import ConfigError
from ..settings import Settings
from .base import RegionDetector

Builder = Callable[[Settings], RegionDetector]
GroupBuilder = Callable[[Settings, tuple[str, ...]], list[RegionDetector]]

BUILDERS: dict[str, Builder] = {}
# kind -> (the kinds of its group, the group's builder, the single-kind builder put in BUILDERS)
GROUPS: dict[str, tuple[tuple[str, ...], GroupBuilder, Builder]] = {}

# kind -> module that registers its builder (imported only when the kind is asked for).
MODULES: dict[str, str] = {
    "people": "unseen.detect.people",
    "text": "unseen.detect.text",
    "plates": "unseen.detect.text",
}


def register(kind: str, builder: Builder) -> None:
    BUILDERS[kind] = builder


def register_group(group: tuple[str, ...], builder: GroupBuilder) -> None:
    """Register ``builder`` for every kind in ``group`` (one call builds all of them that are asked for)."""
    for kind in group:

        def single(settings: Settings, kind: str = kind) -> RegionDetector:
            return builder(settings, (kind,))[0]

        GROUPS[kind] = (group, builder, single)
        BUILDERS[kind] = single


def _grouped(kind: str) -> bool:
    """Whether ``kind`` is still served by its group (a later :func:`register` replaces that)."""
    return kind in GROUPS and BUILDERS.get(kind) is GROUPS[kind][2]


def region_detectors_for(settings: Settings) -> list[RegionDetector]:
    """One detector per kind in ``settings.extra_kinds``, in that order (none by default); the
    kinds of one group are built by one call of its builder, so they share its network."""
    asked = settings.extra_kinds
    for kind in asked:
        if kind not in BUILDERS and kind in MODULES:
            try:
                importlib.import_module(MODULES[kind])
            except ModuleNotFoundError as exc:
                if exc.name != MODULES[kind]:
                    raise
        if kind not in BUILDERS:
            raise ConfigError(f"--cover {kind}: no {kind} detector in this build of unseen")
    built: dict[str, RegionDetector] = {}
    for kind in asked:
        if kind in built:
            continue
        if _grouped(kind):
            group, builder, _ = GROUPS[kind]
            together = tuple(k for k in asked if k in group and _grouped(k) and GROUPS[k][1] is builder)
            built.update(zip(together, builder(settings, together), strict=True))
        else:
            built[kind] = BUILDERS[kind](settings)
    return [built[kind] for kind in asked]


__all__ = [
    "BUILDERS",
    "GROUPS",
    "MODULES",
    "Builder",
    "GroupBuilder",
    "region_detectors_for",
    "register",
    "register_group",
]
