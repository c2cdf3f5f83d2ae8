"""Text/plates dev set: text pasted onto WIDER dev images, boxes known; recall by height, collateral, cost.

Each image gets four items (a name badge, a street sign, a number plate, a caption), rendered with
DejaVu Sans Bold at a text height drawn from HEIGHTS, rotated, pasted, then the whole image blurred
and JPEG-compressed at the level's settings. An item is found when >= 80 % of its (rotated, tight)
text pixels lie under the detector's covering boxes. Collateral: share of the image covered outside
the pasted items' boxes (it includes real text in the scene: banners, shirts, watermarks).

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/text_devset.py --images 40
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from unseen.detect.text import TextDetector

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "widerface_dev"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
HEIGHTS = (6, 8, 10, 12, 16, 24, 40)
KINDS = {
    "badge": ("ALICE SMITH", (250, 250, 250), (20, 20, 20)),
    "sign": ("Baker Street", (20, 110, 50), (255, 255, 255)),
    "plate": ("AB12 CDE", (250, 215, 40), (10, 10, 10)),
    "caption": ("Live: Jane Doe", None, (255, 255, 255)),
}
LEVELS = {"clean": (0, 0.0, 95), "hard": (25, 0.8, 35)}  # max rotation (deg), blur sigma, JPEG quality


def _item(text: str, bg, fg, px: int, angle: float) -> tuple[Image.Image, Image.Image]:
    font = ImageFont.truetype(FONT, max(4, int(round(px / 0.72))))  # cap height ~ 0.72 em
    x0, t, r, b = font.getbbox(text)
    pad = max(2, px // 3)
    w, h = r - x0 + 2 * pad, b - t + 2 * pad
    tile = Image.new("RGBA", (w, h), (0, 0, 0, 0) if bg is None else (*bg, 255))
    ink = Image.new("L", (w, h), 0)
    d, di = ImageDraw.Draw(tile), ImageDraw.Draw(ink)
    if bg is None:  # caption: outlined
        d.text(
            (pad - x0, pad - t),
            text,
            font=font,
            fill=(*fg, 255),
            stroke_width=max(1, px // 8),
            stroke_fill=(0, 0, 0, 255),
        )
    else:
        d.text((pad - x0, pad - t), text, font=font, fill=(*fg, 255))
    di.text((pad - x0, pad - t), text, font=font, fill=255)
    return tile.rotate(angle, expand=True, resample=Image.BICUBIC), ink.rotate(angle, expand=True)


def make(
    img: Image.Image, rng: np.random.Generator, level: str
) -> tuple[np.ndarray, list[tuple[str, int, np.ndarray]]]:
    rot, sigma, quality = LEVELS[level]
    img = img.convert("RGB").copy()
    W, H = img.size
    truth = []
    for k, (text, bg, fg) in KINDS.items():
        px = int(rng.choice(HEIGHTS))
        tile, ink = _item(text, bg, fg, px, float(rng.uniform(-rot, rot)))
        x = int(rng.integers(0, max(1, W - tile.width)))
        y = int(rng.integers(0, max(1, H - tile.height)))
        img.paste(tile, (x, y), tile)
        m = np.zeros((H, W), bool)
        inkm = np.asarray(ink) > 127
        hh, ww = min(inkm.shape[0], H - y), min(inkm.shape[1], W - x)
        m[y : y + hh, x : x + ww] = inkm[:hh, :ww]
        truth.append((k, px, m))
    if sigma:
        img = img.filter(ImageFilter.GaussianBlur(sigma))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB")), truth


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    names = (DATA / "image_list.txt").read_text().split()[: a.images]
    det = TextDetector("text", threads=a.threads)
    for level in LEVELS:
        rng = np.random.default_rng(14)
        found: dict[int, list[int]] = {h: [0, 0] for h in HEIGHTS}
        by_kind: dict[str, list[int]] = {k: [0, 0] for k in KINDS}
        collateral, cpu = [], 0.0
        for name in names:
            rgb, truth = make(Image.open(DATA / "WIDER_val" / "images" / name), rng, level)
            t0 = time.process_time()
            boxes = det.detect(rgb).boxes.boxes
            cpu += time.process_time() - t0
            cover = np.zeros(rgb.shape[:2], bool)
            for x1, y1, x2, y2 in boxes:
                cover[int(y1) : int(np.ceil(y2)), int(x1) : int(np.ceil(x2))] = True
            items = np.zeros_like(cover)
            for kind, px, m in truth:
                ok = m.any() and cover[m].mean() >= 0.8
                found[px][0] += int(ok)
                found[px][1] += 1
                by_kind[kind][0] += int(ok)
                by_kind[kind][1] += 1
                ys, xs = np.nonzero(m)
                if len(ys):
                    items[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] = True
            collateral.append(float((cover & ~items).mean()))
        tot = sum(v[0] for v in found.values()), sum(v[1] for v in found.values())
        print(f"[{level}] {len(names)} images, {tot[0]}/{tot[1]} items found")
        print("  by text height: " + ", ".join(f"{h}px {v[0]}/{v[1]}" for h, v in found.items()))
        print("  by kind: " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in by_kind.items()))
        print(f"  collateral (image share covered outside items): mean {np.mean(collateral):.3f}")
        print(f"  CPU-s per image: {cpu / len(names):.2f}")
    frame = np.random.default_rng(0).integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    t0 = time.process_time()
    for _ in range(3):
        det.detect(frame)
    print(f"1080p frame: {(time.process_time() - t0) / 3:.2f} CPU-s")


if __name__ == "__main__":
    main()
