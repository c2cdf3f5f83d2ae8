"""How often `unseen check` raises an alarm on unseen's own outputs, and whether the alarms are real.

Each photo goes through the real pipeline (``anonymize_image``, default settings: solid cover) into
a temporary folder; the written file is re-read and re-scanned with the thorough detector, the
way ``unseen check`` does. Every detection is sorted into:

* on cover   -- its centre sits on a flat fill (unseen's own black box): excused by the check;
* leak       -- (WIDER only) it overlaps a ground-truth face whose centre was left uncovered:
                a real miss that the check is right to report;
* partial    -- it lies partly on a cover (``partly_on_cover``): the check flags these from
                ``PARTIAL_MIN_SCORE`` as a face covered only in parts; on these outputs, a false alarm;
* alarm      -- anything else: a false alarm (or a face missing from the ground truth).

Then the check's second look (``grey_partials``: the covers painted grey) adds the partial boxes it
finds that the first look had not: ``grey`` (a leak where it meets an uncovered ground-truth face).

Printed per score threshold: photos with at least one alarm / leak, and detections on covers.

    .venv/bin/python benchmarks/check_alarms.py --wider 40 --identities 61
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from unseen.detect.cache import detector_for
from unseen.media.image_io import read_image
from unseen.pipeline.api import anonymize_image
from unseen.pipeline.check import check_settings, cover_mask, grey_partials, on_solid_cover, partly_on_cover
from unseen.settings import Settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def wider_truth(root: Path) -> dict[str, np.ndarray]:
    """``event/name.jpg`` -> ground-truth boxes (x1, y1, x2, y2), from the WIDER text file."""
    lines = (root / "wider_face_split" / "wider_face_val_bbx_gt.txt").read_text().split("\n")
    out: dict[str, np.ndarray] = {}
    i = 0
    while i < len(lines) and lines[i].strip():
        name = lines[i].strip()
        n = int(lines[i + 1])
        rows = [list(map(float, lines[i + 2 + k].split()[:4])) for k in range(n)]
        b = np.asarray(rows, np.float64).reshape(-1, 4)
        b[:, 2] += b[:, 0]
        b[:, 3] += b[:, 1]
        out[name] = b
        i += 2 + max(n, 1)
    return out


def _center_in(box: np.ndarray, regions: list) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(r[0] <= cx < r[2] and r[1] <= cy < r[3] for r in regions)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def run_set(name: str, files: list[Path], truth: dict[Path, np.ndarray] | None, settings: Settings, log) -> dict:
    det = detector_for(check_settings(settings))
    per_photo = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, src in enumerate(files):
            t0 = time.perf_counter()
            dst = Path(tmp) / f"{k}{src.suffix}"
            rep = anonymize_image(src, dst, settings)
            regions = [tuple(b) for b in rep.details.boxes]
            rgb = np.ascontiguousarray(read_image(dst, max_pixels=settings.max_pixels).pixels[..., :3])
            faces = det.detect(rgb)
            gt = truth.get(src) if truth else None
            uncovered = []
            if gt is not None:
                # a GT face is left uncovered when no cover region holds its centre
                from unseen.cover import regions_for
                from unseen.types import Faces

                cov = regions_for(Faces(np.asarray(regions, np.float32).reshape(-1, 4)), rgb.shape[1], rgb.shape[0], settings)
                uncovered = [g for g in gt if not _center_in(g, list(cov))]
            dets = []
            for box, score in zip(faces.boxes, faces.scores):
                if on_solid_cover(rgb, box, settings.fill):
                    kind = "cover"
                elif any(_iou(box, g) >= 0.3 or _center_in(g, [box]) for g in uncovered):
                    kind = "leak"
                elif partly_on_cover(rgb, box, settings.fill):
                    kind = "partial"
                else:
                    kind = "alarm"
                dets.append({"box": [round(float(v), 1) for v in box], "score": round(float(score), 3), "kind": kind})
            first = [d["box"] for d in dets if d["kind"] != "cover"]
            for box, score in grey_partials(det, rgb, cover_mask(rgb, settings.fill), settings.fill):
                if any(_iou(np.asarray(box), np.asarray(b)) >= 0.5 for b in first):
                    continue
                real = any(_iou(np.asarray(box), g) >= 0.3 or _center_in(g, [box]) for g in uncovered)
                dets.append({"box": [round(v, 1) for v in box], "score": round(score, 3), "kind": "leak" if real else "grey"})
            per_photo.append({"file": str(src), "covered": len(regions), "uncovered_gt": len(uncovered), "detections": dets})
            log(f"  {name} {k + 1}/{len(files)} {src.name}: {len(regions)} covered, "
                f"{sum(d['kind'] == 'alarm' for d in dets)} alarm(s), {sum(d['kind'] == 'cover' for d in dets)} on cover, "
                f"{time.perf_counter() - t0:.1f} s")
    return {"set": name, "photos": per_photo}


def summarize(result: dict) -> list[str]:
    photos = result["photos"]
    n = len(photos)
    rows = [f"### {result['set']} ({n} photos)", "",
            ("| min score | photos with a false alarm | photos with a real leak found | detections on a solid cover (excused) "
             "| photos with a detection partly on a cover | photos with a partial box from the grey look only |"),
            "|---|---|---|---|---|---|"]
    for th in THRESHOLDS:
        counts = defaultdict(int)
        cover = 0
        for p in photos:
            kinds = {d["kind"] for d in p["detections"] if d["score"] >= th}
            for kd in kinds:
                counts[kd] += 1
            cover += sum(d["kind"] == "cover" and d["score"] >= th for d in p["detections"])
        rows.append(f"| {th:.1f} | {counts['alarm']}/{n} ({100 * counts['alarm'] / max(n, 1):.0f} %) | {counts['leak']}/{n} | {cover} "
                    f"| {counts['partial']}/{n} | {counts['grey']}/{n} |")
    return rows


def _scaled_copy(src: Path, folder: Path, max_side: int) -> Path:
    from PIL import Image, ImageOps

    dst = folder / src.name
    with Image.open(src) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        im.save(dst, quality=95)
    return dst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wider", type=int, default=40, help="how many WIDER dev photos (every k-th of the 122)")
    ap.add_argument("--identities", type=int, default=61, help="how many identities_dev photos")
    ap.add_argument("--mode", default="solid", choices=("solid", "mosaic", "blur"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    settings = Settings(mode=args.mode)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    results = []
    wroot = SHARED / "widerface_dev"
    if args.wider and (wroot / "image_list.txt").is_file():
        gt = wider_truth(wroot)
        names = sorted(gt)
        step = max(1, len(names) // args.wider)
        chosen = names[::step][: args.wider]
        files = [wroot / "WIDER_val" / "images" / n for n in chosen]
        results.append(run_set("widerface_dev", files, {f: gt[n] for f, n in zip(files, chosen)}, settings, log))
    iroot = SHARED / "identities_dev"
    if args.identities and (iroot / "images").is_dir():
        files = sorted((iroot / "images").glob("*.jpg"), key=lambda p: int(p.stem[3:]) if p.stem[3:].isdigit() else 0)
        files += sorted((iroot / "unlabelled").glob("*.jpg"))
        with tempfile.TemporaryDirectory() as small:
            # scaled to at most 1024 px (as WIDER is): full-size press photos take minutes each on 2 cores
            scaled = [_scaled_copy(f, Path(small), 1024) for f in files[: args.identities]]
            results.append(run_set("identities_dev (max 1024 px)", scaled, None, settings, log))
    for r in results:
        print("\n".join(summarize(r)))
        print()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
