"""Person-level linking attack on unseen's covers: body colour histograms (evaluation only).

An attacker who cannot see a face can still link the same person across frames or photos by what
they wear. This measures that with the simplest offline cue, colour, on real footage:

* **Identities (a proxy; there is no ground truth).** unseen's own person detector (NanoDet-g,
  tiled) at a HIGH threshold (:data:`TRACK_THRESHOLD`) on every frame of the ORIGINAL clip; boxes
  linked frame to frame by overlap (:func:`link_tracks`, broken at shot cuts, gaps of up to
  :data:`MAX_GAP` frames filled by interpolation). One track = one identity. The same person in
  two shots is two identities here, so the proxy asks "can this person be followed within a
  shot", not "across shots"; people the detector never finds at the threshold are not in it.
* **Query and gallery.** Per track of at least :data:`MIN_TRACK` frames: the gallery signature is
  the mean histogram of up to three detected frames in the first third of the track, the queries
  up to three detected frames in the last third (a different time window of the same track);
  the gallery holds every track of every clip.
* **Features** (:func:`body_histogram`): HSV histograms of the crop at the same box in the
  anonymized output, per horizontal stripe (upper and lower body), each stripe L1-normalised,
  square-rooted (so the Euclidean distance is the Hellinger distance). Three attackers: ``all``
  (every pixel of the crop), ``visible`` (pixels of the fill colour dropped: the attacker knows
  what a cover looks like and looks only at what is left) and ``core`` (visible pixels of the
  central half of the box's width: more body, less of the background beside it, which within a
  shot identifies the place as much as the person); and a control, ``around``, that sees none of
  the person: the visible pixels of a ring around the box (the box grown :data:`AROUND` per side,
  minus the box). What ``around`` scores is what the place alone gives within this proxy.
* **Score** (:func:`rank1`): the share of queries whose nearest gallery signature is their own
  track's; ties for the top count their expectation under random tie-breaking, so a cover that
  leaves every crop the same scores exactly chance (1 / gallery size). Interval: a percentile
  bootstrap over tracks (:func:`unseen_eval.stats.cluster_bootstrap`), since the queries of one
  track are not independent; a row is flagged when the interval's lower end is above chance.
* **Coverage** (:func:`covered_share`, :func:`fill_mask`): per track frame (detected or
  interpolated), the share of its box painted in the output, read from the output's pixels: the
  runs use a fill colour no real picture has in flat areas (:data:`PROBE_FILL`, magenta) so a
  covered pixel can be told from a dark scene pixel; the cover is otherwise the default one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from unseen.geometry import iou_matrix

from .stats import cluster_bootstrap

TRACK_THRESHOLD = 0.5  # person score for the identity proxy (the cover itself uses 0.25)
LINK_IOU = 0.3
MAX_GAP = 10  # frames a track may go undetected and still be linked (filled by interpolation)
MIN_TRACK = 15  # frames (first to last) for a track to give a query and a gallery window
PROBE_FILL = (255, 0, 255)
FILL_TOLERANCE = 60  # per channel, after H.264 at crf 18 and 4:2:0 chroma
HIST_BINS = (8, 4, 4)  # hue, saturation, value
STRIPES = 2
ATTACKERS = ("all", "visible", "core", "around")
AROUND = 0.25  # the "around" control: the box grown this share of its size per side, minus the box
CORE = (0.25, 0.75)  # the "core" attacker's columns, as shares of the box width


# --------------------------------------------------------------------------------------------
# features


def fill_mask(rgb: np.ndarray, fill: tuple[int, int, int] = PROBE_FILL, tol: int = FILL_TOLERANCE) -> np.ndarray:
    """Pixels within ``tol`` of the fill colour on every channel (what a solid cover left)."""
    diff = np.abs(rgb.astype(np.int16) - np.asarray(fill, np.int16)[None, None, :])
    return np.asarray(diff.max(axis=2) <= tol)


def body_histogram(
    crop: np.ndarray, keep: np.ndarray | None = None, *, bins: tuple[int, int, int] = HIST_BINS, stripes: int = STRIPES
) -> np.ndarray:
    """HSV histogram per horizontal stripe of an RGB crop, each stripe L1-normalised then square-rooted.

    ``keep`` (bool, crop-sized) selects the pixels counted; a stripe with none counted is all
    zeros (the same for every crop: no information, a tie).
    """
    h = crop.shape[0]
    hsv = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2HSV)
    hb = (hsv[..., 0].astype(np.int64) * bins[0]) // 180
    sb = (hsv[..., 1].astype(np.int64) * bins[1]) // 256
    vb = (hsv[..., 2].astype(np.int64) * bins[2]) // 256
    code = (hb * bins[1] + sb) * bins[2] + vb
    n = bins[0] * bins[1] * bins[2]
    parts = []
    for s in range(stripes):
        y1, y2 = (s * h) // stripes, ((s + 1) * h) // stripes
        c = code[y1:y2]
        if keep is not None:
            c = c[keep[y1:y2]]
        hist = np.bincount(c.ravel(), minlength=n).astype(np.float64)
        total = hist.sum()
        parts.append(np.sqrt(hist / total) if total > 0 else hist)
    return np.concatenate(parts) / np.sqrt(stripes)


def core_columns(shape: tuple[int, ...], core: tuple[float, float] = CORE) -> np.ndarray:
    """A crop-sized mask of its central columns (the body rather than the background beside it)."""
    keep = np.zeros(shape[:2], bool)
    w = shape[1]
    keep[:, int(np.floor(core[0] * w)) : max(int(np.floor(core[0] * w)) + 1, int(np.ceil(core[1] * w)))] = True
    return keep


def around(box: np.ndarray, shape: tuple[int, ...], grow: float = AROUND) -> tuple[np.ndarray, np.ndarray]:
    """The box grown ``grow`` of its size per side (clipped to the picture), and a mask, sized like
    that crop, of where the box itself lies in it (so ``~inside`` is the ring around the person)."""
    h, w = shape[:2]
    bw, bh = box[2] - box[0], box[3] - box[1]
    big = np.array(
        [
            max(0.0, box[0] - grow * bw),
            max(0.0, box[1] - grow * bh),
            min(float(w), box[2] + grow * bw),
            min(float(h), box[3] + grow * bh),
        ]
    )
    x1, y1 = int(np.floor(big[0])), int(np.floor(big[1]))
    cw = max(x1 + 1, int(np.ceil(big[2]))) - x1
    ch = max(y1 + 1, int(np.ceil(big[3]))) - y1
    inside = np.zeros((ch, cw), bool)
    inside[
        int(np.floor(box[1])) - y1 : int(np.ceil(box[3])) - y1, int(np.floor(box[0])) - x1 : int(np.ceil(box[2])) - x1
    ] = True
    return big, inside


def crop(rgb: np.ndarray, box: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    x1, y1 = int(max(0, np.floor(box[0]))), int(max(0, np.floor(box[1])))
    x2, y2 = int(min(w, np.ceil(box[2]))), int(min(h, np.ceil(box[3])))
    return rgb[y1 : max(y1 + 1, y2), x1 : max(x1 + 1, x2)]


def covered_share(mask: np.ndarray, box: np.ndarray) -> float:
    """Share of the pixels of ``box`` (x1, y1, x2, y2, clipped to the mask) that are True in ``mask``."""
    part = crop(mask, box)
    return float(part.mean()) if part.size else 1.0


# --------------------------------------------------------------------------------------------
# matching


def hellinger(queries: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """Euclidean distances between square-rooted histograms (rows), ``(len(queries), len(gallery))``."""
    q, g = np.asarray(queries, np.float64), np.asarray(gallery, np.float64)
    d2 = (q * q).sum(1)[:, None] + (g * g).sum(1)[None, :] - 2 * q @ g.T
    return np.sqrt(np.maximum(d2, 0.0))


def rank1(dist: np.ndarray, query_ids: np.ndarray, gallery_ids: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Per query, the expected rank-1 success: 1 / (number tied for the smallest distance) when its
    own gallery entry is among them, else 0. Gallery entries are one per identity."""
    out = np.zeros(dist.shape[0])
    for i in range(dist.shape[0]):
        best = np.flatnonzero(dist[i] <= dist[i].min() + tol)
        out[i] = float(np.any(gallery_ids[best] == query_ids[i])) / len(best)
    return out


# --------------------------------------------------------------------------------------------
# identities: person tracks on the original clip


@dataclass
class Track:
    """One person track on one clip: its frames in order, the box per frame, and which were detected."""

    clip: str
    track_id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    detected: list[bool] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.clip}#{self.track_id}"

    @property
    def span(self) -> int:
        return self.frames[-1] - self.frames[0] + 1 if self.frames else 0

    def box_at(self) -> dict[int, np.ndarray]:
        return dict(zip(self.frames, self.boxes, strict=True))


def link_tracks(
    detections: Sequence[np.ndarray],
    cuts: Sequence[bool],
    *,
    clip: str = "",
    iou_min: float = LINK_IOU,
    max_gap: int = MAX_GAP,
) -> list[Track]:
    """Greedy overlap tracking of per-frame boxes ``(N, 4)``; a cut (``cuts[i]``: frame i starts a
    shot) ends every track. Frames a track skipped (at most ``max_gap``) get interpolated boxes."""
    tracks: list[Track] = []
    active: list[Track] = []
    for i, boxes in enumerate(detections):
        if cuts[i]:
            active = []
        active = [t for t in active if i - t.frames[-1] <= max_gap + 1]
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        taken: set[int] = set()
        if active and len(boxes):
            iou = iou_matrix(np.array([t.boxes[-1] for t in active]), boxes)
            for flat in np.argsort(-iou, axis=None):
                a, b = divmod(int(flat), len(boxes))
                if iou[a, b] < iou_min:
                    break
                t = active[a]
                if b in taken or t.frames[-1] == i:
                    continue
                _extend(t, i, boxes[b])
                taken.add(b)
        for b in range(len(boxes)):
            if b not in taken:
                t = Track(clip, len(tracks), [i], [boxes[b]], [True])
                tracks.append(t)
                active.append(t)
    return tracks


def _extend(t: Track, frame: int, box: np.ndarray) -> None:
    last, lbox = t.frames[-1], t.boxes[-1]
    for f in range(last + 1, frame):
        a = (f - last) / (frame - last)
        t.frames.append(f)
        t.boxes.append((1 - a) * lbox + a * box)
        t.detected.append(False)
    t.frames.append(frame)
    t.boxes.append(box)
    t.detected.append(True)


def sample_windows(t: Track, per_window: int = 3) -> tuple[list[int], list[int]]:
    """Up to ``per_window`` detected frames, evenly spread, in the first and the last third of ``t``."""
    third = t.span / 3
    first = [f for f, d in zip(t.frames, t.detected, strict=True) if d and f - t.frames[0] < third]
    last = [f for f, d in zip(t.frames, t.detected, strict=True) if d and t.frames[-1] - f < third]

    def spread(fs: list[int]) -> list[int]:
        if len(fs) <= per_window:
            return fs
        return (
            [fs[round(k * (len(fs) - 1) / (per_window - 1))] for k in range(per_window)] if per_window > 1 else fs[:1]
        )

    return spread(first), spread(last)


# --------------------------------------------------------------------------------------------
# video I/O (PyAV; frames in decode order, RGB)


def iter_frames(path: Path) -> Iterator[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


# --------------------------------------------------------------------------------------------
# the experiment


@dataclass(frozen=True)
class CoverSetting:
    """One way of anonymizing the clips: ``cover``/``people`` as on the command line; ``None`` = the original."""

    name: str
    cover: str | None
    people: str = "box"


def default_settings() -> list[CoverSetting]:
    return [
        CoverSetting("original (no cover)", None),
        CoverSetting("faces (default)", "faces"),
        CoverSetting("--cover people --people box", "people", "box"),
        CoverSetting("--cover people --people silhouette", "people", "silhouette"),
    ]


@dataclass
class ClipTracks:
    path: Path
    frames: int
    tracks: list[Track]
    seconds: float


def find_tracks(path: Path, *, threshold: float = TRACK_THRESHOLD, log=print) -> ClipTracks:
    """The identity proxy on one original clip: person detections at ``threshold`` on every frame,
    linked by :func:`link_tracks` with unseen's shot-cut detector."""
    import time

    from unseen.detect.people import NanoDetNet, PersonDetector
    from unseen.track.cuts import ShotCutDetector

    det = PersonDetector(NanoDetNet(), threshold=threshold)
    cut = ShotCutDetector()
    boxes, cuts = [], []
    t0 = time.process_time()
    for rgb in iter_frames(path):
        cuts.append(cut.is_cut(rgb))
        boxes.append(det.people(rgb).boxes)
    tracks = link_tracks(boxes, cuts, clip=path.stem)
    secs = time.process_time() - t0
    log(f"{path.name}: {len(boxes)} frames, {sum(cuts)} cuts, {len(tracks)} tracks, {secs:.0f} CPU-s")
    return ClipTracks(path, len(boxes), tracks, secs)


@dataclass
class TrackMeasure:
    """What one cover setting left of one track: coverage per frame and the sampled histograms."""

    covered: dict[int, float] = field(default_factory=dict)  # frame -> share of the box painted
    hists: dict[str, dict[int, np.ndarray]] = field(default_factory=lambda: {a: {} for a in ATTACKERS})


def measure_output(
    path: Path, tracks: Sequence[Track], samples: dict[str, set[int]], fill: tuple[int, int, int] = PROBE_FILL
) -> tuple[dict[str, TrackMeasure], float]:
    """One pass over an output (or the original) clip: coverage of every track box on every frame,
    the histograms at each track's sampled frames (``samples[track.key]``), and the mean share of
    the picture painted (over frames)."""
    at = {t.key: t.box_at() for t in tracks}
    out = {t.key: TrackMeasure() for t in tracks}
    painted = []
    for i, rgb in enumerate(iter_frames(path)):
        mask = fill_mask(rgb, fill)
        painted.append(float(mask.mean()))
        for t in tracks:
            box = at[t.key].get(i)
            if box is None:
                continue
            m = out[t.key]
            m.covered[i] = covered_share(mask, box)
            if i in samples[t.key]:
                c, k = crop(rgb, box), crop(mask, box)
                m.hists["all"][i] = body_histogram(c)
                m.hists["visible"][i] = body_histogram(c, ~k)
                m.hists["core"][i] = body_histogram(c, ~k & core_columns(k.shape))
                ring, inside = around(box, rgb.shape)
                m.hists["around"][i] = body_histogram(crop(rgb, ring), ~crop(mask, ring) & ~inside)
    return out, float(np.mean(painted)) if painted else 0.0


@dataclass
class Rank1:
    setting: str
    attacker: str
    queries: int
    gallery: int
    rate: float
    chance: float
    interval: tuple[float, float]

    @property
    def above_chance(self) -> bool:
        return self.interval[0] > self.chance


def score(
    setting: str,
    attacker: str,
    tracks: Sequence[Track],
    windows: dict[str, tuple[list[int], list[int]]],
    measures: dict[str, TrackMeasure],
    *,
    seed: int = 0,
) -> Rank1:
    """Rank-1 of every query of every usable track against one gallery signature per track."""
    usable = [t for t in tracks if t.key in windows]
    gallery = np.array([np.mean([measures[t.key].hists[attacker][f] for f in windows[t.key][0]], 0) for t in usable])
    gids = np.array([t.key for t in usable])
    qs, qids = [], []
    for t in usable:
        for f in windows[t.key][1]:
            qs.append(measures[t.key].hists[attacker][f])
            qids.append(t.key)
    qids_a = np.array(qids)
    ok = rank1(hellinger(np.array(qs), gallery), qids_a, gids)
    return Rank1(
        setting,
        attacker,
        len(qs),
        len(usable),
        float(ok.mean()),
        1 / len(usable),
        cluster_bootstrap(ok, qids_a, seed=seed),
    )


def anonymize(src: Path, dst: Path, setting: CoverSetting) -> float:
    """unseen's real video pipeline with ``setting`` and :data:`PROBE_FILL`; wall seconds."""
    import time

    from unseen.pipeline.api import anonymize_video
    from unseen.settings import Settings

    t0 = time.perf_counter()
    anonymize_video(src, dst, Settings(cover=setting.cover or "faces", people=setting.people, fill=PROBE_FILL))
    return time.perf_counter() - t0


@dataclass
class Coverage:
    """One track under one cover setting: per-frame painted share of its box, detected frames apart."""

    key: str
    setting: str
    shares: np.ndarray
    detected: np.ndarray

    def full(self, need: float = 0.99, which: str = "all") -> tuple[int, int]:
        sel = {"all": np.ones_like(self.detected), "detected": self.detected, "filled": ~self.detected}[which]
        return int((self.shares[sel] >= need).sum()), int(sel.sum())


@dataclass
class Result:
    tracks: list[Track]
    rank1: list[Rank1]
    coverage: list[Coverage]
    frames: int
    seconds: dict[str, float]
    painted: dict[tuple[str, str], float]  # (clip, setting) -> mean share of the picture painted


def run(
    clips: Sequence[Path],
    settings: Sequence[CoverSetting],
    workdir: Path,
    *,
    reuse: bool = False,
    min_track: int = MIN_TRACK,
    seed: int = 0,
    log=print,
) -> Result:
    """Identities on the originals, each setting's outputs made (or reused) in ``workdir``, every
    output measured once; rank-1 per (setting, attacker) and coverage per (track, setting)."""
    seconds: dict[str, float] = {}
    found = [find_tracks(c, log=log) for c in clips]
    seconds["person tracks (CPU-s)"] = round(sum(f.seconds for f in found), 1)
    tracks = [t for f in found for t in f.tracks]
    windows = {}
    for t in tracks:
        if t.span >= min_track:
            g, q = sample_windows(t)
            if g and q:
                windows[t.key] = (g, q)
    samples = {t.key: set(sum(windows.get(t.key, ([], [])), [])) for t in tracks}
    ranks, cover = [], []
    painted: dict[tuple[str, str], float] = {}
    for st in settings:
        measures: dict[str, TrackMeasure] = {}
        for f in found:
            src = f.path
            if st.cover is not None:
                dst = workdir / f"{f.path.stem}.{st.cover}-{st.people}.mp4"
                if not (reuse and dst.is_file()):
                    dst.unlink(missing_ok=True)
                    secs = anonymize(f.path, dst, st)
                    seconds[f"{f.path.name} {st.name} (wall s)"] = round(secs, 1)
                    log(f"{dst.name}: {secs:.0f} s")
                src = dst
            m, share = measure_output(src, f.tracks, samples)
            measures.update(m)
            painted[(f.path.name, st.name)] = share
        for attacker in ATTACKERS:
            ranks.append(score(st.name, attacker, tracks, windows, measures, seed=seed))
        for t in tracks:
            got = measures[t.key].covered
            cover.append(Coverage(t.key, st.name, np.array([got[i] for i in t.frames]), np.array(t.detected, bool)))
    return Result(tracks, ranks, cover, sum(f.frames for f in found), seconds, painted)


# --------------------------------------------------------------------------------------------
# photos with real identities (identities_dev): leave-one-out, as the face re-ID table does


@dataclass
class PhotoRank1:
    setting: str
    attacker: str
    probes: int
    identities: int
    rate: float
    interval: tuple[float, float]
    p_value: float

    @property
    def chance(self) -> float:
        return 1 / self.identities

    @property
    def above_chance(self) -> bool:
        return self.p_value < 0.05


def _scaled_png(src: Path, dst: Path, max_side: int) -> np.ndarray:
    from PIL import Image, ImageOps

    with Image.open(src) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        s = max_side / max(im.size)
        if s < 1:
            im = im.resize((max(1, round(im.size[0] * s)), max(1, round(im.size[1] * s))), Image.Resampling.LANCZOS)
        im.save(dst)
        return np.asarray(im, np.uint8).copy()


def photo_run(
    root: Path,
    settings: Sequence[CoverSetting],
    workdir: Path,
    *,
    max_side: int = 800,
    threshold: float = TRACK_THRESHOLD,
    log=print,
) -> tuple[list[PhotoRank1], dict[str, int]]:
    """Body-histogram linking across the photos of ``root/identities.txt`` (real identities).

    The person is the largest person box (score >= ``threshold``) in the scaled original; every
    photo is a probe once against all the others (nearest photo per identity, ties at random);
    Wilson 95 % interval and exact one-sided binomial p against chance 1 / identities.
    """
    from PIL import Image

    from unseen.detect.people import NanoDetNet, PersonDetector
    from unseen.pipeline.api import anonymize_image
    from unseen.settings import Settings

    from .stats import binom_p_above, wilson_interval

    det = PersonDetector(NanoDetNet(), threshold=threshold)
    items: list[tuple[str, str, Path, np.ndarray]] = []
    skipped = 0
    for line in (root / "identities.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rel, ident = line.split()[:2]
        png = workdir / (Path(rel).stem + ".png")
        rgb = _scaled_png(root / rel, png, max_side)
        people = det.people(rgb)
        if len(people) == 0:
            skipped += 1
            continue
        areas = (people.boxes[:, 2] - people.boxes[:, 0]) * (people.boxes[:, 3] - people.boxes[:, 1])
        items.append((rel, ident, png, people.boxes[int(np.argmax(areas))].astype(np.float64)))
    labels = np.array([it[1] for it in items])
    out: list[PhotoRank1] = []
    for st in settings:
        feats: dict[str, list[np.ndarray]] = {a: [] for a in ATTACKERS}
        for _rel, _, png, box in items:
            path = png
            if st.cover is not None:
                path = workdir / f"{png.stem}.{st.cover}-{st.people}.png"
                anonymize_image(png, path, Settings(cover=st.cover, people=st.people, fill=PROBE_FILL))
            with Image.open(path) as im:
                rgb = np.asarray(im.convert("RGB"), np.uint8)
            mask = fill_mask(rgb, PROBE_FILL, tol=8)  # a photo is lossless PNG here: the fill is exact
            c, k = crop(rgb, box), crop(mask, box)
            feats["all"].append(body_histogram(c))
            feats["visible"].append(body_histogram(c, ~k))
            feats["core"].append(body_histogram(c, ~k & core_columns(k.shape)))
            ring, inside = around(box, rgb.shape)
            feats["around"].append(body_histogram(crop(rgb, ring), ~crop(mask, ring) & ~inside))
        log(f"photos, {st.name}: done")
        for attacker in ATTACKERS:
            x = np.array(feats[attacker])
            d = hellinger(x, x)
            np.fill_diagonal(d, np.inf)
            ok = np.zeros(len(items))
            for i in range(len(items)):
                ids = np.unique(labels[np.arange(len(items)) != i])
                best = np.array([d[i, labels == c].min() for c in ids])
                ok[i] = rank1(best[None], labels[i : i + 1], ids)[0]
            n_id = len(np.unique(labels))
            k_ok = round(float(ok.sum()))
            out.append(
                PhotoRank1(
                    st.name,
                    attacker,
                    len(items),
                    n_id,
                    float(ok.mean()),
                    wilson_interval(k_ok, len(items)),
                    binom_p_above(k_ok, len(items), 1 / n_id),
                )
            )
    return out, {"photos": len(items), "skipped (no person found)": skipped}


__all__ = [
    "PROBE_FILL",
    "TRACK_THRESHOLD",
    "Track",
    "body_histogram",
    "covered_share",
    "crop",
    "fill_mask",
    "hellinger",
    "iter_frames",
    "link_tracks",
    "rank1",
    "sample_windows",
]
