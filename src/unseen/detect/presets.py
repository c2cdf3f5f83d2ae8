"""Presets: one :class:`Preset` per (preset, backend), the only place detection effort is defined.

A preset says which passes a full detection runs (every photo; a video frame on the stride), the
cheap tiers a video schedule runs in between and how often, the stride, the thresholds of
CenterFace's int8 build, and how much each face box is grown to its head region. The registry
builds a network for every pass a preset names, cheap tiers included, so a schedule never asks
for a network the detector lacks. Thresholds and scales were tuned on the WIDER FACE dev subset
and the re-identification attacks (docs/BENCHMARKS.md).

``preset_for(preset, backend)`` answers one; ``backend="torch"`` runs the preset's own networks
("auto") on PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ModelError
from .passes import Pass

PRESETS = ("default", "fast", "thorough")
BACKENDS = ("auto", "centerface", "yunet")  # the networks; "torch" (a runtime) runs "auto"'s


@dataclass(frozen=True)
class Tier:
    """``passes`` run on a video frame when at least ``every`` seconds passed since they last ran."""

    every: float
    passes: tuple[Pass, ...]


@dataclass(frozen=True)
class Preset:
    """Everything one (preset, backend) decides.

    ``passes``: a full detection (photos; video frames on the stride, and after a cut).
    ``cheap``: the video schedule's cheap tiers (``every`` 0 = every frame; capped at the stride).
    ``stride``: seconds between full detections when ``--detect-stride`` is left to the preset
    (0: every pass on every frame). ``int8_threshold``: CenterFace's threshold when it runs its
    int8 build, for the presets whose int8 coverage was measured (``None``: fp32 only under
    ``--precision auto``). ``box_scale``: head-region growth when ``--box-scale`` is 0.
    """

    name: str
    backend: str
    passes: tuple[Pass, ...]
    cheap: tuple[Tier, ...]
    stride: float
    box_scale: float
    int8_threshold: float | None = None

    @property
    def nets(self) -> tuple[str, ...]:
        """The networks its passes and cheap tiers use, in order of first use."""
        named = [p.net for p in self.passes] + [p.net for t in self.cheap for p in t.passes]
        return tuple(dict.fromkeys(named))


# Head-region growth. CenterFace's boxes grown 1.3x left every re-identification attack at chance
# with 3.3 % collateral on WIDER dev; YuNet's tighter boxes (fast) need 1.6x (18 % adaptive
# re-identification at 1.3x, chance at 1.6x). The portrait sweep then measured the head (hair,
# ears, jaw) beside the face: CenterFace's box on one face varies about 7 % in width from one scale
# to another, and at 1.3x the head was 92.6-99.4 % covered in the cells where it came out narrow
# (default: 97.1 % at worst); default grows 1.35x and thorough 1.4x, which cover every head of the
# size sweep (256-6000 px, 10-100 %), and raised WIDER dev recall (10-16 px 96.2 -> 96.6 %, hard
# 97.7 -> 97.9 % at 1.35x) for collateral (docs/BENCHMARKS.md, "Whole heads").
_BOX_SCALE = {"default": 1.35, "fast": 1.6, "thorough": 1.4}
STRIDE = 1.0  # seconds between full detections in a video (every device; leak-checked at 1 s)

# Cheap tiers. YuNet costs about a tenth of CenterFace per pixel; at half size it still finds faces
# from ~20 px up (9 ms at 1080p here). Under the default preset, whose head regions are sized for
# CenterFace's boxes (1.3x), YuNet's tighter boxes are grown by 1.6 / 1.3 (the fast preset's own
# scale for YuNet, measured on re-id).
_YUNET_AS_CENTERFACE = 1.6 / 1.3
_CHEAP_YUNET = (
    Tier(0.0, (Pass("yunet", 0.5, 0.5, grow=_YUNET_AS_CENTERFACE),)),
    Tier(0.1, (Pass("yunet", 1, 0.3, grow=_YUNET_AS_CENTERFACE),)),
)
_CHEAP_YUNET_FAST = (Tier(0.0, (Pass("yunet", 0.5, 0.5),)), Tier(0.2, (Pass("yunet", 1, 0.3),)))
# --backend centerface asks for CenterFace only, so its cheap tiers are CenterFace too: at half size
# on every frame (a quarter of a native pass; faces from ~20 px up), native on the 0.1 s (fast:
# 0.2 s) tier, at the backend's own native threshold.
_CHEAP_CENTERFACE = (Tier(0.0, (Pass("centerface", 0.5, 0.1),)), Tier(0.1, (Pass("centerface", 1, 0.1),)))
_CHEAP_CENTERFACE_FAST = (Tier(0.0, (Pass("centerface", 0.5, 0.1),)), Tier(0.2, (Pass("centerface", 1, 0.1),)))

_TABLE: dict[tuple[str, str], Preset] = {
    (p.name, p.backend): p
    for p in (
        # default: CenterFace at 1x on the image and its mirror, YuNet at 2x (small faces only). Its
        # int8 build scores faces a little lower; at 0.075 (fp32: 0.08) its coverage is at least
        # fp32's in every size bin (WIDER FACE dev, docs/BENCHMARKS.md "CenterFace int8").
        Preset(
            "default",
            "auto",
            (
                Pass("centerface", 1, 0.08),
                Pass("centerface", 1, 0.08, flip=True),
                Pass("yunet", 2, 0.3, max_height=64),
            ),
            _CHEAP_YUNET,
            STRIDE,
            _BOX_SCALE["default"],
            int8_threshold=0.075,
        ),
        Preset(
            "default",
            "centerface",
            (
                Pass("centerface", 1, 0.1),
                Pass("centerface", 1, 0.1, flip=True),
                Pass("centerface", 2, 0.2, max_height=64),
            ),
            _CHEAP_CENTERFACE,
            STRIDE,
            _BOX_SCALE["default"],
        ),
        Preset(
            "default",
            "yunet",
            (
                Pass("yunet", 1, 0.35),
                Pass("yunet", 1, 0.35, flip=True),
                Pass("yunet", 2, 0.3, max_height=64),
                Pass("yunet", 2, 0.3, max_height=64, flip=True),
            ),
            _CHEAP_YUNET,
            STRIDE,
            _BOX_SCALE["default"],
        ),
        # fast: YuNet only (about a tenth of CenterFace's cost per pixel): 1x and its mirror, 1.5x,
        # and 0.5x (added, never instead of 1x: very large faces).
        Preset(
            "fast",
            "auto",
            (
                Pass("yunet", 1, 0.3),
                Pass("yunet", 1, 0.3, flip=True),
                Pass("yunet", 1.5, 0.25, max_height=64),
                Pass("yunet", 0.5, 0.5),
            ),
            _CHEAP_YUNET_FAST,
            STRIDE,
            _BOX_SCALE["fast"],
        ),
        Preset("fast", "centerface", (Pass("centerface", 1, 0.1),), _CHEAP_CENTERFACE_FAST, STRIDE, _BOX_SCALE["fast"]),
        Preset(
            "fast",
            "yunet",
            (
                Pass("yunet", 1, 0.3),
                Pass("yunet", 1, 0.3, flip=True),
                Pass("yunet", 1.5, 0.25, max_height=64),
                Pass("yunet", 0.5, 0.5),
            ),
            _CHEAP_YUNET_FAST,
            STRIDE,
            _BOX_SCALE["fast"],
        ),
        # thorough: every pass, lower thresholds (more false positives; used to check outputs), on
        # every video frame (stride 0) unless a stride is given; then the default preset's cheap tiers.
        Preset(
            "thorough",
            "auto",
            (
                Pass("centerface", 1, 0.06),
                Pass("centerface", 1, 0.06, flip=True),
                Pass("centerface", 2, 0.2, max_height=64),
                Pass("yunet", 2, 0.25, max_height=96),
                Pass("yunet", 2, 0.25, max_height=96, flip=True),
            ),
            _CHEAP_YUNET,
            0.0,
            _BOX_SCALE["thorough"],
        ),
        Preset(
            "thorough",
            "centerface",
            (
                Pass("centerface", 1, 0.06),
                Pass("centerface", 1, 0.06, flip=True),
                Pass("centerface", 2, 0.2, max_height=64),
            ),
            _CHEAP_CENTERFACE,
            0.0,
            _BOX_SCALE["thorough"],
        ),
        Preset(
            "thorough",
            "yunet",
            (
                Pass("yunet", 1, 0.3),
                Pass("yunet", 1, 0.3, flip=True),
                Pass("yunet", 2, 0.25, max_height=96),
                Pass("yunet", 2, 0.25, max_height=96, flip=True),
            ),
            _CHEAP_YUNET,
            0.0,
            _BOX_SCALE["thorough"],
        ),
    )
}


def preset_for(preset: str, backend: str) -> Preset:
    """The :class:`Preset` for ``preset`` (default, fast, thorough) with ``backend`` (auto,
    centerface, yunet, or torch: the preset's own networks). Raises :class:`ModelError` for others."""
    key = (preset, "auto" if backend == "torch" else backend)
    try:
        return _TABLE[key]
    except KeyError as exc:
        raise ModelError(f"no detector for preset {preset!r} with backend {backend!r}") from exc


__all__ = ["BACKENDS", "PRESETS", "STRIDE", "Preset", "Tier", "preset_for"]
