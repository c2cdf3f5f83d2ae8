"""Which detector each setting asks for: presets x backends -> passes, built once, never swapped.

The table below is the only place detection effort is defined (thresholds and scales were tuned on
the WIDER FACE dev subset; see docs/BENCHMARKS.md). A backend that cannot be built raises
:class:`unseen.errors.ModelError`; the registry never falls back to another backend or device.
"""

from __future__ import annotations

import dataclasses

from ..errors import ModelError
from ..settings import Settings
from .base import FaceDetector
from .multiscale import MultiScaleDetector, Pass

# backend -> single-pass network class, imported lazily (each loads onnxruntime).
BACKENDS = ("centerface", "yunet")

# (preset, backend) -> passes. "auto" is the preset's own choice of networks.
# Thresholds here are the defaults; Settings.threshold (when > 0) replaces every pass's threshold.
_PASSES: dict[tuple[str, str], tuple[Pass, ...]] = {
    # default: CenterFace at 1x on the image and its mirror, YuNet at 2x (small faces only).
    ("default", "auto"): (
        Pass("centerface", 1, 0.08),
        Pass("centerface", 1, 0.08, flip=True),
        Pass("yunet", 2, 0.3, max_height=64),
    ),
    ("default", "centerface"): (
        Pass("centerface", 1, 0.1),
        Pass("centerface", 1, 0.1, flip=True),
        Pass("centerface", 2, 0.2, max_height=64),
    ),
    ("default", "yunet"): (
        Pass("yunet", 1, 0.35),
        Pass("yunet", 1, 0.35, flip=True),
        Pass("yunet", 2, 0.3, max_height=64),
        Pass("yunet", 2, 0.3, max_height=64, flip=True),
    ),
    # fast: YuNet only (about a tenth of CenterFace's cost per pixel): 1x and its mirror, 1.5x, 0.5x.
    ("fast", "auto"): (
        Pass("yunet", 1, 0.3),
        Pass("yunet", 1, 0.3, flip=True),
        Pass("yunet", 1.5, 0.25, max_height=64),
        Pass("yunet", 0.5, 0.5),  # added, never instead of 1x: very large faces
    ),
    ("fast", "centerface"): (Pass("centerface", 1, 0.1),),
    ("fast", "yunet"): (
        Pass("yunet", 1, 0.3),
        Pass("yunet", 1, 0.3, flip=True),
        Pass("yunet", 1.5, 0.25, max_height=64),
        Pass("yunet", 0.5, 0.5),  # added, never instead of 1x: very large faces
    ),
    # thorough: every pass, lower thresholds (more false positives; used to check outputs).
    ("thorough", "auto"): (
        Pass("centerface", 1, 0.06),
        Pass("centerface", 1, 0.06, flip=True),
        Pass("centerface", 2, 0.2, max_height=64),
        Pass("yunet", 2, 0.25, max_height=96),
        Pass("yunet", 2, 0.25, max_height=96, flip=True),
    ),
    ("thorough", "centerface"): (
        Pass("centerface", 1, 0.06),
        Pass("centerface", 1, 0.06, flip=True),
        Pass("centerface", 2, 0.2, max_height=64),
    ),
    ("thorough", "yunet"): (
        Pass("yunet", 1, 0.3),
        Pass("yunet", 1, 0.3, flip=True),
        Pass("yunet", 2, 0.25, max_height=96),
        Pass("yunet", 2, 0.25, max_height=96, flip=True),
    ),
}


def available() -> tuple[str, ...]:
    """Backends this installation can build (the vendored ONNX ones always; torch later)."""
    return BACKENDS


def passes_for(settings: Settings) -> tuple[Pass, ...]:
    """The passes ``settings`` ask for (threshold override applied)."""
    if settings.backend == "torch":
        raise ModelError("backend 'torch' is not available yet; use --backend auto, centerface or yunet")
    try:
        passes = _PASSES[(settings.preset, settings.backend)]
    except KeyError as exc:
        raise ModelError(f"no detector for preset {settings.preset!r} with backend {settings.backend!r}") from exc
    if settings.threshold > 0:
        passes = tuple(dataclasses.replace(p, threshold=settings.threshold) for p in passes)
    return passes


def _net(name: str, device: str, threads: int):  # type: ignore[no-untyped-def]
    if name == "centerface":
        from .centerface import CenterFaceNet

        return CenterFaceNet(device=device, threads=threads)
    if name == "yunet":
        from .yunet import YuNetNet

        return YuNetNet(device=device, threads=threads)
    raise ModelError(f"unknown backend {name!r}; available: {', '.join(available())}")


def build(settings: Settings) -> FaceDetector:
    """Build the detector for ``settings``. Raises ModelError when it cannot be built as asked."""
    passes = passes_for(settings)
    nets = {name: _net(name, settings.device, settings.n_threads) for name in dict.fromkeys(p.net for p in passes)}
    label = "+".join(nets)
    return MultiScaleDetector(nets, passes, name=f"{label}/{settings.preset}")
