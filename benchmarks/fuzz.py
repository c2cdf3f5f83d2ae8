"""Longer fuzz run over photos and videos; prints outcome tables (for docs/RELIABILITY.md).

    python benchmarks/fuzz.py --cases 400                 # photos (JPEG, PNG at 160 and 512 px;
                                                          #  WebP, TIFF, BMP, HEIC at 160 px)
    python benchmarks/fuzz.py --cases 300 --video-only    # videos (MP4, MOV with audio, MKV)
    python benchmarks/fuzz.py --cases 300 --video         # both

Each case runs in a worker process so a crash of the interpreter or a hang is caught and counted,
not fatal to the run. Alternate rounds of the mutators go through the API and the CLI (in the worker,
``unseen IN -o OUT``: a failure must exit non-zero with exactly one ``unseen: error:`` line).
Videos use the test suite's magenta-square clips and detector, and every successful output is
decoded again: a visible magenta square is an ``UNMASKED`` outcome. Outcomes: ok,
error:<UnseenError class> (API), exit:<ExitStatus> (CLI), BUG:<other exception or bad stderr>,
LEFT-OUTPUT (a file left after a failure), UNMASKED, HANG, CRASH.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _worker(seed: int, original: str, workdir: str) -> tuple[str, str, str]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from unseen.media.kinds import media_kind
    from unseen.settings import Settings
    from unseen_eval.fuzz import kind_of, mutators_for, run_case

    orig = Path(original)
    # Mutators take turns by seed; every other round of them goes through the CLI.
    via = "cli" if (seed // len(mutators_for(kind_of(orig)))) % 2 else "api"
    detector = leak = None
    if media_kind(orig) == "video":
        from tests.video_factory import MagentaDetector  # type: ignore

        detector, leak = MagentaDetector(), _magenta_leak
    c = run_case(seed, orig, Path(workdir), Settings(threads=1), detector, via=via, leak_check=leak)
    return c.mutator, c.outcome, c.message


def _magenta_leak(path: Path) -> str | None:
    import av
    from tests.video_factory import magenta_boxes  # type: ignore

    frames = 0
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            boxes = magenta_boxes(f.to_ndarray(format="rgb24"), min_area=16)
            if len(boxes):
                return f"magenta square visible in output frame {i}"
            frames += 1
    return None if frames else "output holds no frame"


def _originals(tmp: Path, photos: bool, video: bool) -> list[Path]:
    out = []
    if photos:
        from PIL import Image

        im = Image.open(REPO / "examples" / "astronaut.jpg").convert("RGB")
        for size in (160, 512):
            j, p = tmp / f"a{size}.jpg", tmp / f"a{size}.png"
            im.resize((size, size)).save(j, quality=90)
            im.resize((size, size)).save(p)
            out += [j, p]
        small = im.resize((160, 160))
        for suffix, opts in ((".webp", {"quality": 90}), (".tif", {"compression": "tiff_lzw"}), (".bmp", {}), (".heic", {})):
            if suffix == ".heic":
                from unseen.media.image_io import heif_available

                if not heif_available():
                    continue
            small.save(tmp / f"a160{suffix}", **opts)
            out.append(tmp / f"a160{suffix}")
    if video:
        sys.path.insert(0, str(REPO))
        from tests.video_factory import make_clip  # type: ignore

        for name, audio in (("clip.mp4", False), ("clip.mov", True), ("clip.mkv", False)):
            make_clip(tmp / name, width=96, height=64, n=24, audio=audio)
            out.append(tmp / name)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200, help="cases per original file")
    ap.add_argument("--video", action="store_true", help="also fuzz generated MP4/MOV/MKV clips")
    ap.add_argument("--video-only", action="store_true", help="fuzz only the generated clips")
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    by_mutator: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    bad: list[str] = []
    examples: dict[str, str] = {}  # first message of each failure outcome, per input
    started = time.time()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        originals = _originals(tmp, not args.video_only, args.video or args.video_only)
        ex = ProcessPoolExecutor(max_workers=1)
        for orig in originals:
            for seed in range(args.cases):
                fut = ex.submit(_worker, seed, str(orig), str(tmp / "work"))
                mut = "?"
                try:
                    mut, outcome, msg = fut.result(timeout=args.timeout)
                except FutureTimeout:
                    outcome, msg = "HANG", f"over {args.timeout} s"
                    for p in list(getattr(ex, "_processes", {}).values()):
                        p.kill()
                    ex.shutdown(wait=False, cancel_futures=True)
                    ex = ProcessPoolExecutor(max_workers=1)
                except BrokenProcessPool:
                    outcome, msg = "CRASH", "worker process died"
                    ex = ProcessPoolExecutor(max_workers=1)
                counts[orig.name][outcome] += 1
                by_mutator[f"{orig.suffix[1:]} {mut}"][outcome] += 1
                if outcome != "ok":
                    examples.setdefault(f"{orig.name} {outcome}", f"seed={seed} {mut}: {msg[:160]}")
                if not (outcome == "ok" or outcome.startswith(("error:", "exit:"))):
                    bad.append(f"{orig.name} seed={seed} {mut}: {outcome} {msg}")
        ex.shutdown()
    total = sum(sum(c.values()) for c in counts.values())
    print("| input | cases | outcomes |\n| --- | --- | --- |")
    for name, c in counts.items():
        print(f"| {name} | {sum(c.values())} | {', '.join(f'{k} {v}' for k, v in sorted(c.items()))} |")
    print("\n| format, mutator | cases | outcomes |\n| --- | --- | --- |")
    for name, c in sorted(by_mutator.items()):
        print(f"| {name} | {sum(c.values())} | {', '.join(f'{k} {v}' for k, v in sorted(c.items()))} |")
    print("\nfirst message of each failure outcome:")
    for key, msg in sorted(examples.items()):
        print(f"  {key}: {msg}")
    print(f"\n{total} cases in {time.time() - started:.0f} s; {len(bad)} not clean")
    for line in bad:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
