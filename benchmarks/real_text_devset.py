"""Real text in WIDER dev photos, boxed by hand (benchmarks/data/real_text_wider.json): recall of
``text`` (and ``plates``) by text height and kind, collateral and cost.

The 16 photos and 106 boxes were chosen and drawn by hand (the JSON's ``about`` says how); the
photos are read from ../shared/data/widerface_dev. A box counts as found when at least 80 % of its
area lies under the covering boxes (a hand box is looser than the letters, so this is stricter
than the pasted-text sets' 80 % of ink; the 50 % count is given beside it). Height: the box's
``text_height`` where given (vertical, slanted or multi-line text), else its short side.
Collateral: share of each photo covered outside every hand box (unboxed text counts as
collateral here, so it is an upper bound).

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/real_text_devset.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from unseen.detect.text import PlateDetector, SharedText, TextDetector, TextNet

HERE = Path(__file__).resolve().parent
TRUTH = HERE / "data" / "real_text_wider.json"
DATA = HERE.parent / ".." / "shared" / "data" / "widerface_dev" / "WIDER_val" / "images"
BINS = ((0, 10), (10, 16), (16, 30), (30, 60), (60, 10_000))


def height(item: dict) -> float:
    x1, y1, x2, y2 = item["box"]
    return float(item.get("text_height", min(x2 - x1, y2 - y1)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--plates", action="store_true", help="also the plates detector (full frame + vehicle cut-outs)")
    ap.add_argument("--x2", action="store_true", help="also the full-frame pass on the photo scaled up 2x")
    a = ap.parse_args()
    truth = json.loads(TRUTH.read_text())["images"]
    net = TextNet(threads=a.threads)
    variants = ["text"] + (["plates"] if a.plates else []) + (["x2"] if a.x2 else [])
    finder = None
    if a.plates:
        from unseen.detect.vehicles import VehicleFinder

        finder = VehicleFinder(threads=a.threads)
    for v in variants:
        by_h = {b: [0, 0, 0] for b in BINS}  # found at 80 %, found at 50 %, boxes
        by_kind: dict[str, list[int]] = {}
        collateral, cpu = [], 0.0
        for name, items in truth.items():
            rgb = np.asarray(Image.open(DATA / name).convert("RGB"))
            shared = SharedText(net)
            t0 = time.process_time()
            if v == "x2":
                h, w = rgb.shape[:2]
                big = cv2.resize(rgb, (2 * w, 2 * h), interpolation=cv2.INTER_CUBIC)
                boxes = net.boxes(big, 4.0).scaled(0.5).clipped(w, h).boxes
            else:
                det = (
                    TextDetector("text", shared=shared)
                    if v == "text"
                    else PlateDetector(shared=shared, vehicles=finder)
                )
                boxes = det.detect(rgb).boxes.boxes
            cpu += time.process_time() - t0
            cover = np.zeros(rgb.shape[:2], bool)
            for x1, y1, x2, y2 in boxes:
                cover[int(y1) : int(np.ceil(y2)), int(x1) : int(np.ceil(x2))] = True
            boxed = np.zeros_like(cover)
            for it in items:
                x1, y1, x2, y2 = it["box"]
                share = float(cover[y1:y2, x1:x2].mean())
                boxed[y1:y2, x1:x2] = True
                b = next(b for b in BINS if b[0] <= height(it) < b[1])
                by_h[b][0] += share >= 0.8
                by_h[b][1] += share >= 0.5
                by_h[b][2] += 1
                k = by_kind.setdefault(it["kind"], [0, 0])
                k[0] += share >= 0.8
                k[1] += 1
            collateral.append(float((cover & ~boxed).mean()))
        n = sum(x[2] for x in by_h.values())
        f80, f50 = sum(x[0] for x in by_h.values()), sum(x[1] for x in by_h.values())
        print(f"[{v}] {len(truth)} photos, {n} hand boxes: {f80} found (>= 80 % covered), {f50} at >= 50 %")
        print(
            "  by text height (80 % / 50 % / boxes): "
            + ", ".join(f"{lo}-{hi if hi < 10_000 else ''}px {x[0]}/{x[1]}/{x[2]}" for (lo, hi), x in by_h.items())
        )
        print("  by kind (80 %): " + ", ".join(f"{k} {x[0]}/{x[1]}" for k, x in sorted(by_kind.items())))
        print(
            f"  collateral (outside every hand box): mean {np.mean(collateral):.3f}; CPU-s per photo {cpu / len(truth):.2f}"
        )


if __name__ == "__main__":
    main()
