"""onnxruntime sessions with explicit providers and thread counts, and quiet logging.

Every backend builds its session here, so that device handling is the same everywhere: ``cpu``
runs on ``CPUExecutionProvider`` only; ``cuda`` needs ``CUDAExecutionProvider`` both in the
installed onnxruntime and in the session that comes out (onnxruntime quietly drops a provider that
fails to initialise; we check and raise instead). There is never a silent switch of device.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import ModelError


def _ort():  # type: ignore[no-untyped-def]
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise ModelError(f"onnxruntime is not installed ({exc}); reinstall unseen") from exc
    return ort


def available_providers() -> list[str]:
    """The execution providers the installed onnxruntime offers."""
    return list(_ort().get_available_providers())


def cuda_provider_available() -> bool:
    """Does the installed onnxruntime offer the CUDA provider (onnxruntime-gpu)?"""
    return "CUDAExecutionProvider" in available_providers()


def providers_for(device: str) -> list[str]:
    """The provider list for ``device``; raises ModelError when the device is not usable."""
    ort = _ort()
    available = ort.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "cuda":
        if "CUDAExecutionProvider" not in available:
            raise ModelError(
                "device 'cuda' requested but this onnxruntime has no CUDAExecutionProvider "
                f"(available: {', '.join(available)}); install onnxruntime-gpu (pip install 'unseen[gpu]') "
                "or use --device cpu"
            )
        # CPU is listed for the few operators CUDA lacks; the session is checked to really use CUDA.
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    raise ModelError(f"unknown device {device!r}")


def make_session(model_bytes: bytes, *, device: str, threads: int, name: str):  # type: ignore[no-untyped-def]
    """An InferenceSession on ``device`` with ``threads`` intra-op threads (>= 1), logging quiet."""
    ort = _ort()
    providers = providers_for(device)
    so = ort.SessionOptions()
    # Fatal only: these models warn about unused initializers, and a failed run's error comes back
    # in the exception (its log line on stderr would break the one-line error a user sees).
    so.log_severity_level = 4
    so.intra_op_num_threads = max(1, int(threads))
    so.inter_op_num_threads = 1
    # No busy-waiting between operators: the decode/encode threads of a video need those cores.
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        session = ort.InferenceSession(model_bytes, sess_options=so, providers=providers)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelError(f"{name}: cannot create an onnxruntime session on {device}: {exc}") from exc
    if device == "cuda" and "CUDAExecutionProvider" not in session.get_providers():
        raise ModelError(
            f"{name}: onnxruntime could not start CUDA (CUDA/cuDNN libraries missing or no GPU); "
            "refusing to run on CPU instead; use --device cpu, or --backend torch with a CUDA build of torch"
        )
    return session


def run(session, feeds: dict[str, np.ndarray], name: str) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """session.run with failures turned into ModelError."""
    try:
        return session.run(None, feeds)
    except Exception as exc:
        text = " ".join(str(exc).split())
        if "Failed to allocate memory" in text or "bad_alloc" in text:  # the arena could not grow
            raise MemoryError(f"{name}: onnxruntime could not allocate its buffers") from exc
        raise ModelError(f"{name}: inference failed: {text}") from exc


def pad_to_multiple(image: np.ndarray, multiple: int) -> np.ndarray:
    """Pad ``(H, W, C)`` at the bottom/right with zeros so both sides are multiples of ``multiple``."""
    h, w = image.shape[:2]
    ph = (-h) % multiple
    pw = (-w) % multiple
    if ph == 0 and pw == 0:
        return image
    return np.pad(image, ((0, ph), (0, pw), (0, 0)))


def output_names(session) -> Iterable[str]:  # type: ignore[no-untyped-def]
    return [o.name for o in session.get_outputs()]
