"""Cost of ``--cover text``, ``plates`` and ``text,plates`` per picture, side by side in one run:
the shared full-frame pass (this branch) against one pass per kind (before), on a WIDER street
photo with cars and on the same photo scaled to 1920x1080.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/text_plates_speed.py --reps 3
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from unseen.detect.text import PlateDetector, SharedText, TextDetector, TextNet
from unseen.detect.vehicles import VehicleFinder

PHOTO = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared/data/widerface_dev/WIDER_val/images/5--Car_Accident/5_Car_Accident_Accident_5_34.jpg"
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    net, finder = TextNet(threads=1), VehicleFinder(threads=1)
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    frame = cv2.resize(photo, (1920, 1080), interpolation=cv2.INTER_CUBIC)

    def text(img):
        TextDetector("text", shared=SharedText(net)).detect(img)

    def plates(img):
        PlateDetector(shared=SharedText(net), vehicles=finder).detect(img)

    def both_shared(img):
        shared = SharedText(net)
        TextDetector("text", shared=shared).detect(img)
        PlateDetector(shared=shared, vehicles=finder).detect(img)

    def both_apart(img):  # before: each kind its own pass
        TextDetector("text", shared=SharedText(net)).detect(img)
        PlateDetector(shared=SharedText(net), vehicles=finder).detect(img)

    def vehicles(img):
        finder.vehicles(img)

    cases = {"text": text, "plates": plates, "text,plates shared": both_shared, "text,plates apart": both_apart}
    cases["vehicle boxes only"] = vehicles
    for label, img in (("photo 1024x768", photo), ("1080p", frame)):
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(a.reps):
            for k, f in cases.items():  # alternating: the cases share the machine's load
                t0 = time.process_time()
                f(img)
                times[k].append(time.process_time() - t0)
        print(f"[{label}] {len(finder.vehicles(img))} vehicle boxes")
        for k, v in times.items():
            print(f"  {k:20s} median {np.median(v):.2f} CPU-s  ({', '.join(f'{x:.2f}' for x in v)})")


if __name__ == "__main__":
    main()
