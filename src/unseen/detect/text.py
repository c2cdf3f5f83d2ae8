"""Text regions (names, badges, signs, screens, captions, number plates) with PP-OCRv6 small det.

The network (PaddleOCR's DB text detector, vendored unchanged from the rapidocr 3.10.0 wheel,
Apache-2.0, see THIRD_PARTY_NOTICES.md) maps a picture to a per-pixel text probability. It runs at
native resolution, never downscaled: the picture is cut into overlapping tiles (sides multiples of
32) and the tiles' maps are merged by maximum. The post-processing is unseen's own DB reading:
probability > ``THRESH``, a small dilation, contours, mean probability >= ``BOX_THRESH``, each
contour's rotated rectangle unclipped by area x ``UNCLIP`` / perimeter, then its axis-aligned
covering box grown by ``MARGIN`` of its height (at least ``MIN_MARGIN`` px). Detection only: the
text is never read.

* :class:`TextNet`: the session, the tiled probability map and its boxes (one full-frame pass).
* :class:`SharedText`: one full-frame pass per picture however many kinds ask for it. ``--cover
  text,plates`` builds one :class:`SharedText` for both detectors; each picture's boxes are kept
  by a digest of its pixels (the last :data:`MEMO` pictures), so the second kind to look at the
  same pixels gets the first one's answer (identical pixels: identical boxes) instead of a
  second pass.
* :class:`TextDetector`: the ``text`` :class:`unseen.detect.base.RegionDetector` (the full-frame
  boxes).
* :class:`PlateDetector`: ``plates``: the same full-frame boxes (a plate is a line of text) plus
  the text boxes found in each vehicle box NanoDet sees (:mod:`unseen.detect.vehicles`), cut out
  and upscaled so that a plate a few pixels high reaches a height the network reads
  (docs/BENCHMARKS.md, "Text and plates: one pass for both, plates in vehicle boxes").
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..settings import Settings
from ..types import Faces, Regions
from .kinds import register_group
from .onnx_session import make_session, run
from .weights import load_weights

if TYPE_CHECKING:
    from .base import RegionDetector
    from .vehicles import VehicleFinder

MODEL = "PP-OCRv6_det_small.onnx"
THRESH = 0.3
BOX_THRESH = 0.4  # below RapidOCR's 0.5: recall first
UNCLIP = 1.6
MARGIN = 0.15
MIN_MARGIN = 2
TILE = 1024
OVERLAP = 128
MEAN = STD = 127.5  # (x / 255 - 0.5) / 0.5
MEMO = 8  # pictures whose full-frame boxes SharedText keeps (an RGBA photo shows up to 4 views)

# Plates in vehicles: each vehicle box grown by CROP_GROW of its size per side, then scaled up so
# that its longer side reaches CROP_SIDE px (at most CROP_MAX_SCALE times); a box that would be
# scaled by less than CROP_MIN_SCALE gains nothing over the full-frame pass and is not cut out.
CROP_GROW = 0.1
CROP_SIDE = 640
CROP_MAX_SCALE = 4.0
CROP_MIN_SCALE = 1.5
MAX_CROPS = 24  # per picture, the most likely vehicles first (bounds the cost of a car park)


def _spans(n: int) -> list[tuple[int, int]]:
    """Overlapping [start, end) spans covering 0..n, each at most TILE long, padded later to 32."""
    if n <= TILE:
        return [(0, n)]
    step = TILE - OVERLAP
    starts = list(range(0, n - TILE, step)) + [n - TILE]
    return [(s, s + TILE) for s in starts]


def boxes_from_map(prob: np.ndarray, min_margin: float = MIN_MARGIN) -> tuple[np.ndarray, np.ndarray]:
    """DB post-processing: ``(N, 4)`` covering boxes (float, unclipped) and their mean scores.

    ``min_margin``: the least margin in the map's pixels (a map of a picture scaled up ``f`` times
    takes ``f * MIN_MARGIN``, so the margin is still ``MIN_MARGIN`` once scaled back)."""
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
        m = max(min_margin, MARGIN * min(rw + 2 * d, rh + 2 * d))
        boxes.append([x1 - m, y1 - m, x2 + m, y2 + m])
        scores.append(score)
    return np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(scores, np.float32)


class TextNet:
    """PP-OCRv6 small det on onnxruntime: the tiled probability map of a picture and its boxes."""

    def __init__(self, *, device: str = "cpu", threads: int = 1):
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

    def boxes(self, image: np.ndarray, min_margin: float = MIN_MARGIN) -> Faces:
        """The covering text boxes of one picture, clipped to it."""
        h, w = image.shape[:2]
        boxes, scores = boxes_from_map(self.probability(image), min_margin)
        return Faces(boxes, scores).clipped(w, h)


def digest(image: np.ndarray) -> bytes:
    """A digest of a picture's shape and pixels (identical pixels, identical digest)."""
    a = np.ascontiguousarray(image)
    h = hashlib.blake2b(repr((a.shape, a.dtype.str)).encode(), digest_size=20)
    h.update(a.data.cast("B"))
    return h.digest()


class SharedText:
    """One full-frame :class:`TextNet` pass per picture, shared by every kind that asks for it.

    ``boxes(image)`` answers from the last :data:`MEMO` pictures by pixel digest, so ``text`` and
    ``plates`` on the same frame (or the same views of a photo) cost one pass. ``runs``: the passes
    actually made. Thread-safe; two threads asking for one new picture at once may both run it
    (never a wrong answer, only the saving lost)."""

    def __init__(self, net: TextNet, memo: int = MEMO):
        self.net = net
        self.memo = memo
        self.runs = 0
        self._seen: OrderedDict[bytes, Faces] = OrderedDict()
        self._lock = threading.Lock()

    def boxes(self, image: np.ndarray) -> Faces:
        key = digest(image)
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return self._seen[key]
        found = self.net.boxes(image)
        with self._lock:
            self.runs += 1
            self._seen[key] = found
            while len(self._seen) > self.memo:
                self._seen.popitem(last=False)
        return found


class TextDetector:
    """A :class:`unseen.detect.base.RegionDetector` for ``text``: the full-frame text boxes.

    ``shared``: the :class:`SharedText` to draw from (another kind's, for one pass between them);
    a new one on its own :class:`TextNet` when None."""

    def __init__(self, kind: str = "text", *, device: str = "cpu", threads: int = 1, shared: SharedText | None = None):
        self.kind = kind
        self.shared = shared if shared is not None else SharedText(TextNet(device=device, threads=threads))
        self.name = self.shared.net.name

    def probability(self, image: np.ndarray) -> np.ndarray:
        return self.shared.net.probability(image)

    def detect(self, image: np.ndarray) -> Regions:
        return Regions(self.kind, self.shared.boxes(image))


def crop_windows(vehicles: Faces, width: int, height: int) -> list[tuple[int, int, int, int, float]]:
    """``(x1, y1, x2, y2, scale)`` for each vehicle worth a closer look, most likely first: its box
    grown by :data:`CROP_GROW`, clipped, and the upscale that brings it to :data:`CROP_SIDE`."""
    out = []
    for i in np.argsort(-vehicles.scores, kind="stable"):
        x1, y1, x2, y2 = (float(v) for v in vehicles.boxes[i])
        gw, gh = (x2 - x1) * CROP_GROW, (y2 - y1) * CROP_GROW
        a, b = int(max(0, np.floor(x1 - gw))), int(max(0, np.floor(y1 - gh)))
        c, d = int(min(width, np.ceil(x2 + gw))), int(min(height, np.ceil(y2 + gh)))
        if c - a < 2 or d - b < 2:
            continue
        scale = min(CROP_MAX_SCALE, CROP_SIDE / max(c - a, d - b))
        if scale >= CROP_MIN_SCALE:
            out.append((a, b, c, d, scale))
        if len(out) == MAX_CROPS:
            break
    return out


class PlateDetector(TextDetector):
    """``plates``: the full-frame text boxes plus the text in upscaled cut-outs of vehicle boxes.

    ``vehicles``: what finds the vehicles (None: the full-frame pass only, as ``text``)."""

    def __init__(
        self,
        *,
        device: str = "cpu",
        threads: int = 1,
        shared: SharedText | None = None,
        vehicles: VehicleFinder | None = None,
    ):
        super().__init__("plates", device=device, threads=threads, shared=shared)
        self.vehicles = vehicles
        if vehicles is not None:
            self.name = f"{self.name}+{vehicles.name}-crops"

    def in_vehicles(self, image: np.ndarray) -> Faces:
        """Text boxes found in the upscaled vehicle cut-outs, in the picture's pixels."""
        if self.vehicles is None:
            return Faces.empty()
        h, w = image.shape[:2]
        parts = []
        for x1, y1, x2, y2, scale in crop_windows(self.vehicles.vehicles(image), w, h):
            crop = image[y1:y2, x1:x2, :3]
            size = (max(1, round((x2 - x1) * scale)), max(1, round((y2 - y1) * scale)))
            big = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
            sx, sy = (x2 - x1) / size[0], (y2 - y1) / size[1]
            found = self.shared.net.boxes(big, MIN_MARGIN * scale)
            parts.append(Faces(found.boxes * np.array([sx, sy, sx, sy], np.float32), found.scores).shifted(x1, y1))
        return Faces.merge(parts).clipped(w, h) if parts else Faces.empty()

    def detect(self, image: np.ndarray) -> Regions:
        return Regions("plates", Faces.merge([self.shared.boxes(image), self.in_vehicles(image)]))


def build_text_kinds(settings: Settings, kinds: tuple[str, ...]) -> list[RegionDetector]:
    """The ``text`` and/or ``plates`` detectors asked for, on one :class:`SharedText` (one net)."""
    shared = SharedText(TextNet(device=str(settings.device), threads=settings.n_threads))
    out: list[RegionDetector] = []
    for kind in kinds:
        if kind == "text":
            out.append(TextDetector("text", shared=shared))
        else:
            from .vehicles import VehicleFinder

            finder = VehicleFinder(device=str(settings.device), threads=settings.n_threads)
            out.append(PlateDetector(shared=shared, vehicles=finder))
    return out


register_group(("text", "plates"), build_text_kinds)

__all__ = [
    "MODEL",
    "PlateDetector",
    "SharedText",
    "TextDetector",
    "TextNet",
    "boxes_from_map",
    "build_text_kinds",
    "crop_windows",
    "digest",
]
