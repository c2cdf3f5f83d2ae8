"""Quarter turns (detect/turns.py): a face found far from upright is looked at again turned."""

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


class MarkedNet(SinglePassNetBase):
    """'Finds' white squares whose dark mark says which way is up: a mark in the top part is an
    upright face (its whole box, score 0.9, roll 0); any other is a turned one, found as a short box
    on its top half (score 0.5, roll 180), as CenterFace finds a face turned far from upright."""

    name = "marked"
    multiple = 1
    gives_roll = True

    def __init__(self):
        self.shapes: list[tuple[int, int]] = []

    def infer(self, rgb, threshold):
        import cv2

        self.shapes.append(rgb.shape[:2])
        white = (rgb[..., 0] > 128).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(white)
        boxes, scores, rolls = [], [], []
        for x, y, w, h, _ in stats[1:]:
            dark = np.argwhere(white[y : y + h, x : x + w] == 0)
            upright = len(dark) and dark[:, 0].mean() < h / 3
            if upright:
                boxes.append([x, y, x + w, y + h]), scores.append(0.9), rolls.append(0.0)
            else:
                boxes.append([x, y, x + w, y + h / 2]), scores.append(0.5), rolls.append(180.0)
        return Faces(np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(scores, np.float32), roll=rolls)


def _marked(where: str) -> np.ndarray:
    """A 400 px image, one white 100 px square at (150, 150) with its mark at ``where``."""
    img = np.zeros((400, 400, 3), np.uint8)
    img[150:250, 150:250] = 255
    y, x = {"top": (160, 200), "bottom": (240, 200), "left": (200, 160), "right": (200, 240)}[where]
    img[y - 5 : y + 5, x - 5 : x + 5] = 0
    return img


@pytest.mark.parametrize("where,roll", [("bottom", 180.0), ("right", 90.0), ("left", -90.0)])
def test_a_turned_face_is_found_whole_in_the_quarter_turn_that_shows_it_upright(where, roll):
    net = MarkedNet()
    det = MultiScaleDetector({"marked": net}, [Pass("marked", 1, 0.5)], name="t", context=False, edges=False)
    faces = det.detect(_marked(where))
    assert len(faces) == 1
    np.testing.assert_allclose(faces.boxes[0], [150, 150, 250, 250], atol=1)  # mapped back exactly
    assert abs(float(faces.roll[0]) - roll) % 360 < 1e-3  # the quarter turns' roll, not the guess
    assert faces.scores[0] == pytest.approx(0.9)
    crops = [sh for sh in net.shapes if sh != (400, 400)]
    assert len(crops) == 3 and all(abs(c - 220) <= 1 for sh in crops for c in sh)  # 2.2x the face, 3 turns
    without = MultiScaleDetector(
        {"marked": MarkedNet()}, [Pass("marked", 1, 0.5)], name="t", context=False, turns=False, edges=False
    )
    np.testing.assert_allclose(without.detect(_marked(where)).boxes[0], [150, 150, 250, 200])  # the short box


def test_an_upright_face_is_left_as_found():
    det = MultiScaleDetector({"marked": MarkedNet()}, [Pass("marked", 1, 0.5)], name="t", context=False, edges=False)
    faces = det.detect(_marked("top"))
    np.testing.assert_allclose(faces.boxes, [[150, 150, 250, 250]])
    assert faces.roll[0] == 0.0


def test_quarter_turns_run_only_after_a_full_detection_and_only_with_rolls():
    net = MarkedNet()
    full = (Pass("marked", 1, 0.5), Pass("marked", 1, 0.5, flip=True))
    det = MultiScaleDetector({"marked": net}, full, name="t", context=False, edges=False)

    def crops() -> int:
        return sum(sh != (400, 400) for sh in net.shapes)

    det.detect(_marked("bottom"), passes=full[:1])  # a video schedule's cheap tier
    assert crops() == 0
    net.gives_roll = False  # YuNet: no landmark roll to say which turn is upright
    det.detect(_marked("bottom"))
    assert crops() == 0
    net.gives_roll = True
    det.detect(_marked("bottom"))
    assert crops() == 3


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    with Image.open(EXAMPLE_PHOTO) as im:
        return np.asarray(im.convert("RGB"))


def _covered(image: np.ndarray, p, detector=None) -> tuple[float, float]:
    s = Settings()
    result = anonymize_array(image, s, detector=detector)
    side = image.shape[0]
    mask = region_mask(result.regions, side, side, s.shape)
    return covered_share(p.face, mask), covered_share(p.head, mask)


def test_an_upside_down_real_face_has_its_head_covered(astronaut):
    # the rotation sweep's cell: 512 px, face 60 % of the side, turned 180 degrees. Found upright,
    # CenterFace's box was short and its roll 146 degrees: 94.0 % of the head covered.
    p = make_portrait(astronaut, ASTRONAUT_FACE, 512, 0.6, angle=180)
    full = detector_for(Settings())
    faces = full.detect(p.image)
    big = faces[faces.heights > 100]
    assert len(big) and abs(abs(float(big.roll[np.argmax(big.heights)])) - 180) < 20
    face, head = _covered(p.image, p)
    assert face == 1.0 and head >= 0.98
    assert isinstance(full, MultiScaleDetector)
    upright_only = MultiScaleDetector(full.nets, full.passes, name="no-turns", turns=False)
    assert _covered(p.image, p, upright_only)[1] < head  # the turns are what covers it


def test_upright_faces_get_the_same_boxes_with_or_without_turns(astronaut):
    full = detector_for(Settings())
    assert isinstance(full, MultiScaleDetector)
    upright_only = MultiScaleDetector(full.nets, full.passes, name="no-turns", turns=False)
    for side, share in ((512, 0.6), (1000, 0.3)):
        img = make_portrait(astronaut, ASTRONAUT_FACE, side, share).image
        a, b = full.detect(img), upright_only.detect(img)
        np.testing.assert_array_equal(a.boxes, b.boxes)


@pytest.mark.parametrize("angle", [120, 135, 150])
def test_a_real_face_turned_past_a_quarter_is_covered_whole(angle):
    # identities img1 at 512 px, face 60 %: found upright as a short, wide box with a roll of -75
    # degrees for a face turned 120: 96.3 % of the face covered.
    rgb, box = identity("img1.jpg")
    p = make_portrait(rgb, box, 512, 0.6, angle=angle)
    face, head = _covered(p.image, p)
    assert face == 1.0, f"{angle} degrees: {face:.1%} of the face"
    assert head >= 0.95, f"{angle} degrees: {head:.1%} of the head"
