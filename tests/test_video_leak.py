"""The leak check itself: it must see a face left visible and accept a covered one."""

from __future__ import annotations

import numpy as np
import pytest

from unseen.pipeline.video import process_video
from unseen.settings import Settings
from unseen.types import Faces
from unseen_eval.leak import central_half, covered_share, leak_check

from .conftest import shared_data
from .video_factory import MagentaDetector, make_clip, static_square


def test_central_half():
    assert central_half(np.array([0, 0, 40, 20])).tolist() == [10, 5, 30, 15]


def test_covered_share_black_changed_and_untouched():
    orig = np.full((20, 20, 3), 120, np.uint8)
    box = np.array([0, 0, 20, 20], np.float32)
    assert covered_share(orig, orig.copy(), box) == 0.0
    out = orig.copy()
    out[5:15, 5:15] = 0
    assert covered_share(orig, out, box) == 1.0
    out = orig.copy()
    out[5:15, 5:10] = 250  # changed, not black: half the centre
    assert covered_share(orig, out, box) == pytest.approx(0.5)


def test_leak_check_counts_uncovered_faces(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=20)
    rep = leak_check(clip.path, clip.path, MagentaDetector())  # "output" = original: all leak
    assert rep.frames == 20 and rep.face_frames >= 20 and rep.leaked == rep.face_frames
    assert rep.leaks[0].frame == 0


def test_leak_check_passes_the_pipeline_output_and_uses_truth(tmp_path):
    clip = make_clip(tmp_path / "a.mp4", n=20, draw=static_square(20, 10, 16))
    process_video(clip.path, tmp_path / "o.mp4", Settings(), detector=MagentaDetector())
    truth = Faces(np.array([[20, 10, 36, 26]], np.float32))
    rep = leak_check(clip.path, tmp_path / "o.mp4", MagentaDetector(), truth=lambda i: truth)
    assert (rep.face_frames, rep.leaked, rep.truth_face_frames, rep.truth_leaked) == (20, 0, 20, 0)
    miss = Faces(np.array([[40, 30, 60, 46]], np.float32))
    rep = leak_check(clip.path, tmp_path / "o.mp4", MagentaDetector(), truth=lambda i: miss)
    assert rep.truth_leaked == 20


def test_leak_check_refuses_mismatched_lengths(tmp_path):
    a = make_clip(tmp_path / "a.mp4", n=10)
    b = make_clip(tmp_path / "b.mp4", n=8)
    with pytest.raises(ValueError, match="fewer frames"):
        leak_check(a.path, b.path, MagentaDetector())


@pytest.mark.slow
def test_real_talking_head_has_no_leaks_with_the_default_detector(tmp_path):
    """carphone (QCIF, 120 frames): anonymize with the real detector, re-detect on the original."""
    src = shared_data("video", "carphone_pristine.mp4")
    report = process_video(src, tmp_path / "o.mp4", Settings(preset="fast"))
    assert report.details.frames == 120
    from unseen.detect.cache import detector_for

    rep = leak_check(src, tmp_path / "o.mp4", detector_for(Settings(preset="fast")))
    assert rep.face_frames >= 100 and rep.leaked == 0, rep.leaks[:5]
