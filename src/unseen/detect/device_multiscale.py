"""Multi-scale detection with the pictures prepared on the torch device (the GPU path).

:class:`unseen.detect.multiscale.MultiScaleDetector` scales, mirrors and cuts tiles with OpenCV
and NumPy on the CPU, then hands the tiles to the networks. On a GPU that costs more than the
networks: a 1080p frame becomes ~70 MB of scaled and copied tiles per frame for the default
preset. Here each batch of frames is uploaded once (uint8), and scaling (bilinear up, area down,
as OpenCV's INTER_LINEAR / INTER_AREA), mirroring, tiling (the same tiles), zero padding and the
colour order happen on the device. Boxes then go through the same per-pass filtering, suppression
and merge as on the CPU, so both paths cover the same faces (tested on real photos).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..types import Faces
from .base import TensorNet
from .multiscale import MultiScaleDetector, Pass, merge, tiles


class DeviceMultiScaleDetector(MultiScaleDetector):
    """A :class:`MultiScaleDetector` whose nets are torch nets on one device (``infer_tensor``)."""

    def __init__(self, nets: dict[str, Any], passes: Sequence[Pass], *, name: str, device: str, **kw: Any):
        super().__init__(nets, passes, name=name, **kw)
        self.tensor_nets: dict[str, TensorNet] = nets
        from .torch_graph import import_torch

        self._torch = import_torch()
        self.device = device
        self._pinned: dict[tuple[int, ...], Any] = {}

    def detect_many(self, images: Sequence[np.ndarray], passes: Sequence[Pass] | None = None) -> list[Faces]:
        for image in images:
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise ValueError(f"image must be (H, W, 3) uint8 RGB, got {image.shape} {image.dtype}")
        chosen = self._chosen(passes)
        out: list[Faces] = [Faces.empty()] * len(images)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, im in enumerate(images):
            if im.shape[0] == 0 or im.shape[1] == 0:
                out[i] = Faces.empty()
            else:
                groups.setdefault(im.shape[:2], []).append(i)
        for (h, w), idxs in groups.items():
            # Chunks bound device memory: the largest pass's tiles of the whole chunk go through at once.
            per = max(1, self.batch)
            for lo in range(0, len(idxs), per):
                chunk = idxs[lo : lo + per]
                found = self._detect_same_size([images[i] for i in chunk], h, w, chosen)
                for i, faces in zip(chunk, found, strict=True):
                    out[i] = self._refined(images[i], faces, chosen)
        return out

    # --- internals -------------------------------------------------------------------------
    def _upload(self, images: list[np.ndarray]) -> Any:
        """``(N, 3, H, W)`` float32 RGB 0-255 on the device, from one uint8 upload."""
        torch = self._torch
        n, (h, w) = len(images), images[0].shape[:2]
        if self.device == "cuda":
            from .torch_nets import pinned_buffer

            host = pinned_buffer(torch, self._pinned, (n, h, w, 3))
            arr = host.numpy()
            for k, im in enumerate(images):
                arr[k] = im
            x = host.to(self.device, non_blocking=True)
        else:
            x = torch.from_numpy(np.stack(images))
        return x.permute(0, 3, 1, 2).float()

    def _scaled_tensor(self, x: Any, p: Pass, h: int, w: int) -> Any:
        torch = self._torch
        if p.scale != 1:
            sw, sh = max(1, round(w * p.scale)), max(1, round(h * p.scale))
            mode = "bilinear" if p.scale > 1 else "area"
            kw = {"align_corners": False} if mode == "bilinear" else {}
            x = torch.nn.functional.interpolate(x, size=(sh, sw), mode=mode, **kw)
            x = x.clamp_(0, 255).round_()  # the uint8 picture OpenCV's resize hands the CPU path
        return x.flip(3) if p.flip else x

    def _detect_same_size(self, images: list[np.ndarray], h: int, w: int, chosen: tuple[Pass, ...]) -> list[Faces]:
        torch = self._torch
        n = len(images)
        plan = self._all_passes(h, w, chosen)
        per_image: list[list[Faces]] = [[] for _ in range(n)]
        with torch.inference_mode():
            x = self._upload(images)
            for p in plan:
                net = self.tensor_nets[p.net]
                scaled = self._scaled_tensor(x, p, h, w)
                sh, sw = scaled.shape[2:]
                found: list[list[Faces]] = [[] for _ in range(n)]
                for x1, y1, x2, y2 in tiles(sh, sw, self.tile, self.overlap):
                    tile = scaled[:, :, y1:y2, x1:x2]
                    th, tw = y2 - y1, x2 - x1
                    m = net.multiple
                    ph, pw = -(-th // m) * m, -(-tw // m) * m
                    if (ph, pw) != (th, tw):
                        tile = torch.nn.functional.pad(tile, (0, pw - tw, 0, ph - th))
                    for k, faces in enumerate(net.infer_tensor(tile.contiguous(), p.threshold)):
                        faces = faces.clipped(tw, th)
                        if len(faces):
                            found[k].append(faces.shifted(x1, y1))
                for k in range(n):
                    per_image[k].append(self._finish_pass(Faces.merge(found[k]), p, (h, w), (sh, sw)))
        return [merge(Faces.merge(parts), self.merge_iou).clipped(w, h) for parts in per_image]


__all__ = ["DeviceMultiScaleDetector"]
