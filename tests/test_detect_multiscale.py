"""Tiling math, box merging and the multi-scale detector, with a fake single-pass network."""

from __future__ import annotations

import numpy as np
import pytest

from unseen.detect.base import SinglePassNetBase
from unseen.detect.multiscale import (
    MultiScaleDetector,
    Pass,
    context_scales,
    iou_matrix,
    merge,
    nms,
    tile_size,
    tile_starts,
    tiles,
)
from unseen.types import Faces


# --- tiling ---------------------------------------------------------------------------------
@pytest.mark.parametrize("length", [1, 31, 100, 2048, 2049, 3000, 4096, 10_000])
@pytest.mark.parametrize("tile,overlap", [(2048, 256), (512, 128), (100, 99)])
def test_tiles_cover_everything_with_the_overlap(length, tile, overlap):
    starts = tile_starts(length, tile, overlap)
    size = min(tile, length)
    assert starts[0] == 0
    assert starts[-1] + size == length  # last tile ends at the edge
    assert starts == sorted(starts)
    for a, b in zip(starts, starts[1:]):
        assert a + size - b >= overlap  # neighbours share at least `overlap` pixels


def test_any_face_up_to_the_overlap_lies_whole_in_a_tile():
    length, tile, overlap = 5000, 1024, 200
    starts = tile_starts(length, tile, overlap)
    for x in range(0, length - overlap + 1, 7):
        assert any(s <= x and x + overlap <= s + tile for s in starts), x


def test_tile_must_exceed_overlap():
    with pytest.raises(ValueError):
        tile_starts(100, 50, 50)


def test_tiles_grid_and_small_images_are_one_tile():
    assert tiles(10, 20, 2048, 256) == [(0, 0, 20, 10)]
    grid = tiles(3000, 5000, 2048, 256)
    assert len(grid) == 2 * 3
    # tiles only as large as needed for the overlap: 1632 x 1856, not 2048 x 2048
    assert {(x2 - x1, y2 - y1) for x1, y1, x2, y2 in grid} == {(1856, 1632)}
    covered = np.zeros((3000, 5000), bool)
    for x1, y1, x2, y2 in grid:
        covered[y1:y2, x1:x2] = True
    assert covered.all()
    # a 1080p frame upscaled 2x: two rows of 1216, not of 2048 (41 % fewer pixels)
    assert {(x2 - x1, y2 - y1) for x1, y1, x2, y2 in tiles(2160, 3840, 2048, 256)} == {(2048, 1216)}


@pytest.mark.parametrize("length", [2049, 2160, 3000, 4096, 10_000])
def test_shrunk_tiles_keep_the_overlap(length):
    size = tile_size(length, 2048, 256)
    assert size <= 2048 and size % 32 == 0
    starts = tile_starts(length, size, 256)
    assert starts[-1] + size == length
    for a, b in zip(starts, starts[1:]):
        assert a + size - b >= 256


def test_context_scales_until_the_whole_image_fits_the_side():
    assert context_scales(500, 512, 512) == []
    assert context_scales(1000, 1000, 512) == [0.5]
    assert context_scales(1080, 1920, 512) == [0.5, 0.25]
    assert context_scales(4000, 6000, 512) == [0.5, 0.25, 0.125, 0.0625]


# --- merging --------------------------------------------------------------------------------
def test_iou_matrix():
    a = np.array([[0, 0, 10, 10]], float)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30], [3, 3, 3, 3]], float)
    np.testing.assert_allclose(iou_matrix(a, b)[0], [1.0, 50 / 150, 0.0, 0.0])


def test_nms_keeps_the_best_of_duplicates_and_separate_faces():
    f = Faces(
        np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60], [12, 0, 22, 10]], np.float32),
        np.array([0.5, 0.9, 0.3, 0.4], np.float32),
    )
    kept = nms(f, 0.4)
    assert sorted(kept.scores.tolist()) == pytest.approx([0.3, 0.4, 0.9])


def test_merge_encloses_overlapping_boxes_and_drops_contained_ones():
    f = Faces(
        np.array(
            [[0, 0, 10, 10], [1, 1, 11, 11], [100, 100, 200, 200], [110, 110, 170, 170], [300, 0, 305, 5]],
            np.float32,
        ),
        np.array([0.9, 0.8, 0.5, 0.95, 0.1], np.float32),
    )
    m = merge(f, 0.5)
    boxes = sorted(m.boxes.tolist())
    assert boxes == [[0, 0, 11, 11], [100, 100, 200, 200], [300, 0, 305, 5]]


def test_merge_never_uncovers_a_pixel():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 200, (60, 2))
    wh = rng.uniform(2, 60, (60, 2))
    f = Faces(np.concatenate([xy, xy + wh], 1), rng.uniform(0, 1, 60))
    m = merge(f)
    assert len(m) <= len(f)
    for b in f.boxes:  # every input box lies inside some merged box
        inside = (m.boxes[:, 0] <= b[0] + 1) & (m.boxes[:, 1] <= b[1] + 1) & (m.boxes[:, 2] >= b[2] - 1) & (m.boxes[:, 3] >= b[3] - 1)
        assert inside.any()


def test_merge_of_identical_boxes_keeps_one():
    f = Faces(np.array([[0, 0, 5, 5]] * 3, np.float32), np.array([0.2, 0.7, 0.5], np.float32))
    m = merge(f)
    assert len(m) == 1 and m.scores[0] == pytest.approx(0.7)


# --- the detector with a fake network -------------------------------------------------------
class FakeNet(SinglePassNetBase):
    """'Finds' every bright square patch: a box around each connected white blob of the tile."""

    name = "fake"
    multiple = 1

    def __init__(self):
        self.shapes: list[tuple[int, int]] = []

    def infer(self, rgb, threshold):
        self.shapes.append(rgb.shape[:2])
        import cv2

        mask = (rgb[..., 0] > 128).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        boxes = [[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:]]
        return Faces(np.asarray(boxes, np.float32).reshape(-1, 4), np.full(len(boxes), 0.9, np.float32))


def _image_with_squares(h, w, squares):
    img = np.zeros((h, w, 3), np.uint8)
    for x, y, s in squares:
        img[y : y + s, x : x + s] = 255
    return img


def test_tiled_detection_maps_boxes_back_to_image_pixels():
    net = FakeNet()
    # (the mirrored-edge pass sees the whole picture brought down to 512 px: not tiled, edges=False)
    det = MultiScaleDetector(
        {"fake": net}, [Pass("fake", 1, 0.5)], name="t", tile=256, overlap=64, context=False, edges=False
    )
    img = _image_with_squares(600, 900, [(10, 10, 20), (500, 300, 30), (870, 570, 25)])
    faces = det.detect(img)
    assert len(net.shapes) > 1  # really tiled
    assert all(max(s) <= 256 for s in net.shapes)
    got = sorted(faces.boxes.astype(int).tolist())
    assert got == [[10, 10, 30, 30], [500, 300, 530, 330], [870, 570, 895, 595]]


def test_a_face_on_a_tile_border_is_found_whole():
    net = FakeNet()
    det = MultiScaleDetector({"fake": net}, [Pass("fake", 1, 0.5)], name="t", tile=256, overlap=64, context=False)
    starts = tile_starts(700, 256, 64)
    x = starts[1] - 20  # straddles the right edge of the first tile's non-overlap part
    faces = det.detect(_image_with_squares(100, 700, [(x, 30, 50)]))
    assert [x, 30, x + 50, 80] in faces.boxes.astype(int).tolist()


def test_upscaled_pass_is_unioned_and_filtered_by_height():
    net = FakeNet()
    passes = [Pass("fake", 1, 0.5), Pass("fake", 2, 0.5, max_height=16)]
    det = MultiScaleDetector({"fake": net}, passes, name="t", context=False)
    faces = det.detect(_image_with_squares(100, 120, [(10, 10, 8), (50, 50, 40)]))
    assert (100, 120) in net.shapes and (200, 240) in net.shapes
    assert sorted(faces.boxes.astype(int).tolist()) == [[10, 10, 18, 18], [50, 50, 90, 90]]


def test_context_levels_are_added_for_images_larger_than_a_tile():
    net = FakeNet()
    det = MultiScaleDetector({"fake": net}, [Pass("fake", 1, 0.5)], name="t", tile=128, overlap=32)
    det.detect(np.zeros((300, 400, 3), np.uint8))
    assert (75, 100) in net.shapes  # 1/4 level fits one tile
    assert any(s == (128, 128) for s in net.shapes)  # native tiles still run


def test_a_native_pass_is_required():
    with pytest.raises(ValueError, match="native"):
        MultiScaleDetector({"fake": FakeNet()}, [Pass("fake", 2, 0.5)], name="t")


@pytest.mark.parametrize("shape", [(0, 10, 3), (10, 0, 3)])
def test_empty_images_give_no_faces(shape):
    det = MultiScaleDetector({"fake": FakeNet()}, [Pass("fake", 1, 0.5)], name="t")
    assert len(det.detect(np.zeros(shape, np.uint8))) == 0


def test_wrong_input_is_rejected():
    det = MultiScaleDetector({"fake": FakeNet()}, [Pass("fake", 1, 0.5)], name="t")
    with pytest.raises(ValueError):
        det.detect(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError):
        det.detect(np.zeros((10, 10, 3), np.float32))


def test_mirrored_pass_maps_boxes_back():
    net = FakeNet()
    det = MultiScaleDetector({"fake": net}, [Pass("fake", 1, 0.5, flip=True)], name="t", context=False)
    faces = det.detect(_image_with_squares(50, 100, [(5, 10, 12)]))
    assert faces.boxes.astype(int).tolist() == [[5, 10, 17, 22]]


def test_a_small_face_inside_a_much_larger_box_keeps_its_own_box():
    # regression: a 14x18 face inside a 66x74 false-positive box was replaced by the big box
    f = Faces(np.array([[100, 100, 166, 174], [120, 130, 134, 148]], np.float32), np.array([0.3, 0.9], np.float32))
    assert sorted(merge(f).boxes.astype(int).tolist()) == [[100, 100, 166, 174], [120, 130, 134, 148]]


def test_context_levels_add_only_large_boxes_and_keep_the_native_pass_settings():
    """Every photo over CONTEXT_SIDE gets levels down to it; each keeps only boxes at least
    CONTEXT_MIN_HEIGHT px tall at its level (small faces are seen better a level up)."""
    from unseen.detect.multiscale import CONTEXT_MIN_HEIGHT, CONTEXT_SIDE

    native = Pass("fake", 1, 0.4, grow=1.2)
    det = MultiScaleDetector({"fake": FakeNet()}, [native, Pass("fake", 0.5, 0.6)], name="t")
    plan = det._all_passes(2 * CONTEXT_SIDE + 1, 100, det.passes)
    extra = plan[2:]
    assert [p.scale for p in extra] == [0.25]  # 0.5 is already one of the passes: not run twice
    assert extra[0].threshold == 0.4 and extra[0].grow == 1.2
    assert extra[0].min_height == CONTEXT_MIN_HEIGHT / 0.25
