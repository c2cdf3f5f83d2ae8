"""Person-level linking attack (body colour histograms) and per-person coverage on the real clips.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/person_reid.py [--clips A.mp4 B.mp4] [--work DIR] [--reuse]
    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/person_reid.py --photos --clips   # the photo set only

Runs unseen's video pipeline on each clip with faces only (the default), --cover people --people
box and --people silhouette (fill magenta so covered pixels can be read back), finds person tracks
on the originals (the identity proxy) and prints two Markdown tables: rank-1 of the histogram
attacker against chance, and per track the share of its frames whose box is covered. Protocol and
limits: src/unseen_eval/person_reid.py. ``--photos`` also links across the identity-labelled photo
set (real identities, leave-one-out, as the face re-ID table does).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from unseen_eval.person_reid import MIN_TRACK, TRACK_THRESHOLD, PhotoRank1, Result, default_settings, photo_run, run

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"
IDENTITIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "identities_dev"
DEFAULT_CLIPS = [CLIPS / "short_hamilton_clip.mp4", CLIPS / "carphone_pristine.mp4"]
PEOPLE = ("faces (default)", "--cover people --people box", "--cover people --people silhouette")


def rank_table(res: Result) -> str:
    rows = [
        "| cover | attacker | queries | gallery (chance) | rank-1 % | 95 % interval (bootstrap over tracks) |",
        "|---|---|---|---|---|---|",
    ]
    for r in res.rank1:
        flag = " **!**" if r.above_chance else ""
        rows.append(
            f"| {r.setting} | {r.attacker} | {r.queries} | {r.gallery} ({100 * r.chance:.1f} %) | "
            f"{100 * r.rate:.0f}{flag} | {100 * r.interval[0]:.0f}-{100 * r.interval[1]:.0f} |"
        )
    return "\n".join(rows)


def photo_table(rows: list[PhotoRank1]) -> str:
    out = [
        "| cover | attacker | probes | identities (chance) | rank-1 % | Wilson 95 % | p (one-sided) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        flag = " **!**" if r.above_chance else ""
        out.append(
            f"| {r.setting} | {r.attacker} | {r.probes} | {r.identities} ({100 * r.chance:.1f} %) | "
            f"{100 * r.rate:.0f}{flag} | {100 * r.interval[0]:.0f}-{100 * r.interval[1]:.0f} | {r.p_value:.3f} |"
        )
    return "\n".join(out)


def coverage_table(res: Result) -> str:
    by = {(c.key, c.setting): c for c in res.coverage}
    head = (
        "| track | frames (detected) | "
        + " | ".join(f"{p.split()[-1].strip('()')}: frames >= 99 % / >= 90 % covered, mean share" for p in PEOPLE)
        + " |"
    )
    rows = [head, "|---|---|" + "---|" * len(PEOPLE)]
    tot = {p: np.zeros(3) for p in PEOPLE}
    n_frames = 0
    for t in res.tracks:
        cells = []
        for p in PEOPLE:
            c = by[(t.key, p)]
            k99, n = c.full(0.99)
            k90, _ = c.full(0.90)
            tot[p] += (k99, k90, c.shares.sum())
            cells.append(f"{k99}/{n} / {k90}/{n}, {100 * c.shares.mean():.0f} %")
        n_frames += len(t.frames)
        rows.append(f"| {t.key} | {len(t.frames)} ({sum(t.detected)}) | " + " | ".join(cells) + " |")
    cells = [
        f"{int(v[0])}/{n_frames} ({100 * v[0] / n_frames:.1f} %) / {int(v[1])}/{n_frames} "
        f"({100 * v[1] / n_frames:.1f} %), {100 * v[2] / n_frames:.1f} %"
        for v in tot.values()
    ]
    rows.append(f"| all tracks | {n_frames} | " + " | ".join(cells) + " |")
    # frames the tracker filled (person not detected at the identity threshold) apart
    for p in PEOPLE:
        k, n = 0, 0
        for c in res.coverage:
            if c.setting == p:
                a, b = c.full(0.99, "filled")
                k, n = k + a, n + b
        rows.append(f"\n{p}: of the {n} gap-filled track frames, {k} >= 99 % covered")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", nargs="*", type=Path, default=DEFAULT_CLIPS)
    ap.add_argument("--work", type=Path, help="keep the anonymized clips here (default: a temporary folder)")
    ap.add_argument("--reuse", action="store_true", help="reuse outputs already in --work")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--photos",
        type=Path,
        nargs="?",
        const=IDENTITIES,
        help=f"also (or, with --clips and nothing after it, only) link across an identity-labelled photo set (default {IDENTITIES})",
    )
    ap.add_argument("--json", type=Path, help="also write every number here")
    args = ap.parse_args(argv)
    missing = [str(c) for c in args.clips if not c.is_file()]
    if args.photos and not (args.photos / "identities.txt").is_file():
        missing.append(str(args.photos / "identities.txt"))
    if missing:
        print(f"missing clips: {missing}", file=sys.stderr)
        return 2
    if args.photos:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            rows, meta = photo_run(
                args.photos, default_settings(), Path(tmp), log=lambda s: print(s, file=sys.stderr, flush=True)
            )
            print(f"photos: {meta}; {time.perf_counter() - t0:.0f} s wall")
            print(photo_table(rows))
            print()
        if not args.clips:
            return 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        res = run(
            args.clips,
            default_settings(),
            work,
            reuse=args.reuse,
            seed=args.seed,
            log=lambda s: print(s, file=sys.stderr, flush=True),
        )
    secs = round(time.perf_counter() - t0, 1)
    usable = res.rank1[0].gallery
    print(
        f"{len(args.clips)} clips, {res.frames} frames; {len(res.tracks)} person tracks at score >= "
        f"{TRACK_THRESHOLD}, {usable} spanning >= {MIN_TRACK} frames (the gallery); {secs} s wall; {res.seconds}"
    )
    print()
    print(rank_table(res))
    print()
    print(coverage_table(res))
    print()
    print("Mean share of the picture painted (fill colour), per clip and cover:")
    for (clip, setting), share in res.painted.items():
        print(f"- {clip}, {setting}: {100 * share:.1f} %")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "seconds": secs,
                    "rank1": [r.__dict__ | {"interval": list(r.interval)} for r in res.rank1],
                    "painted": [{"clip": c, "setting": st, "share": v} for (c, st), v in res.painted.items()],
                    "coverage": [
                        {
                            "track": c.key,
                            "setting": c.setting,
                            "shares": c.shares.round(4).tolist(),
                            "detected": c.detected.tolist(),
                        }
                        for c in res.coverage
                    ],
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
