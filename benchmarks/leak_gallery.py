"""Leak flags of one or more anonymized videos, with a picture of each flag to check by eye.

The thorough detector's boxes on every ORIGINAL frame are computed once per clip and cached
(``--cache``, default ``.bench/leaks/``), so comparing settings costs one pass of the thorough
detector, not one per output. For each output, every box whose central half is < 90 % covered
(``unseen_eval.leak`` rules) is listed, and a gallery PNG shows, per flag, the original around the
box (with the box drawn) beside the same place in the output, enlarged.

    .venv/bin/python benchmarks/leak_gallery.py ORIGINAL.mp4 OUT1.mp4 [OUT2.mp4 ...] --png /tmp/g.png

A benchmark helper, never a test; the gallery holds real faces' surroundings: keep it out of the
repository.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import cv2
import numpy as np

from unseen.detect.cache import detector_for
from unseen.geometry.rotation import boxes_to_stored, upright
from unseen.settings import Settings
from unseen_eval.leak import MIN_COVER, covered_share, decoded_frames

ROOT = Path(__file__).resolve().parents[1]


def thorough_boxes(original: Path, cache: Path) -> list[np.ndarray]:
    """(N, 5) boxes + scores per original frame, cached by the file's SHA-256."""
    digest = hashlib.sha256(original.read_bytes()).hexdigest()[:16]
    path = cache / f"{original.stem}-{digest}.npz"
    if path.exists():
        data = np.load(path)
        return [data[f"f{i}"] for i in range(len(data.files))]
    det = detector_for(Settings(preset="thorough"))
    out = []
    for i, (rgb, _, rot) in enumerate(decoded_frames(original)):
        h, w = rgb.shape[:2]
        view, k = upright(rgb, rot)
        found = boxes_to_stored(det.detect(view), k, w, h).clipped(w, h)
        out.append(np.concatenate([found.boxes, found.scores[:, None]], axis=1).astype(np.float32))
        print(f"\rthorough: frame {i}", end="", file=sys.stderr)
    print(file=sys.stderr)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{f"f{i}": a for i, a in enumerate(out)})
    return out


def flags(original: Path, output: Path, boxes: list[np.ndarray]) -> list[tuple[int, np.ndarray, float, float]]:
    """(frame, box, score, covered share) of every flagged face-frame."""
    found = []
    for i, ((orig, _, _), (out, _, _)) in enumerate(zip(decoded_frames(original), decoded_frames(output))):
        for row in boxes[i]:
            share = covered_share(orig, out, row[:4])
            if share < MIN_COVER:
                found.append((i, row[:4], float(row[4]), share))
    return found


def gallery(original: Path, output: Path, found: list, png: Path, cell: int = 128, limit: int = 120) -> None:
    want: dict[int, list] = {}
    for f in found[:limit]:
        want.setdefault(f[0], []).append(f)
    tiles = []
    for i, ((orig, _, _), (out, _, _)) in enumerate(zip(decoded_frames(original), decoded_frames(output))):
        for _, box, score, share in want.get(i, []):
            x1, y1, x2, y2 = box
            m = max(x2 - x1, y2 - y1)
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            a = [int(max(0, cx - m)), int(max(0, cy - m)), int(min(orig.shape[1], cx + m)), int(min(orig.shape[0], cy + m))]
            pair = []
            for img in (orig, out):
                crop = np.ascontiguousarray(img[a[1] : a[3], a[0] : a[2]])
                crop = cv2.resize(crop, (cell, cell), interpolation=cv2.INTER_NEAREST)
                sx, sy = cell / max(1, a[2] - a[0]), cell / max(1, a[3] - a[1])
                cv2.rectangle(crop, (int((x1 - a[0]) * sx), int((y1 - a[1]) * sy)), (int((x2 - a[0]) * sx), int((y2 - a[1]) * sy)), (0, 255, 0), 1)
                pair.append(crop)
            tile = np.concatenate(pair, axis=1)
            cv2.putText(tile, f"f{i} {score:.2f} {share:.2f}", (2, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 0), 1)
            tiles.append(tile)
    if not tiles:
        return
    cols = 6
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.concatenate(tiles[r : r + cols], axis=1) for r in range(0, len(tiles), cols)]
    cv2.imwrite(str(png), cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("original", type=Path)
    ap.add_argument("outputs", type=Path, nargs="+")
    ap.add_argument("--cache", type=Path, default=ROOT / ".bench" / "leaks")
    ap.add_argument("--png", type=Path, help="gallery of the first output's flags (the rest get -2, -3 ...)")
    ap.add_argument("--min-score", type=float, default=0.0, help="list only flags at least this confident")
    args = ap.parse_args(argv)
    boxes = thorough_boxes(args.original, args.cache)
    total = sum(len(b) for b in boxes)
    for n, output in enumerate(args.outputs):
        found = [f for f in flags(args.original, output, boxes) if f[2] >= args.min_score]
        print(f"{output}: {len(boxes)} frames, {total} face-frames (thorough), {len(found)} flagged, "
              f"{sum(1 for f in found if f[2] >= 0.5)} at score >= 0.5")
        for i, box, score, share in found:
            print(f"  frame {i}: box {np.round(box, 1).tolist()} score {score:.3f} covered {share:.2f}")
        if args.png:
            png = args.png if n == 0 else args.png.with_name(f"{args.png.stem}-{n + 1}{args.png.suffix}")
            gallery(args.original, output, found, png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
