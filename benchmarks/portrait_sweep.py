"""Photos: portraits at every size. How much of one large face (and of its head) each preset covers.

Real faces (``examples/astronaut.jpg`` and single-face photos of ``../shared/data/identities_dev``)
are rendered by :func:`unseen_eval.portraits.make_portrait` so the face spans ``share`` (10-100 %)
of square photos of ``side`` px (256-6000), also turned (rotation sweep) and cut by the left edge
(border sweep). Each photo goes through ``anonymize_array`` with ``Settings(preset=...)``; the
covered share of the true face box and of the head box (hair, ears, jaw; definition in
``unseen_eval/portraits.py``) is reported per cell, the worst over the sources of that cell.

Truth: each source's face box is the thorough detector's largest box on the source scaled so the
face is about 200 px tall, scaled back (sources whose face it cannot find are left out, loudly).

    .venv/bin/python benchmarks/portrait_sweep.py [--quick] [--presets default,fast,thorough]
        [--sweeps size,rotation,border] [--sources 4]

Photos above ``--max-side-thorough`` px (2000 by default) are left out for the thorough preset
(its 2x passes take minutes per 6000 px photo on 2 cores); photos over 2000 px are sampled at a few
shares, one source per photo.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from unseen import Settings  # noqa: E402
from unseen.cover.regions import region_mask  # noqa: E402
from unseen.detect.registry import build  # noqa: E402
from unseen.pipeline.api import anonymize_array  # noqa: E402
from unseen_eval.portraits import covered_share, make_portrait  # noqa: E402

IDENTITIES = REPO.parent / "shared" / "data" / "identities_dev" / "images"
# single, frontal-ish faces of different people, sexes, skin tones, hair (checked by eye)
SOURCE_NAMES = ("img1.jpg", "img17.jpg", "img30.jpg", "img49.jpg", "img20.jpg", "img54.jpg")

SIDES = (256, 512, 1000, 1600, 2000, 3000, 4000, 6000)
SHARES = (0.1, 0.25, 0.5, 0.8, 1.0)
SHARES_BIG = (0.1, 0.5, 1.0)  # photos over 2000 px: a few shares, one source each
ANGLES = (0, 15, 30, 45, 90, 120, 135, 150, 180)
CUTS = (0.1, 0.25, 0.5, 0.75)


def read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


_TRUTH: list = []


def _truth_detector():
    """The thorough detector as the truth was taken before quarter turns (they only add boxes on
    turned faces; the truth is taken upright, and stays what earlier sweeps measured against)."""
    if not _TRUTH:
        det = build(Settings(preset="thorough"))
        det.turns = det.edges = False
        _TRUTH.append(det)
    return _TRUTH[0]


def truth_box(rgb: np.ndarray, target: float = 200.0) -> np.ndarray | None:
    """The largest face box of the thorough detector, found where the face is ~``target`` px."""
    det = _truth_detector()
    s0 = min(1.0, 640 / max(rgb.shape[:2]))  # a first look at a small copy: where is the face
    first = det.detect(cv2.resize(rgb, None, fx=s0, fy=s0, interpolation=cv2.INTER_AREA) if s0 < 1 else rgb)
    if not len(first):
        return None
    h = float(first.heights.max()) / s0
    sc = min(1.0, target / h)
    small = rgb if sc == 1.0 else cv2.resize(rgb, None, fx=sc, fy=sc, interpolation=cv2.INTER_AREA)
    found = det.detect(small)
    if not len(found):
        return None
    box = found.boxes[int(np.argmax(found.heights))].astype(np.float64)
    return box / sc


def sources(n: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    out = []
    astro = read_rgb(REPO / "examples" / "astronaut.jpg")
    out.append(("astronaut", astro, truth_box(astro)))
    if IDENTITIES.exists():
        for name in SOURCE_NAMES[: max(0, n - 1)]:
            rgb = read_rgb(IDENTITIES / name)
            box = truth_box(rgb)
            if box is None:
                print(f"# {name}: the thorough detector finds no face; left out", file=sys.stderr)
                continue
            out.append((name, rgb, box))
    else:
        print(f"# {IDENTITIES} absent: the astronaut only", file=sys.stderr)
    return out


def covered(preset: str, image: np.ndarray) -> tuple[np.ndarray, float]:
    settings = Settings(preset=preset)
    t0 = time.perf_counter()
    result = anonymize_array(image, settings)
    dt = time.perf_counter() - t0
    h, w = image.shape[:2]
    return region_mask(result.regions, w, h, settings.shape), dt


def cells(sweep: str, quick: bool) -> list[tuple[int, float, float, float]]:
    """(side, share, angle, cut) per photo of a sweep."""
    if sweep == "size":
        sides = (256, 1000, 2000) if quick else SIDES
        out = []
        for side in sides:
            shares = (0.25, 0.8, 1.0) if quick else (SHARES_BIG if side > 2000 else SHARES)
            out += [(side, s, 0.0, 0.0) for s in shares if s * side >= 16]
        return out
    if sweep == "rotation":
        return [(side, 0.6, a, 0.0) for side in ((1000,) if quick else (512, 1000, 2000)) for a in ANGLES]
    if sweep == "border":
        return [(side, s, 0.0, c) for side in ((1000,) if quick else (512, 1000, 2000)) for s in (0.5, 0.9) for c in CUTS]
    raise SystemExit(f"unknown sweep {sweep!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="astronaut only, 3 sizes x 3 shares")
    ap.add_argument("--presets", default="default,fast,thorough")
    ap.add_argument("--sweeps", default="size,rotation,border")
    ap.add_argument("--sources", type=int, default=4, help="how many real faces (the astronaut first)")
    ap.add_argument("--max-side-thorough", type=int, default=2000)
    args = ap.parse_args(argv)
    srcs = sources(1 if args.quick else args.sources)
    print(f"# sources: {', '.join(n for n, _, _ in srcs)}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| sweep | preset | side px | face share | angle | cut | face covered % (worst) | head covered % (worst) | s/photo |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    worst_all: dict[tuple[str, str], float] = {}
    for sweep in args.sweeps.split(","):
        for preset in args.presets.split(","):
            for k, (side, share, angle, cut) in enumerate(cells(sweep, args.quick)):
                if preset == "thorough" and side > args.max_side_thorough:
                    continue
                # big photos: one source per cell, turn by turn; small ones: every source
                use = srcs if side <= 2000 else [srcs[k % len(srcs)]]
                face_min, head_min, secs = 1.0, 1.0, []
                for _name, rgb, box in use:
                    p = make_portrait(rgb, box, side, share, angle=angle, cut=cut)
                    mask, dt = covered(preset, p.image)
                    face_min = min(face_min, covered_share(p.face, mask))
                    head_min = min(head_min, covered_share(p.head, mask))
                    secs.append(dt)
                key = (sweep, preset)
                worst_all[key] = min(worst_all.get(key, 1.0), face_min)
                print(
                    f"| {sweep} | {preset} | {side} | {share:.0%} | {angle:g} | {cut:.0%} | {100 * face_min:.1f} | "
                    f"{100 * head_min:.1f} | {np.mean(secs):.1f} |",
                    flush=True,
                )
    for (sweep, preset), v in worst_all.items():
        print(f"# worst face coverage, {sweep} sweep, {preset}: {100 * v:.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
