"""The detection contract: what the pipelines call on a detector, and what a detector calls on a net.

* :class:`FaceDetector`: everything the image, video and check pipelines call. :class:`Detector`
  is a small base class with the defaults (no passes of its own, batches of one, ``detect_many``
  as ``detect`` on each image), so a detector that only answers ``detect`` works by inheriting it.
* :class:`SinglePassNet`: one network at one size on host arrays (``infer``; ``infer_many`` has a
  default in :class:`SinglePassNetBase`). :class:`TensorNet`: a network that takes pictures already
  on its device (``infer_tensor``), for :mod:`unseen.detect.device_multiscale`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..types import Faces, Regions
from .passes import Pass


@runtime_checkable
class FaceDetector(Protocol):
    """Finds faces in RGB images.

    ``detect`` takes an ``(H, W, 3)`` uint8 RGB array at native resolution and returns the face
    boxes in that array's pixel coordinates. Boxes are the detector's face boxes, not yet grown
    to the head region (the cover stage does that). A backend that fails raises
    :class:`unseen.errors.ModelError`; it never returns an empty result instead.

    ``passes``: the passes one full detection runs (empty for a detector without passes; a video
    schedule is made only for a detector with passes). ``detect(image, passes)`` runs only the
    passes named (a subset of ``passes``, or the preset's cheap passes, which the detector's nets
    can run); ``None`` means all. ``detect_many`` is ``detect`` on each image, possibly batched.
    ``batch``: how many frames a caller should hand ``detect_many`` at once (1: one at a time).
    """

    name: str
    passes: tuple[Pass, ...]
    batch: int

    def detect(self, image: np.ndarray, passes: Sequence[Pass] | None = None) -> Faces: ...

    def detect_many(self, images: Sequence[np.ndarray], passes: Sequence[Pass] | None = None) -> list[Faces]: ...


class Detector:
    """Defaults of the :class:`FaceDetector` contract: subclasses define ``name`` and ``detect``."""

    name: str = "detector"
    passes: tuple[Pass, ...] = ()
    batch: int = 1

    def detect(self, image: np.ndarray, passes: Sequence[Pass] | None = None) -> Faces:
        raise NotImplementedError

    def detect_many(self, images: Sequence[np.ndarray], passes: Sequence[Pass] | None = None) -> list[Faces]:
        return [self.detect(image, passes) for image in images]


class FixedDetector(Detector):
    """Returns the same boxes for every image (clipped to it). For tests and manual plans."""

    name = "fixed"

    def __init__(self, faces: Faces):
        self.faces = faces
        self.calls = 0

    def detect(self, image: np.ndarray, passes: Sequence[Pass] | None = None) -> Faces:
        self.calls += 1
        h, w = image.shape[:2]
        return self.faces.clipped(w, h)


@runtime_checkable
class RegionDetector(Protocol):
    """Finds one kind of region other than faces (people, text, plates) in RGB images.

    ``kind``: the :class:`unseen.settings.CoverKind` value it serves (``people``, ``text``,
    ``plates``). ``name``: what it runs (for reports). ``detect`` takes an ``(H, W, 3)`` uint8 RGB
    array at native resolution (the picture before any cover is painted) and returns the regions to
    cover in its pixels, already grown to their margin, with ``Regions.kind == kind``. Like a face
    detector it never downscales the frame as its only look (tile instead), and a backend that
    fails raises :class:`unseen.errors.ModelError`, never an empty result. Detection only: it
    never identifies, reads or classifies what it covers.
    """

    kind: str
    name: str

    def detect(self, image: np.ndarray) -> Regions: ...


class FixedRegions:
    """A :class:`RegionDetector` that returns the same boxes for every image. For tests."""

    name = "fixed-regions"

    def __init__(self, kind: str, boxes: Faces):
        self.kind = kind
        self.boxes = boxes
        self.calls = 0

    def detect(self, image: np.ndarray) -> Regions:
        self.calls += 1
        h, w = image.shape[:2]
        return Regions(self.kind, self.boxes.clipped(w, h))


class SinglePassNet(Protocol):
    """One network at one size: ``infer(rgb, threshold)`` on an ``(H, W, 3)`` uint8 RGB array, boxes
    in its pixels; ``infer_many`` answers one :class:`Faces` per image, in order (it may batch
    images of one shape). ``multiple``: the input sides the network needs are multiples of it.
    ``gives_roll``: its faces carry a roll read from landmarks (quarter turns need it)."""

    name: str
    multiple: int
    gives_roll: bool

    def infer(self, rgb: np.ndarray, threshold: float) -> Faces: ...

    def infer_many(self, images: list[np.ndarray], threshold: float) -> list[Faces]: ...


def infer_checked(net: SinglePassNet, images: list[np.ndarray], threshold: float) -> list[Faces]:
    """``net.infer_many``, checked to answer one result per image."""
    answers = net.infer_many(images, threshold)
    if len(answers) != len(images):
        raise RuntimeError(f"{net.name}: infer_many answered {len(answers)} results for {len(images)} images")
    return answers


class SinglePassNetBase:
    """``infer_many`` as ``infer`` on each image in turn (on the CPU a batch gains nothing)."""

    name: str = ""
    multiple: int = 32
    gives_roll: bool = False

    def infer(self, rgb: np.ndarray, threshold: float) -> Faces:
        raise NotImplementedError

    def infer_many(self, images: list[np.ndarray], threshold: float) -> list[Faces]:
        return [self.infer(im, threshold) for im in images]


class TensorNet(Protocol):
    """A network on one torch device: ``infer_tensor(x, threshold)`` takes float32 ``(N, 3, H, W)``
    RGB 0-255 on that device, H and W multiples of ``multiple``, and answers one :class:`Faces` per
    image (boxes in those padded pixels; the caller clips them)."""

    name: str
    multiple: int

    def infer_tensor(self, x: Any, threshold: float) -> list[Faces]: ...


__all__ = [
    "Detector",
    "FaceDetector",
    "FixedDetector",
    "FixedRegions",
    "RegionDetector",
    "SinglePassNet",
    "SinglePassNetBase",
    "TensorNet",
    "infer_checked",
]
