"""Video leak check: faces a thorough detector finds in the ORIGINAL that the OUTPUT leaves visible.

For every frame of the original, a thorough detector (by default every backend with upscaled
passes: ``Settings(preset="thorough")``) finds faces; the same frame of the output is compared.
A face counts as covered when at least ``min_cover`` (90 %) of the pixels of the central half of
its box (the middle 50 % of its width and height: eyes, nose, mouth) are covered in the output,
a pixel being covered when it is solid black or clearly changed from the original. Every face
found and not covered is one leaked face-frame. Optional ground truth (for generated clips, where
the face's place is known) is checked the same way.

    python -m unseen_eval.leak original.mp4 output.mp4
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import av
import numpy as np

from unseen.detect.base import FaceDetector
from unseen.geometry.rotation import boxes_to_stored, upright
from unseen.types import Faces

MIN_COVER = 0.90
BLACK = 40  # max channel value of a pixel that counts as the solid (black) cover
CHANGED = 30  # mean absolute RGB difference of a pixel that counts as changed


@dataclass
class Leak:
    frame: int
    time: float
    box: list[float]
    covered: float
    source: str  # "detector" or "truth"
    score: float = 1.0  # the thorough detector's confidence (1.0 for truth)


@dataclass
class LeakReport:
    original: str
    output: str
    frames: int = 0
    face_frames: int = 0  # faces the thorough detector found, summed over frames
    leaked: int = 0
    truth_face_frames: int = 0
    truth_leaked: int = 0
    leaks: list[Leak] = field(default_factory=list)
    detector: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def central_half(box: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = [float(v) for v in box]
    w, h = x2 - x1, y2 - y1
    return np.array([x1 + w / 4, y1 + h / 4, x2 - w / 4, y2 - h / 4])


def covered_share(original: np.ndarray, output: np.ndarray, box: np.ndarray) -> float:
    """Share of the central half of ``box`` that is black or changed in ``output``."""
    h, w = original.shape[:2]
    cx1, cy1, cx2, cy2 = central_half(box)
    x1, y1 = max(0, int(np.floor(cx1))), max(0, int(np.floor(cy1)))
    x2, y2 = min(w, int(np.ceil(cx2))), min(h, int(np.ceil(cy2)))
    if x2 <= x1 or y2 <= y1:
        return 1.0  # nothing of it is inside the frame
    a = original[y1:y2, x1:x2].astype(np.int16)
    b = output[y1:y2, x1:x2].astype(np.int16)
    black = b.max(axis=2) <= BLACK
    changed = np.abs(a - b).mean(axis=2) >= CHANGED
    return float((black | changed).mean())


def decoded_frames(path: Path) -> Iterator[tuple[np.ndarray, float, int]]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for f in c.decode(s):
            yield f.to_ndarray(format="rgb24"), float(f.time or 0.0), int(round(f.rotation or 0))


def leak_check(
    original: Path,
    output: Path,
    detector: FaceDetector | None = None,
    *,
    truth: Callable[[int], Faces] | None = None,
    min_cover: float = MIN_COVER,
    progress: Callable[[int], None] | None = None,
) -> LeakReport:
    """Count face-frames of ``original`` left visible in ``output`` (same frames, same order)."""
    if detector is None:
        from unseen.detect.cache import detector_for
        from unseen.settings import Settings

        detector = detector_for(Settings(preset="thorough"))
    rep = LeakReport(str(original), str(output), detector=getattr(detector, "name", type(detector).__name__))
    outs = decoded_frames(output)
    for i, (orig, t, rot) in enumerate(decoded_frames(original)):
        try:
            out, _, _ = next(outs)
        except StopIteration:
            raise ValueError(f"{output} has fewer frames than {original} (stops before frame {i})") from None
        if out.shape != orig.shape:
            raise ValueError(f"frame {i}: output is {out.shape}, original {orig.shape}")
        h, w = orig.shape[:2]
        view, k = upright(orig, rot)
        found = boxes_to_stored(detector.detect(view), k, w, h).clipped(w, h)
        for box, score in zip(found.boxes, found.scores):
            rep.face_frames += 1
            share = covered_share(orig, out, box)
            if share < min_cover:
                rep.leaked += 1
                rep.leaks.append(
                    Leak(i, round(t, 3), [round(float(v), 1) for v in box], round(share, 3), "detector", round(float(score), 3))
                )
        if truth is not None:
            for box in truth(i).clipped(w, h).boxes:
                rep.truth_face_frames += 1
                share = covered_share(orig, out, box)
                if share < min_cover:
                    rep.truth_leaked += 1
                    rep.leaks.append(Leak(i, round(t, 3), [round(float(v), 1) for v in box], round(share, 3), "truth"))
        rep.frames += 1
        if progress is not None:
            progress(i + 1)
    if next(outs, None) is not None:
        raise ValueError(f"{output} has more frames than {original}")
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m unseen_eval.leak", description=__doc__.splitlines()[0])
    ap.add_argument("original", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument("--json", action="store_true", help="print the full report as JSON")
    args = ap.parse_args(argv)
    rep = leak_check(args.original, args.output)
    if args.json:
        print(json.dumps(rep.to_dict(), indent=2))
    else:
        print(f"{args.original.name}: {rep.frames} frames, {rep.face_frames} face-frames found, {rep.leaked} leaked")
        for leak in rep.leaks[:20]:
            print(f"  frame {leak.frame} ({leak.time:.3f} s) box {leak.box} score {leak.score:.2f} covered {leak.covered:.0%}")
    return 1 if rep.leaked else 0


if __name__ == "__main__":
    sys.exit(main())
