"""Re-identification attacks on unseen's covers, with dlib's face recognizer (evaluation only).

Protocol (leave-one-out over an identity-labelled photo set, N identities):

* Every photo is a probe once; the gallery is every other photo (each identity keeps at least one
  gallery photo). Each photo is anonymized once per cover setting with unseen's own pipeline.
* The face region an attacker aims at is the face dlib finds in the ORIGINAL photo: an attacker
  knows where the face was. When dlib's detector finds no face in the covered output ("no face
  found"), the face is embedded there anyway (forced); both numbers are reported.
* Attacks:
  (a) naive     -- covered probe vs clean gallery, nearest neighbour per identity;
  (b) mismatch  -- the better of: covered probe vs a gallery covered with a DIFFERENT strength
                   (the attacker guessed the setting wrong), and a "restored" probe (mosaic
                   re-interpolated smoothly, blur sharpened) vs the clean gallery;
  (c) adaptive  -- a class-balanced linear (ridge) classifier on embeddings (the face chip and a
                   chip of twice the face box, to see hair and outline) of the COVERED
                   gallery photos of the identities, applied to the covered probe;
  (d) gallery   -- covered probe vs covered gallery (like with like), nearest neighbour.
* Rank-1 identification rate against chance 1/N with a Wilson 95 % interval and an exact
  one-sided binomial p-value; verification ROC AUC over all probe/gallery pairs (chance 0.5).
  Distances are Z-normed per gallery photo, and a tie for the top (e.g. all-black chips) counts
  as its expectation under random tie-breaking, so a cover that leaves nothing scores exactly
  chance, not the share of whichever identity happens to sit nearest an empty face.
* Known limits: 61 probes cannot show leaks of a few percent (the Wilson interval around chance
  is about +-7 points); dlib's chip shows the face and little around it, so an attacker with a
  model trained on covered heads (hair, outline, clothes) may do better than (c).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from unseen.detect import FaceDetector, FixedDetector
from unseen.detect.cache import detector_for
from unseen.geometry import grow
from unseen.pipeline.api import anonymize_array
from unseen.settings import Settings
from unseen.types import Faces

from .attacks import class_auc, distances, linear_identify, nn_identify, pair_auc
from .recognizer import Recognizer
from .stats import binom_p_above, wilson_interval

ALPHA = 0.05


# --------------------------------------------------------------------------------------------
# data


@dataclass
class Sample:
    """One labelled photo, scaled to the working size, with the face dlib found in it."""

    name: str
    identity: str
    image: np.ndarray  # RGB uint8
    box: tuple[int, int, int, int]  # dlib's face box in the clean photo
    faces: dict = field(default_factory=dict)  # detection settings -> what unseen's detector found (cached)


def _read_rgb(path: Path, max_side: int) -> np.ndarray:
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        w, h = im.size
        s = max_side / max(w, h)
        if s < 1:
            im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.LANCZOS)
        return np.asarray(im, np.uint8).copy()


def load_identities(root: Path, recognizer: Recognizer, *, max_side: int = 800) -> tuple[list[Sample], list[str]]:
    """Photos listed in ``root/identities.txt`` (``path identity``); returns samples and skips.

    Photos are scaled down to ``max_side`` (faces stay well over 100 px; this keeps a full sweep
    within minutes on 2 cores). A photo in which dlib finds no face in the original cannot serve
    as probe or gallery and is listed in the skips.
    """
    samples: list[Sample] = []
    skipped: list[str] = []
    for line in (root / "identities.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rel, ident = line.split()[:2]
        img = _read_rgb(root / rel, max_side)
        found = recognizer.detect(img, 1)
        if not found:
            skipped.append(rel)
            continue
        samples.append(Sample(rel, ident, img, found[0][0]))
    return samples, skipped


# --------------------------------------------------------------------------------------------
# covers


@dataclass(frozen=True)
class Cover:
    """One setting under test; ``settings is None`` means the original, uncovered photo."""

    name: str
    settings: Settings | None
    mismatch: str | None = None  # name of the cover an attacker wrongly assumes (attack b)


def default_covers() -> list[Cover]:
    """Every mode and strength the harness sweeps, with each one's mismatched partner."""
    covers = [Cover("original", None)]
    base = Settings()
    for shape in ("rect", "ellipse"):
        for scale in (1.0, 1.3, 1.6):
            partner = f"solid/{shape}/x{1.6 if scale != 1.6 else 1.0}"
            covers.append(Cover(f"solid/{shape}/x{scale}", base.replace(mode="solid", shape=shape, box_scale=scale), partner))
    for mode in ("mosaic", "blur"):
        for blocks in range(2, 9):
            partner = f"{mode}{blocks + 2 if blocks <= 6 else blocks - 2}/rect/x1.3"
            covers.append(
                Cover(f"{mode}{blocks}/rect/x1.3", base.replace(mode=mode, mosaic_blocks=blocks, box_scale=1.3), partner)
            )
        for blocks in (4, 8):
            covers.append(
                Cover(
                    f"{mode}{blocks}/ellipse/x1.3",
                    base.replace(mode=mode, mosaic_blocks=blocks, shape="ellipse", box_scale=1.3),
                    f"{mode}{blocks}/rect/x1.3",
                )
            )
        for blocks in (2, 4, 6, 8):
            covers.append(
                Cover(
                    f"{mode}{blocks}/rect/x1.6",
                    base.replace(mode=mode, mosaic_blocks=blocks, box_scale=1.6),
                    f"{mode}{blocks}/rect/x1.3",
                )
            )
    # the fast preset (YuNet) draws its own boxes: the head region follows them
    covers.append(Cover("solid/rect/x1.3/fast", base.replace(preset="fast", box_scale=1.3), "solid/rect/x1.3"))
    covers.append(Cover("solid/rect/x1.6/fast", base.replace(preset="fast", box_scale=1.6), "solid/rect/x1.3/fast"))
    # the presets' own growth since the whole-heads change: default 1.35x, thorough 1.4x
    covers.append(Cover("solid/rect/x1.35", base.replace(mode="solid", box_scale=1.35), "solid/rect/x1.6"))
    covers.append(
        Cover("solid/rect/x1.4/thorough", base.replace(preset="thorough", box_scale=1.4), "solid/rect/x1.35")
    )
    return covers


def restore(image: np.ndarray, region: tuple[int, int, int, int], settings: Settings | None) -> np.ndarray:
    """An attacker's attempt to undo a mosaic or blur inside ``region`` (a copy).

    Mosaic: sample each cell once and re-interpolate bicubically (removes the block edges that the
    recognizer keys on). Blur: unsharp mask. Solid and the original are returned unchanged.
    """
    out = image.copy()
    if settings is None or settings.mode == "solid":
        return out
    x1, y1, x2, y2 = (int(v) for v in region)
    sub = np.ascontiguousarray(out[y1:y2, x1:x2])
    h, w = sub.shape[:2]
    if h < 2 or w < 2:
        return out
    if settings.mode == "mosaic":
        n = settings.mosaic_blocks
        bw, bh = max(1, n * w // max(h, w)), max(1, n * h // max(h, w))
        small = cv2.resize(sub, (bw, bh), interpolation=cv2.INTER_AREA)
        patch = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    else:
        soft = cv2.GaussianBlur(sub, (0, 0), max(1.0, min(h, w) / 16))
        patch = cv2.addWeighted(sub, 2.5, soft, -1.5, 0)
    out[y1:y2, x1:x2] = patch
    return out


# --------------------------------------------------------------------------------------------
# embeddings


@dataclass
class CoverEmbeddings:
    """Embeddings of every sample under one cover."""

    cover: Cover
    vectors: np.ndarray  # (M, 128), forced where not found
    context: np.ndarray  # (M, 128): forced on a box twice the face's size (hair, ears, outline)
    found: np.ndarray  # (M,) bool: dlib re-detected the face in the covered photo
    detected: np.ndarray  # (M,) bool: unseen's detector found (and so covered) the face
    restored: np.ndarray | None = None  # (M, 128) embeddings of restore(covered)
    seconds: float = 0.0


def _face_detector(sample: Sample, kind: str, settings: Settings) -> FaceDetector:
    """What covers the faces: dlib's own box ("fixed") or unseen's detector ("unseen").

    Detection does not depend on the cover mode, so unseen's answer is computed once per photo
    (with the cover's detection settings) and replayed for every cover.
    """
    if kind == "fixed":
        return FixedDetector(Faces(np.asarray([sample.box], np.float32)))
    key = (settings.preset, settings.backend, settings.threshold)
    if key not in sample.faces:
        sample.faces[key] = detector_for(settings).detect(sample.image)
    return FixedDetector(sample.faces[key])


CONTEXT_SCALE = 2.0


def _grown(box: tuple[int, int, int, int], scale: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = grow(np.asarray([box], np.float64), scale)[0]
    h, w = shape[:2]
    return (max(0, int(x1)), max(0, int(y1)), min(w - 1, int(x2)), min(h - 1, int(y2)))


def _covers_face(regions: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(r[0] <= cx < r[2] and r[1] <= cy < r[3] for r in regions)


def embed_cover(
    recognizer: Recognizer,
    samples: list[Sample],
    cover: Cover,
    *,
    detector: str = "unseen",
    keep_images: bool = False,
) -> tuple[CoverEmbeddings, list[np.ndarray]]:
    """Anonymize every sample with ``cover`` and embed the face where it was."""
    t0 = time.perf_counter()
    vecs, ctx, found, detected, restored, images = [], [], [], [], [], []
    for s in samples:
        if cover.settings is None:
            out, regions = s.image, np.zeros((0, 4), np.int64)
            detected.append(False)
        else:
            res = anonymize_array(s.image, cover.settings, detector=_face_detector(s, detector, cover.settings))
            out, regions = res.image, res.regions
            detected.append(_covers_face(regions, s.box))
        emb = recognizer.embed(out, s.box)
        vecs.append(emb.vector)
        ctx.append(recognizer.embed_box(out, _grown(s.box, CONTEXT_SCALE, out.shape)))
        found.append(emb.found)
        if cover.settings is not None and cover.settings.mode != "solid":
            hit = [r for r in regions if _covers_face(np.asarray([r]), s.box)]
            fixed = restore(out, tuple(hit[0]), cover.settings) if hit else out
            restored.append(recognizer.embed_box(fixed, s.box))
        if keep_images:
            images.append(out)
    ce = CoverEmbeddings(
        cover,
        np.stack(vecs),
        np.stack(ctx),
        np.asarray(found, bool),
        np.asarray(detected, bool),
        np.stack(restored) if restored else None,
        time.perf_counter() - t0,
    )
    return ce, images


@dataclass
class AttackResult:
    correct: float  # expected successes (random tie-breaking counted as its expectation)
    n: int
    chance: float
    auc: float
    detail: str = ""

    @property
    def rate(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.correct, self.n)

    @property
    def p_value(self) -> float:
        return binom_p_above(round(self.correct), self.n, self.chance)

    @property
    def above_chance(self) -> bool:
        return self.p_value < ALPHA

    def to_dict(self) -> dict:
        lo, hi = self.interval
        return {
            "correct": round(self.correct, 2),
            "n": self.n,
            "rate": round(self.rate, 4),
            "ci95": [round(lo, 4), round(hi, 4)],
            "chance": round(self.chance, 4),
            "p_above_chance": round(self.p_value, 5),
            "auc": round(self.auc, 4),
            "detail": self.detail,
        }


@dataclass
class CoverReport:
    cover: str
    n: int
    found: int  # dlib re-detected the face in the covered probe
    missed_by_unseen: int  # unseen's detector did not cover the face at all
    attacks: dict[str, AttackResult] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "cover": self.cover,
            "n": self.n,
            "found": self.found,
            "missed_by_unseen": self.missed_by_unseen,
            "attacks": {k: v.to_dict() for k, v in self.attacks.items()},
            "seconds": round(self.seconds, 1),
        }


def attack(
    samples: list[Sample],
    clean: CoverEmbeddings,
    covered: CoverEmbeddings,
    mismatch: CoverEmbeddings | None,
    *,
    seed: int = 0,
) -> CoverReport:
    """Run attacks (a)-(d) for one cover; ``clean`` holds the original photos' embeddings."""
    labels = np.asarray([s.identity for s in samples])
    classes = np.unique(labels)
    m = len(samples)
    chance = 1 / len(classes)
    rep = CoverReport(covered.cover.name, m, int(covered.found.sum()), int((~covered.detected).sum()) if covered.cover.settings else 0)
    rep.seconds = covered.seconds

    d_a = distances(covered.vectors, clean.vectors)
    ok, _ = nn_identify(d_a, labels, classes)
    rep.attacks["a"] = AttackResult(float(ok.sum()), m, chance, pair_auc(d_a, labels), "forced: embedded where the face was")
    ok_found = ok * covered.found
    rep.attacks["a_found_only"] = AttackResult(
        float(ok_found.sum()), m, chance, float("nan"), "a face dlib cannot find counts as not identified"
    )

    variants: list[tuple[str, np.ndarray]] = []
    if mismatch is not None:
        variants.append((f"gallery as {mismatch.cover.name}", distances(covered.vectors, mismatch.vectors)))
    if covered.restored is not None:
        variants.append(("restored probe vs clean", distances(covered.restored, clean.vectors)))
    best: AttackResult | None = None
    for name, d in variants:
        ok, _ = nn_identify(d, labels, classes)
        r = AttackResult(float(ok.sum()), m, chance, pair_auc(d, labels), f"best of {len(variants)}: {name}")
        if best is None or (r.correct, r.auc) > (best.correct, best.auc):
            best = r
    if best is not None:
        rep.attacks["b"] = best

    feats = np.concatenate([covered.vectors, covered.context], axis=1)
    ok, scores = linear_identify(feats, feats, labels, classes)
    rep.attacks["c"] = AttackResult(
        float(ok.sum()), m, chance, class_auc(scores, labels, classes), "balanced ridge on covered gallery (face + head-context chips)"
    )

    d_d = distances(covered.vectors, covered.vectors)
    ok, _ = nn_identify(d_d, labels, classes)
    rep.attacks["d"] = AttackResult(float(ok.sum()), m, chance, pair_auc(d_d, labels), "covered probe vs covered gallery")
    return rep


def run(
    root: Path,
    covers: Iterable[Cover],
    *,
    detector: str = "unseen",
    max_side: int = 800,
    seed: int = 0,
    log: Callable[[str], None] = lambda s: None,
) -> tuple[list[CoverReport], dict]:
    """The whole sweep: load, embed the originals, then every cover and its attacks."""
    rec = Recognizer()
    samples, skipped = load_identities(root, rec, max_side=max_side)
    covers = list(covers)
    by_name = {c.name: c for c in covers}
    cache: dict[str, CoverEmbeddings] = {}

    def get(name: str) -> CoverEmbeddings:
        if name not in cache:
            cache[name], _ = embed_cover(rec, samples, by_name[name], detector=detector)
            log(f"  embedded {name} in {cache[name].seconds:.1f} s")
        return cache[name]

    clean = get("original") if "original" in by_name else embed_cover(rec, samples, Cover("original", None))[0]
    reports = []
    for c in covers:
        ce = get(c.name)
        mm = get(c.mismatch) if c.mismatch and c.mismatch in by_name else None
        rep = attack(samples, clean, ce, mm, seed=seed)
        reports.append(rep)
        log(format_row(rep))
    meta = {
        "samples": len(samples),
        "identities": len({s.identity for s in samples}),
        "skipped_no_face_in_original": skipped,
        "detector": detector,
        "max_side": max_side,
        "seed": seed,
    }
    return reports, meta


# --------------------------------------------------------------------------------------------
# report


def _cell(r: AttackResult | None) -> str:
    if r is None:
        return "-"
    lo, hi = r.interval
    mark = " **!**" if r.above_chance else ""
    return f"{r.correct:.0f}/{r.n} {100 * r.rate:.0f}% [{100 * lo:.0f}-{100 * hi:.0f}]{mark}"


def _auc(r: AttackResult | None) -> str:
    return "-" if r is None or r.auc != r.auc else f"{r.auc:.2f}"


HEADER = (
    "| cover | face found by dlib | missed by unseen | (a) naive | (a) found-only | (b) mismatch/restore | (c) adaptive | (d) gallery "
    "| AUC a / b / c / d |\n|---|---|---|---|---|---|---|---|---|"
)


def format_row(rep: CoverReport) -> str:
    a = rep.attacks
    aucs = " / ".join(_auc(a.get(k)) for k in ("a", "b", "c", "d"))
    return (
        f"| {rep.cover} | {rep.found}/{rep.n} | {rep.missed_by_unseen} | {_cell(a.get('a'))} | {_cell(a.get('a_found_only'))} "
        f"| {_cell(a.get('b'))} | {_cell(a.get('c'))} | {_cell(a.get('d'))} | {aucs} |"
    )


def format_table(reports: list[CoverReport]) -> str:
    return "\n".join([HEADER, *(format_row(r) for r in reports)])
