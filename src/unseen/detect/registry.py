"""Which detector each setting asks for: presets x backends -> passes, built once, never swapped.

The table below is the only place detection effort is defined (thresholds and scales were tuned on
the WIDER FACE dev subset; see docs/BENCHMARKS.md). A backend that cannot be built raises
:class:`unseen.errors.ModelError`; the registry never falls back to another backend or device.

Runtimes: the networks run on onnxruntime (the default, CPU) or on PyTorch (``--backend torch``,
the preset's own passes; optional extra ``unseen[torch]``). ``--device cuda`` with the other
backends takes onnxruntime's CUDA provider where the installed onnxruntime has one
(``unseen[gpu]``), else PyTorch on CUDA where a CUDA build of torch sees a GPU, else it is a
ModelError naming both ways: never a run on the CPU instead. The detector's name says where it runs
(``centerface+yunet/default@torch-cuda``); reports carry it.

Precision: on onnxruntime on the CPU, CenterFace can run its int8 build (``centerface-int8`` in
the name). ``--precision auto`` takes it where its coverage was measured (the table below), with
the thresholds measured for it; everything else runs fp32.
"""

from __future__ import annotations

import dataclasses

from ..errors import ModelError
from ..settings import Settings
from .base import FaceDetector
from .multiscale import MultiScaleDetector, Pass

# network name -> single-pass network class, imported lazily (each loads onnxruntime or torch).
BACKENDS = ("centerface", "yunet")
RUNTIMES = ("onnxruntime", "torch")
# Frames per detect_many call the video pipeline should send: a GPU wants batches, a CPU does not.
BATCH = {("torch", "cuda"): 8}

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


# (preset, backend) -> thresholds of CenterFace's passes when it runs its int8 build, for the
# presets whose int8 coverage was measured (WIDER FACE dev, docs/BENCHMARKS.md "CenterFace int8"):
# the int8 build scores faces a little lower; at 0.075 (fp32: 0.08) its coverage is at least fp32's
# in every size bin. ``--precision auto`` picks int8 only for these.
_INT8_CENTERFACE_THRESHOLD: dict[tuple[str, str], float] = {("default", "auto"): 0.075}


def available() -> tuple[str, ...]:
    """Networks this installation can build (the vendored ONNX ones, on onnxruntime or torch)."""
    return BACKENDS


def precision_for(settings: Settings) -> str:
    """'int8' or 'fp32': which CenterFace build ``settings`` ask for (YuNet is always fp32)."""
    if settings.precision != "auto":
        return settings.precision  # Settings refuses int8 off the CPU or on torch
    on_cpu_ort = settings.device == "cpu" and settings.backend != "torch"
    return "int8" if on_cpu_ort and (settings.preset, settings.backend) in _INT8_CENTERFACE_THRESHOLD else "fp32"


def passes_for(settings: Settings) -> tuple[Pass, ...]:
    """The passes ``settings`` ask for (threshold override applied); torch runs the preset's own."""
    backend = "auto" if settings.backend == "torch" else settings.backend
    try:
        passes = _PASSES[(settings.preset, backend)]
    except KeyError as exc:
        raise ModelError(f"no detector for preset {settings.preset!r} with backend {settings.backend!r}") from exc
    int8 = _INT8_CENTERFACE_THRESHOLD.get((settings.preset, backend))
    if int8 is not None and precision_for(settings) == "int8":
        passes = tuple(dataclasses.replace(p, threshold=int8) if p.net == "centerface" else p for p in passes)
    if settings.threshold > 0:
        passes = tuple(dataclasses.replace(p, threshold=settings.threshold) for p in passes)
    return passes


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
    from .onnx_session import _ort

    raise ModelError(
        "device 'cuda' requested but no GPU runtime is usable here: this onnxruntime has no "
        f"CUDAExecutionProvider (available: {', '.join(_ort().get_available_providers())}; "
        f"pip install 'unseen[gpu]' for onnxruntime-gpu), and {problem} (install a CUDA build of torch); "
        "refusing to run on CPU instead; use --device cpu"
    )


def _net(name: str, runtime: str, device: str, threads: int, precision: str = "fp32"):  # type: ignore[no-untyped-def]
    if name not in BACKENDS:
        raise ModelError(f"unknown backend {name!r}; available: {', '.join(available())}")
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


def build(settings: Settings) -> FaceDetector:
    """Build the detector for ``settings``. Raises ModelError when it cannot be built as asked."""
    passes = passes_for(settings)
    runtime = runtime_for(settings)
    precision = precision_for(settings)
    nets = {
        name: _net(name, runtime, settings.device, settings.n_threads, precision)
        for name in dict.fromkeys(p.net for p in passes)
    }
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
