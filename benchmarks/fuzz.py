"""Longer fuzz run over photos and videos; prints outcome counts (for docs/RELIABILITY.md).

    python benchmarks/fuzz.py --cases 400 [--video] [--timeout 120]

Each case runs in a worker process so a crash of the interpreter or a hang is caught and counted,
not fatal to the run. Outcomes: ok, error:<UnseenError class>, BUG:<other exception>,
LEFT-OUTPUT (an output file after a failure), HANG, CRASH.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _worker(seed: int, original: str, workdir: str) -> tuple[str, str, str]:
    from unseen.settings import Settings
    from unseen_eval.fuzz import run_case

    c = run_case(seed, Path(original), Path(workdir), Settings(threads=1))
    return c.mutator, c.outcome, c.message


def _originals(tmp: Path, video: bool) -> list[Path]:
    from PIL import Image

    im = Image.open(REPO / "examples" / "astronaut.jpg").convert("RGB")
    out = []
    for size in (160, 512):
        j, p = tmp / f"a{size}.jpg", tmp / f"a{size}.png"
        im.resize((size, size)).save(j, quality=90)
        im.resize((size, size)).save(p)
        out += [j, p]
    if video:
        sys.path.insert(0, str(REPO))
        from tests.video_factory import make_clip  # type: ignore

        v = tmp / "clip.mp4"
        make_clip(v)
        out.append(v)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200, help="cases per original file")
    ap.add_argument("--video", action="store_true", help="also fuzz a generated MP4 clip")
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    bad: list[str] = []
    started = time.time()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        originals = _originals(tmp, args.video)
        ex = ProcessPoolExecutor(max_workers=1)
        for orig in originals:
            for seed in range(args.cases):
                fut = ex.submit(_worker, seed, str(orig), str(tmp / "work"))
                try:
                    mut, outcome, msg = fut.result(timeout=args.timeout)
                except FutureTimeout:
                    mut, outcome, msg = "?", "HANG", f"over {args.timeout} s"
                    for p in list(getattr(ex, "_processes", {}).values()):
                        p.kill()
                    ex.shutdown(wait=False, cancel_futures=True)
                    ex = ProcessPoolExecutor(max_workers=1)
                except BrokenProcessPool:
                    mut, outcome, msg = "?", "CRASH", "worker process died"
                    ex = ProcessPoolExecutor(max_workers=1)
                counts[orig.name][outcome] += 1
                if not (outcome == "ok" or outcome.startswith("error:")):
                    bad.append(f"{orig.name} seed={seed} {mut}: {outcome} {msg}")
        ex.shutdown()
    total = sum(sum(c.values()) for c in counts.values())
    print(f"| input | cases | outcomes |\n| --- | --- | --- |")
    for name, c in counts.items():
        print(f"| {name} | {sum(c.values())} | {', '.join(f'{k} {v}' for k, v in sorted(c.items()))} |")
    print(f"\n{total} cases in {time.time() - started:.0f} s; {len(bad)} not clean")
    for line in bad:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
