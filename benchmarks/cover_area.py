"""How much of the picture an anonymized video covers: the share of pixels black or changed.

Compares each OUTPUT with its ORIGINAL frame by frame, with the leak check's rules for a covered
pixel (solid black where the original is not, or changed by at least 30/255 on average); prints the
mean share over frames (the collateral of the covers, faces included). Pass pairs of files:

    .venv/bin/python benchmarks/cover_area.py ORIGINAL OUTPUT [ORIGINAL OUTPUT ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from unseen_eval.leak import BLACK, CHANGED, decoded_frames


def covered_area(original: Path, output: Path) -> tuple[int, float]:
    shares = []
    for (a, _, _), (b, _, _) in zip(decoded_frames(original), decoded_frames(output)):
        ai, bi = a.astype(np.int16), b.astype(np.int16)
        black = (bi.max(axis=2) <= BLACK) & (ai.max(axis=2) > BLACK)  # dark in the original is not counted
        covered = black | (np.abs(ai - bi).mean(axis=2) >= CHANGED)
        shares.append(float(covered.mean()))
    return len(shares), float(np.mean(shares)) if shares else 0.0


def main(argv: list[str]) -> int:
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    for orig, out in zip(argv[::2], argv[1::2]):
        n, share = covered_area(Path(orig), Path(out))
        print(f"{Path(out).name}: {n} frames, {100 * share:.2f} % of the picture covered (mean)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
