"""CenterFace (Star-Clouds, MIT) on onnxruntime: one pass over one image at the size given.

The vendored graph has fixed input dims ``[10, 3, 32, 32]``; at load the batch, height and width
are made symbolic so any multiple of 32 runs. ``precision="int8"`` loads the 8-bit build made from
it by ``tools/quantize_centerface.py`` (symbolic already; same inputs and outputs). The network
takes RGB 0-255 as float32 NCHW and answers at stride 4: a face-centre heatmap, log box sizes,
centre offsets and five landmarks (as shares of the box size from its top-left corner), from which
each face's roll is taken (:func:`unseen.geometry.roll_from_landmarks`).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..geometry.roll import roll_from_landmarks
from ..types import Faces
from .base import SinglePassNetBase
from .onnx_dims import symbolic_dims
from .onnx_session import make_session, pad_to_multiple, run
from .weights import load_weights

STRIDE = 4
MULTIPLE = 32  # input sides must be multiples of this


class CenterFaceNet(SinglePassNetBase):
    """A single-pass CenterFace: ``infer(rgb, threshold) -> Faces`` in the array's pixels."""

    name = "centerface"
    multiple = MULTIPLE
    gives_roll = True

    def __init__(self, *, device: str = "cpu", threads: int = 1, precision: str = "fp32"):
        if precision == "int8":
            model = load_weights("centerface_int8.onnx")
        elif precision == "fp32":
            model = symbolic_dims(load_weights("centerface.onnx"), {0: "n", 2: "h", 3: "w"}, {0: "n", 2: "fh", 3: "fw"})
        else:
            raise ValueError(f"precision must be fp32 or int8, got {precision!r}")
        self.precision = precision
        self.session = make_session(model, device=device, threads=threads, name=self.name)
        self.runtime, self.device = "onnxruntime", device
        self.input_name = self.session.get_inputs()[0].name

    def infer(self, rgb: np.ndarray, threshold: float) -> Faces:
        h, w = rgb.shape[:2]
        if h == 0 or w == 0:
            return Faces.empty()
        padded = pad_to_multiple(rgb, MULTIPLE)
        blob = np.ascontiguousarray(padded.transpose(2, 0, 1)[None], dtype=np.float32)
        heat, scale, offset, landmarks = run(self.session, {self.input_name: blob}, self.name)[:4]
        return decode(heat[0, 0], scale[0], offset[0], threshold, landmarks[0]).clipped(w, h)


def decode(
    heat: np.ndarray, scale: np.ndarray, offset: np.ndarray, threshold: float, landmarks: np.ndarray | None = None
) -> Faces:
    """Heatmap peaks above ``threshold`` -> boxes in input pixels (no suppression here).

    ``heat`` is ``(fh, fw)``; ``scale`` and ``offset`` are ``(2, fh, fw)`` as (y, x) pairs: the
    box height/width are ``exp(scale) * STRIDE`` and the centre is the cell plus ``offset``.
    ``landmarks`` ``(10, fh, fw)``: five (y, x) pairs as shares of the box height and width.
    """
    # Only local maxima (3 x 3) of the heatmap: a face lights up a blob of cells around its centre.
    peak = heat >= cv2.dilate(heat, np.ones((3, 3), np.uint8))
    rows, cols = np.nonzero((heat > threshold) & peak)
    if rows.size == 0:
        return Faces.empty()
    lm = None if landmarks is None else landmarks[:, rows, cols]
    return boxes_at(rows, cols, heat[rows, cols], scale[:, rows, cols], offset[:, rows, cols], lm)


def boxes_at(
    rows: np.ndarray,
    cols: np.ndarray,
    score: np.ndarray,
    scale: np.ndarray,
    offset: np.ndarray,
    landmarks: np.ndarray | None = None,
) -> Faces:
    """Boxes for the selected cells: ``scale`` and ``offset`` are ``(2, K)`` (y, x) at ``rows, cols``;
    ``landmarks`` ``(10, K)`` (y, x pairs, shares of the box) give the rolls (unknown without them).

    Shared by :func:`decode` and the torch nets (which select the cells on the GPU), so both give
    the same boxes for the same cells.
    """
    bh = np.exp(scale[0]) * STRIDE
    bw = np.exp(scale[1]) * STRIDE
    cy = (rows + offset[0] + 0.5) * STRIDE
    cx = (cols + offset[1] + 0.5) * STRIDE
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    ok = np.all(np.isfinite(boxes), axis=1)
    roll: np.ndarray | None = None
    if landmarks is not None:
        lm = np.asarray(landmarks, np.float64).reshape(5, 2, -1)  # (point, y/x, K)
        points = np.stack([lm[:, 1] * bw, lm[:, 0] * bh], axis=-1).transpose(1, 0, 2)  # (K, 5, x/y)
        roll = roll_from_landmarks(points)[ok]
    return Faces(boxes[ok], score[ok], roll=roll)  # type: ignore[arg-type]  # None: unknown
