"""Start-up and one small photo end to end, as whole processes, beside deface on the same photo.

Each run is a fresh interpreter (what a user waits for when typing one command):

  import     ``python -c "import unseen.cli"``: the CLI's own imports
  help       ``unseen --help``
  photo      ``unseen PHOTO -o OUT --overwrite``: start-up, model load, detection, cover, write, verify
  deface     ``deface PHOTO -o OUT`` (deface 1.5.0 in its own venv, defaults)

Runs are interleaved (import, help, photo, deface, import, ...) so that the shared machine's drift
hits every row alike; the table gives the median and the spread of ``--repeats`` runs and the
ratio of medians to deface's. Usage::

    .venv/bin/python benchmarks/startup.py                       # examples/astronaut.jpg, 7 repeats
    .venv/bin/python benchmarks/startup.py --photo X.jpg --repeats 11 --deface ''
    git worktree add /tmp/old HEAD~3 && .venv/bin/python benchmarks/startup.py --before /tmp/old/src
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFACE = REPO / ".bench" / "deface-venv" / "bin" / "deface"


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", default=str(REPO / "examples" / "astronaut.jpg"))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--deface", default=str(DEFACE), help="deface executable ('' to skip)")
    ap.add_argument("--before", default="", help="an older checkout's src/ folder: its rows run beside (before/after)")
    args = ap.parse_args()
    photo = Path(args.photo)
    out = Path(tempfile.mkdtemp(prefix="unseen-startup-"))
    runs: dict[str, list[str]] = {
        "import unseen.cli": [sys.executable, "-c", "import unseen.cli"],
        "unseen --help": [sys.executable, "-m", "unseen", "--help"],
        "unseen PHOTO (default)": [sys.executable, "-m", "unseen", str(photo), "-o", str(out / "u.jpg"), "--overwrite"],
        "unseen PHOTO --fast": [sys.executable, "-m", "unseen", str(photo), "-o", str(out / "f.jpg"), "--overwrite", "--fast"],
    }
    envs: dict[str, dict[str, str] | None] = {name: None for name in runs}
    if args.before:
        old_env = {**os.environ, "PYTHONPATH": str(Path(args.before).resolve())}
        for name, cmd in list(runs.items()):
            runs[f"before: {name}"] = [c.replace(str(out / "u.jpg"), str(out / "bu.jpg")) for c in cmd]
            envs[f"before: {name}"] = old_env
    if args.deface:
        envs["deface PHOTO (defaults)"] = None
        runs["deface PHOTO (defaults)"] = [args.deface, str(photo), "-o", str(out / "d.jpg")]
    for name, cmd in runs.items():  # warm the page cache once; not timed
        timed(cmd, envs[name])
    walls: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, cmd in runs.items():
            walls[name].append(timed(cmd, envs[name]))
    ref = statistics.median(walls["deface PHOTO (defaults)"]) if args.deface else None
    print(f"photo: {photo.name}, {args.repeats} interleaved runs each, python {sys.version.split()[0]}")
    print("| run | median s | min-max s | vs deface (median) |")
    print("|---|---:|---:|---:|")
    for name, w in walls.items():
        med = statistics.median(w)
        ratio = f"{med / ref:.2f}x" if ref else "-"
        print(f"| {name} | {med:.2f} | {min(w):.2f}-{max(w):.2f} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
