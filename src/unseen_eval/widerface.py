"""Coverage of WIDER-format ground truth by any anonymizer's output.

Tool-neutral: it compares an output image with its original. A pixel counts as *covered* when it
changed (any channel; outputs must be lossless, e.g. PNG) or equals the solid fill colour in the
output (a black pixel painted black is still covered). A ground-truth face counts as covered
when at least ``FACE_COVER`` of the central half of its box (in each dimension) is covered.

Reported: coverage by face height bin, for the official easy / medium / hard lists and for all
valid faces (``invalid`` = 1 skipped), and *collateral*: the share of an image's pixels covered
outside every ground-truth box grown by 25 % on each side, averaged over images.

Command line (score a folder of outputs named ``<event>/<name>.png``)::

    python -m unseen_eval.widerface OUTPUTS_DIR [--data ../shared/data/widerface_dev]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FACE_COVER = 0.90  # share of the central half that must be covered
GROW = 0.25  # GT boxes grown by this on each side before collateral is counted
BINS: tuple[tuple[str, float, float], ...] = (
    ("<10", 0, 10),
    ("10-16", 10, 16),
    ("16-32", 16, 32),
    ("32-64", 32, 64),
    (">=64", 64, float("inf")),
)
SETTINGS = ("easy", "medium", "hard")


@dataclass
class ImageTruth:
    """Ground truth of one image: boxes ``(N, 4)`` as x, y, w, h; flags; official list members."""

    name: str
    boxes: np.ndarray
    invalid: np.ndarray
    lists: dict[str, set[int]] = field(default_factory=dict)  # setting -> 0-based indices

    @property
    def heights(self) -> np.ndarray:
        return self.boxes[:, 3].astype(np.float64)


# --- parsing --------------------------------------------------------------------------------
def parse_gt(text: str) -> list[ImageTruth]:
    """Parse ``wider_face_*_bbx_gt.txt`` (name, count, then count lines of 10 integers)."""
    lines = [ln.strip() for ln in text.splitlines()]
    out: list[ImageTruth] = []
    i = 0
    while i < len(lines):
        if not lines[i]:
            i += 1
            continue
        name = lines[i]
        try:
            n = int(lines[i + 1])
        except (IndexError, ValueError) as exc:
            raise ValueError(f"ground truth: expected a face count after {name!r} (line {i + 2})") from exc
        rows = [list(map(int, ln.split())) for ln in lines[i + 2 : i + 2 + max(n, 1)]]
        i += 2 + max(n, 1)  # an image with 0 faces still has one line of zeros
        rows = rows[:n]
        if any(len(r) < 8 for r in rows):
            raise ValueError(f"ground truth: short box line for {name!r}")
        arr = np.asarray(rows, np.int64).reshape(n, -1) if n else np.zeros((0, 10), np.int64)
        out.append(ImageTruth(name, arr[:, :4].copy(), arr[:, 7].astype(bool)))
    return out


def parse_list(text: str) -> dict[str, set[int]]:
    """Parse ``wider_<setting>_val.txt``: name then 1-based face indices -> 0-based index sets."""
    out: dict[str, set[int]] = {}
    for ln in text.splitlines():
        parts = ln.split()
        if parts:
            out[parts[0]] = {int(p) - 1 for p in parts[1:]}
    return out


def load(root: str | Path) -> list[ImageTruth]:
    """Ground truth and easy/medium/hard lists of a WIDER-format folder (see its README)."""
    root = Path(root)
    truth = parse_gt((root / "wider_face_split" / "wider_face_val_bbx_gt.txt").read_text())
    for setting in SETTINGS:
        path = root / "splits" / f"wider_{setting}_val.txt"
        lists = parse_list(path.read_text()) if path.exists() else {}
        for t in truth:
            t.lists[setting] = lists.get(t.name, set())
    return truth


# --- scoring one image ----------------------------------------------------------------------
def covered_mask(original: np.ndarray, output: np.ndarray, fill: Sequence[int] = (0, 0, 0)) -> np.ndarray:
    """``(H, W)`` bool: pixels that changed, or equal ``fill`` in the output (RGB arrays)."""
    if original.shape[:2] != output.shape[:2]:
        raise ValueError(f"output size {output.shape[:2]} differs from the original {original.shape[:2]}")
    a = original[..., :3]
    b = output[..., :3]
    changed = np.any(a != b, axis=2)
    is_fill = np.all(b == np.asarray(fill, b.dtype), axis=2)
    return changed | is_fill


def central_half(box: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    """Integer pixel span of the central half of an x, y, w, h box; at least 1 x 1, in the image."""
    x, y, w, h = (float(v) for v in box)
    x1, x2 = int(np.floor(x + w / 4)), int(np.ceil(x + 3 * w / 4))
    y1, y2 = int(np.floor(y + h / 4)), int(np.ceil(y + 3 * h / 4))
    x2, y2 = max(x2, x1 + 1), max(y2, y1 + 1)
    x1, x2 = min(max(x1, 0), width - 1), min(max(x2, 1), width)
    y1, y2 = min(max(y1, 0), height - 1), min(max(y2, 1), height)
    return x1, y1, max(x2, x1 + 1), max(y2, y1 + 1)


def faces_covered(truth: ImageTruth, mask: np.ndarray, need: float = FACE_COVER) -> np.ndarray:
    """Per GT face: is at least ``need`` of its central half covered in ``mask``?"""
    h, w = mask.shape
    out = np.zeros(len(truth.boxes), bool)
    for k, box in enumerate(truth.boxes):
        x1, y1, x2, y2 = central_half(box, w, h)
        out[k] = mask[y1:y2, x1:x2].mean() >= need
    return out


def collateral(truth: ImageTruth, mask: np.ndarray, grow: float = GROW) -> float:
    """Share of the image's pixels covered outside every GT box grown by ``grow`` per side."""
    h, w = mask.shape
    allowed = np.zeros_like(mask)
    for x, y, bw, bh in truth.boxes.astype(np.float64):
        x1, y1 = int(np.floor(x - grow * bw)), int(np.floor(y - grow * bh))
        x2, y2 = int(np.ceil(x + bw + grow * bw)), int(np.ceil(y + bh + grow * bh))
        allowed[max(y1, 0) : max(y2, 0), max(x1, 0) : max(x2, 0)] = True
    return float((mask & ~allowed).sum()) / max(1, h * w)


# --- aggregation ----------------------------------------------------------------------------
@dataclass
class ImageScore:
    name: str
    covered: np.ndarray  # per GT face
    collateral: float
    seconds: float = 0.0


@dataclass
class Summary:
    """Counts of covered / total faces per (group, bin); group is 'all' or a setting name."""

    covered: dict[tuple[str, str], int]
    total: dict[tuple[str, str], int]
    collateral: float
    seconds_per_image: float
    images: int
    cpu_per_image: float = float("nan")  # CPU seconds (all threads), when the caller measured it

    def rate(self, group: str, bins: Iterable[str]) -> float:
        c = sum(self.covered[(group, b)] for b in bins)
        t = sum(self.total[(group, b)] for b in bins)
        return c / t if t else float("nan")

    def setting_rate(self, setting: str) -> float:
        return self.rate(setting, [b[0] for b in BINS])

    @property
    def targets(self) -> dict[str, float]:
        """The four numbers the issue sets targets on (all valid faces)."""
        return {
            ">=16": self.rate("all", ["16-32", "32-64", ">=64"]),
            "10-16": self.rate("all", ["10-16"]),
            "<10": self.rate("all", ["<10"]),
            "collateral": self.collateral,
        }


def bin_of(height: float) -> str:
    for name, lo, hi in BINS:
        if lo <= height < hi:
            return name
    return BINS[-1][0]


def summarize(truth: Sequence[ImageTruth], scores: Sequence[ImageScore]) -> Summary:
    by_name = {s.name: s for s in scores}
    covered: dict[tuple[str, str], int] = {}
    total: dict[tuple[str, str], int] = {}
    for g in ("all", *SETTINGS):
        for b, _, _ in BINS:
            covered[(g, b)] = total[(g, b)] = 0
    coll, secs, n = [], [], 0
    for t in truth:
        s = by_name.get(t.name)
        if s is None:
            raise ValueError(f"no output scored for {t.name}")
        n += 1
        coll.append(s.collateral)
        secs.append(s.seconds)
        for k, hgt in enumerate(t.heights):
            b = bin_of(hgt)
            groups = [g for g in SETTINGS if k in t.lists.get(g, set())]
            if not t.invalid[k]:
                groups.append("all")
            for g in groups:
                total[(g, b)] += 1
                covered[(g, b)] += int(s.covered[k])
    return Summary(covered, total, float(np.mean(coll)) if coll else 0.0, float(np.mean(secs)) if secs else 0.0, n)


def score_arrays(truth: ImageTruth, original: np.ndarray, output: np.ndarray, fill: Sequence[int] = (0, 0, 0)) -> ImageScore:
    mask = covered_mask(original, output, fill)
    return ImageScore(truth.name, faces_covered(truth, mask), collateral(truth, mask))


# --- formatting -----------------------------------------------------------------------------
def table(rows: Sequence[tuple[str, Summary]], baseline: str | None = None) -> str:
    """A Markdown table: one row per tool/preset; ratios of time to ``baseline``'s row."""
    base = dict(rows).get(baseline) if baseline else None
    head = ["tool", *[b[0] for b in BINS], ">=16", "easy", "medium", "hard", "collateral %", "images/s", "s/image", "CPU s/image"]
    if base:
        head += [f"time / {baseline}", f"CPU / {baseline}"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, s in rows:
        cells = [label]
        cells += [f"{100 * s.rate('all', [b[0]]):.1f}" for b in BINS]
        cells.append(f"{100 * s.targets['>=16']:.1f}")
        cells += [f"{100 * s.setting_rate(g):.1f}" for g in SETTINGS]
        cells.append(f"{100 * s.collateral:.2f}")
        cells.append(f"{1 / s.seconds_per_image:.2f}" if s.seconds_per_image else "-")
        cells.append(f"{s.seconds_per_image:.3f}")
        cells.append(f"{s.cpu_per_image:.3f}")
        if base:
            cells.append(f"{s.seconds_per_image / base.seconds_per_image:.2f}" if base.seconds_per_image else "-")
            cells.append(f"{s.cpu_per_image / base.cpu_per_image:.2f}" if base.cpu_per_image else "-")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def counts_line(s: Summary) -> str:
    return "faces per bin (all valid): " + ", ".join(f"{b[0]}: {s.total[('all', b[0])]}" for b in BINS)


def _read_rgb(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def score_folder(data: Path, outputs: Path, suffix: str = ".png") -> Summary:
    truth = load(data)
    scores = []
    for t in truth:
        orig = _read_rgb(data / "WIDER_val" / "images" / t.name)
        out = _read_rgb((outputs / t.name).with_suffix(suffix))
        scores.append(score_arrays(t, orig, out))
    return summarize(truth, scores)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outputs", type=Path, help="folder of outputs <event>/<name>.png")
    ap.add_argument("--data", type=Path, default=Path("../shared/data/widerface_dev"))
    ap.add_argument("--suffix", default=".png")
    args = ap.parse_args(argv)
    s = score_folder(args.data, args.outputs, args.suffix)
    print(table([(str(args.outputs), s)]))
    print(counts_line(s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
