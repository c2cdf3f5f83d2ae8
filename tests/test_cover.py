import numpy as np
import pytest

from unseen.cover import apply_cover, head_regions, region_mask
from unseen.settings import Settings
from unseen.types import Faces

from .conftest import noise_image


def test_regions_grow_and_cover_edge_pixels():
    f = Faces(np.array([[10.4, 10.4, 19.6, 19.6]]))
    r = head_regions(f, 100, 100, 1.0)[0]
    # fractional edges round outwards: the pixels the box touches are all inside
    assert r[0] <= 10 and r[1] <= 10 and r[2] >= 20 and r[3] >= 20
    big = head_regions(f, 100, 100, 2.0)[0]
    assert (big[2] - big[0]) >= 18 and (big[3] - big[1]) >= 18


def test_region_always_contains_its_box():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 90, (200, 2))
    wh = rng.uniform(0, 30, (200, 2))
    f = Faces(np.concatenate([xy, xy + wh], axis=1))
    for scale in (1.0, 1.3, 2.0):
        r = head_regions(f, 100, 100, scale)
        b = f.clipped(100, 100).boxes
        assert len(r) == len(b)
        assert (r[:, 0] <= np.floor(b[:, 0])).all() and (r[:, 1] <= np.floor(b[:, 1])).all()
        assert (r[:, 2] >= np.minimum(np.ceil(b[:, 2]), 100)).all()
        assert (r[:, 3] >= np.minimum(np.ceil(b[:, 3]), 100)).all()


def test_regions_clip_to_frame_including_last_row_and_column():
    f = Faces(np.array([[90, 90, 99.5, 99.5]]))
    r = head_regions(f, 100, 100, 1.5)[0]
    assert r[2] == 100 and r[3] == 100


def test_degenerate_box_still_covers_a_pixel():
    f = Faces(np.array([[5, 5, 5, 5]]))
    r = head_regions(f, 10, 10, 1.3)
    assert len(r) == 1 and (r[0, 2] - r[0, 0]) >= 1 and (r[0, 3] - r[0, 1]) >= 1


@pytest.mark.parametrize("mode", ["solid", "mosaic", "blur"])
@pytest.mark.parametrize("shape", ["rect", "ellipse"])
@pytest.mark.parametrize("size", [1, 2, 5, 9, 40])
def test_every_mode_is_safe_down_to_tiny_regions(mode, shape, size):
    img = noise_image(64, 64)
    f = Faces(np.array([[10, 10, 10 + size, 10 + size]], np.float32))
    out = img.copy()
    regions = apply_cover(out, f, Settings(mode=mode, shape=shape, box_scale=1.0))
    assert out.shape == img.shape and out.dtype == img.dtype
    x1, y1, x2, y2 = regions[0]
    assert (out[y1:y2, x1:x2] != img[y1:y2, x1:x2]).any()
    # nothing outside the region changed
    m = region_mask(regions, 64, 64, "rect")
    assert (out[~m] == img[~m]).all()


def test_solid_fills_the_whole_region_and_alpha_becomes_opaque():
    img = noise_image(50, 50, channels=4)
    img[..., 3] = 0
    f = Faces(np.array([[10, 10, 30, 30]]))
    regions = apply_cover(img, f, Settings())
    x1, y1, x2, y2 = regions[0]
    assert (img[y1:y2, x1:x2, :3] == 0).all() and (img[y1:y2, x1:x2, 3] == 255).all()
    assert (img[0, 0, 3] == 0)


def test_mosaic_is_coarse():
    """At most mosaic_blocks distinct cells across the face: few enough to be destructive."""
    img = noise_image(200, 200)
    f = Faces(np.array([[50, 50, 150, 150]]))
    s = Settings(mode="mosaic", mosaic_blocks=4, box_scale=1.0)
    regions = apply_cover(img, f, s)
    x1, y1, x2, y2 = regions[0]
    row = img[(y1 + y2) // 2, x1:x2]
    changes = int((np.abs(np.diff(row.astype(int), axis=0)).sum(axis=1) > 0).sum())
    assert changes <= 4


def test_blur_destroys_detail():
    img = noise_image(200, 200)
    f = Faces(np.array([[50, 50, 150, 150]]))
    orig = img.copy()
    regions = apply_cover(img, f, Settings(mode="blur", box_scale=1.0))
    x1, y1, x2, y2 = regions[0]
    before = orig[y1:y2, x1:x2].astype(float)
    after = img[y1:y2, x1:x2].astype(float)
    # high-frequency energy is mostly gone
    assert np.abs(np.diff(after, axis=1)).mean() < 0.2 * np.abs(np.diff(before, axis=1)).mean()


def test_cover_rejects_wrong_arrays():
    with pytest.raises(ValueError):
        apply_cover(np.zeros((4, 4), np.uint8), Faces.empty(), Settings())


def test_fast_preset_grows_regions_more_than_default():
    """YuNet's tighter boxes (fast) need 1.6x to be at chance for re-identification (BENCHMARKS.md)."""
    from unseen.cover import box_scale

    assert box_scale(Settings(preset="fast")) == 1.6
    assert box_scale(Settings()) == 1.35
    assert box_scale(Settings(preset="thorough")) == 1.4
    assert box_scale(Settings(preset="fast", box_scale=2.0)) == 2.0  # an explicit choice wins


# --- solid cover painted on 4:2:0 planes (the video path for yuv420p / yuvj420p) -------------
def _i420(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(60, 200, (h * 3 // 2, w), dtype=np.uint8)


def _split(p: np.ndarray, h: int, w: int):
    f, c = p.reshape(-1), (h // 2) * (w // 2)
    return p[:h], f[h * w : h * w + c].reshape(h // 2, w // 2), f[h * w + c :].reshape(h // 2, w // 2)


@pytest.mark.parametrize("region", [(3, 5, 17, 12), (0, 0, 1, 1), (10, 11, 40, 30), (31, 19, 40, 30)])
def test_solid_i420_rect_paints_exactly_the_region_and_every_chroma_sample_it_touches(region):
    from unseen.cover.looks import solid_i420

    h, w = 30, 40
    src = _i420(h, w)
    out = src.copy()
    solid_i420(out, np.array([region]), (16, 128, 128))
    x1, y1, x2, y2 = region
    y, u, v = _split(out, h, w)
    y0, u0, v0 = _split(src, h, w)
    inside = np.zeros((h, w), bool)
    inside[y1:y2, x1:x2] = True
    assert (y[inside] == 16).all() and (y[~inside] == y0[~inside]).all()
    touched = inside.reshape(h // 2, 2, w // 2, 2).any(axis=(1, 3))
    assert (u[touched] == 128).all() and (v[touched] == 128).all()
    assert (u[~touched] == u0[~touched]).all() and (v[~touched] == v0[~touched]).all()


def test_solid_i420_ellipse_matches_the_rgb_ellipse_and_paints_touched_chroma():
    from unseen.cover import ellipse_mask
    from unseen.cover.looks import solid_i420

    h, w = 40, 60
    src = _i420(h, w, 3)
    out = src.copy()
    x1, y1, x2, y2 = 7, 5, 38, 36  # odd edges: chroma blocks straddle the region
    solid_i420(out, np.array([[x1, y1, x2, y2]]), (16, 128, 128), ellipse=True)
    y, u, v = _split(out, h, w)
    y0, u0, v0 = _split(src, h, w)
    m = np.zeros((h, w), bool)
    m[y1:y2, x1:x2] = ellipse_mask(y2 - y1, x2 - x1)
    assert (y[m] == 16).all() and (y[~m] == y0[~m]).all()
    touched = m.reshape(h // 2, 2, w // 2, 2).any(axis=(1, 3))
    assert (u[touched] == 128).all() and (v[touched] == 128).all()
    assert (u[~touched] == u0[~touched]).all() and (v[~touched] == v0[~touched]).all()


def test_solid_i420_rejects_odd_or_non_i420_buffers():
    from unseen.cover.looks import solid_i420

    with pytest.raises(ValueError):
        solid_i420(np.zeros((45, 31), np.uint8), np.array([[0, 0, 2, 2]]), (16, 128, 128))
    with pytest.raises(ValueError):
        solid_i420(np.zeros((45, 40), np.uint8)[:, ::2], np.array([[0, 0, 2, 2]]), (16, 128, 128))


def test_regions_inside_others_are_dropped_and_the_painted_union_is_unchanged():
    from unseen.cover.regions import without_contained

    rng = np.random.default_rng(3)
    xy = rng.integers(0, 80, (300, 2))
    wh = rng.integers(1, 40, (300, 2))
    regions = np.concatenate([xy, xy + wh], axis=1)
    regions = np.concatenate([regions, regions[:20]])  # exact duplicates too
    kept = without_contained(regions)
    assert len(kept) < len(regions)

    def painted(rs):
        m = np.zeros((130, 130), bool)
        for x1, y1, x2, y2 in rs:
            m[y1:y2, x1:x2] = True
        return m

    assert np.array_equal(painted(regions), painted(kept))
    assert len(without_contained(np.array([[1, 1, 5, 5], [1, 1, 5, 5]]))) == 1
    assert len(without_contained(np.zeros((0, 4), np.int64))) == 0


@pytest.mark.parametrize("channels", [3, 4])
def test_solid_paints_many_rectangles_as_their_union_exactly_as_one_by_one(channels):
    # solid() paints UNION_FROM or more rectangles as one union mask (a frame's held copies): the
    # same pixels as painting each, edges, frame borders and empty rectangles included.
    from unseen.cover import looks

    rng = np.random.default_rng(3)
    for n in (looks.UNION_FROM, 40, 300):
        x1, y1 = rng.integers(-5, 70, n), rng.integers(-5, 50, n)
        regions = np.column_stack([x1, y1, x1 + rng.integers(0, 30, n), y1 + rng.integers(0, 30, n)])
        regions[:3] = [[0, 0, 0, 5], [10, 10, 11, 11], [60, 40, 64, 48]]  # empty, 1 px, at the corner
        base = rng.integers(0, 255, (48, 64, channels), dtype=np.uint8)
        one = base.copy()
        for r in regions:
            a, b, c, d = (max(0, int(v)) for v in r)
            looks.solid(one, np.array([[a, b, c, d]]), (7, 8, 9))
        union = base.copy()
        looks.solid(union, np.clip(regions, 0, None), (7, 8, 9))
        assert np.array_equal(one, union), n
