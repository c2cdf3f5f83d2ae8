"""Review flags a person can read: nearby flags grouped into one, flags that say nothing left out,
and within a kind the flag that says most first. Flags only direct attention: every box stays."""

from __future__ import annotations

import numpy as np
import pytest

from unseen.geometry.groups import central_share_in, near_groups
from unseen.plan import FlagEvidence, FlagKind, InputInfo, build_plan, plan_from_bytes
from unseen.plan.encode import dumps
from unseen.settings import Settings
from unseen.types import Faces, Origin

from .plan_cases import SHA

PHOTO = InputInfo("crowd.jpg", 1000, SHA, "image", 640, 480)
VIDEO = InputInfo("clip.mp4", 4096, SHA, "video", 640, 480, 90, (1, 30000), 30.0, 3.0)


def _faces(rows, scores=None, origin=None, tracks=None) -> Faces:
    return Faces(np.asarray(rows, np.float32), scores, origin, tracks)


def _row(n, x0=100, y=200, side=10, step=20):
    """``n`` boxes of ``side`` px in a row, ``step`` px apart (left edges)."""
    return [[x0 + step * i, y, x0 + step * i + side, y + side] for i in range(n)]


def _reloaded(plan):
    """The plan through its file form: the grouped flags are valid version-1 flags."""
    return plan_from_bytes(dumps(plan).encode(), "p.json")


def test_near_groups_link_by_gap_relative_to_size():
    boxes = np.array(_row(3, y=300, step=20) + [[400, 400, 410, 410], [0, 0, 100, 100], [150, 40, 160, 50]], np.float64)
    groups = [g.tolist() for g in near_groups(boxes, 1.0)]
    # 10 px gaps between 10 px boxes link the row; the big box links the small one 50 px off (gap
    # 50 <= its 100 px side); the box at 400 is far from all
    assert groups == [[0, 1, 2], [3], [4, 5]]
    assert [g.tolist() for g in near_groups(boxes, 0.5)] == [[0], [1], [2], [3], [4, 5]]
    assert near_groups(np.zeros((0, 4)), 1.0) == []


def test_near_groups_agree_with_a_plain_pairwise_join():
    def plain(b, link):
        group = list(range(len(b)))
        side = np.minimum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
        for p in range(len(b)):
            for q in range(p + 1, len(b)):
                gap = max(b[p, 0] - b[q, 2], b[q, 0] - b[p, 2], b[p, 1] - b[q, 3], b[q, 1] - b[p, 3], 0)
                if gap <= link * max(side[p], side[q]):
                    old, new = max(group[p], group[q]), min(group[p], group[q])
                    group = [new if g == old else g for g in group]
        return sorted(sorted(k for k in range(len(b)) if group[k] == g) for g in set(group))

    rng = np.random.default_rng(7)
    for _ in range(100):
        n = int(rng.integers(1, 25))
        corner = rng.uniform(0, 200, (n, 2))
        b = np.round(np.concatenate([corner, corner + rng.uniform(1, 30, (n, 2))], axis=1))
        b[rng.integers(0, n)] = b[0]  # identical boxes too
        for link in (0.5, 1.0, 2.0):
            assert sorted(g.tolist() for g in near_groups(b, link)) == plain(b, link)


def test_central_share_counts_the_union_of_regions():
    box = (0, 0, 40, 40)  # central half: 10-30 in both directions
    assert central_share_in(box, np.array([[0, 0, 20, 40], [20, 0, 40, 40]])) == 1.0  # split over two
    assert central_share_in(box, np.array([[0, 0, 20, 40]])) == pytest.approx(0.5)
    assert central_share_in(box, np.zeros((0, 4))) == 0.0


def test_thorough_faces_in_one_crowd_are_one_flag_with_count_and_area():
    covered = _row(6, step=40, side=12)  # the plan covers six faces in a row ...
    between = [[b[2] + 8, b[1], b[2] + 20, b[3]] for b in covered[:4]]  # ... misses four between them
    far = [[560, 20, 600, 70]]  # and one face far from everything
    plan = build_plan(
        PHOTO,
        Settings(),
        "d",
        [(0, None, _faces(covered, [0.9] * 6, [Origin.DETECTED] * 6))],
        evidence=FlagEvidence(thorough=((0, _faces(between + far, [0.3, 0.35, 0.2, 0.25, 0.6])),)),
    )
    misses = [f for f in plan.flags if f.kind == FlagKind.THOROUGH_MISS]
    assert len(misses) == 2  # was one flag per face: five
    group = misses[0]
    assert "4 faces" in group.message and "among 5 covered faces" in group.message  # the sixth is too far
    assert group.box == (120.0, 200.0, 252.0, 212.0)  # the area the four span
    assert group.score == pytest.approx(0.35)  # the surest of them
    assert misses[1].box == (560, 20, 600, 70) and "score 0.60" in misses[1].message
    assert _reloaded(plan).flags == plan.flags
    assert plan.box_count == 6  # flags only direct attention


def test_a_thorough_face_inside_the_painted_cover_is_not_a_miss():
    plan_box = [[100, 100, 140, 150]]
    shifted = [[115, 96, 155, 146]]  # its central half partly outside the plan's box, all inside its 1.3x region
    split = [[300, 100, 340, 150]]  # its halves lie in two covered boxes side by side
    halves = [[290, 95, 320, 155], [320, 95, 350, 155]]
    outside = [[400, 300, 440, 350]]
    faces = _faces(plan_box + halves, [0.9, 0.9, 0.9], [Origin.DETECTED] * 3)
    thorough = ((0, _faces(shifted + split + outside, [0.5, 0.5, 0.5])),)

    def misses(**cover):
        plan = build_plan(PHOTO, {}, "d", [(0, None, faces)], evidence=FlagEvidence(thorough=thorough, **cover))
        return [f.box for f in plan.flags if f.kind == FlagKind.THOROUGH_MISS]

    assert misses(cover_scale=1.3, cover_up=0.1) == [(400, 300, 440, 350)]
    assert misses() == [(115, 96, 155, 146), (400, 300, 440, 350)]  # the boxes as they are: the shifted face is out
    # an ellipse cover paints less than its rectangle: the shifted face's central half is no longer all
    # in it, and two ellipses side by side leave a gap between them
    assert misses(cover_scale=1.3, cover_up=0.1, cover_ellipse=True) == [
        (115, 96, 155, 146), (300, 100, 340, 150), (400, 300, 440, 350)]


def test_a_crowd_of_tiny_faces_is_one_flag_and_a_sure_lone_tiny_face_none():
    crowd = _row(12, step=14, side=9)
    sure_alone, weak_alone = [[500, 400, 510, 410]], [[40, 40, 48, 48]]
    scores = [0.9] * 12 + [0.95, 0.05]
    plan = build_plan(PHOTO, {}, "d", [(0, None, _faces(crowd + sure_alone + weak_alone, scores))])
    tiny = [f for f in plan.flags if f.kind == FlagKind.TINY_FACE]
    assert len(tiny) == 2  # was one per tiny face: fourteen
    assert tiny[0].box == (100.0, 200.0, 263.0, 209.0) and "a crowd of 12 tiny faces" in tiny[0].message
    assert tiny[1].box == (40, 40, 48, 48) and "scored only 0.05" in tiny[1].message
    assert _reloaded(plan).flags == plan.flags
    assert plan.box_count == 14


def test_a_tracked_tiny_face_detected_surely_is_not_flagged_unless_in_a_crowd():
    lone_sure, lone_weak = [[100, 100, 110, 110]], [[300, 300, 310, 310]]
    crowd = _row(4, x0=400, y=50, step=14, side=9)
    rows = lone_sure + lone_weak + crowd
    frames = [(i, i / 30, _faces(rows, [0.3, 0.05] + [0.9] * 4, [Origin.DETECTED] * 6, list(range(1, 7)))) for i in range(30)]
    plan = build_plan(VIDEO, {}, "d", frames)  # 0.3 is sure (FlagOptions.tiny_sure 0.1), 0.05 is not
    tiny = [f for f in plan.flags if f.kind == FlagKind.TINY_FACE]
    assert [f.track for f in tiny] == [2, 3, 4, 5, 6]  # not track 1
    assert "scored only 0.05" in tiny[0].message and all("in a crowd of 4 tiny faces" in f.message for f in tiny[1:])


def test_within_a_kind_the_flag_that_says_most_comes_first():
    # three weak thorough-check faces in a crowd, listed after a lone one on the old order (by box)
    covered = _row(4, x0=300, step=40, side=12)
    between = [[b[2] + 8, b[1], b[2] + 20, b[3]] for b in covered[:3]]
    lone = [[10, 10, 30, 30]]
    crowd = _row(5, x0=200, y=400, step=14, side=9)  # five tiny faces in a crowd ...
    pair = [[20, 300, 29, 309], [35, 300, 44, 309]]  # ... and two weakly detected ones, before it by box
    faces = _faces(covered + crowd + pair, [0.9] * 9 + [0.05, 0.05], [Origin.DETECTED] * 11)
    thorough = ((0, _faces(lone + between, [0.5, 0.3, 0.3, 0.3])),)
    plan = build_plan(PHOTO, {}, "d", [(0, None, faces)], evidence=FlagEvidence(thorough=thorough))
    assert [(f.kind, f.box) for f in plan.flags] == [
        (FlagKind.THOROUGH_MISS, (320.0, 200.0, 412.0, 212.0)),  # three faces, scores summing to 0.9
        (FlagKind.THOROUGH_MISS, (10, 10, 30, 30)),  # one, 0.5
        (FlagKind.TINY_FACE, (200.0, 400.0, 265.0, 409.0)),  # a crowd of five
        (FlagKind.TINY_FACE, (20.0, 300.0, 44.0, 309.0)),  # two
    ]
    assert [f.risk for f in plan.flags] == sorted(f.risk for f in plan.flags)  # the kinds' order holds


@pytest.mark.parametrize("shape", ["rect", "ellipse"])
def test_what_the_flags_count_as_covered_the_cover_paints(shape):
    from unseen.cover import box_scale, regions_for
    from unseen.cover.regions import region_mask
    from unseen.pipeline.plan_run import cover_growth
    from unseen.plan.flags import _cover_regions

    settings = Settings(shape=shape)
    scale, up, ellipse = cover_growth(settings)
    assert (scale, ellipse) == (box_scale(settings), shape == "ellipse")
    rng = np.random.default_rng(3)
    corner = rng.uniform(20, 500, (40, 2))
    faces = _faces(np.concatenate([corner, corner + rng.uniform(4, 80, (40, 2))], axis=1))
    painted = region_mask(regions_for(faces, 640, 480, settings), 640, 480, shape)
    assumed = _cover_regions(faces, FlagEvidence(cover_scale=scale, cover_up=up, cover_ellipse=ellipse), 640, 480)
    for x1, y1, x2, y2 in assumed:  # every pixel centre in the frame and a rectangle the flags assume is painted
        xs = np.arange(max(np.ceil(x1 - 0.5), 0), min(np.floor(x2 - 0.5), 639) + 1).astype(int)
        ys = np.arange(max(np.ceil(y1 - 0.5), 0), min(np.floor(y2 - 0.5), 479) + 1).astype(int)
        assert painted[np.ix_(ys, xs)].all()
