"""Video detection schedule: cheap passes every frame, thorough ones on a stride, holds bridging."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from unseen.detect.base import Detector, SinglePassNetBase
from unseen.detect.multiscale import MultiScaleDetector, Pass
from unseen.detect.registry import passes_for
from unseen.detect.schedule import Schedule, Tier, stride_for, video_schedule
from unseen.errors import ConfigError
from unseen.pipeline.video import process_video
from unseen.settings import Settings
from unseen.types import Faces

from .video_factory import covered, magenta_boxes, make_clip, moving_square, read_frames, static_square

CHEAP = Pass("cheap", 1, 0.3)
THOROUGH = Pass("thorough", 1, 0.1)


def test_tiers_run_on_their_own_period_and_restart_at_a_cut():
    s = Schedule((Tier(0.0, (CHEAP,)), Tier(0.5, (CHEAP, THOROUGH))))
    runs = [s.passes_at(i / 30) for i in range(31)]
    assert all(CHEAP in r for r in runs)
    assert [i for i, r in enumerate(runs) if THOROUGH in r] == [0, 15, 30]
    assert all(len(r) == len(set(r)) for r in runs)  # a pass shared by two tiers runs once
    assert THOROUGH in s.passes_at(31 / 30, cut=True)  # a cut: every tier at once
    assert THOROUGH not in s.passes_at(32 / 30)
    assert THOROUGH in s.passes_at(0.0)  # time going back (a new segment): restart


def test_variable_frame_rate_uses_time_not_frame_count():
    s = Schedule((Tier(0.0, (CHEAP,)), Tier(0.5, (THOROUGH,))))
    times = [0.0, 0.01, 0.02, 0.45, 0.499, 0.5, 0.9, 1.2]
    hit = [t for t in times if THOROUGH in s.passes_at(t)]
    assert hit == [0.0, 0.5, 1.2]


def test_hold_covers_one_stride_and_a_frame():
    s = Schedule((Tier(0.0, (CHEAP,)), Tier(0.5, (THOROUGH,))))
    assert s.hold(30.0) == pytest.approx(0.5 + 1 / 30)
    assert Schedule((Tier(0.0, (CHEAP,)),)).hold(30.0) == 0.0


def test_settings_choose_the_stride():
    assert stride_for(Settings()) == 1.0  # auto on cpu
    assert stride_for(Settings(device="cuda")) == 1.0  # the same schedule on a GPU (leak-checked at 1 s)
    assert stride_for(Settings(detect_stride=1.0)) == 1.0
    assert video_schedule(Settings(detect_stride=0), passes_for(Settings())) is None
    for bad in (-0.5, 2.5):
        with pytest.raises(ConfigError):
            Settings(detect_stride=bad)


def test_default_schedule_keeps_every_preset_pass_on_the_stride():
    settings = Settings(detect_stride=0.5)
    passes = passes_for(settings)
    sched = video_schedule(settings, passes)
    assert sched is not None
    first = sched.passes_at(0.0)
    assert set(passes) <= set(first)  # the thorough tier is the preset's own passes, all of them
    between = sched.passes_at(1 / 30)
    assert between and not set(passes) <= set(between)
    assert all(p.net == "yunet" for p in between)


def test_threshold_override_reaches_the_cheap_passes():
    settings = Settings(threshold=0.42)
    sched = video_schedule(settings, passes_for(settings))
    assert sched is not None
    assert {p.threshold for p in sched.passes_at(0.0)} == {0.42}


class _Net(SinglePassNetBase):
    """A single-pass net that finds magenta squares (or nothing), counting its calls."""

    multiple = 32

    def __init__(self, name: str, finds: bool):
        self.name = name
        self.finds = finds
        self.calls = 0

    def infer(self, rgb: np.ndarray, threshold: float) -> Faces:
        self.calls += 1
        return Faces(magenta_boxes(rgb)) if self.finds else Faces.empty()


def _detector(settings: Settings) -> tuple[MultiScaleDetector, _Net, _Net]:
    """The preset's real pass table over fake nets: only the thorough network (CenterFace) sees
    the square, so the cheap tier (YuNet) never does and the holds alone bridge the stride."""
    cf, yn = _Net("centerface", True), _Net("yunet", False)
    return MultiScaleDetector({"centerface": cf, "yunet": yn}, passes_for(settings), name="fake"), cf, yn


@pytest.mark.parametrize("stride", [0.5, 1.0])
def test_face_seen_only_by_thorough_passes_is_covered_on_every_frame(tmp_path, stride):
    settings = Settings(detect_stride=stride)
    det, cf, yn = _detector(settings)
    n = 60
    clip = make_clip(tmp_path / "a.mp4", width=128, height=96, n=n, draw=moving_square(size=16, speed=0.5))
    report = process_video(clip.path, tmp_path / "b.mp4", settings, detector=det)
    frames, _ = read_frames(tmp_path / "b.mp4")
    for i, (src, out) in enumerate(zip(clip.frames, frames)):
        for box in magenta_boxes(src):
            assert covered(out, box) >= 0.95, f"frame {i}: square {box} not covered (stride {stride})"
    keyframes = int(np.ceil(n / (stride * 30 + 1e-9)))
    assert cf.calls == 2 * keyframes  # two CenterFace passes (plain and mirrored), stride frames only
    assert yn.calls > cf.calls  # the cheap tier ran on the frames between
    assert report.details.detect_stride == stride
    assert report.details.thorough_frames == keyframes
    assert min(report.details.hold_seconds) >= stride


def test_stride_zero_runs_every_pass_on_every_frame(tmp_path):
    settings = Settings(detect_stride=0)
    det, cf, _ = _detector(settings)
    clip = make_clip(tmp_path / "a.mp4", width=128, height=96, n=20, draw=moving_square(size=16))
    report = process_video(clip.path, tmp_path / "b.mp4", settings, detector=det)
    assert cf.calls == (2 + 1) * 20  # plain and mirrored, and the mirrored edges (one size: under 256 px)
    assert report.details.detect_stride == 0.0
    assert report.details.hold_seconds == [settings.hold_before, settings.hold_after]


def test_face_appearing_between_strides_is_covered_from_its_first_frame(tmp_path):
    # The square appears on frame 17 (after the thorough run on frame 15) and is first seen by the
    # thorough passes on frame 30: the hold before that sighting must reach back to frame 17.
    settings = Settings(detect_stride=0.5)
    det, _, _ = _detector(settings)
    shown = set(range(17, 40))
    clip = make_clip(tmp_path / "a.mp4", width=128, height=96, n=40, draw=static_square(50, 40, 16, shown))
    process_video(clip.path, tmp_path / "b.mp4", settings, detector=det)
    frames, _ = read_frames(tmp_path / "b.mp4")
    for i in sorted(shown):
        assert covered(frames[i], np.array([50, 40, 66, 56])) >= 0.95, f"frame {i} not covered"


class _BatchMagenta(Detector):
    """Takes frames in batches (like a GPU backend); records the batch sizes it was given."""

    name = "batch-magenta"

    def __init__(self, batch: int, drop_one: bool = False):
        self.batch = batch
        self.sizes: list[int] = []
        self.drop_one = drop_one

    def detect(self, image: np.ndarray, passes: Sequence[Pass] | None = None) -> Faces:
        self.sizes.append(1)
        return Faces(magenta_boxes(image))

    def detect_many(self, images: list[np.ndarray], passes=None) -> list[Faces]:
        self.sizes.append(len(images))
        out = [Faces(magenta_boxes(im)) for im in images]
        return out[:-1] if self.drop_one else out


def test_frames_go_to_a_batching_detector_in_batches_and_all_are_covered(tmp_path):
    det = _BatchMagenta(batch=4)
    clip = make_clip(tmp_path / "a.mp4", width=128, height=96, n=30, draw=moving_square(size=16))
    report = process_video(clip.path, tmp_path / "b.mp4", Settings(), detector=det)
    assert det.sizes == [4] * 7 + [2]
    assert report.details.frames == 30
    frames, _ = read_frames(tmp_path / "b.mp4")
    for i, (src, out) in enumerate(zip(clip.frames, frames)):
        for box in magenta_boxes(src):
            assert covered(out, box) >= 0.95, f"frame {i}: square {box} not covered"


def test_a_batch_answer_of_the_wrong_length_fails_closed(tmp_path):
    from unseen.errors import PipelineError

    clip = make_clip(tmp_path / "a.mp4", width=128, height=96, n=12, draw=moving_square(size=16))
    with pytest.raises(PipelineError, match="results for 4 frames"):
        process_video(clip.path, tmp_path / "b.mp4", Settings(), detector=_BatchMagenta(4, drop_one=True))
    assert not (tmp_path / "b.mp4").exists()
    assert list(tmp_path.iterdir()) == [clip.path]


def test_a_pass_grows_its_boxes_about_their_centres():
    net = _Net("yunet", True)
    det = MultiScaleDetector({"yunet": net}, (Pass("yunet", 1, 0.3),), name="g")
    img = np.zeros((96, 128, 3), np.uint8)
    img[40:56, 50:66] = (255, 0, 255)
    plain = det.detect(img).boxes[0]
    grown = det.detect(img, (Pass("yunet", 1, 0.3, grow=1.5),)).boxes[0]
    assert np.allclose((plain[:2] + plain[2:]) / 2, (grown[:2] + grown[2:]) / 2)
    assert np.allclose(grown[2:] - grown[:2], 1.5 * (plain[2:] - plain[:2]))


def test_a_batching_detector_gets_frames_grouped_by_the_passes_they_need(tmp_path):
    settings = Settings(detect_stride=0.5)
    det, cf, yn = _detector(settings)
    det.batch = 8
    calls: list[tuple[int, tuple]] = []
    inner = det.detect_many

    def detect_many(images, passes=None):
        calls.append((len(images), tuple(passes or ())))
        return inner(images, passes)

    det.detect_many = detect_many  # type: ignore[method-assign]
    clip = make_clip(tmp_path / "a.mp4", width=128, height=96, n=32, draw=moving_square(size=16, speed=0.5))
    process_video(clip.path, tmp_path / "b.mp4", settings, detector=det)
    assert sum(n for n, _ in calls) == 32
    per_batch_sets = len(calls)
    assert per_batch_sets <= 4 * 3  # 4 batches of 8, at most one call per distinct pass set in each
    frames, _ = read_frames(tmp_path / "b.mp4")
    for i, (src, out) in enumerate(zip(clip.frames, frames)):
        for box in magenta_boxes(src):
            assert covered(out, box) >= 0.95, f"frame {i}"


def test_thorough_preset_runs_every_pass_on_every_frame_unless_a_stride_is_asked_for():
    thorough = Settings(preset="thorough")
    assert video_schedule(thorough, passes_for(thorough)) is None
    strided = Settings(preset="thorough", detect_stride=0.5)
    sched = video_schedule(strided, passes_for(strided))
    assert sched is not None and sched.stride == 0.5
    assert sched.passes_at(1 / 30)  # cheap passes between the thorough runs, never nothing
