"""CenterFace and YuNet on PyTorch, on the CPU or a CUDA GPU, many images per network call.

The networks are the vendored ONNX graphs (the same SHA-checked bytes the onnxruntime nets load),
converted by :mod:`unseen.detect.torch_graph`. Pre-processing and decoding are those of the
onnxruntime nets (CenterFace RGB, YuNet BGR, float32 0-255 NCHW, zero padding to 32; the same
``decode``/``boxes_at`` functions), so on the CPU in float32 both runtimes give the same boxes to
float rounding. On CUDA the heatmap peaks and score thresholds are selected on the GPU and only the
selected cells are copied back (``select_on_device``); the boxes are then made by the same code.

``infer_many`` pads each image to a multiple of 32 and sends images of one padded shape through
the network together (in chunks of at most ``max_batch_pixels``). ``precision`` is ``fp32``
(IEEE float32 convolutions; what unseen ships), or, on CUDA only, ``tf32`` or ``fp16`` (autocast),
which are faster and not bit-comparable: offered for measurement, not used by the registry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ModelError
from ..types import Faces
from . import centerface, yunet
from .torch_graph import import_torch, to_torch
from .weights import load_weights

PRECISIONS = ("fp32", "tf32", "fp16")
MULTIPLE = 32
# Pixels (after padding) sent through the network in one call: 16 tiles of 2048 x 2048 on a GPU
# (a few GB of activations in float32), 4 on the CPU (memory, and a CPU gains nothing from more).
MAX_BATCH_PIXELS = {"cuda": 16 * 2048 * 2048, "cpu": 4 * 2048 * 2048}


def cuda_problem() -> str | None:
    """Why torch cannot run on CUDA here (not installed, a CPU build, no GPU), or None when it can."""
    try:
        import torch
    except ImportError as exc:
        return f"PyTorch is not installed ({exc})"
    try:
        if torch.cuda.is_available():
            return None
    except Exception as exc:  # a broken driver raises here on some builds
        return f"torch {torch.__version__} cannot query CUDA ({exc})"
    build = getattr(torch.version, "cuda", None)
    if not build:
        return f"torch {torch.__version__} is a CPU-only build"
    return f"torch {torch.__version__} (CUDA {build}) sees no usable GPU"


def pinned_buffer(torch, cache: dict, shape: tuple[int, ...]):  # type: ignore[no-untyped-def]
    """A pinned uint8 host tensor of ``shape``, reused from ``cache`` (at most 4 kept)."""
    host = cache.get(shape)
    if host is None:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        host = cache[shape] = torch.empty(shape, dtype=torch.uint8, pin_memory=True)
    return host


def _conv_precision(torch, value: str) -> Callable[[], None]:  # type: ignore[no-untyped-def]
    """Set cuDNN's float32 convolution precision ('ieee' or 'tf32'); returns the undo."""
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):  # torch >= 2.9
        old = conv.fp32_precision
        conv.fp32_precision = value
        return lambda: setattr(conv, "fp32_precision", old)
    old_flag = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = value == "tf32"
    return lambda: setattr(torch.backends.cudnn, "allow_tf32", old_flag)


class _TorchNet:
    """Shared by both networks: conversion, device, upload, batching, precision."""

    name = ""
    multiple = MULTIPLE
    gives_roll = False
    runtime = "torch"
    _weights = ""
    _outputs: tuple[Any, ...] = ()
    _bgr = False

    def __init__(
        self,
        *,
        device: str = "cpu",
        threads: int = 1,
        precision: str = "fp32",
        select_on_device: bool | None = None,
        max_batch_pixels: int | None = None,
        channels_last: bool | None = None,
    ):
        torch = import_torch()
        if device not in ("cpu", "cuda"):
            raise ModelError(f"{self.name}: unknown device {device!r} (cpu or cuda)")
        if device == "cuda":
            why = cuda_problem()
            if why:
                raise ModelError(
                    f"{self.name}: device 'cuda' requested but {why}; refusing to run on CPU instead; "
                    "install a CUDA build of torch or use --device cpu"
                )
        if precision not in PRECISIONS or (device == "cpu" and precision != "fp32"):
            raise ModelError(
                f"{self.name}: precision {precision!r} is not available "
                f"on {device} (fp32 everywhere; tf32, fp16 on cuda)"
            )
        self._torch = torch
        self.device = device
        self.precision = precision
        # NHWC: twice as fast as NCHW for these depthwise-heavy graphs on the CPU (oneDNN)
        self.channels_last = (device == "cpu") if channels_last is None else bool(channels_last)
        self.select_on_device = (device == "cuda") if select_on_device is None else bool(select_on_device)
        self.max_batch_pixels = int(max_batch_pixels or MAX_BATCH_PIXELS[device])
        if device == "cpu" and threads:
            torch.set_num_threads(max(1, int(threads)))  # process-wide in torch (per session in onnxruntime)
        module = to_torch(load_weights(self._weights), self._outputs)
        try:
            module = module.to(device)
            if self.channels_last:
                module = module.to(memory_format=torch.channels_last)
        except Exception as exc:
            raise ModelError(f"{self.name}: cannot move the network to {device}: {exc}") from exc
        self.module = module
        self._pinned: dict[tuple[int, int, int], Any] = {}

    # --- batching -------------------------------------------------------------------------
    def infer(self, rgb: np.ndarray, threshold: float) -> Faces:
        return self.infer_many([rgb], threshold)[0]

    def infer_many(self, images: list[np.ndarray], threshold: float) -> list[Faces]:
        """Faces in each ``(H, W, 3)`` uint8 RGB image; same padded shapes share a network call."""
        out: list[Faces | None] = [None] * len(images)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, im in enumerate(images):
            if im.ndim != 3 or im.shape[2] != 3 or im.dtype != np.uint8:
                raise ValueError(f"image must be (H, W, 3) uint8 RGB, got {im.shape} {im.dtype}")
            h, w = im.shape[:2]
            if h == 0 or w == 0:
                out[i] = Faces.empty()
                continue
            m = self.multiple
            groups.setdefault((-(-h // m) * m, -(-w // m) * m), []).append(i)
        for (ph, pw), idxs in groups.items():
            per = max(1, self.max_batch_pixels // (ph * pw))
            for lo in range(0, len(idxs), per):
                chunk = idxs[lo : lo + per]
                found = self._run([images[i] for i in chunk], ph, pw, threshold)
                for i, faces in zip(chunk, found, strict=True):
                    h, w = images[i].shape[:2]
                    out[i] = faces.clipped(w, h)
        return out  # type: ignore[return-value]

    def _run(self, images: list[np.ndarray], ph: int, pw: int, threshold: float) -> list[Faces]:
        try:
            x = self._upload(images, ph, pw)
            with self._torch.inference_mode(), self._mode():
                outs = self.module(x)
                return self._decode(outs, threshold, ph, pw, len(images))
        except (ModelError, ValueError):
            raise
        except Exception as exc:  # CUDA out of memory, driver errors: a model problem, never a fallback
            raise ModelError(f"{self.name}: torch inference failed on {self.device}: {exc}") from exc

    def infer_tensor(self, x, threshold: float) -> list[Faces]:  # type: ignore[no-untyped-def]
        """Faces per image of ``x``: float32 ``(N, 3, H, W)`` RGB 0-255 on this net's device, H and W
        multiples of 32 (boxes in those padded pixels; the caller clips them). For callers that
        prepare pictures on the device themselves (:mod:`unseen.detect.device_multiscale`)."""
        torch = self._torch
        n, _, ph, pw = x.shape
        if ph % self.multiple or pw % self.multiple:
            raise ValueError(f"{self.name}: tensor sides must be multiples of {self.multiple}, got {ph} x {pw}")
        try:
            if self._bgr:
                x = x.flip(1)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.inference_mode(), self._mode():
                return self._decode(self.module(x), threshold, ph, pw, n)
        except (ModelError, ValueError):
            raise
        except Exception as exc:  # CUDA out of memory, driver errors: a model problem, never a fallback
            raise ModelError(f"{self.name}: torch inference failed on {self.device}: {exc}") from exc

    def _upload(self, images: list[np.ndarray], ph: int, pw: int):  # type: ignore[no-untyped-def]
        """``(N, 3, ph, pw)`` float32 0-255 on the device, zero-padded at the bottom/right."""
        torch = self._torch
        n = len(images)
        if self.device == "cuda":  # pinned host memory, reused: the copy to the GPU runs at full speed
            host = pinned_buffer(torch, self._pinned, (n, ph, pw, 3))
        else:
            host = torch.empty((n, ph, pw, 3), dtype=torch.uint8)
        arr = host.numpy()
        for k, im in enumerate(images):
            h, w = im.shape[:2]
            arr[k, :h, :w] = im
            arr[k, h:] = 0
            arr[k, :h, w:] = 0
        x = host.to(self.device, non_blocking=True).permute(0, 3, 1, 2)
        if self._bgr:
            x = x.flip(1)
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        return x.to(dtype=torch.float32, memory_format=fmt)

    @contextlib.contextmanager
    def _mode(self):  # type: ignore[no-untyped-def]
        torch = self._torch
        if self.device != "cuda":
            yield
            return
        old_bench = torch.backends.cudnn.benchmark
        torch.backends.cudnn.benchmark = True  # a video has few tile shapes: tune each once
        undo = _conv_precision(torch, "ieee" if self.precision == "fp32" else "tf32")
        try:
            if self.precision == "fp16":
                with torch.autocast("cuda", dtype=torch.float16):
                    yield
            else:
                yield
        finally:
            undo()
            torch.backends.cudnn.benchmark = old_bench

    def _decode(self, outs, threshold: float, ph: int, pw: int, n: int) -> list[Faces]:  # type: ignore[no-untyped-def]
        raise NotImplementedError


class TorchCenterFaceNet(_TorchNet):
    """CenterFace on torch: ``infer``/``infer_many`` as :class:`unseen.detect.centerface.CenterFaceNet`."""

    name = "centerface"
    gives_roll = True
    _weights = "centerface.onnx"
    _outputs = (0, 1, 2, 3)  # heatmap, log sizes, offsets, landmarks (for the rolls)
    _bgr = False

    def _decode(self, outs, threshold: float, ph: int, pw: int, n: int) -> list[Faces]:  # type: ignore[no-untyped-def]
        torch = self._torch
        heat, scale, offset, marks = (o.float() for o in outs)
        if not self.select_on_device:
            h, s, o, m = heat.cpu().numpy(), scale.cpu().numpy(), offset.cpu().numpy(), marks.cpu().numpy()
            return [centerface.decode(h[k, 0], s[k], o[k], threshold, m[k]) for k in range(n)]
        heat = heat[:, 0]
        # 3 x 3 local maxima, as cv2.dilate in decode (both ignore the border: max over what exists)
        peak = heat >= torch.nn.functional.max_pool2d(heat[:, None], 3, 1, 1)[:, 0]
        b, r, c = ((heat > threshold) & peak).nonzero(as_tuple=True)
        box = [heat[b, r, c], scale[b, 0, r, c], scale[b, 1, r, c], offset[b, 0, r, c], offset[b, 1, r, c]]
        vals = torch.cat([torch.stack(box), marks[b, :, r, c].T])
        cells = torch.stack([b, r, c]).cpu().numpy()
        vals = vals.cpu().numpy()
        out = []
        for k in range(n):
            sel = cells[0] == k
            if not sel.any():
                out.append(Faces.empty())
                continue
            v = vals[:, sel]
            out.append(centerface.boxes_at(cells[1, sel], cells[2, sel], v[0], v[1:3], v[3:5], v[5:15]))
        return out


class TorchYuNetNet(_TorchNet):
    """YuNet on torch: ``infer``/``infer_many`` as :class:`unseen.detect.yunet.YuNetNet`."""

    name = "yunet"
    _weights = "yunet_2023mar.onnx"
    _outputs = tuple(f"{kind}_{s}" for kind in ("cls", "obj", "bbox") for s in yunet.STRIDES)  # no landmarks
    _bgr = True

    def _decode(self, outs, threshold: float, ph: int, pw: int, n: int) -> list[Faces]:  # type: ignore[no-untyped-def]
        torch = self._torch
        k_strides = len(yunet.STRIDES)
        parts: list[list[Faces]] = [[] for _ in range(n)]
        for j, s in enumerate(yunet.STRIDES):
            cls, obj, bbox = (outs[j + i * k_strides].float() for i in range(3))
            cols = pw // s
            if not self.select_on_device:
                c, o, b = cls.cpu().numpy(), obj.cpu().numpy(), bbox.cpu().numpy()
                for k in range(n):
                    parts[k].append(yunet.decode(c[k, :, 0], o[k, :, 0], b[k], s, cols, threshold))
                continue
            score = torch.sqrt(torch.clamp(cls[..., 0], 0, 1) * torch.clamp(obj[..., 0], 0, 1))
            bi, idx = (score > threshold).nonzero(as_tuple=True)
            vals = torch.cat([score[bi, idx][None], bbox[bi, idx].T]).cpu().numpy()
            cells = torch.stack([bi, idx]).cpu().numpy()
            for k in range(n):
                sel = cells[0] == k
                if not sel.any():
                    parts[k].append(Faces.empty())
                    continue
                v = vals[:, sel]
                parts[k].append(yunet.boxes_at(cells[1, sel], v[0], v[1:].T, s, cols))
        return [Faces.merge(p) for p in parts]
