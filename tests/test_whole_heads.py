"""The whole head, not only the face: rolled heads turn their head ellipse (not the whole rectangle:
that re-identified people by the cover's shape), big sideways faces are widened across the face,
and the presets' growth holds the head when the box found is a few per cent narrower than the face
(docs/BENCHMARKS.md, "Whole heads")."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from unseen.cover import box_scale
from unseen.cover.regions import BIG_FACE_WIDEN, UP_SHIFT, head_regions, region_mask
from unseen.pipeline.api import anonymize_array
from unseen.settings import Settings
from unseen.types import Faces
from unseen_eval.portraits import covered_share, make_portrait

from .conftest import EXAMPLE_PHOTO
from .portrait_truth import identity
from .test_portraits import ASTRONAUT_FACE


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    with Image.open(EXAMPLE_PHOTO) as im:
        return np.asarray(im.convert("RGB"))


def _head_corners(box: np.ndarray, roll: float, scale: float) -> np.ndarray:
    """The corners of the box's head growth (``scale``, raised ``UP_SHIFT``) in the face's own frame,
    turned ``roll`` degrees clockwise on screen about the box's centre."""
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = x2 - x1, y2 - y1
    top, bottom, half = -(scale * h / 2 + UP_SHIFT * h), scale * h / 2, scale * w / 2
    pts = np.array([[-half, top], [half, top], [half, bottom], [-half, bottom]])
    r = math.radians(roll)
    rot = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    return pts @ rot.T + np.array([(x1 + x2) / 2, (y1 + y2) / 2])


def _inside(pts: np.ndarray, region: np.ndarray) -> bool:
    x1, y1, x2, y2 = region
    return bool(pts[:, 0].min() >= x1 and pts[:, 0].max() <= x2 and pts[:, 1].min() >= y1 and pts[:, 1].max() <= y2)


def _ellipse_points(box: np.ndarray, roll: float, scale: float, n: int = 72) -> np.ndarray:
    """Points on the ellipse inscribed in the head growth (see ``_head_corners``), turned alike."""
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = x2 - x1, y2 - y1
    a, b = scale * w / 2, scale * h / 2 + UP_SHIFT * h / 2
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    pts = np.stack([a * np.cos(t), b * np.sin(t) - UP_SHIFT * h / 2], axis=1)
    r = math.radians(roll)
    rot = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    return pts @ rot.T + np.array([(x1 + x2) / 2, (y1 + y2) / 2])


@pytest.mark.parametrize("roll", [10.0, -15.0, 30.0, 45.0, 150.0])
def test_a_rolled_face_region_holds_its_turned_head_ellipse_not_the_whole_rectangle(roll):
    """The turned head ellipse lies inside the region; the turned rectangle's corners do not. The
    rectangle held every rolled head of the sweep whole, but its regions followed the roll so
    closely that attacker (c) re-identified 16 % of identities_dev at 1.35x (8 % with the ellipse,
    chance 7.7 %; docs/BENCHMARKS.md, "Whole heads")."""
    box = np.array([400, 400, 480, 500], np.float64)  # 80 x 100: not a big face in a 1000 px frame
    region = head_regions(Faces(box[None].astype(np.float32), roll=[roll]), 1000, 1000, 1.35)[0]
    grown = np.asarray(region, np.float64) + np.array([-1, -1, 1, 1])  # rounded outwards
    assert _inside(_ellipse_points(box, roll, 1.35), grown)
    assert not _inside(_head_corners(box, roll, 1.35), region)


def test_a_big_sideways_face_is_widened_across_the_face():
    """A face turned a quarter lies with its width along the frame's y axis: the big-face widening
    (ears) goes there, not only across the frame."""
    box = np.array([[300, 300, 700, 600]], np.float32)  # 400 x 300: a face 300 wide, 400 tall, on its side
    (_, y1, _, y2) = head_regions(Faces(box, roll=[90.0]), 1000, 1000, 1.35)[0]
    assert y2 - y1 >= math.floor(300 * 1.35 * BIG_FACE_WIDEN) - 1
    (_, uy1, _, uy2) = head_regions(Faces(box), 1000, 1000, 1.35)[0]
    assert uy2 - uy1 < 300 * 1.35 * BIG_FACE_WIDEN - 20  # upright, only the frame's x is widened


def _head_covered(rgb, face, preset, side, share, angle=0.0) -> tuple[float, float]:
    p = make_portrait(rgb, face, side, share, angle=angle)
    s = Settings(preset=preset)
    mask = region_mask(anonymize_array(p.image, s).regions, side, side, s.shape)
    return covered_share(p.face, mask), covered_share(p.head, mask)


@pytest.mark.parametrize("angle", [15.0, 30.0, 150.0])
def test_a_real_rolled_head_is_covered_but_for_its_box_corners(astronaut, angle):
    """The astronaut turned 15, 30 and 150 degrees at 1000 px, face 60 % of the side: the whole face
    and all of the head box but its corners (99.0, 98.9, 98.5 % at 1.35x; ea83dfb's 1.3x left 2.2,
    1.2 and 2.5 %)."""
    face, head = _head_covered(astronaut, ASTRONAUT_FACE, "default", 1000, 0.6, angle)
    assert face == 1.0 and head >= 0.98, (face, head)


@pytest.mark.parametrize("side,share", [(256, 0.25), (1600, 0.1)])
def test_a_real_head_is_covered_whole_where_its_box_comes_out_narrow(astronaut, side, share):
    """The astronaut's box at these sizes is a few per cent narrower than its face: grown 1.3x, 2.3
    and 0.5 % of its head box (an ear's edge, hair) were left (ea83dfb); the default's 1.35x holds it."""
    face, head = _head_covered(astronaut, ASTRONAUT_FACE, "default", side, share)
    assert face == 1.0 and head == 1.0, (face, head)


@pytest.mark.parametrize(
    "name,preset,side,share,angle,least",
    [
        ("img30.jpg", "default", 1000, 0.6, 15.0, 0.96),  # rolled: the ellipse's corners (96.5 %)
        ("img49.jpg", "default", 256, 0.1, 0.0, 1.0),
        ("img30.jpg", "thorough", 1000, 0.8, 0.0, 1.0),
    ],
)
def test_real_heads_of_the_sweep_are_covered(name, preset, side, share, angle, least):
    """identities_dev faces of the sweep's worst cells before (head 95.3, 97.1 and 96.4 % covered on ea83dfb)."""
    rgb, box = identity(name)
    face, head = _head_covered(rgb, box, preset, side, share, angle)
    assert face == 1.0 and head >= least, (face, head)


def test_the_presets_grow_default_1_35_thorough_1_4_fast_1_6():
    assert [box_scale(Settings(preset=p)) for p in ("default", "thorough", "fast")] == [1.35, 1.4, 1.6]
