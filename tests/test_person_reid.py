"""The person-level linking attack's parts: histograms, the rank-1 matcher, coverage, tracks.

Generated pictures and clips only (no network, no ../shared).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from unseen_eval import person_reid as pr
from unseen_eval.stats import cluster_bootstrap, wilson_interval


def _person(rng: np.random.Generator, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    """A 60x30 'person': a shirt colour over a trouser colour, with a little noise."""
    img = np.zeros((60, 30, 3), np.int16)
    img[:30] = top
    img[30:] = bottom
    img += rng.integers(-6, 7, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _outfits(n: int, seed: int = 0) -> list[tuple[tuple[int, int, int], tuple[int, int, int]]]:
    rng = np.random.default_rng(seed)
    return [(tuple(rng.integers(30, 226, 3)), tuple(rng.integers(30, 226, 3))) for _ in range(n)]  # type: ignore[misc]


def test_identical_crops_rank_first():
    rng = np.random.default_rng(1)
    outfits = _outfits(12)
    gallery = np.array([pr.body_histogram(_person(rng, t, b)) for t, b in outfits])
    # a second noisy crop of each outfit as the query
    queries = np.array([pr.body_histogram(_person(rng, t, b)) for t, b in outfits])
    ids = np.arange(12)
    assert pr.rank1(pr.hellinger(queries, gallery), ids, ids).mean() == 1.0
    # the very same histograms: distance 0 on the diagonal
    assert np.allclose(np.diag(pr.hellinger(gallery, gallery)), 0.0, atol=1e-6)


def test_shirt_and_trousers_swapped_are_told_apart():
    # the same two colours, upper and lower body swapped: one histogram over the whole crop would
    # tie them; the stripes do not
    rng = np.random.default_rng(2)
    a = pr.body_histogram(_person(rng, (200, 30, 30), (30, 30, 200)))
    b = pr.body_histogram(_person(rng, (30, 30, 200), (200, 30, 30)))
    a2 = pr.body_histogram(_person(rng, (200, 30, 30), (30, 30, 200)))
    d = pr.hellinger(a2[None], np.stack([a, b]))[0]
    assert d[0] < 0.2 < d[1]


def test_covered_crops_score_exactly_chance():
    # every crop painted the same: every distance ties, each query is worth 1 / gallery size
    fill = np.full((60, 30, 3), pr.PROBE_FILL, np.uint8)
    g = 9
    gallery = np.array([pr.body_histogram(fill) for _ in range(g)])
    queries = np.array([pr.body_histogram(fill) for _ in range(3 * g)])
    ok = pr.rank1(pr.hellinger(queries, gallery), np.repeat(np.arange(g), 3), np.arange(g))
    assert ok == pytest.approx(np.full(3 * g, 1 / g))
    # the "visible" attacker on a fully covered crop sees nothing at all: all-zero histograms, ties too
    empty = pr.body_histogram(fill, ~pr.fill_mask(fill))
    assert not empty.any()


def test_shuffled_identities_score_chance():
    # queries carry no identity: each is drawn from a random outfit, its label from another draw
    rng = np.random.default_rng(3)
    g = 10
    outfits = _outfits(g, seed=4)
    gallery = np.array([pr.body_histogram(_person(rng, t, b)) for t, b in outfits])
    n = 1500
    picks = rng.integers(0, g, n)
    queries = np.array([pr.body_histogram(_person(rng, *outfits[k])) for k in picks])
    labels = rng.permutation(picks)  # the same label counts, unrelated to what each crop shows
    ok = pr.rank1(pr.hellinger(queries, gallery), labels, np.arange(g))
    lo, hi = wilson_interval(round(ok.sum()), n)
    assert lo <= 1 / g <= hi
    # and the matcher itself is not blind: with the true labels it is perfect
    assert pr.rank1(pr.hellinger(queries, gallery), picks, np.arange(g)).mean() == 1.0


def test_covered_share_on_a_hand_made_mask():
    mask = np.zeros((100, 200), bool)
    mask[20:80, 50:150] = True
    assert pr.covered_share(mask, np.array([50, 20, 150, 80])) == 1.0
    assert pr.covered_share(mask, np.array([100, 20, 200, 80])) == pytest.approx(0.5)
    assert pr.covered_share(mask, np.array([0, 0, 40, 10])) == 0.0
    # fractional boxes take every pixel they touch; a box hanging off the picture is clipped
    assert pr.covered_share(mask, np.array([49.5, 19.5, 150.2, 80.7])) < 1.0
    assert pr.covered_share(mask, np.array([140, 70, 260, 130])) == pytest.approx(100 / (60 * 30))


def test_fill_mask_tells_the_cover_from_dark_pixels():
    img = np.zeros((40, 40, 3), np.uint8)  # a black (dark) scene
    img[10:30, 10:30] = pr.PROBE_FILL
    m = pr.fill_mask(img)
    assert m[10:30, 10:30].all() and m.sum() == 400


def test_around_is_the_ring_outside_the_box():
    big, inside = pr.around(np.array([40.0, 40.0, 60.0, 80.0]), (200, 200, 3))
    assert big.tolist() == [35.0, 30.0, 65.0, 90.0]
    assert inside.shape == (60, 30) and inside.sum() == 20 * 40 and inside[10:50, 5:25].all()
    big, inside = pr.around(np.array([0.0, 0.0, 20.0, 20.0]), (100, 100, 3))  # clipped at the corner
    assert big.tolist() == [0.0, 0.0, 25.0, 25.0] and inside.sum() == 400


def _write(path: Path, frames: list[np.ndarray]) -> None:
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=30)
        vs.height, vs.width = frames[0].shape[:2]
        vs.pix_fmt = "yuv420p"
        vs.codec_context.options = {"crf": "18", "preset": "veryfast"}
        for f in frames:
            for p in vs.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)


def test_coverage_read_back_from_an_encoded_clip(tmp_path):
    # a person box on a dark, noisy scene; the "output" paints all of it on frames 0-4, its left half
    # on 5-9 and nothing on 10-11; H.264 at crf 18 with 4:2:0 chroma in between
    rng = np.random.default_rng(5)
    box = np.array([32.0, 16.0, 64.0, 80.0])
    scene = [np.clip(rng.normal(12, 6, (96, 128, 3)), 0, 255).astype(np.uint8) for _ in range(12)]
    out = []
    for i, f in enumerate(scene):
        g = f.copy()
        g[16:80, 32:64] = (200, 120, 40)
        if i < 5:
            g[16:80, 32:64] = pr.PROBE_FILL
        elif i < 10:
            g[16:80, 32:48] = pr.PROBE_FILL
        out.append(g)
    clip = tmp_path / "out.mp4"
    _write(clip, out)
    track = pr.Track("c", 0, list(range(12)), [box] * 12, [True] * 12)
    measures, painted = pr.measure_output(clip, [track], {"c#0": {0, 7, 11}})
    shares = np.array([measures["c#0"].covered[i] for i in range(12)])
    assert (shares[:5] >= 0.99).all()
    assert np.allclose(shares[5:10], 0.5, atol=0.05)
    assert (shares[10:] < 0.01).all()
    assert painted == pytest.approx((5 * 2048 + 5 * 1024) / 12 / (96 * 128), rel=0.05)
    h = measures["c#0"].hists
    assert not h["visible"][0].any() and h["visible"][7].any() and h["all"][0].any()
    cover = pr.Coverage("c#0", "x", shares, np.ones(12, bool))
    assert cover.full(0.99) == (5, 12)


def test_link_tracks_fills_gaps_and_stops_at_cuts():
    a = np.array([[10.0, 10.0, 30.0, 60.0]])
    b = np.array([[100.0, 10.0, 120.0, 60.0]])
    none = np.zeros((0, 4))
    shift = np.array([[2.0, 0.0, 2.0, 0.0]])
    dets = [np.vstack([a, b]), np.vstack([a + shift, b]), b, b, np.vstack([a + 3 * shift, b]), np.vstack([a, b]), none]
    cuts = [False, False, False, False, False, True, False]
    tracks = pr.link_tracks(dets, cuts, clip="c", max_gap=3)
    spans = sorted((t.frames[0], t.frames[-1], sum(t.detected)) for t in tracks)
    # a: frames 0-4 with 2-3 filled; b: frames 0-4; after the cut both start again
    assert spans == [(0, 4, 3), (0, 4, 5), (5, 5, 1), (5, 5, 1)]
    ta = next(t for t in tracks if t.frames[0] == 0 and sum(t.detected) == 3)
    assert ta.detected == [True, True, False, False, True]
    assert np.allclose(ta.boxes[2], (a + shift + (3 * shift - shift) / 3)[0])
    # a gap longer than max_gap starts a new track
    far = pr.link_tracks([a, none, none, a], [False] * 4, max_gap=1)
    assert len(far) == 2


def test_sample_windows_are_apart():
    t = pr.Track("c", 0, list(range(30)), [np.zeros(4)] * 30, [True] * 30)
    g, q = pr.sample_windows(t)
    assert len(g) == len(q) == 3 and max(g) < 10 and min(q) > 19


def test_cluster_bootstrap():
    vals = np.array([1.0] * 6 + [0.0] * 6)
    clusters = np.repeat(np.arange(4), 3)  # two tracks always right, two always wrong
    lo, hi = cluster_bootstrap(vals, clusters, n=4000, seed=0)
    assert 0.0 <= lo < 0.5 < hi <= 1.0
    assert cluster_bootstrap(np.full(5, 0.25), np.arange(5)) == (0.25, 0.25)
    assert all(np.isnan(cluster_bootstrap(np.array([]), np.array([]))))
