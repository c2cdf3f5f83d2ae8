"""How much of the picture an anonymized video covers: the share of pixels painted, mean over frames.

Two ways. ``--probe INPUT ...`` (the one to trust): anonymizes each INPUT with the default settings
but a fill colour no scene has in flat areas (``unseen_eval.person_reid.PROBE_FILL``, magenta) and
counts the pixels of that colour in each output frame; the output goes to a temporary folder.
Pairs ``ORIGINAL OUTPUT`` (an existing output, any fill): compares each OUTPUT with its ORIGINAL
frame by frame with the leak check's rules for a covered pixel (solid black where the original is
not, or changed by at least 30/255 on average). That rule cannot see a black cover on a dark part of
the scene, so on dark clips (a stage) it undercounts a lot: use ``--probe``.

    .venv/bin/python benchmarks/cover_area.py --probe CLIP [CLIP ...] [--per-frame]
    .venv/bin/python benchmarks/cover_area.py ORIGINAL OUTPUT [ORIGINAL OUTPUT ...]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import av
import numpy as np

from unseen import anonymize_video
from unseen.settings import Settings
from unseen_eval.leak import BLACK, CHANGED, decoded_frames
from unseen_eval.person_reid import PROBE_FILL, fill_mask


def covered_area(original: Path, output: Path) -> tuple[int, float]:
    shares = []
    for (a, _, _), (b, _, _) in zip(decoded_frames(original), decoded_frames(output)):
        ai, bi = a.astype(np.int16), b.astype(np.int16)
        black = (bi.max(axis=2) <= BLACK) & (ai.max(axis=2) > BLACK)  # dark in the original is not counted
        covered = black | (np.abs(ai - bi).mean(axis=2) >= CHANGED)
        shares.append(float(covered.mean()))
    return len(shares), float(np.mean(shares)) if shares else 0.0


def probe_area(src: Path) -> list[float]:
    """Per-frame painted share of ``src`` anonymized with the default settings and the probe fill."""
    with tempfile.TemporaryDirectory(prefix="unseen-area-") as tmp:
        out = Path(tmp) / f"{src.stem}.mp4"
        anonymize_video(src, out, Settings(fill=PROBE_FILL))
        with av.open(str(out)) as c:
            return [float(fill_mask(f.to_ndarray(format="rgb24")).mean()) for f in c.decode(video=0)]


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--probe":
        per_frame = "--per-frame" in argv
        clips = [a for a in argv[1:] if a != "--per-frame"]
        if not clips:
            print(__doc__, file=sys.stderr)
            return 2
        for clip in clips:
            shares = probe_area(Path(clip))
            n = len(shares)
            print(
                f"{Path(clip).name}: {n} frames, {100 * float(np.mean(shares)):.1f} % of the picture painted (mean),"
                f" max {100 * max(shares):.1f} %, {sum(s >= 0.99 for s in shares)} frames >= 99 %"
            )
            if per_frame:
                print(" ".join(f"{s:.2f}" for s in shares))
        return 0
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    for orig, out in zip(argv[::2], argv[1::2]):
        n, share = covered_area(Path(orig), Path(out))
        print(f"{Path(out).name}: {n} frames, {100 * share:.2f} % of the picture covered (mean)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
