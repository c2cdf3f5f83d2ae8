"""WIDER-format coverage scoring on synthetic arrays, and parsing the real dev files if present."""

from __future__ import annotations

import numpy as np
import pytest

from unseen_eval import widerface as wf

from .conftest import shared_data

GT = """a/one.jpg
2
10 10 20 20 0 0 0 0 0 0 
50 10 8 8 0 0 0 1 0 0 
b/empty.jpg
0
0 0 0 0 0 0 0 0 0 0 
c/three.jpg
3
0 0 4 4 2 0 0 0 0 0 
10 10 40 80 0 0 0 0 0 0 
60 0 12 12 0 0 0 0 0 0 
"""


def test_parse_gt_including_an_image_without_faces():
    truth = wf.parse_gt(GT)
    assert [t.name for t in truth] == ["a/one.jpg", "b/empty.jpg", "c/three.jpg"]
    assert truth[0].boxes.tolist() == [[10, 10, 20, 20], [50, 10, 8, 8]]
    assert truth[0].invalid.tolist() == [False, True]
    assert truth[1].boxes.shape == (0, 4)
    assert truth[2].heights.tolist() == [4, 80, 12]


def test_parse_list_is_zero_based_and_allows_empty_lines():
    lists = wf.parse_list("a/one.jpg 1 2\nb/empty.jpg\n")
    assert lists == {"a/one.jpg": {0, 1}, "b/empty.jpg": set()}


def test_covered_mask_counts_changes_and_fill_colour():
    orig = np.full((4, 4, 3), 100, np.uint8)
    orig[0, 0] = 0  # already black: counts as covered (it equals the fill)
    out = orig.copy()
    out[1, 1] = (100, 101, 100)  # one channel changed
    m = wf.covered_mask(orig, out)
    assert m.sum() == 2 and m[0, 0] and m[1, 1]
    with pytest.raises(ValueError):
        wf.covered_mask(orig, out[:3])


def test_central_half_of_a_box_and_of_tiny_boxes():
    assert wf.central_half(np.array([10, 10, 20, 40]), 100, 100) == (15, 20, 25, 40)
    x1, y1, x2, y2 = wf.central_half(np.array([3, 3, 1, 1]), 100, 100)
    assert x2 - x1 >= 1 and y2 - y1 >= 1
    assert wf.central_half(np.array([99, 99, 8, 8]), 100, 100) == (99, 99, 100, 100)  # clipped, not empty


def test_face_covered_needs_ninety_percent_of_the_central_half():
    t = wf.ImageTruth("x", np.array([[0, 0, 40, 40]]), np.array([False]))
    mask = np.zeros((40, 40), bool)
    mask[10:30, 10:30] = True  # exactly the central half
    assert wf.faces_covered(t, mask).tolist() == [True]
    mask[10:30, 10:13] = False  # 15 % of it uncovered
    assert wf.faces_covered(t, mask).tolist() == [False]
    mask[10:30, 10:12] = True  # 5 % uncovered
    assert wf.faces_covered(t, mask).tolist() == [True]


def test_collateral_ignores_grown_gt_boxes():
    t = wf.ImageTruth("x", np.array([[40, 40, 20, 20]]), np.array([False]))
    mask = np.zeros((100, 100), bool)
    mask[35:65, 35:65] = True  # inside the box grown by 25 % (5 px) per side
    assert wf.collateral(t, mask) == 0.0
    mask[0:10, 0:10] = True
    assert wf.collateral(t, mask) == pytest.approx(100 / 10_000)


def test_summary_bins_settings_and_invalid_faces():
    truth = wf.parse_gt(GT)
    truth[0].lists = {"easy": {0}, "medium": {0}, "hard": {0, 1}}
    truth[2].lists = {"easy": {1}, "medium": {1, 2}, "hard": {0, 1, 2}}
    scores = [
        wf.ImageScore("a/one.jpg", np.array([True, False]), 0.0, 1.0),
        wf.ImageScore("b/empty.jpg", np.zeros(0, bool), 0.5, 3.0),
        wf.ImageScore("c/three.jpg", np.array([False, True, True]), 0.1, 2.0),
    ]
    s = wf.summarize(truth, scores)
    assert s.total[("all", "<10")] == 1  # the invalid 8 px face is skipped in "all"
    assert s.total[("hard", "<10")] == 2  # ... but counts where the official list has it
    assert s.covered[("all", "16-32")] == 1 and s.total[("all", "16-32")] == 1
    assert s.rate("all", [">=64"]) == 1.0
    assert s.targets["<10"] == 0.0 and s.targets["10-16"] == 1.0
    assert s.setting_rate("easy") == 1.0
    assert s.setting_rate("hard") == pytest.approx(3 / 5)
    assert s.collateral == pytest.approx(0.2)
    assert s.seconds_per_image == pytest.approx(2.0)
    text = wf.table([("base", s), ("tool", s)], baseline="base")
    assert text.count("\n") == 3 and "1.00" in text
    with pytest.raises(ValueError, match="no output"):
        wf.summarize(truth, scores[:1])


def test_score_arrays_end_to_end():
    t = wf.ImageTruth("x", np.array([[10, 10, 20, 20], [60, 60, 20, 20]]), np.array([False, False]))
    orig = np.full((100, 100, 3), 200, np.uint8)
    out = orig.copy()
    out[5:35, 5:35] = 0
    s = wf.score_arrays(t, orig, out)
    assert s.covered.tolist() == [True, False]
    assert s.collateral == 0.0


def test_the_real_dev_ground_truth_parses():
    root = shared_data("widerface_dev")
    truth = wf.load(root)
    assert len(truth) == 122
    assert sum(len(t.boxes) for t in truth) == 1791
    assert sum(int(t.invalid.sum()) for t in truth) == 28
    counted = {s: sum(len(t.lists[s]) for t in truth) for s in wf.SETTINGS}
    assert counted == {"easy": 229, "medium": 407, "hard": 1434}
