"""What ``--help`` says a setting's default is, where the default is derived ("auto", 0, -1).

``box_scale=0`` means "the preset's", ``threshold=0`` "each pass's own", ``backend=auto`` "the
preset's networks" ... The values behind those live with the code that applies them (the detector
presets, the cover, the video schedule); the functions here ask that code, for each preset, rather
than copying its numbers, so ``unseen --help`` states the real default. They import the detection
modules, so the help formatter calls them only when help is printed, never on a normal run.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from .settings import Device, PresetName, Settings


def _by_preset(value: Callable[[Settings], str]) -> str:
    """ "by preset: default X, fast Y, thorough Z", or just "X" when every preset has the same value."""
    values = {p.value: value(Settings(preset=p.value)) for p in PresetName}
    if len(set(values.values())) == 1:
        return next(iter(values.values()))
    return "by preset: " + ", ".join(f"{preset} {v}" for preset, v in values.items())


def box_scale_default() -> str:
    from .cover import box_scale

    return "0 = the preset's, " + _by_preset(lambda s: f"{box_scale(s):g}")


def threshold_default() -> str:
    from .detect.registry import passes_for

    def span(s: Settings) -> str:
        ts = sorted({p.threshold for p in passes_for(s)})
        return f"{ts[0]:g}" if len(ts) == 1 else f"{ts[0]:g}-{ts[-1]:g}"

    return "0 = each pass's own, " + _by_preset(span)


def backend_default() -> str:
    from .detect.registry import passes_for

    return "auto = the preset's, " + _by_preset(lambda s: "+".join(sorted({p.net for p in passes_for(s)})))


def precision_default() -> str:
    from .detect.registry import precision_for

    on_cpu = _by_preset(precision_for)
    elsewhere = {precision_for(Settings(preset=p.value, device=Device.CUDA.value)) for p in PresetName}
    elsewhere |= {precision_for(Settings(preset=p.value, backend="torch")) for p in PresetName}
    return f"auto = on the CPU, {on_cpu}; {'/'.join(sorted(elsewhere))} on cuda and with --backend torch"


def threads_default() -> str:
    return f"0 = all cores, {os.cpu_count() or 1} here"


def segment_seconds_default() -> str:
    return "0 = off: one process per video"


def segment_workers_default() -> str:
    return f"0 = all cores, {os.cpu_count() or 1} here"


def workers_default() -> str:
    from .pipeline.worker_count import WORKER_BYTES, cores_available, memory_available

    mem = memory_available()
    room = "memory unknown" if mem is None else f"{mem / 1e9:.1f} GB available"
    return (
        f"0 or auto = min(cores, available memory / {WORKER_BYTES / 1e9:.2f} GB, files); "
        f"here {cores_available()} cores, {room}"
    )


def detect_stride_default() -> str:
    from .detect.registry import passes_for
    from .detect.schedule import stride_for, video_schedule

    def stride(s: Settings) -> str:
        if video_schedule(s, passes_for(s)) is None:
            return "every frame"
        return _by_device(lambda d: f"{stride_for(s.replace(device=d)):g} s")

    return "-1 = auto, " + _by_preset(stride)


def _by_device(value: Callable[[str], str]) -> str:
    values = {d.value: value(d.value) for d in Device}
    if len(set(values.values())) == 1:
        return next(iter(values.values()))
    return ", ".join(f"{v} on {d}" for d, v in values.items())


# setting -> its derived default, in words (video_encoder's "auto" is stated in its help text).
DERIVED_DEFAULTS: dict[str, Callable[[], str]] = {
    "box_scale": box_scale_default,
    "workers": workers_default,
    "threshold": threshold_default,
    "backend": backend_default,
    "precision": precision_default,
    "threads": threads_default,
    "detect_stride": detect_stride_default,
    "segment_seconds": segment_seconds_default,
    "segment_workers": segment_workers_default,
}


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions kept as written; a setting with a derived default gets it stated, when printed."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        derived = DERIVED_DEFAULTS.get(action.dest)
        if derived is None or text is None or action.const is not None:
            return text
        return f"{text} (default: {derived().replace('%', '%%')})"  # argparse %-formats help


__all__ = ["DERIVED_DEFAULTS", "HelpFormatter"]
