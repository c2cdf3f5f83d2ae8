"""Which detector each setting asks for: the (preset, backend)'s :class:`Preset`, built, never swapped.

Detection effort (passes, cheap tiers, thresholds) is defined in :mod:`unseen.detect.presets`
only; this module builds the networks a preset names on the runtime and device asked for. A
backend that cannot be built raises :class:`unseen.errors.ModelError`;
the registry never falls back to another backend or device.

Runtimes: the networks run on onnxruntime (the default, CPU) or on PyTorch (``--backend torch``,
the preset's own passes; optional extra ``unseen[torch]``). ``--device cuda`` with the other
backends takes onnxruntime's CUDA provider where the installed onnxruntime has one
(``unseen[gpu]``), else PyTorch on CUDA where a CUDA build of torch sees a GPU, else it is a
ModelError naming both ways: never a run on the CPU instead. The detector's name says where it runs
(``centerface+yunet/default@torch-cuda``); reports carry it.

Precision: on onnxruntime on the CPU, CenterFace can run its int8 build (``centerface-int8`` in
the name). ``--precision auto`` takes it where its coverage was measured (``Preset.int8_threshold``),
with the threshold measured for it; everything else runs fp32.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import ModelError
from ..settings import Settings
from .base import FaceDetector
from .multiscale import MultiScaleDetector
from .passes import Pass
from .presets import Preset, preset_for

RUNTIMES = ("onnxruntime", "torch")
NETS = ("centerface", "yunet")
# Frames per detect_many call the video pipeline should send: a GPU wants batches, a CPU does not.
BATCH = {("torch", "cuda"): 8}


def preset_of(settings: Settings) -> Preset:
    """The :class:`Preset` ``settings`` ask for (``settings.preset`` with ``settings.backend``)."""
    return preset_for(settings.preset, settings.backend)


def precision_for(settings: Settings) -> str:
    """'int8' or 'fp32': which CenterFace build ``settings`` ask for (YuNet is always fp32)."""
    if settings.precision != "auto":
        return settings.precision  # Settings refuses int8 off the CPU or on torch
    on_cpu_ort = settings.device == "cpu" and settings.backend != "torch"
    return "int8" if on_cpu_ort and preset_of(settings).int8_threshold is not None else "fp32"


def with_thresholds(passes: tuple[Pass, ...], settings: Settings, preset: Preset | None = None) -> tuple[Pass, ...]:
    """``passes`` at the thresholds ``settings`` ask for: CenterFace's int8 threshold when its int8
    build runs, and ``settings.threshold`` (when > 0) in place of every pass's own."""
    preset = preset or preset_of(settings)
    int8 = preset.int8_threshold
    if int8 is not None and precision_for(settings) == "int8":
        passes = tuple(dataclasses.replace(p, threshold=int8) if p.net == "centerface" else p for p in passes)
    if settings.threshold > 0:
        passes = tuple(dataclasses.replace(p, threshold=settings.threshold) for p in passes)
    return passes


def passes_for(settings: Settings) -> tuple[Pass, ...]:
    """The full-detection passes ``settings`` ask for (thresholds applied); torch runs the preset's own."""
    return with_thresholds(preset_of(settings).passes, settings)


def runtime_for(settings: Settings) -> str:
    """'onnxruntime' or 'torch': where the networks run for ``settings``; ModelError when nowhere.

    Never answers a runtime on another device than ``settings.device``.
    """
    from .torch_nets import cuda_problem

    if settings.backend == "torch":
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            raise ModelError(
                f"backend 'torch' needs PyTorch, which is not installed ({exc}); pip install 'unseen[torch]' "
                "(a CUDA build of torch for --device cuda) or use --backend auto"
            ) from exc
        if settings.device == "cuda":
            problem = cuda_problem()
            if problem:
                raise ModelError(
                    f"backend 'torch' on device 'cuda': {problem}; install a CUDA build of torch "
                    "or use --device cpu (never a silent switch to CPU)"
                )
        return "torch"
    if settings.device != "cuda":
        return "onnxruntime"
    from .onnx_session import cuda_provider_available

    if cuda_provider_available():
        return "onnxruntime"
    problem = cuda_problem()
    if problem is None:
        return "torch"
    from .onnx_session import available_providers

    raise ModelError(
        "device 'cuda' requested but no GPU runtime is usable here: this onnxruntime has no "
        f"CUDAExecutionProvider (available: {', '.join(available_providers())}; "
        f"pip install 'unseen[gpu]' for onnxruntime-gpu), and {problem} (install a CUDA build of torch); "
        "refusing to run on CPU instead; use --device cpu"
    )


def _net(name: str, runtime: str, device: str, threads: int, precision: str = "fp32") -> Any:
    """A single-pass net (``SinglePassNet``; on torch also a ``TensorNet``)."""
    if name not in NETS:
        raise ModelError(f"unknown network {name!r}; available: {', '.join(NETS)}")
    if runtime == "torch":
        from .torch_nets import TorchCenterFaceNet, TorchYuNetNet

        return (TorchCenterFaceNet if name == "centerface" else TorchYuNetNet)(device=device, threads=threads)
    if name == "centerface":
        from .centerface import CenterFaceNet

        return CenterFaceNet(device=device, threads=threads, precision=precision)
    from .yunet import YuNetNet

    return YuNetNet(device=device, threads=threads)


# Every setting build() reads: detectors built from settings equal in these are interchangeable
# (the pipeline caches one per distinct tuple).
DETECTOR_SETTINGS = ("preset", "backend", "threshold", "device", "threads", "precision")


def build(settings: Settings, preset: Preset | None = None) -> FaceDetector:
    """Build the detector for ``settings`` (``preset``: in place of the one the settings name, for
    threshold sweeps). It has a network for every pass the preset names, its video schedule's
    cheap tiers included. Raises ModelError when it cannot be built as asked."""
    preset = preset or preset_of(settings)
    passes = with_thresholds(preset.passes, settings, preset)
    runtime = runtime_for(settings)
    precision = precision_for(settings)
    nets = {name: _net(name, runtime, settings.device, settings.n_threads, precision) for name in preset.nets}
    label = "+".join(f"{n}-int8" if n == "centerface" and precision == "int8" else n for n in nets)
    if runtime == "torch" and settings.device == "cuda":
        from .device_multiscale import DeviceMultiScaleDetector

        return DeviceMultiScaleDetector(
            nets,
            passes,
            name=f"{label}/{settings.preset}@{runtime}-{settings.device}",
            device="cuda",
            batch=BATCH.get((runtime, settings.device), 1),
        )
    return MultiScaleDetector(
        nets,
        passes,
        name=f"{label}/{settings.preset}@{runtime}-{settings.device}",
        batch=BATCH.get((runtime, settings.device), 1),
    )
