"""Whole-person cover: NanoDet-g person boxes (tiled at native resolution) and selfie-segmentation silhouettes.

* :class:`NanoDetNet`: one 416x416 pass of NanoDet-g (COCO-80, converted from TF.js by
  ``tools/convert_people_models.py``); decodes the GFL outputs itself and keeps class 0 (person).
* :class:`PersonDetector`: a full-frame pass (the picture letterboxed to 416) **plus** native
  resolution 416 px tiles with 25 % overlap (a single downscaled pass misses most small people),
  merged by NMS. Score threshold 0.25 (chosen for recall; see docs/BENCHMARKS.md).
* :class:`SelfieSegNet` and :func:`silhouette_mask`: MediaPipe selfie segmentation run inside each
  grown person box; the union of the masks, grown a little, is the silhouette cover.

Person boxes are carried in :class:`unseen.types.Faces` (boxes, scores, origins, track ids): the
same validated box set the face side uses, so track/ and the cover stage take them unchanged.
Nothing here identifies or classifies anyone beyond "person".
"""

from __future__ import annotations

import cv2
import numpy as np

from ..settings import PeopleMode, Settings
from ..types import Faces, Regions
from .kinds import register
from .onnx_session import make_session, run
from .weights import load_weights

NANODET_FILE = "nanodet_g_416.onnx"
SELFIE_FILE = "selfie_seg_256.onnx"
SIZE = 416
STRIDES = (8, 16, 32)
BINS = 11  # GFL distribution bins per side (reg_max 10)
# NanoDet's own normalisation (BGR order), which measured better than /255 RGB (BEYOND-FACES §3.2).
_MEAN_BGR = np.array([103.53, 116.28, 123.675], np.float32)
_STD_BGR = np.array([57.375, 57.12, 58.395], np.float32)
PERSON_THRESHOLD = 0.25
NMS_IOU = 0.5
TILE_OVERLAP = 0.25


def _centres(stride: int) -> np.ndarray:
    n = SIZE // stride
    ys, xs = np.mgrid[0:n, 0:n]
    return np.stack([(xs.ravel() + 0.5) * stride, (ys.ravel() + 0.5) * stride], axis=1).astype(np.float32)


class NanoDetNet:
    """NanoDet-g on one 416x416 RGB array: person boxes in its pixels."""

    name = "nanodet"

    def __init__(self, *, device: str = "cpu", threads: int = 1):
        self.session = make_session(load_weights(NANODET_FILE), device=device, threads=threads, name=self.name)
        self.input = self.session.get_inputs()[0].name
        self._centres = {s: _centres(s) for s in STRIDES}
        self._proj = np.arange(BINS, dtype=np.float32)

    def infer(self, rgb: np.ndarray, threshold: float = PERSON_THRESHOLD) -> Faces:
        if rgb.shape[:2] != (SIZE, SIZE):
            raise ValueError(f"NanoDetNet.infer needs a {SIZE}x{SIZE} array, got {rgb.shape}")
        x = (rgb[:, :, ::-1].astype(np.float32) - _MEAN_BGR) / _STD_BGR
        outs = run(self.session, {self.input: x.transpose(2, 0, 1)[None]}, self.name)
        cls = {o.shape[1]: o[0] for o in outs if o.shape[-1] == 80}
        reg = {o.shape[1]: o[0] for o in outs if o.shape[-1] == 4 * BINS}
        boxes, scores = [], []
        for s in STRIDES:
            n = (SIZE // s) ** 2
            score = cls[n][:, 0]
            keep = np.nonzero(score >= threshold)[0]
            if keep.size == 0:
                continue
            d = reg[n][keep].reshape(-1, 4, BINS)
            d = np.exp(d - d.max(axis=2, keepdims=True))
            d = (d / d.sum(axis=2, keepdims=True)) @ self._proj * s  # left, top, right, bottom
            c = self._centres[s][keep]
            boxes.append(np.stack([c[:, 0] - d[:, 0], c[:, 1] - d[:, 1], c[:, 0] + d[:, 2], c[:, 1] + d[:, 3]], 1))
            scores.append(score[keep])
        if not boxes:
            return Faces.empty()
        return Faces(np.concatenate(boxes), np.concatenate(scores)).clipped(SIZE, SIZE)


def nms(faces: Faces, iou: float = NMS_IOU) -> Faces:
    if len(faces) == 0:
        return faces
    b = faces.boxes
    rects = [[float(x1), float(y1), float(x2 - x1), float(y2 - y1)] for x1, y1, x2, y2 in b]
    keep = cv2.dnn.NMSBoxes(rects, faces.scores.tolist(), 0.0, iou)
    return faces[np.asarray(keep, np.int64).ravel()]


def tile_origins(length: int, size: int = SIZE, overlap: float = TILE_OVERLAP) -> list[int]:
    """Start offsets of ``size`` tiles covering ``length`` with at least ``overlap`` between neighbours."""
    if length <= size:
        return [0]
    step = max(1, int(size * (1 - overlap)))
    starts = list(range(0, length - size, step))
    starts.append(length - size)
    return starts


class PersonDetector:
    """Person boxes on an RGB image at native resolution: full-frame pass plus native 416 tiles."""

    name = "people"

    def __init__(self, net: NanoDetNet | None = None, *, threshold: float = PERSON_THRESHOLD, tiles: bool = True):
        self.net = net or NanoDetNet()
        self.threshold = threshold
        self.tiles = tiles

    def _full(self, rgb: np.ndarray) -> Faces:
        h, w = rgb.shape[:2]
        s = SIZE / max(h, w)
        small = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        canvas = np.zeros((SIZE, SIZE, 3), np.uint8)
        canvas[: small.shape[0], : small.shape[1]] = small
        return self.net.infer(canvas, self.threshold).scaled(1 / s).clipped(w, h)

    def people(self, rgb: np.ndarray) -> Faces:
        h, w = rgb.shape[:2]
        parts = [self._full(rgb)]
        if self.tiles and max(h, w) > SIZE:
            for y in tile_origins(h):
                for x in tile_origins(w):
                    tile = rgb[y : y + SIZE, x : x + SIZE]
                    if tile.shape[:2] != (SIZE, SIZE):
                        pad = np.zeros((SIZE, SIZE, 3), np.uint8)
                        pad[: tile.shape[0], : tile.shape[1]] = tile
                        tile = pad
                    parts.append(self.net.infer(tile, self.threshold).shifted(x, y))
        return nms(Faces.merge(parts).clipped(w, h))


class SelfieSegNet:
    """MediaPipe selfie segmentation (general, 256x256): person probability for an RGB crop."""

    name = "selfie"

    def __init__(self, *, device: str = "cpu", threads: int = 1):
        self.session = make_session(load_weights(SELFIE_FILE), device=device, threads=threads, name=self.name)
        self.input = self.session.get_inputs()[0].name

    def probability(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        x = cv2.resize(rgb, (256, 256), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        out = run(self.session, {self.input: x[None]}, self.name)[0][0, :, :, 0]
        return cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)


def grown(boxes: np.ndarray, frac: float, width: int, height: int) -> np.ndarray:
    """Boxes grown by ``frac`` of their size on each side, clipped to the image (int pixel bounds)."""
    b = boxes.astype(np.float32).copy()
    dw = (b[:, 2] - b[:, 0]) * frac
    dh = (b[:, 3] - b[:, 1]) * frac
    b[:, 0] -= dw
    b[:, 2] += dw
    b[:, 1] -= dh
    b[:, 3] += dh
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, width)
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, height)
    return np.column_stack([np.floor(b[:, :2]), np.ceil(b[:, 2:])]).astype(np.int64)


def box_mask(people: Faces, width: int, height: int, grow: float = 0.05) -> np.ndarray:
    """``--people box``: the union of the (slightly grown) person boxes."""
    mask = np.zeros((height, width), bool)
    for x1, y1, x2, y2 in grown(people.boxes, grow, width, height):
        mask[y1:y2, x1:x2] = True
    return mask


def silhouette_mask(
    rgb: np.ndarray, people: Faces, seg: SelfieSegNet, *, box_grow: float = 0.1, dilate_frac: float = 0.04
) -> np.ndarray:
    """``--people silhouette``: selfie segmentation inside each grown person box, union > 0.5, dilated
    by ``dilate_frac`` of each box's height (at least 2 px)."""
    h, w = rgb.shape[:2]
    mask = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in grown(people.boxes, box_grow, w, h):
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        m = seg.probability(rgb[y1:y2, x1:x2]) > 0.5
        r = max(2, round(dilate_frac * (y2 - y1)))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        mask[y1:y2, x1:x2] |= cv2.dilate(m.astype(np.uint8), kernel).astype(bool)
    return mask


BOX_GROW = 0.05  # --people box: each person box grown by 5 % of its size per side


class PeopleRegions:
    """The ``people`` :class:`unseen.detect.base.RegionDetector`: person boxes grown by
    :data:`BOX_GROW`, and with ``silhouette`` the segmentation mask (painted instead of the boxes)."""

    kind = "people"

    def __init__(self, mode: str = PeopleMode.BOX, *, device: str = "cpu", threads: int = 1):
        self.mode = PeopleMode(mode)
        self.detector = PersonDetector(NanoDetNet(device=device, threads=threads))
        self.seg = SelfieSegNet(device=device, threads=threads) if self.mode is PeopleMode.SILHOUETTE else None
        self.name = f"nanodet-tiled+{'selfie' if self.seg else 'box'}"

    def detect(self, image: np.ndarray) -> Regions:
        h, w = image.shape[:2]
        people = self.detector.people(image)
        boxes = Faces(grown(people.boxes, BOX_GROW, w, h).astype(np.float32), people.scores)
        if self.seg is None:
            return Regions("people", boxes)
        return Regions("people", boxes, silhouette_mask(image, people, self.seg))


def build_people(settings: Settings) -> PeopleRegions:
    return PeopleRegions(settings.people, device=str(settings.device), threads=settings.n_threads)


register("people", build_people)
