"""Mutate identifying ICC profiles and count what the canonicalizer does (for docs/RELIABILITY.md).

    python benchmarks/icc_fuzz.py --cases 20000 --seed 1

Each case damages one of the test suite's identifying profiles (v2 and v4 in turn; names, serials,
private tags, an embedded face JPEG: ``tests/icc_factory.py``) with the test's ``mutate`` (flipped
bytes, tag-table fields overwritten, cuts, tag counts changed). Outcomes: ``refused`` (a typed
error: the profile is dropped or the pixels converted), ``reduced`` (a canonical profile came
out), ``LEAK`` (a reduced profile holding a planted byte, a tag off the allow-list, or not
verifying as canonical), ``lcms-refused`` (littleCMS cannot open a reduced profile), ``CRASH``
(any other exception).
"""

from __future__ import annotations

import argparse
import collections
import io
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

import numpy as np  # noqa: E402
from PIL import ImageCms  # noqa: E402
from tests import icc_factory as icc  # noqa: E402
from tests.test_scrub_icc import COLOUR, mutate, planted  # noqa: E402

from unseen.errors import CorruptInput, UnsupportedFormat  # noqa: E402
from unseen.scrub.icc import canonical_icc, describe_icc, parse_icc  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    originals = {2: icc.leaky(2), 4: icc.leaky(4)}
    allowed = {b"desc", b"cprt", *COLOUR}
    outcomes: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    for case in range(args.cases):
        bad = mutate(originals[2 + 2 * (case % 2)], rng)
        try:
            describe_icc(bad)
            try:
                canon = canonical_icc(bad)
            except (CorruptInput, UnsupportedFormat):
                outcomes["refused"] += 1
                continue
            outcomes["reduced"] += 1
            if planted(canon) or describe_icc(canon) or not {t.sig for t in parse_icc(canon).tags} <= allowed:
                outcomes["LEAK"] += 1
            try:
                ImageCms.ImageCmsProfile(io.BytesIO(canon))
            except (ImageCms.PyCMSError, OSError):
                outcomes["lcms-refused"] += 1
        except Exception as exc:  # noqa: BLE001 - counting what should never happen
            outcomes["CRASH"] += 1
            print(f"case {case}: {exc!r}")
    print(f"{args.cases} cases, seed {args.seed}, {time.perf_counter() - started:.0f} s")
    for name in ("reduced", "refused", "LEAK", "lcms-refused", "CRASH"):
        print(f"  {name:13} {outcomes[name]}")


if __name__ == "__main__":
    main()
