"""Vehicle boxes (car, motorcycle, bus, truck) from the vendored NanoDet-g, for ``plates``.

NanoDet-g (:mod:`unseen.detect.people`) is a COCO-80 detector: besides class 0 (person) its
heads score the COCO vehicles too. :class:`VehicleNet` reads those classes (:data:`VEHICLES`)
from the same outputs, a box's score being its best vehicle class; :class:`VehicleFinder` runs it
the way people are found (a full-frame pass plus native-resolution 416 px tiles, merged by NMS).
The boxes only say where to look closer for a plate (:class:`unseen.detect.text.PlateDetector`);
they are never covered themselves, and nothing here tells one vehicle from another.
"""

from __future__ import annotations

import numpy as np

from ..types import Faces
from .onnx_session import run
from .people import _MEAN_BGR, _STD_BGR, BINS, SIZE, STRIDES, NanoDetNet, PersonDetector

# COCO class indices (0-based) of the vehicles that carry number plates.
VEHICLES = {2: "car", 3: "motorcycle", 5: "bus", 7: "truck"}
# The person threshold, not tuned on its own (no vehicle ground truth here): low, as a missed vehicle
# only loses the closer look (the full-frame text pass still runs), and a false one costs one pass.
VEHICLE_THRESHOLD = 0.25


class VehicleNet(NanoDetNet):
    """NanoDet-g on one 416x416 RGB array: vehicle boxes (any of :data:`VEHICLES`) in its pixels."""

    name = "nanodet-vehicles"

    def infer(self, rgb: np.ndarray, threshold: float = VEHICLE_THRESHOLD) -> Faces:
        if rgb.shape[:2] != (SIZE, SIZE):
            raise ValueError(f"VehicleNet.infer needs a {SIZE}x{SIZE} array, got {rgb.shape}")
        x = (rgb[:, :, ::-1].astype(np.float32) - _MEAN_BGR) / _STD_BGR
        outs = run(self.session, {self.input: x.transpose(2, 0, 1)[None]}, self.name)
        cls = {o.shape[1]: o[0] for o in outs if o.shape[-1] == 80}
        reg = {o.shape[1]: o[0] for o in outs if o.shape[-1] == 4 * BINS}
        classes = np.array(sorted(VEHICLES))
        boxes, scores = [], []
        for s in STRIDES:
            n = (SIZE // s) ** 2
            score = cls[n][:, classes].max(axis=1)
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


class VehicleFinder:
    """Vehicle boxes on an RGB picture at native resolution (full-frame pass plus 416 px tiles)."""

    name = "nanodet-vehicles"

    def __init__(
        self,
        net: VehicleNet | None = None,
        *,
        device: str = "cpu",
        threads: int = 1,
        threshold: float = VEHICLE_THRESHOLD,
        tiles: bool = True,
    ):
        self.finder = PersonDetector(
            net or VehicleNet(device=device, threads=threads), threshold=threshold, tiles=tiles
        )

    def vehicles(self, rgb: np.ndarray) -> Faces:
        return self.finder.people(rgb[:, :, :3])


__all__ = ["VEHICLES", "VEHICLE_THRESHOLD", "VehicleFinder", "VehicleNet"]
