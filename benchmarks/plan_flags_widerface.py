"""On WIDER dev: of the ground-truth faces the plan leaves uncovered (unseen_eval.widerface's
FACE_COVER rule on the rendered plan), how many does a review flag point at, how many within the
first K flags, how many flags per photo and how much of the photo they ask a reviewer to look at.

Usage: plan_flags_widerface.py [--photos N] [--cache DIR] [--option NAME=VALUE ...]
(--option: a FlagOptions field, e.g. group_link=2, to compare settings on the same detections)

The slow part (the plan's detection, the thorough check's detection, rendering the plan and scoring
it against the ground truth) is done once per photo and kept in ``--cache`` (one .npz per photo);
the flags are then computed from the cached plan and evidence by whatever ``unseen.plan.flags`` is
on PYTHONPATH. So the flags of two versions of the code can be compared on the same detections:
run it once with each source tree and the same cache.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from unseen.detect.cache import detector_for
from unseen.media.image_io import read_image
from unseen.pipeline import plan_run
from unseen.pipeline.plan_run import make_plan, render_plan
from unseen.plan import FlagEvidence, FlagOptions, compute_flags, plan_from_bytes
from unseen.plan.encode import dumps
from unseen.settings import Settings
from unseen.types import Faces
from unseen_eval.widerface import ImageTruth, covered_mask, faces_covered, load

DATA = Path("/work/shared/data/widerface_dev")
FIRST_K = (1, 3, 5, 10)


def _points_at(flag_box, gt) -> bool:
    x, y, w, h = (float(v) for v in gt)
    cx, cy = x + w / 2, y + h / 2
    x1, y1, x2, y2 = flag_box
    return x1 <= cx <= x2 and y1 <= cy <= y2


def _detect(t: ImageTruth, s: Settings, det, tmp: Path, path: Path) -> None:
    """Plan (no flags needed), thorough-check faces, and which GT faces the rendered plan covers."""
    src = DATA / "WIDER_val" / "images" / t.name
    plan = make_plan(src, s, detector=det, thorough=False)
    pixels = read_image(src, max_pixels=s.max_pixels, max_metadata=s.max_metadata_mb << 20).pixels
    found = plan_run._thorough(s, pixels)
    thorough = found[0][1] if found else Faces.empty()
    out = tmp / f"{path.stem}.png"
    render_plan(src, plan, out, s)
    orig = np.asarray(Image.open(src).convert("RGB"))
    mask = covered_mask(orig, np.asarray(Image.open(out).convert("RGB")))
    ok = faces_covered(t, mask) | t.invalid.astype(bool)
    np.savez(
        path,
        plan=np.frombuffer(dumps(plan).encode(), np.uint8),
        tboxes=thorough.boxes,
        tscores=thorough.scores,
        ok=ok,
    )


def _evidence(s: Settings, thorough: Faces) -> FlagEvidence:
    known = {f.name for f in dataclasses.fields(FlagEvidence)}
    kw = {"threshold": float(s.threshold), "thorough": ((0, thorough),) if len(thorough) else ()}
    if "cover_scale" in known:  # the flags that know how far the cover grows each box
        kw["cover_scale"], kw["cover_up"], kw["cover_ellipse"] = plan_run.cover_growth(s)
    return FlagEvidence(**kw)  # type: ignore[arg-type]


def _flagged_share(boxes, w: int, h: int) -> float:
    m = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in boxes:
        m[max(int(y1), 0) : max(int(np.ceil(y2)), 0), max(int(x1), 0) : max(int(np.ceil(x2)), 0)] = True
    return float(m.mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=122)
    ap.add_argument("--cache", type=Path, default=None, help="keep the detections here (default: a temporary folder)")
    ap.add_argument("--option", action="append", default=[], help="a FlagOptions field: NAME=VALUE")
    a = ap.parse_args()
    options = FlagOptions(**{k: float(v) for k, v in (o.split("=", 1) for o in a.option)})
    s = Settings()
    truth = load(DATA)[: a.photos]
    missed = pointed = flags = 0
    first_k = Counter[int]()
    share = 0.0
    kinds: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()  # misses a flag of this kind points at
    det = None
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        cache = a.cache or Path(tmp)
        cache.mkdir(parents=True, exist_ok=True)
        for i, t in enumerate(truth):
            path = cache / f"{i:03d}.npz"
            if not path.exists():
                det = det or detector_for(s)
                _detect(t, s, det, Path(tmp), path)
            z = np.load(path)
            plan = plan_from_bytes(bytes(z["plan"]), t.name)
            thorough = Faces(z["tboxes"], z["tscores"]) if len(z["tboxes"]) else Faces.empty()
            fl = compute_flags(plan, _evidence(s, thorough), options)
            flags += len(fl)
            kinds.update(f.kind.value for f in fl)
            boxes = [f.box for f in fl]
            share += _flagged_share([b for b in boxes if b is not None], plan.input.width, plan.input.height)
            for k in np.flatnonzero(~z["ok"]):
                missed += 1
                at = [j for j, b in enumerate(boxes) if b is not None and _points_at(b, t.boxes[k])]
                pointed += bool(at)
                by_kind.update({fl[j].kind.value for j in at})
                for kk in FIRST_K:
                    first_k[kk] += bool(at) and at[0] < kk
    n = len(truth)
    pct = lambda x: f"{100 * x / max(missed, 1):.1f}%"  # noqa: E731
    print(
        f"{n} photos, {sum(len(t.boxes) for t in truth)} GT faces; plan misses {missed}; "
        f"a flag points at {pointed} ({pct(pointed)}); "
        + "; ".join(f"within the first {k}: {first_k[k]} ({pct(first_k[k])})" for k in FIRST_K)
        + f"; flags per photo {flags / n:.2f}; flagged area {100 * share / n:.1f}% of a photo; "
        f"flags by kind {dict(sorted(kinds.items()))}; misses pointed at by kind {dict(sorted(by_kind.items()))}; "
        f"{time.perf_counter() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
