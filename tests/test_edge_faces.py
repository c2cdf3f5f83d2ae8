"""Faces cut by the border (detect/edges.py): found in the picture mirrored past its edges."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from unseen.cover.regions import region_mask
from unseen.detect.base import SinglePassNetBase
from unseen.detect.cache import detector_for
from unseen.detect.multiscale import MultiScaleDetector
from unseen.detect.passes import Pass
from unseen.pipeline.api import anonymize_array
from unseen.settings import Settings
from unseen.types import Faces
from unseen_eval.portraits import covered_share, make_portrait

from .conftest import EXAMPLE_PHOTO
from .portrait_truth import identity
from .test_portraits import ASTRONAUT_FACE


class WholeNet(SinglePassNetBase):
    """'Finds' white blobs only when they are whole-face shaped (at least 0.6 as wide as tall): a
    face cut to a sliver by the border is found by no network."""

    name = "whole"
    multiple = 1

    def __init__(self):
        self.shapes: list[tuple[int, int]] = []

    def infer(self, rgb, threshold):
        import cv2

        self.shapes.append(rgb.shape[:2])
        white = (rgb[..., 0] > 128).astype(np.uint8)
        _, _, stats, _ = cv2.connectedComponentsWithStats(white)
        boxes = [[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:] if w >= 0.6 * h]
        return Faces(np.asarray(boxes, np.float32).reshape(-1, 4), np.full(len(boxes), 0.9, np.float32))


def _sliver(x1: int, x2: int) -> np.ndarray:
    img = np.zeros((400, 400, 3), np.uint8)
    img[150:250, x1:x2] = 255
    return img


def test_a_face_cut_to_a_sliver_by_the_left_edge_is_found_in_the_mirror():
    net = WholeNet()
    det = MultiScaleDetector({"whole": net}, [Pass("whole", 1, 0.5)], name="t", context=False, turns=False)
    faces = det.detect(_sliver(0, 32))  # 32 x 100: too narrow alone, 64 x 100 with its mirror
    assert len(faces) == 1
    np.testing.assert_allclose(faces.boxes[0], [0, 150, 32, 250], atol=1.5)  # the part inside
    plain = MultiScaleDetector(
        {"whole": WholeNet()}, [Pass("whole", 1, 0.5)], name="t", context=False, turns=False, edges=False
    )
    assert len(plain.detect(_sliver(0, 32))) == 0  # the leak this is about


@pytest.mark.parametrize("side", ["right", "bottom"])
def test_every_edge_is_mirrored(side):
    img = _sliver(368, 400) if side == "right" else np.ascontiguousarray(np.rot90(_sliver(0, 32), 1))
    det = MultiScaleDetector({"whole": WholeNet()}, [Pass("whole", 1, 0.5)], name="t", context=False, turns=False)
    faces = det.detect(img)
    assert len(faces) == 1
    b = faces.boxes[0]
    assert (b[2] == 400) if side == "right" else (b[3] == 400)


def test_a_narrow_shape_inside_the_picture_is_not_made_a_face_by_the_mirror():
    det = MultiScaleDetector({"whole": WholeNet()}, [Pass("whole", 1, 0.5)], name="t", context=False, turns=False)
    assert len(det.detect(_sliver(180, 212))) == 0


def test_the_mirror_runs_only_after_a_full_detection():
    net = WholeNet()
    full = (Pass("whole", 1, 0.5), Pass("whole", 1, 0.5, flip=True))
    det = MultiScaleDetector({"whole": net}, full, name="t", context=False, turns=False)
    det.detect(_sliver(0, 32), passes=full[:1])  # a video schedule's cheap tier
    assert net.shapes == [(400, 400)]
    det.detect(_sliver(0, 32))
    assert len(net.shapes) == 1 + 2 + 2  # two passes, then the mirror at 512 and 256 px


def _cut_coverage(rgb, box, detector=None, side: int = 1000) -> tuple[float, float]:
    p = make_portrait(rgb, box, side, 0.5, cut=0.75)
    s = Settings()
    mask = region_mask(anonymize_array(p.image, s, detector=detector).regions, side, side, s.shape)
    return covered_share(p.face, mask), covered_share(p.head, mask)


def test_a_real_face_three_quarters_cut_off_is_covered():
    with Image.open(EXAMPLE_PHOTO) as im:
        astronaut = np.asarray(im.convert("RGB"))
    full = detector_for(Settings())
    assert isinstance(full, MultiScaleDetector)
    face, head = _cut_coverage(astronaut, ASTRONAUT_FACE)
    assert face == 1.0 and head >= 0.9


def test_a_real_face_three_quarters_cut_off_that_no_pass_found_is_covered():
    # identities img20, 1000 px, the face 50 % of the side, 75 % of its width past the left edge:
    # no box at all without the mirror (0 % covered), in every preset
    rgb, box = identity("img20.jpg")
    full = detector_for(Settings())
    assert isinstance(full, MultiScaleDetector)
    plain = MultiScaleDetector(full.nets, full.passes, name="no-edges", edges=False)
    assert _cut_coverage(rgb, box, plain)[0] < 0.5  # the leak is there
    face, head = _cut_coverage(rgb, box)
    assert face == 1.0 and head >= 0.85


def test_a_deep_cut_face_whose_box_came_out_short_is_covered_to_the_chin():
    # identities img49, 512 px, the face 50 % of the side, 75 % past the left edge: the box is
    # 145 px tall for a face 256 px tall (an eye and a mouth corner), and at 1.4x along the border
    # the chin was left out (87.9 % of the face, 81.4 % of the head covered)
    rgb, box = identity("img49.jpg")
    face, head = _cut_coverage(rgb, box, side=512)
    assert face == 1.0 and head >= 0.95


def test_a_side_cut_box_grows_along_the_border_the_more_the_narrower_it_is():
    from unseen.cover.regions import BORDER_DEEP_MAX, BORDER_GROW_ACROSS, head_regions, turned

    w, h = 1000, 2000  # tall enough that no region is clipped

    def along(width: float) -> float:
        faces = Faces(np.array([[0, 800, width, 1100]], np.float32))
        g = turned(faces, 1.35)[0]
        ((_, y1, _, y2),) = head_regions(faces, w, h, 1.35)
        return (y2 - y1) / (g[3] - g[1])

    assert along(150) == pytest.approx(BORDER_GROW_ACROSS, abs=0.01)  # half cut off: 0.5 as wide as tall
    assert along(93) == pytest.approx(2.0, abs=0.01)  # 0.31: a deep cut, its box likely short
    assert along(45) == pytest.approx(BORDER_DEEP_MAX, abs=0.01)  # never more
    assert along(105) > along(120) > along(135)


def test_the_check_runs_the_thorough_detector_without_the_refinements():
    # `unseen check` fails an output for a face it sees at 0.5 (0.2 partly on a cover), and
    # mirrored hair and fur at a portrait's edge scored 0.58, a turned crop beside a stencil's
    # cover 0.26: the check keeps its answer as it was; the cover keeps both refinements
    from unseen.pipeline.check import check_detector, check_settings

    s = check_settings(None)
    thorough = detector_for(s)
    checker = check_detector(s)
    assert isinstance(thorough, MultiScaleDetector) and isinstance(checker, MultiScaleDetector)
    assert thorough.edges and thorough.turns and not checker.edges and not checker.turns
    assert checker.nets is thorough.nets and checker.passes == thorough.passes
    assert check_detector(s) is checker  # made once
