"""Plan loader: random hostile mutations of valid plans, counted by outcome; and the cost of a big
valid plan (build, save, load, peak memory of a load in a fresh process).

    python benchmarks/plan_fuzz.py --cases 5000            # the figures in docs/RELIABILITY.md
    python benchmarks/plan_fuzz.py --cases 0 --minutes 60  # only the big plan (docs/PLAN.md)

Outcomes: ``accepted`` (the loader returned a plan, and that plan saves and loads back equal),
``refused`` (an InputError, one line starting with the plan's name), ``BAD-MESSAGE`` (an
InputError whose text is not one such line), ``OTHER-EXCEPTION`` (anything else), ``HANG``
(over --timeout seconds). Cases replay from the seed: case i uses random.Random(seed * 1_000_003 + i).
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from tests.plan_cases import image_doc, video_doc
from tests.plan_mutate import mutate

from unseen.errors import InputError
from unseen.plan import InputInfo, build_plan, load_plan, plan_from_bytes, save_plan
from unseen.plan.encode import dumps
from unseen.settings import Settings


class Hang(Exception):
    pass


def _alarm(*_):
    raise Hang()


def fuzz(cases: int, seed: int, timeout: int) -> None:
    signal.signal(signal.SIGALRM, _alarm)
    counts: collections.Counter = collections.Counter()
    by_mutator: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    examples: dict[str, str] = {}
    slowest = (0.0, "")
    t0 = time.perf_counter()
    for i in range(cases):
        rng = random.Random(seed * 1_000_003 + i)
        name, data = mutate(video_doc() if rng.random() < 0.7 else image_doc(), rng)
        mut = name.split("+")[0]
        start = time.perf_counter()
        signal.alarm(timeout)
        try:
            plan = plan_from_bytes(data, "plan.json")
            outcome = "accepted" if plan_from_bytes(dumps(plan).encode(), "plan.json") == plan else "OTHER-EXCEPTION"
        except Hang:
            outcome = "HANG"
        except InputError as exc:
            msg = str(exc)
            outcome = "refused" if msg.startswith("plan.json: ") and "\n" not in msg else "BAD-MESSAGE"
            examples.setdefault(mut, msg[:140])
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            outcome = "OTHER-EXCEPTION"
            examples.setdefault("OTHER " + type(exc).__name__, f"case {i}: {exc!r}"[:200])
        finally:
            signal.alarm(0)
        took = time.perf_counter() - start
        if took > slowest[0]:
            slowest = (took, f"case {i} ({name}, {len(data)} bytes)")
        counts[outcome] += 1
        by_mutator[mut][outcome] += 1
    wall = time.perf_counter() - t0
    print(f"fuzz: {cases} cases, seed {seed}, {wall:.1f} s; slowest {slowest[0]:.2f} s: {slowest[1]}")
    print("outcomes:", dict(counts))
    print("| mutator | cases | accepted | refused | other |")
    print("| --- | --- | --- | --- | --- |")
    for mut in sorted(by_mutator):
        c = by_mutator[mut]
        other = sum(v for k, v in c.items() if k not in ("accepted", "refused"))
        print(f"| `{mut}` | {sum(c.values())} | {c['accepted']} | {c['refused']} | {other} |")
    for k, v in sorted(examples.items()):
        print(f"  e.g. {k}: {v}")


def _big_frames(n_frames: int, faces: int, fps: float):
    import numpy as np

    from unseen.types import Faces, Origin

    rng = np.random.default_rng(0)
    base = rng.uniform(0, 1600, size=(faces, 2))
    size = rng.uniform(20, 200, size=faces)
    tracks = np.arange(faces)
    origins = np.array([Origin.DETECTED, Origin.DILATED, Origin.INTERPOLATED, Origin.DETECTED, Origin.DETECTED][:faces] * (faces // 5 + 1))[:faces]
    for i in range(n_frames):
        xy = base + 30 * np.sin(i / 50 + tracks)[:, None]
        boxes = np.column_stack([xy, xy + size[:, None]]).astype(np.float32)
        scores = (0.5 + 0.49 * np.cos(i / 7 + tracks)).astype(np.float32)
        yield i, i / fps, Faces(boxes, scores, origins, tracks)


def big(minutes: float, faces: int, fps: float) -> None:
    n = int(minutes * 60 * fps)
    info = InputInfo("long.mp4", 10**10, "ab" * 32, "video", 1920, 1080, n, (1, 90000), fps, n / fps)
    frames = list(_big_frames(n, faces, fps))
    t = time.perf_counter()
    plan = build_plan(info, Settings(), "default/centerface", frames)
    t_build = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "plan.json"
        t = time.perf_counter()
        save_plan(plan, path)
        t_save = time.perf_counter() - t
        size = path.stat().st_size
        # VmHWM, not ru_maxrss: a child's ru_maxrss can report its parent's peak (RELIABILITY.md)
        hwm = "int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
        code = (
            "import sys,time;sys.path.insert(0,sys.argv[2]);from unseen.plan import load_plan;"
            f"t=time.perf_counter();p=load_plan(sys.argv[1]);t=time.perf_counter()-t;print(t, {hwm}, p.box_count)"
        )
        base = subprocess.run([sys.executable, "-c", f"import sys;sys.path.insert(0,sys.argv[1]);import unseen.plan;print({hwm})",
                               str(REPO / "src")], check=True, capture_output=True, text=True).stdout.split()
        out = subprocess.run([sys.executable, "-c", code, str(path), str(REPO / "src")], check=True, capture_output=True, text=True).stdout.split()
        t_load, rss, boxes = float(out[0]), int(out[1]), int(out[2])
        t = time.perf_counter()
        again = load_plan(path)
        t_load_here = time.perf_counter() - t
        assert again == plan
    print(f"big plan: {minutes:g} min at {fps:g} fps, {faces} faces per frame: {n} frames, {boxes} boxes, {len(plan.flags)} flags")
    print(f"  file {size / 1e6:.1f} MB; build {t_build:.1f} s, save {t_save:.1f} s (includes the loader's check), "
          f"load {t_load:.1f} s in a fresh process (again here: {t_load_here:.1f} s)")
    print(f"  peak memory (VmHWM) of the loading process {rss / 1024:.0f} MB (an idle one after importing unseen.plan: {int(base[0]) / 1024:.0f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--minutes", type=float, default=60.0, help="length of the big valid plan (0: skip)")
    ap.add_argument("--faces", type=int, default=5)
    ap.add_argument("--fps", type=float, default=30.0)
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if args.cases:
        fuzz(args.cases, args.seed, args.timeout)
    if args.minutes:
        big(args.minutes, args.faces, args.fps)


if __name__ == "__main__":
    main()
