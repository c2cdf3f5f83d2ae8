"""--cover people on the WIDER dev set: share of faces whose whole head box lies inside a person cover.

A proxy (no person ground truth here): a face's "head box" is its WIDER box grown by 25 % per side;
it counts as covered when >= 99 % of its pixels are in the cover (box mode: grown person boxes;
silhouette mode: the mask). Valid faces >= 10 px high, by height bin. Also CPU-s per photo.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/people_cover.py [--data ../shared/data/widerface_dev] [--limit N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from unseen.detect.people import BOX_GROW, NanoDetNet, PersonDetector, SelfieSegNet, box_mask, silhouette_mask
from unseen_eval.widerface import load

BINS = ((10, 20), (20, 40), (40, 80), (80, 100000))


def head_inside(mask: np.ndarray, box: np.ndarray, need: float = 0.99) -> bool:
    x, y, w, h = box.astype(float)
    H, W = mask.shape
    x1, y1 = int(max(0, x - 0.25 * w)), int(max(0, y - 0.25 * h))
    x2, y2 = int(min(W, np.ceil(x + 1.25 * w))), int(min(H, np.ceil(y + 1.25 * h)))
    return bool(mask[y1:y2, x1:x2].mean() >= need) if x2 > x1 and y2 > y1 else True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/widerface_dev")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    truth = load(args.data)[: args.limit or None]
    det, seg = PersonDetector(NanoDetNet()), SelfieSegNet()
    hits = {m: np.zeros(len(BINS), int) for m in ("box", "silhouette")}
    total = np.zeros(len(BINS), int)
    area = {"box": 0.0, "silhouette": 0.0}
    t_det = t_seg = 0.0
    for t in truth:
        rgb = np.ascontiguousarray(cv2.imread(str(args.data / "WIDER_val" / "images" / t.name))[:, :, ::-1])
        h, w = rgb.shape[:2]
        c = time.process_time()
        people = det.people(rgb)
        t_det += time.process_time() - c
        c = time.process_time()
        masks = {"box": box_mask(people, w, h, BOX_GROW), "silhouette": silhouette_mask(rgb, people, seg)}
        t_seg += time.process_time() - c
        for m, mk in masks.items():
            area[m] += mk.mean()
        for box, bad in zip(t.boxes, t.invalid, strict=True):
            if bad or box[3] < 10:
                continue
            b = next(i for i, (lo, hi) in enumerate(BINS) if lo <= box[3] < hi)
            total[b] += 1
            for m, mk in masks.items():
                hits[m][b] += head_inside(mk, box)
    n = len(truth)
    print(f"images {n}; valid faces >= 10 px: {total.sum()}")
    print(
        "| mode | "
        + " | ".join(f"{lo}-{hi if hi < 1e5 else ''} px ({k})" for (lo, hi), k in zip(BINS, total))
        + " | all | mean area |"
    )
    for m in hits:
        cells = " | ".join(f"{h}/{k} ({h / max(k, 1):.0%})" for h, k in zip(hits[m], total))
        print(
            f"| {m} | {cells} | {hits[m].sum()}/{total.sum()} ({hits[m].sum() / total.sum():.0%}) | {area[m] / n:.2f} |"
        )
    print(f"CPU-s per photo: person detection {t_det / n:.2f}; silhouettes add {t_seg / n:.2f}")


if __name__ == "__main__":
    main()
