"""Plate dev set: generated number plates pasted on WIDER dev photos; ``text`` vs ``plates`` recall
by plate height, collateral and cost, side by side in one run.

A plate is rendered large (dark characters, DejaVu Sans Mono Bold or DejaVu Sans Bold condensed,
on a white or yellow rectangle with a thin dark border), then shrunk to its height (the
rectangle's height in pixels), perspective-warped (corners moved by up to 12 % of the width) and
rotated (up to 8 degrees), pasted, blurred (Gaussian, sigma 0-1.0 per plate) and the image JPEG'd
(quality 35-85). An item is found when >= 80 % of its ink pixels (the characters, warped the same
way) lie under the covering boxes.

Two placements:

* ``vehicles``: the photos of WIDER dev's car events (Car_Accident, Car_Racing, Traffic, people
  driving car) and every other dev photo where NanoDet sees a vehicle; one plate on the lower
  middle of each vehicle box NanoDet finds at >= 0.45 (its own boxes: this placement is biased
  towards the vehicles the plate detector itself finds, see docs/BENCHMARKS.md), sized as a real
  plate is to its car (height 4.5-8.5 % of the box width, 6-60 px).
* ``vehicles-half``: the same, then the whole picture scaled down to half (plates 3-30 px, the
  vehicles half as big): NanoDet must find the smaller vehicles itself, so this one is not placed
  by the boxes it is scored with.
* ``anywhere``: three plates at random places on the first N dev photos, heights drawn from
  HEIGHTS (so also plates where no vehicle is seen: what the full-frame pass alone must find).

Detectors, on the same pictures: ``text`` (the full-frame pass), ``plates`` (full frame + upscaled
vehicle cut-outs), and ``x2`` (the full-frame pass on the picture scaled up 2x: "everywhere").

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/plates_devset.py --images 40
"""

from __future__ import annotations

import argparse
import io
import string
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from unseen.detect.text import PlateDetector, SharedText, TextDetector, TextNet, crop_windows
from unseen.detect.vehicles import VehicleFinder
from unseen.types import Faces

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "widerface_dev"
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
HEIGHTS = (6, 8, 10, 12, 16, 24, 40, 60)
BINS = ((3, 6), (6, 8), (8, 10), (10, 12), (12, 16), (16, 24), (24, 40), (40, 61))
PLACE_THRESHOLD = 0.45
BACKS = ((250, 250, 250), (250, 210, 30))


def plate_text(rng: np.random.Generator) -> str:
    L, D = string.ascii_uppercase, string.digits
    pick = lambda pool, n: "".join(rng.choice(list(pool), n))  # noqa: E731
    return rng.choice(
        [f"{pick(L, 2)}{pick(D, 2)} {pick(L, 3)}", f"{pick(L, 3)}-{pick(D, 4)}", f"{pick(D, 3)} {pick(L, 3)}"]
    )


def render_plate(rng: np.random.Generator, height: int) -> tuple[Image.Image, Image.Image]:
    """The plate (RGBA) and its ink mask (L), ``height`` px high, warped and rotated."""
    font = ImageFont.truetype(str(rng.choice(FONTS)), 80)
    txt = plate_text(rng)
    x0, t, r, b = font.getbbox(txt)
    H = 110
    W = max(int((r - x0) + 40), int(H * 3.2))
    back = BACKS[int(rng.integers(0, 2))]
    tile = Image.new("RGBA", (W, H), (*back, 255))
    ink = Image.new("L", (W, H), 0)
    d, di = ImageDraw.Draw(tile), ImageDraw.Draw(ink)
    d.rectangle((0, 0, W - 1, H - 1), outline=(20, 20, 20, 255), width=4)
    pos = ((W - (r - x0)) / 2 - x0, (H - (b - t)) / 2 - t)
    d.text(pos, txt, font=font, fill=(15, 15, 15, 255))
    di.text(pos, txt, font=font, fill=255)
    # perspective: move each corner by up to 12 % of the width, at plate size
    s = height / H
    w, h = max(4, round(W * s)), max(2, height)
    src = np.float32([[0, 0], [W, 0], [W, H], [0, H]])
    jit = rng.uniform(-0.12, 0.12, (4, 2)) * np.float32([W, H * 0.5])
    dst = (src + jit) * s
    dst -= dst.min(axis=0)
    M = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    size = (int(np.ceil(dst[:, 0].max())) + 1, int(np.ceil(dst[:, 1].max())) + 1)
    big_t = np.asarray(tile)
    warped = cv2.warpPerspective(big_t, M, size, flags=cv2.INTER_AREA, borderValue=(0, 0, 0, 0))
    warped_ink = cv2.warpPerspective(np.asarray(ink), M, size, flags=cv2.INTER_AREA)
    angle = float(rng.uniform(-8, 8))
    del w, h
    return (
        Image.fromarray(warped, "RGBA").rotate(angle, expand=True, resample=Image.BICUBIC),
        Image.fromarray(warped_ink, "L").rotate(angle, expand=True, resample=Image.BILINEAR),
    )


def paste(
    img: Image.Image, rng: np.random.Generator, spots: list[tuple[int, int, int]], scale: float = 1.0
) -> tuple[np.ndarray, list[tuple[int, np.ndarray]]]:
    """Paste a plate at each ``(cx, cy, height)``, blur each a little, scale the picture by
    ``scale`` (heights and ink masks with it), JPEG the whole picture."""
    img = img.convert("RGB").copy()
    W, H = img.size
    truth = []
    for cx, cy, height in spots:
        tile, ink = render_plate(rng, height)
        sigma = float(rng.uniform(0, 1.0))
        if sigma > 0.2:
            tile = tile.filter(ImageFilter.GaussianBlur(sigma))
        x, y = int(cx - tile.width / 2), int(cy - tile.height / 2)
        x, y = min(max(0, x), max(0, W - tile.width)), min(max(0, y), max(0, H - tile.height))
        img.paste(tile, (x, y), tile)
        m = np.zeros((H, W), bool)
        inkm = np.asarray(ink) > 100
        hh, ww = min(inkm.shape[0], H - y), min(inkm.shape[1], W - x)
        m[y : y + hh, x : x + ww] = inkm[:hh, :ww]
        truth.append((height, m))
    if scale != 1.0:
        size = (round(W * scale), round(H * scale))
        img = img.resize(size, Image.LANCZOS)
        truth = [
            (max(1, round(h * scale)), cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_AREA) > 0)
            for h, m in truth
        ]
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(rng.integers(35, 86)))
    return np.asarray(Image.open(buf).convert("RGB")), truth


def vehicle_spots(vehicles: Faces, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """A plate on the lower middle of each confident vehicle box, sized to the box; no two overlapping."""
    spots: list[tuple[int, int, int]] = []
    taken: list[tuple[float, float, float, float]] = []
    for (x1, y1, x2, y2), s in zip(vehicles.boxes, vehicles.scores, strict=True):
        if s < PLACE_THRESHOLD or x2 - x1 < 40:
            continue
        h = int(np.clip(round(rng.uniform(0.045, 0.085) * (x2 - x1)), 6, 60))
        cx, cy = (x1 + x2) / 2 + rng.uniform(-0.1, 0.1) * (x2 - x1), y1 + 0.72 * (y2 - y1)
        r = (cx - 2.5 * h, cy - h, cx + 2.5 * h, cy + h)
        if any(not (r[2] < a or r[0] > c or r[3] < b or r[1] > d) for a, b, c, d in taken):
            continue
        taken.append(r)
        spots.append((int(cx), int(cy), h))
    return spots


def anywhere_spots(size: tuple[int, int], rng: np.random.Generator) -> list[tuple[int, int, int]]:
    W, H = size
    out = []
    for _ in range(3):
        h = int(rng.choice(HEIGHTS))
        out.append((int(rng.integers(3 * h, max(3 * h + 1, W - 3 * h))), int(rng.integers(h, max(h + 1, H - h))), h))
    return out


def cover_of(boxes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    cover = np.zeros(shape[:2], bool)
    for x1, y1, x2, y2 in boxes:
        cover[int(y1) : int(np.ceil(y2)), int(x1) : int(np.ceil(x2))] = True
    return cover


class Upscaled:
    """The full-frame pass on the picture scaled up ``factor`` times (the "everywhere" variant)."""

    def __init__(self, net: TextNet, factor: float = 2.0):
        self.net, self.factor = net, factor

    def boxes(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        big = cv2.resize(rgb, (round(w * self.factor), round(h * self.factor)), interpolation=cv2.INTER_CUBIC)
        return self.net.boxes(big, 2 * self.factor).scaled(1 / self.factor).clipped(w, h).boxes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=40, help="photos for the 'anywhere' placement")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-x2", action="store_true", help="skip the 2x-upscaled full-frame variant")
    ap.add_argument("--crops", action="store_true", help="count the vehicle cut-outs per photo (one more NanoDet run)")
    a = ap.parse_args()
    net = TextNet(threads=a.threads)
    finder = VehicleFinder(threads=a.threads)
    variants = ["text", "plates"] + ([] if a.no_x2 else ["x2"])
    names = (DATA / "image_list.txt").read_text().split()
    up = Upscaled(net)
    rng = np.random.default_rng(14)
    sets: dict[str, list[tuple[str, list[tuple[int, int, int]]]]] = {
        "vehicles": [],
        "vehicles-half": [],
        "anywhere": [],
    }
    for name in names:
        img = Image.open(DATA / "WIDER_val" / "images" / name)
        spots = vehicle_spots(finder.vehicles(np.asarray(img.convert("RGB"))), rng)
        if spots:
            sets["vehicles"].append((name, spots))
            sets["vehicles-half"].append((name, spots))
    for name in names[: a.images]:
        sets["anywhere"].append((name, anywhere_spots(Image.open(DATA / "WIDER_val" / "images" / name).size, rng)))
    for placement, items in sets.items():
        found = {v: {b: [0, 0] for b in BINS} for v in variants}
        collateral: dict[str, list[float]] = {v: [] for v in variants}
        cpu = dict.fromkeys(variants, 0.0)
        crops = 0
        for name, spots in items:
            scale = 0.5 if placement == "vehicles-half" else 1.0
            rgb, truth = paste(Image.open(DATA / "WIDER_val" / "images" / name), rng, spots, scale)
            for v in variants:
                shared = SharedText(net)  # a fresh memo: each variant pays its own full-frame pass
                t0 = time.process_time()
                if v == "text":
                    boxes = TextDetector("text", shared=shared).detect(rgb).boxes.boxes
                elif v == "plates":
                    det = PlateDetector(shared=shared, vehicles=finder)
                    boxes = det.detect(rgb).boxes.boxes
                else:
                    boxes = up.boxes(rgb)
                cpu[v] += time.process_time() - t0
                cover = cover_of(boxes, rgb.shape)
                items_mask = np.zeros_like(cover)
                for height, m in truth:
                    b = next(b for b in BINS if b[0] <= height < b[1])
                    found[v][b][1] += 1
                    found[v][b][0] += int(bool(m.any()) and float(cover[m].mean()) >= 0.8)
                    ys, xs = np.nonzero(m)
                    if len(ys):
                        items_mask[max(0, ys.min() - 4) : ys.max() + 5, max(0, xs.min() - 4) : xs.max() + 5] = True
                collateral[v].append(float((cover & ~items_mask).mean()))
            crops += len(crop_windows(finder.vehicles(rgb), rgb.shape[1], rgb.shape[0])) if a.crops else 0
        n_items = sum(len(s) for _, s in items)
        print(
            f"[{placement}] {len(items)} photos, {n_items} plates, {crops / max(1, len(items)):.1f} vehicle cut-outs per photo"
        )
        for v in variants:
            tot = sum(x[0] for x in found[v].values())
            by = ", ".join(f"{b[0]}-{b[1] - 1}px {x[0]}/{x[1]}" for b, x in found[v].items() if x[1])
            print(
                f"  {v:7s} {tot}/{n_items}  by height: {by}  collateral {np.mean(collateral[v]):.3f}  "
                f"CPU-s/photo {cpu[v] / max(1, len(items)):.2f}"
            )


if __name__ == "__main__":
    main()
