"""Text regions (names, badges, signs, screens, captions, number plates) with PP-OCRv6 small det.

The network (PaddleOCR's DB text detector, vendored unchanged from the rapidocr 3.10.0 wheel,
Apache-2.0, see THIRD_PARTY_NOTICES.md) maps a picture to a per-pixel text probability. It runs at
native resolution, never downscaled: the picture is cut into overlapping tiles (sides multiples of
32) and the tiles' maps are merged by maximum. The post-processing is unseen's own DB reading:
probability > ``THRESH``, a small dilation, contours, mean probability >= ``BOX_THRESH``, each
contour's rotated rectangle unclipped by area x ``UNCLIP`` / perimeter, then its axis-aligned
covering box grown by ``MARGIN`` of its height (at least ``MIN_MARGIN`` px). Detection only: the
text is never read. ``plates`` uses the same detector everywhere (a plate is a line of text).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..settings import Settings
from ..types import Faces, Regions
from .kinds import register
from .onnx_session import make_session, run
from .weights import load_weights

MODEL = "PP-OCRv6_det_small.onnx"
THRESH = 0.3
BOX_THRESH = 0.4  # below RapidOCR's 0.5: recall first
UNCLIP = 1.6
MARGIN = 0.15
MIN_MARGIN = 2
TILE = 1024
OVERLAP = 128
MEAN = STD = 127.5  # (x / 255 - 0.5) / 0.5


def _spans(n: int) -> list[tuple[int, int]]:
    """Overlapping [start, end) spans covering 0..n, each at most TILE long, padded later to 32."""
    if n <= TILE:
        return [(0, n)]
    step = TILE - OVERLAP
    starts = list(range(0, n - TILE, step)) + [n - TILE]
    return [(s, s + TILE) for s in starts]


def boxes_from_map(prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DB post-processing: ``(N, 4)`` covering boxes (float, unclipped) and their mean scores."""
    binary = cv2.dilate((prob > THRESH).astype(np.uint8), np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[list[float]] = []
    scores: list[float] = []
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [c - np.array([x, y])], 1)
        score = float(cv2.mean(prob[y : y + h, x : x + w], mask)[0])
        if score < BOX_THRESH:
            continue
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(c)
        rw, rh = max(rw, 1.0), max(rh, 1.0)
        d = rw * rh * UNCLIP / (2 * (rw + rh))
        pts = cv2.boxPoints(((cx, cy), (rw + 2 * d, rh + 2 * d), angle))
        x1, y1 = pts.min(axis=0)
        x2, y2 = pts.max(axis=0)
        m = max(MIN_MARGIN, MARGIN * min(rw + 2 * d, rh + 2 * d))
        boxes.append([x1 - m, y1 - m, x2 + m, y2 + m])
        scores.append(score)
    return np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(scores, np.float32)


class TextDetector:
    """A :class:`unseen.detect.base.RegionDetector` for ``text`` (or ``plates``) on onnxruntime."""

    def __init__(self, kind: str, *, device: str = "cpu", threads: int = 1):
        self.kind = kind
        self.name = f"PP-OCRv6-small-det ({device})"
        self.session = make_session(load_weights(MODEL), device=device, threads=threads, name=MODEL)
        self.input = self.session.get_inputs()[0].name

    def probability(self, image: np.ndarray) -> np.ndarray:
        """The text probability map ``(H, W)`` float32 of an RGB image, tiled at native resolution."""
        h, w = image.shape[:2]
        prob = np.zeros((h, w), np.float32)
        for y0, y1 in _spans(h):
            for x0, x1 in _spans(w):
                tile = image[y0:y1, x0:x1, :3]
                th, tw = tile.shape[:2]
                ph, pw = (-th) % 32, (-tw) % 32
                x = (tile.astype(np.float32) - MEAN) / STD
                x = np.pad(x, ((0, ph), (0, pw), (0, 0)))
                out = run(self.session, {self.input: x.transpose(2, 0, 1)[None]}, MODEL)[0]
                np.maximum(prob[y0:y1, x0:x1], out[0, 0, :th, :tw], out=prob[y0:y1, x0:x1])
        return prob

    def detect(self, image: np.ndarray) -> Regions:
        h, w = image.shape[:2]
        boxes, scores = boxes_from_map(self.probability(image))
        return Regions(self.kind, Faces(boxes, scores).clipped(w, h))


def _builder(kind: str):  # type: ignore[no-untyped-def]
    def build(settings: Settings) -> TextDetector:
        return TextDetector(kind, device=settings.device, threads=settings.n_threads)

    return build


register("text", _builder("text"))
register("plates", _builder("plates"))

__all__ = ["MODEL", "TextDetector", "boxes_from_map"]
