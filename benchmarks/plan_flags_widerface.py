"""On WIDER dev: of the ground-truth faces the plan leaves uncovered (unseen_eval.widerface's
FACE_COVER rule on the rendered plan), how many does a review flag point at; flags per photo.
Usage: plan_flags_widerface.py [--photos N]"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from unseen.detect.cache import detector_for
from unseen.pipeline.plan_run import make_plan, render_plan
from unseen.settings import Settings
from unseen_eval.widerface import covered_mask, faces_covered, load

DATA = Path("/work/shared/data/widerface_dev")


def _points_at(flag_box, gt) -> bool:
    x, y, w, h = (float(v) for v in gt)
    cx, cy = x + w / 2, y + h / 2
    x1, y1, x2, y2 = flag_box
    return x1 <= cx <= x2 and y1 <= cy <= y2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=122)
    a = ap.parse_args()
    s = Settings()
    det = detector_for(s)
    truth = load(DATA)[: a.photos]
    missed = pointed = flags = 0
    kinds: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, t in enumerate(truth):
            src = DATA / "WIDER_val" / "images" / t.name
            plan = make_plan(src, s, detector=det, thorough=True)
            out = Path(tmp) / f"{i}.png"
            render_plan(src, plan, out, s)
            orig = np.asarray(Image.open(src).convert("RGB"))
            mask = covered_mask(orig, np.asarray(Image.open(out).convert("RGB")))
            ok = faces_covered(t, mask) | t.invalid.astype(bool)
            flags += len(plan.flags)
            kinds.update(f.kind.value for f in plan.flags)
            boxes = [f.box for f in plan.flags if f.box is not None]
            for k in np.flatnonzero(~ok):
                missed += 1
                pointed += any(_points_at(b, t.boxes[k]) for b in boxes)
    n = len(truth)
    print(f"{n} photos, {sum(len(t.boxes) for t in truth)} GT faces; plan misses {missed}; "
          f"a flag points at {pointed} ({100 * pointed / max(missed, 1):.1f}%); "
          f"flags per photo {flags / n:.2f}; by kind {dict(kinds)}")


if __name__ == "__main__":
    main()
