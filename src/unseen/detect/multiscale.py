"""Multi-scale, tiled detection at native resolution, and merging of the boxes found.

A detector here is a list of *passes*. Each pass runs one single-pass network (CenterFace or
YuNet) over the image at one scale: ``1`` (native, always present), ``2`` (upscaled, for faces of
a few pixels) and, for images larger than :data:`CONTEXT_SIDE` pixels a side, extra context levels
``1/2, 1/4, ...`` down to the first at which the whole image fits :data:`CONTEXT_SIDE`. The
networks were trained on faces up to a few hundred pixels: a face of 1000-2000 px at native scale
comes back as several boxes on its parts (an eye, the mouth, an ear), and a face larger than the
tile overlap is cut by every tile. At the last level even a face filling the whole photo is a few
hundred pixels and seen whole. A context level adds only boxes at least :data:`CONTEXT_MIN_HEIGHT`
px tall at that level, and is only ever *added* to the native pass, never used instead of it:
nothing is downscaled in place of full resolution.

Each scaled image is cut into tiles of at most ``tile`` pixels a side with at least ``overlap``
pixels shared by neighbours, so every face up to ``overlap`` pixels (in that scale) lies whole in
some tile, and memory stays bounded for any image size. All boxes of all passes and tiles are
unioned, then merged: per pass, standard suppression of duplicates; across passes, boxes that
overlap strongly are replaced by their enclosing box, and boxes lying inside another are dropped
(covering the outer box covers them).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Sequence

import cv2
import numpy as np

from ..errors import ModelError
from ..geometry import contained, grow, iou_matrix
from ..types import Faces
from .base import Detector, SinglePassNet, infer_checked
from .edges import edge_faces
from .passes import Pass
from .turns import turned_faces


# --- tiling ---------------------------------------------------------------------------------
def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of size ``min(tile, length)`` covering ``[0, length)``.

    Neighbouring tiles share at least ``overlap`` pixels; starts are spread evenly.
    """
    if length <= tile:
        return [0]
    if tile <= overlap:
        raise ValueError(f"tile ({tile}) must be larger than overlap ({overlap})")
    n = math.ceil((length - overlap) / (tile - overlap))
    n = max(n, 2)
    span = length - tile
    return [round(i * span / (n - 1)) for i in range(n)]


def tile_size(length: int, tile: int, overlap: int, multiple: int = 32) -> int:
    """The side of the tiles along one axis: ``length`` itself when it fits one tile, else the
    smallest size (a multiple of ``multiple``, at most ``tile``) with which as many tiles as
    ``tile`` would need still share ``overlap`` pixels. Tiles 2048 px tall over a 2160 px picture
    would compute 1936 rows twice; 1216 px tiles cover it with the same overlap."""
    if length <= tile:
        return length
    n = max(2, math.ceil((length - overlap) / (tile - overlap)))
    size = math.ceil((length + (n - 1) * overlap) / n / multiple) * multiple
    return min(tile, size)


def tiles(height: int, width: int, tile: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Tiles ``(x1, y1, x2, y2)`` covering an ``height`` x ``width`` image."""
    th, tw = tile_size(height, tile, overlap), tile_size(width, tile, overlap)
    return [(x, y, x + tw, y + th) for y in tile_starts(height, th, overlap) for x in tile_starts(width, tw, overlap)]


# The side a photo is brought down to by its context levels. A face filling a photo of this size
# was found whole by every preset (docs/BENCHMARKS.md, "Photos: portraits at every size"); faces
# of 300-500 px are where both networks start to return part boxes at native scale.
CONTEXT_SIDE = 512
# Boxes a context level adds are at least this tall at that level: a face smaller there is larger
# at the level above (or at native scale), where the networks see it better. Without it the 1/2
# level's boxes on 10-16 px crowd faces raised WIDER dev collateral from 4.55 % to 6.44 %; at 64
# px it was still 5.14 %. A face larger than the tile overlap (256 px) is at least 128 px at 1/2.
CONTEXT_MIN_HEIGHT = 128


def context_scales(height: int, width: int, side: int) -> list[float]:
    """Downscaled levels 1/2, 1/4, ... added for images larger than ``side``, until one fits it.

    Each level halves the face sizes, so every face from ``side / 2`` px to the whole image is
    between ``side / 4`` and ``side`` px at some level (or at native scale)."""
    out: list[float] = []
    s = 1.0
    while max(height, width) * s > side:
        s /= 2
        out.append(s)
    return out


# --- merging --------------------------------------------------------------------------------
def _greedy_keep(faces: Faces, iou: float) -> np.ndarray:
    """Indices kept by greedy suppression, best score first (OpenCV's implementation, float boxes)."""
    b = faces.boxes.astype(np.float64)
    xywh = np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], axis=1)
    picked = cv2.dnn.NMSBoxes(xywh, faces.scores.astype(np.float32), 0.0, float(iou))  # type: ignore[arg-type]
    keep = np.asarray(picked, np.int64).reshape(-1)
    return keep[np.argsort(-faces.scores[keep], kind="stable")]


def nms(faces: Faces, iou: float) -> Faces:
    """Greedy suppression: keep the best-scoring box of every group overlapping above ``iou``."""
    if len(faces) <= 1:
        return faces
    return faces[_greedy_keep(faces, iou)]


def merge(faces: Faces, iou: float = 0.5, contain_tol: float = 1.0) -> Faces:
    """Union boxes found by several passes into one set, losing no covered pixel.

    Greedy suppression picks group leaders; every box joins the best leader it overlaps above
    ``iou`` (the one that suppressed it) and each group is replaced by its enclosing box (score:
    the leader's; roll: see :func:`_group_roll`). Then a box lying inside another (within
    ``contain_tol`` px) is dropped: the head region grown from the outer box contains the one grown
    from the inner box.
    """
    n = len(faces)
    if n <= 1:
        return faces
    boxes = faces.boxes.astype(np.float64)
    leaders = _greedy_keep(faces, iou)
    group = np.full(n, -1, np.int64)
    group[leaders] = np.arange(len(leaders))  # a leader leads itself
    others = np.setdiff1d(np.arange(n), leaders)
    lead_boxes = boxes[leaders]
    for lo in range(0, len(others), _CHUNK):  # chunks bound the memory of the IoU matrix
        rows = others[lo : lo + _CHUNK]
        ov = iou_matrix(boxes[rows], lead_boxes) > iou
        g = np.argmax(ov, axis=1)  # the first (best) leader it overlaps
        g[~ov.any(axis=1)] = -1  # none (rounding): it stays a box of its own
        group[rows] = g
    orphans = np.nonzero(group < 0)[0]
    group[orphans] = len(leaders) + np.arange(len(orphans))
    heads = np.concatenate([leaders, orphans])
    enc = boxes[heads].copy()
    np.minimum.at(enc[:, 0], group, boxes[:, 0])
    np.minimum.at(enc[:, 1], group, boxes[:, 1])
    np.maximum.at(enc[:, 2], group, boxes[:, 2])
    np.maximum.at(enc[:, 3], group, boxes[:, 3])
    keep = ~_contained(enc, contain_tol)
    roll = _group_roll(faces, group, len(heads))
    return Faces(enc[keep], faces.scores[heads][keep], roll=roll[keep])


def _group_roll(faces: Faces, group: np.ndarray, groups: int) -> np.ndarray:
    """Per group: the roll of its best-scoring box whose roll is known (NaN when none is): a YuNet
    box (no roll) that leads a group keeps the CenterFace boxes' roll."""
    roll = np.full(groups, np.nan, np.float32)
    idx = np.argsort(-faces.scores, kind="stable")
    idx = idx[~np.isnan(faces.roll[idx])]
    if len(idx):
        g, first = np.unique(group[idx], return_index=True)
        roll[g] = faces.roll[idx[first]]
    return roll


_CHUNK = 2048
_ABSORB = 4.0  # a contained box is dropped only if the outer box is at most this many times its area


def _contained(b: np.ndarray, tol: float) -> np.ndarray:
    """Per box: does it lie inside a larger box of comparable size (or an identical earlier one)?

    Only a box of comparable size absorbs it (a tile-edge fragment, a duplicate): a small face
    inside a much larger box stays, so tracking keeps its accurate box."""
    return contained(b, tol, max_ratio=_ABSORB)


# --- the detector ---------------------------------------------------------------------------
class MultiScaleDetector(Detector):
    """Runs its passes over tiles of the image at each scale and merges the union of all boxes.

    ``batch`` is how many frames a caller should hand :meth:`detect_many` at once: 1 where the
    networks gain nothing from batches (onnxruntime on the CPU), more on a GPU. It only advises;
    ``detect_many`` takes any number.
    """

    def __init__(
        self,
        nets: dict[str, SinglePassNet],
        passes: Sequence[Pass],
        *,
        name: str,
        tile: int = 2048,
        overlap: int = 256,
        nms_iou: float = 0.4,
        merge_iou: float = 0.5,
        context: bool = True,
        context_side: int = CONTEXT_SIDE,
        batch: int = 1,
        turns: bool = True,
        edges: bool = True,
    ):
        if not any(p.scale == 1 for p in passes):
            raise ValueError("a native (scale 1) pass is required: detection is never only downscaled")
        self.nets = nets
        self.passes = tuple(passes)
        self.name = name
        self.tile = tile
        self.overlap = overlap
        self.nms_iou = nms_iou
        self.merge_iou = merge_iou
        self.context = context
        self.context_side = context_side
        self.batch = max(1, int(batch))
        self.turns = turns
        self.edges = edges
        self._unrefined: MultiScaleDetector | None = None

    def detect(self, image: np.ndarray, passes: Sequence[Pass] | None = None) -> Faces:
        """Faces in ``image`` found by ``passes`` (default: all of this detector's passes).

        A subset may leave out the native pass (a video schedule runs some passes on a stride);
        context levels are added only when a native pass is among those run.
        """
        return self.detect_many([image], passes)[0]

    def detect_many(self, images: Sequence[np.ndarray], passes: Sequence[Pass] | None = None) -> list[Faces]:
        """``[detect(im, passes) for im in images]``, with the networks called on many tiles at once.

        The tiles of every image for all passes of one network and threshold go to that network's
        ``infer_many`` together (it batches tiles of one shape); each pass's boxes are then merged
        exactly as :meth:`detect` merges them.
        """
        for image in images:
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise ValueError(f"image must be (H, W, 3) uint8 RGB, got {image.shape} {image.dtype}")
        chosen = self._chosen(passes)
        plans = [
            self._all_passes(im.shape[0], im.shape[1], chosen) if im.shape[0] and im.shape[1] else [] for im in images
        ]
        found: list[list[Faces | None]] = [[None] * len(plan) for plan in plans]
        groups: dict[tuple[str, float], list[tuple[int, int]]] = {}
        for i, plan in enumerate(plans):
            for j, p in enumerate(plan):
                groups.setdefault((p.net, p.threshold), []).append((i, j))
        for (net_name, threshold), members in groups.items():
            net = self.nets[net_name]
            jobs = []  # per member: scaled size and tile offsets; tiles in one flat list
            flat: list[np.ndarray] = []
            for i, j in members:
                scaled = self._scaled(images[i], plans[i][j])
                sh, sw = scaled.shape[:2]
                offsets = tiles(sh, sw, self.tile, self.overlap)
                jobs.append((sh, sw, offsets, len(flat)))
                flat.extend(np.ascontiguousarray(scaled[y1:y2, x1:x2]) for x1, y1, x2, y2 in offsets)
            answers = infer_checked(net, flat, threshold)
            del flat
            for (i, j), (sh, sw, offsets, first) in zip(members, jobs, strict=True):
                parts = []
                for k, (x1, y1, _x2, _y2) in enumerate(offsets):
                    f = answers[first + k]
                    if len(f):
                        parts.append(f.shifted(x1, y1))
                found[i][j] = self._finish_pass(Faces.merge(parts), plans[i][j], images[i].shape[:2], (sh, sw))
        out = []
        for image, per_pass in zip(images, found, strict=True):
            h, w = image.shape[:2]
            if h == 0 or w == 0:
                out.append(Faces.empty())
                continue
            merged = merge(Faces.merge(f for f in per_pass if f is not None), self.merge_iou).clipped(w, h)
            out.append(self._refined(image, merged, chosen))
        return out

    def unrefined(self) -> MultiScaleDetector:
        """This detector, its networks shared, without the mirrored edges and the quarter turns
        (:meth:`_refined`): its passes' boxes only.

        ``unseen check`` fails an output for a face it sees at 0.5, or at 0.2 partly on a cover,
        and both refinements add boxes there: mirrored hair and a white fur collar at the edge of
        an identities_dev portrait scored 0.58 (once in 61 photos; none in 40 WIDER photos), and a
        quarter-turned crop of an anonymized dithered stencil gave a 0.26 box beside its cover. The
        cover keeps them (an extra mask is cheap); the check keeps its measured answer
        (docs/BENCHMARKS.md, "Big faces")."""
        if not (self.edges or self.turns):
            return self
        if self._unrefined is None:
            plain = copy.copy(self)
            plain.edges = plain.turns = False
            plain._unrefined = plain
            self._unrefined = plain
        return self._unrefined

    def _refined(self, image: np.ndarray, faces: Faces, chosen: tuple[Pass, ...]) -> Faces:
        """``faces`` with the faces cut by the border found in the picture mirrored past its edges
        (:mod:`.edges`) and those seen better in a quarter-turned crop (:mod:`.turns`), merged.

        Only after a full detection (every pass of the detector): a video schedule's cheap tiers
        between full detections stay cheap. Only ever adds boxes."""
        if (not self.turns and not self.edges) or chosen != self.passes:
            return faces
        native = next((p for p in chosen if p.scale == 1 and not p.flip), None)
        if native is None:
            return faces
        net = self.nets[native.net]
        h, w = image.shape[:2]
        if self.edges:
            cut = edge_faces(net, native, image)
            if len(cut):
                faces = merge(Faces.merge([faces, cut]), self.merge_iou).clipped(w, h)
        if self.turns and len(faces):
            extra = turned_faces(net, native, image, faces)
            if len(extra):
                faces = merge(Faces.merge([faces, extra]), self.merge_iou).clipped(w, h)
        return faces

    def _chosen(self, passes: Sequence[Pass] | None) -> tuple[Pass, ...]:
        """The passes to run (all of this detector's by default), refused when a network is missing."""
        chosen = self.passes if passes is None else tuple(passes)
        missing = sorted({p.net for p in chosen} - set(self.nets))
        if missing:
            raise ModelError(f"detector {self.name} has no network {', '.join(missing)} for the passes asked for")
        return chosen

    def _all_passes(self, h: int, w: int, chosen: tuple[Pass, ...]) -> list[Pass]:
        passes = list(chosen)
        native = next((p for p in chosen if p.scale == 1 and not p.flip), None)
        if self.context and native is not None:
            # The native pass's network, threshold and growth; a scale the preset already runs for
            # that network (fast's own 0.5x pass) is not run twice.
            have = {p.scale for p in chosen if p.net == native.net and not p.flip}
            passes += [
                dataclasses.replace(native, scale=s, max_height=None, min_height=CONTEXT_MIN_HEIGHT / s)
                for s in context_scales(h, w, min(self.tile, self.context_side))
                if s not in have
            ]
        return passes

    @staticmethod
    def _scaled(image: np.ndarray, p: Pass) -> np.ndarray:
        """The image as pass ``p`` sees it: scaled, then mirrored."""
        h, w = image.shape[:2]
        if p.scale == 1:
            scaled = image
        else:
            sw, sh = max(1, round(w * p.scale)), max(1, round(h * p.scale))
            interp = cv2.INTER_LINEAR if p.scale > 1 else cv2.INTER_AREA
            scaled = cv2.resize(image, (sw, sh), interpolation=interp)
        return scaled[:, ::-1] if p.flip else scaled

    def _finish_pass(self, faces: Faces, p: Pass, size: tuple[int, int], scaled: tuple[int, int]) -> Faces:
        """Boxes of one pass (in the scaled, mirrored image) -> native pixels, filtered, suppressed."""
        h, w = size
        sh, sw = scaled
        if p.flip and len(faces):
            faces = faces.mirrored(sw)
        if p.scale != 1 and len(faces):
            faces = faces.scaled(w / sw, h / sh)
        if p.max_height is not None and len(faces):
            faces = faces[faces.heights <= p.max_height]
        if p.min_height is not None and len(faces):
            faces = faces[faces.heights >= p.min_height]
        if p.grow != 1.0 and len(faces):
            faces = faces.with_boxes(grow(faces.boxes, p.grow).astype(np.float32))
        return nms(faces, self.nms_iou)


__all__ = [
    "MultiScaleDetector",
    "Pass",
    "context_scales",
    "iou_matrix",
    "merge",
    "nms",
    "tile_size",
    "tile_starts",
    "tiles",
]
