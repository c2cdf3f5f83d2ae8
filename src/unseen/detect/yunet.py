"""YuNet 2023mar (OpenCV Zoo, MIT) on onnxruntime: one pass over one image at the size given.

Run on onnxruntime rather than ``cv2.FaceDetectorYN`` so that providers and thread counts are
explicit per session (OpenCV's thread count is process-wide) and ``--device cuda`` behaves the
same as for CenterFace. The graph's height and width are made symbolic at load. It takes BGR
0-255 as float32 NCHW and answers, for strides 8, 16 and 32, a class score, an objectness score
and a box (centre offset in cells, log size in cells) for every cell. Its five landmarks are not
used: on the astronaut turned 30 and 90 degrees they stayed an upright face's (eye line within 5
degrees of level, where CenterFace's gave 28 and 77 degrees), so YuNet's faces have unknown roll.
"""

from __future__ import annotations

import numpy as np

from ..types import Faces
from .base import SinglePassNetBase
from .onnx_dims import symbolic_dims
from .onnx_session import make_session, pad_to_multiple, run
from .weights import load_weights

STRIDES = (8, 16, 32)
MULTIPLE = 32


class YuNetNet(SinglePassNetBase):
    """A single-pass YuNet: ``infer(rgb, threshold) -> Faces`` in the array's pixels."""

    name = "yunet"
    multiple = MULTIPLE

    def __init__(self, *, device: str = "cpu", threads: int = 1):
        model = symbolic_dims(load_weights("yunet_2023mar.onnx"), {2: "h", 3: "w"}, {1: "cells"})
        self.session = make_session(model, device=device, threads=threads, name=self.name)
        self.runtime, self.device = "onnxruntime", device
        self.input_name = self.session.get_inputs()[0].name
        self.outputs = {o.name: i for i, o in enumerate(self.session.get_outputs())}

    def infer(self, rgb: np.ndarray, threshold: float) -> Faces:
        h, w = rgb.shape[:2]
        if h == 0 or w == 0:
            return Faces.empty()
        padded = pad_to_multiple(rgb, MULTIPLE)
        ph, pw = padded.shape[:2]
        blob = np.ascontiguousarray(padded[:, :, ::-1].transpose(2, 0, 1)[None], dtype=np.float32)
        out = run(self.session, {self.input_name: blob}, self.name)
        parts = []
        for s in STRIDES:
            get = lambda kind, s=s: out[self.outputs[f"{kind}_{s}"]][0]  # noqa: E731
            parts.append(decode(get("cls")[:, 0], get("obj")[:, 0], get("bbox"), s, pw // s, threshold))
        return Faces.merge(parts).clipped(w, h)


def decode(cls: np.ndarray, obj: np.ndarray, bbox: np.ndarray, stride: int, cols: int, threshold: float) -> Faces:
    """Cells of one stride with score ``sqrt(cls * obj)`` above ``threshold`` -> boxes in pixels."""
    score = np.sqrt(np.clip(cls, 0, 1) * np.clip(obj, 0, 1))
    idx = np.nonzero(score > threshold)[0]
    if idx.size == 0:
        return Faces.empty()
    return boxes_at(idx, score[idx], bbox[idx], stride, cols)


def boxes_at(idx: np.ndarray, score: np.ndarray, bbox: np.ndarray, stride: int, cols: int) -> Faces:
    """Boxes for the selected cells ``idx`` (row-major, ``cols`` a row) with their ``(K, 4)`` outputs.

    Shared by :func:`decode` and the torch nets (which select the cells on the GPU).
    """
    r, c = np.divmod(idx, cols)
    b = bbox.astype(np.float64)
    cx = (c + b[:, 0]) * stride
    cy = (r + b[:, 1]) * stride
    bw = np.exp(b[:, 2]) * stride
    bh = np.exp(b[:, 3]) * stride
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    ok = np.all(np.isfinite(boxes), axis=1)
    return Faces(boxes[ok], score[ok])
