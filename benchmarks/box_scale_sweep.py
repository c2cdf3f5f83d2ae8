"""Head-region size vs coverage and collateral on WIDER dev: detect once per preset, sweep box scale.

    .venv/bin/python benchmarks/box_scale_sweep.py --presets default,fast --scales 1.3,1.45,1.6

The solid rectangle cover is exactly the union of the regions, so the covered mask is computed from
the regions directly (no encode/decode); scoring is unseen_eval.widerface's (central half >= 90 %).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from unseen.cover import head_regions, region_mask  # noqa: E402
from unseen.detect.cache import detector_for  # noqa: E402
from unseen.settings import Settings  # noqa: E402
from unseen_eval import widerface as wf  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "widerface_dev"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="default,fast")
    ap.add_argument("--scales", default="1.3,1.45,1.6")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    truth = wf.load(DATA)
    if args.limit:
        truth = truth[: args.limit]
    scales = [float(s) for s in args.scales.split(",")]
    print("| preset | box scale | <10 | 10-16 | 16-32 | 32-64 | >=64 | >=16 all | hard | mean collateral % |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for preset in args.presets.split(","):
        det = detector_for(Settings(preset=preset))
        found = []
        for t in truth:
            rgb = np.asarray(Image.open(DATA / "WIDER_val" / "images" / t.name).convert("RGB"))
            found.append((rgb.shape, det.detect(rgb)))
        for s in scales:
            scores = []
            for t, (shape, faces) in zip(truth, found):
                h, w = shape[:2]
                mask = region_mask(head_regions(faces, w, h, s), w, h, "rect")
                scores.append(wf.ImageScore(t.name, wf.faces_covered(t, mask), wf.collateral(t, mask)))
            summ = wf.summarize(truth, scores)
            bins = ["<10", "10-16", "16-32", "32-64", ">=64"]
            cells = [f"{100 * summ.rate('all', [b]):.1f}" for b in bins]
            print(f"| {preset} | {s} | {' | '.join(cells)} | {100 * summ.rate('all', bins[2:]):.1f} | "
                  f"{100 * summ.setting_rate('hard'):.1f} | {100 * summ.collateral:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
