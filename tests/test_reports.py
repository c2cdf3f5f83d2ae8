"""Reports: the right counters under the right names, photo faces and video face-frames kept apart,
the JSON keys, several inputs in one call, and the progress events in their order."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

import unseen
from unseen.cli import _print_summary, _ProgressBars
from unseen.pipeline.progress import FileFinished, FileStarted, FramesDone
from unseen.pipeline.report import BatchReport, MediaKind, Status, VideoDetails
from unseen.pipeline.video import process_video
from unseen.settings import Settings

from .video_factory import MagentaDetector, make_clip, static_square

FACE = static_square(20, 10, 16)  # one still "face" (a magenta square) on a 64 x 48 picture


def _photo(path: Path) -> Path:
    Image.fromarray(FACE(0, 0.0, 64, 48)).save(path)
    return path


def _summary(batch: BatchReport) -> str:
    out, err = io.StringIO(), io.StringIO()
    _print_summary(batch, Settings(), out, err, quiet=False)
    return out.getvalue()


def test_a_video_summary_counts_face_frames_not_raw_detections(tmp_path):
    # 120 frames, one face; the detector misses it on 10 frames, which the tracker fills. The
    # summary used to print the 110 raw detections as "110 face-frames covered".
    clip = make_clip(tmp_path / "one.mp4", n=120, draw=FACE)
    report = process_video(clip.path, None, Settings(), detector=MagentaDetector(miss=set(range(40, 50))))
    d = report.details
    assert isinstance(d, VideoDetails)
    assert (d.frames, d.frames_covered, d.face_frames_covered, d.tracks, d.detections) == (120, 120, 120, 1, 110)
    assert report.faces == 120 and d.regions_covered >= 120
    text = _summary(BatchReport(files=[report]))
    assert "120 face-frames covered (1 tracked face(s), 120 of 120 frames covered)" in text
    assert "1 of 1 file(s) anonymized (120 face-frames covered in 1 video(s))" in text


def test_a_folder_total_keeps_photo_faces_and_video_face_frames_apart(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _photo(src / "p.png")
    make_clip(src / "v.mp4", n=30, draw=FACE)
    batch = unseen.anonymize_path(src, tmp_path / "out", detector=MagentaDetector())
    assert batch.exit_status == 0, [f.error for f in batch.files]
    assert (batch.photo_faces, batch.video_face_frames) == (1, 30)
    text = _summary(batch)
    assert "2 of 2 file(s) anonymized (1 faces covered in 1 photo(s); 30 face-frames covered in 1 video(s))" in text
    assert "31" not in text  # never added up
    assert json.loads(json.dumps(batch.to_dict()))["video_face_frames"] == 30


# Every key the JSON report had before reports were typed. "face_frames" (which counted frames with
# a cover) is now "frames_covered"; a video's "faces" is face-frames covered.
FILE_KEYS = {"input", "output", "kind", "status", "faces", "metadata_removed", "warnings", "error", "exit_status",
             "seconds", "details"}
IMAGE_KEYS = {"width", "height", "format", "boxes", "views", "detector",
              "covered", "region_detectors", "plan_rejected", "manual_regions"}  # --cover kinds; plans
VIDEO_KEYS = {"frames", "regions_covered", "shot_cuts", "width", "height", "rotation", "video_codec", "pix_fmt",
              "container", "streams_kept", "audio_kept", "damage", "lookahead_frames", "hold_seconds",
              "detect_stride", "thorough_frames", "detector"}
VIDEO_NEW_KEYS = {"frames_covered", "face_frames_covered", "tracks", "detections", "fps", "duration",
                  "kind_frames_covered", "region_detectors", "plan_rejected", "manual_regions",
                  "kind_frames_interpolated", "kind_frames_held", "kind_tracks", "kind_detections",
                  "kind_detect_frames", "kinds_stride"}  # kinds tracked
VIDEO_NEW_KEYS |= {"segments"}  # --segment-seconds (issue 15: also on the batch's pool)
BATCH_KEYS = {"files", "skipped", "failed", "exit_status"}


def test_the_json_report_keeps_its_keys_and_plain_values(tmp_path):
    _photo(tmp_path / "p.png")
    make_clip(tmp_path / "v.mp4", n=12, draw=FACE)
    (tmp_path / "gone.jpg").unlink(missing_ok=True)
    batch = unseen.anonymize_paths([tmp_path / "p.png", tmp_path / "v.mp4", tmp_path / "gone.jpg"],
                                   detector=MagentaDetector())
    rep = json.loads(json.dumps(batch.to_dict()))
    assert BATCH_KEYS <= set(rep) and {"photo_faces", "video_face_frames"} <= set(rep)
    photo, video, gone = rep["files"]
    for f in (photo, video, gone):
        assert set(f) == FILE_KEYS
    assert (photo["kind"], photo["status"], video["kind"], gone["kind"], gone["status"]) == (
        "image", "ok", "video", "unknown", "failed")
    assert set(photo["details"]) == IMAGE_KEYS and photo["details"]["format"] == "PNG" and photo["faces"] == 1
    assert set(video["details"]) == VIDEO_KEYS | VIDEO_NEW_KEYS
    assert video["details"]["frames"] == 12 and video["faces"] == video["details"]["face_frames_covered"] == 12
    assert video["details"]["fps"] == pytest.approx(30.0) and gone["details"] == {}
    # the typed side: enums that compare as the old strings
    assert batch.files[0].kind is MediaKind.IMAGE and batch.files[2].status is Status.FAILED
    assert batch.files[0].kind == "image" and f"{batch.files[1].kind}" == "video"


def test_anonymize_paths_several_inputs_into_one_folder(tmp_path):
    a = _photo(tmp_path / "a.png")
    b = _photo(tmp_path / "b.png")
    folder = tmp_path / "pics"
    folder.mkdir()
    _photo(folder / "c.png")
    out = tmp_path / "out"
    batch = unseen.anonymize_paths([a, str(b), folder], out, detector=MagentaDetector())
    assert batch.exit_status == 0, [f.error for f in batch.files]
    assert [Path(f.input).name for f in batch.files] == ["a.png", "b.png", "c.png"]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.png")) == ["a.png", "b.png", "pics/c.png"]
    assert batch.photo_faces == 3
    # a failure in one input does not stop the others, and is in the report
    batch = unseen.anonymize_paths([tmp_path / "missing.png", a], tmp_path / "out2", detector=MagentaDetector())
    assert [f.status for f in batch.files] == ["failed", "ok"] and "no such file" in batch.files[0].error
    with pytest.raises(unseen.ConfigError, match="must be a folder"):
        unseen.anonymize_paths([a, b], a, detector=MagentaDetector())


def test_progress_events_come_in_order(tmp_path):
    photo = _photo(tmp_path / "p.png")
    clip = make_clip(tmp_path / "v.mp4", n=10, draw=FACE)
    events: list = []
    batch = unseen.anonymize_paths([photo, tmp_path / "missing.mp4", clip.path], tmp_path / "out",
                                   detector=MagentaDetector(), progress=events.append)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["FileStarted", "FileFinished"] * 2 + ["FileStarted"] + ["FramesDone"] * 10 + ["FileFinished"]
    starts = [e for e in events if isinstance(e, FileStarted)]
    assert [(e.index, e.total, e.kind) for e in starts] == [
        (0, 3, MediaKind.IMAGE), (1, 3, MediaKind.UNKNOWN), (2, 3, MediaKind.VIDEO)]
    frames = [e for e in events if isinstance(e, FramesDone)]
    assert [(e.done, e.total) for e in frames] == [(i, 10) for i in range(1, 11)] and frames[0].path == clip.path
    finished = [e for e in events if isinstance(e, FileFinished)]
    assert [e.report for e in finished] == batch.files and finished[1].report.status == "failed"


def test_the_cli_draws_the_library_events_as_bars(tmp_path):
    clip = make_clip(tmp_path / "v.mp4", n=10, draw=FACE)
    stream = io.StringIO()
    bars = _ProgressBars(stream)
    unseen.anonymize_path(clip.path, detector=MagentaDetector(), progress=bars)
    bars.close()
    drawn = stream.getvalue()
    assert "0/10" in drawn and "frame/s" in drawn  # a frame bar sized from the FramesDone events
    assert drawn.endswith("\r") and drawn.split("\r")[-2].strip() == ""  # closed on FileFinished, wiped
