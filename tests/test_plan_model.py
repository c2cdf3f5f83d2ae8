"""The plan model: round trips, what faces_for covers, manual regions, flags."""

from __future__ import annotations

import numpy as np
import pytest

from unseen.errors import ConfigError, CorruptInput, ExitStatus
from unseen.plan import (
    FlagEvidence,
    FlagKind,
    InputInfo,
    Keyframe,
    Region,
    build_plan,
    load_plan,
    parse_region,
    plan_from_bytes,
    save_plan,
)
from unseen.plan.encode import dumps, plan_to_json
from unseen.settings import Settings
from unseen.types import Faces, Origin

from .plan_cases import SHA, image_doc, to_bytes, video_doc

VIDEO = InputInfo("clip.mp4", 4096, SHA, "video", 640, 480, 90, (1, 30000), 30.0, 3.0)
PHOTO = InputInfo("photo.jpg", 1000, SHA, "image", 320, 240)


def _faces(rows, scores=None, origin=None, tracks=None) -> Faces:
    return Faces(np.asarray(rows, np.float32), scores, origin, tracks)


def test_round_trip_saved_plan_loads_equal(tmp_path):
    frames = [(i, i / 30, _faces([[10 + i, 20, 50 + i, 70.37]], [0.8], [Origin.DETECTED], [4])) for i in range(30)]
    plan = build_plan(VIDEO, Settings(), "default/centerface", frames, regions=[parse_region("1,2,30,40@0.5-1.5")],
                      evidence=FlagEvidence(threshold=0.75, cut_frames=(12,)))
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    loaded = load_plan(path)
    assert loaded == plan
    assert loaded.producer.settings == plan.producer.settings and loaded.producer.settings["fill"] == [0, 0, 0]
    assert dumps(loaded) == path.read_text(encoding="utf-8")  # deterministic text
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left


def test_round_trip_of_the_documented_examples():
    for doc in (video_doc(), image_doc()):
        plan = plan_from_bytes(to_bytes(doc), "p.json")
        assert plan_to_json(plan) == doc
        assert plan_from_bytes(dumps(plan).encode(), "p.json") == plan


def test_builder_keeps_every_box_and_rounds_outward():
    faces = _faces([[10.004, 20.006, 50.001, 70.009], [5, 5, 5, 5], [-30, -20, 4, 6]], [0.91234567, 1.0, 0.2])
    plan = build_plan(PHOTO, {"mode": "solid"}, "d", [(0, None, faces)])
    boxes = [b.box for b in plan.frames[0].boxes]
    assert len(boxes) == 3  # a zero-size box and one reaching out of the frame are kept
    assert boxes[0] == (10.0, 20.0, 50.01, 70.01) and boxes[1] == (5.0, 5.0, 5.01, 5.01) and boxes[2] == (-30.0, -20.0, 4.0, 6.0)
    assert plan.frames[0].boxes[0].score == 0.9123


def test_builder_refuses_a_region_outside_the_frame():
    with pytest.raises(CorruptInput) as err:
        build_plan(PHOTO, {}, "d", [], regions=[parse_region("300,10,330,40")])
    assert err.value.exit_status == ExitStatus.INPUT
    assert str(err.value) == "photo.jpg: regions[0].keyframes[0].box[2]: must be >= 0 and <= 320, got 330.0"


def test_faces_for_excludes_only_explicitly_rejected_boxes_and_adds_regions():
    plan = plan_from_bytes(to_bytes(video_doc()), "p.json")
    f1 = plan.faces_for(1)
    # frame 1: the interpolated box is covered, the rejected poster is not
    assert f1.boxes.tolist() == [[11, 20, 51, 70]] and f1.origin.tolist() == [Origin.INTERPOLATED]
    assert plan.rejected_count == 1 and plan.box_count == 4
    f0 = plan.faces_for(0)
    assert len(f0) == 2 and f0.origin.tolist() == [Origin.DETECTED, Origin.DILATED]
    # frame-keyed region covers frames 10-20 inclusive only
    assert plan.faces_for(9).boxes.tolist() == []  # 0.3 s: before the time region too
    assert plan.faces_for(10).boxes.tolist() == [[0, 0, 64, 48]]
    assert [0, 0, 64, 48] in plan.faces_for(20).boxes.tolist() and set(plan.faces_for(20).origin.tolist()) == {Origin.MANUAL}
    assert [0, 0, 64, 48] not in plan.faces_for(21).boxes.tolist()  # 0.7 s: only the time region


def test_time_region_is_interpolated_between_keyframes_and_held_within_its_range():
    plan = plan_from_bytes(to_bytes(video_doc()), "p.json")
    region = plan.regions[0]  # 0.5-2.0 s; keyframes at 1.0 (x=100) and 2.0 (x=200)
    assert region.box_at(plan.time_of(14)) is None  # 0.467 s: before the start
    assert region.box_at(plan.time_of(15)) == (100, 100, 140, 150)  # 0.5 s: held at the first keyframe
    assert [100, 100, 140, 150] in plan.faces_for(15).boxes.tolist()
    assert plan.faces_for(45).boxes[0].tolist() == pytest.approx([150, 100, 190, 150])  # 1.5 s: half way
    assert plan.faces_for(0, time=1.25).boxes[-1].tolist() == pytest.approx([125, 100, 165, 150])
    assert plan.faces_for(60).boxes.tolist() == [[200, 100, 240, 150]]  # 2.0 s: the end, inclusive
    assert plan.faces_for(61).boxes.tolist() == []  # after the end
    assert region.box_at(0.49) is None and region.box_at(2.01) is None


def test_photo_region_covers_frame_zero():
    plan = plan_from_bytes(to_bytes(image_doc()), "p.json")
    assert plan.faces_for(0).origin.tolist() == [Origin.DETECTED, Origin.MANUAL]


@pytest.mark.parametrize(
    "text, unit, start, end, keys",
    [
        ("10,20,30,40", "frame", 0, 0, [(0, (10, 20, 30, 40))]),
        ("1.5, 2 ,3.25,4", "frame", 0, 0, [(0, (1.5, 2, 3.25, 4))]),
        ("10,20,30,40@1.5-3", "time", 1.5, 3, [(1.5, (10, 20, 30, 40)), (3, (10, 20, 30, 40))]),
        ("10,20,30,40@2-2", "time", 2, 2, [(2, (10, 20, 30, 40))]),
    ],
)
def test_parse_region(text, unit, start, end, keys):
    r = parse_region(text)
    assert (r.unit, r.start, r.end) == (unit, start, end)
    assert [(k.at, k.box) for k in r.keyframes] == keys


@pytest.mark.parametrize(
    "text, says",
    [
        ("10,20,30", "expected X1,Y1,X2,Y2"),
        ("a,b,c,d", "expected X1,Y1,X2,Y2"),
        ("-1,0,5,5", "expected X1,Y1,X2,Y2"),
        ("10,20,30,40@3", "expected X1,Y1,X2,Y2"),
        ("10,20,30,40@nan-inf", "expected X1,Y1,X2,Y2"),
        ("30,20,10,40", "X2 must be > X1"),
        ("10,40,30,40", "X2 must be > X1 and Y2 > Y1"),
        ("10,20,30,40@5-1", "T1 must be >= T0"),
        ("1" * 400 + ",2,3,4", "numbers must be finite"),
    ],
)
def test_parse_region_errors_are_one_line_usage_errors(text, says):
    with pytest.raises(ConfigError) as err:
        parse_region(text)
    msg = str(err.value)
    assert says in msg and "\n" not in msg and msg.startswith("--region ") and len(msg) < 200
    assert err.value.exit_status == ExitStatus.USAGE


def test_region_box_at_single_keyframe_and_bounds():
    r = Region("frame", 3, 5, (Keyframe(4, (0, 0, 10, 10)),))
    assert [r.box_at(i) for i in range(2, 7)] == [None, (0, 0, 10, 10), (0, 0, 10, 10), (0, 0, 10, 10), None]


def test_flags_cover_each_kind_and_are_ordered_by_risk():
    # track 1: seen at 0-4 then again at 60 (a 55-frame gap > 1.5 s at 30 fps); weak and tiny at frame 2
    frames = []
    for i in list(range(5)) + [60]:
        rows, scores, tracks = [[100, 100, 140, 150]], [0.9], [1]
        if i == 2:
            rows, scores = [[100, 100, 110, 110]], [0.52]
        frames.append((i, i / 30, _faces(rows, scores, [Origin.DETECTED], tracks)))
    frames.append((70, 70 / 30, _faces([[300, 300, 340, 350]], [0.95], [Origin.DETECTED], [7])))  # track 7: one frame
    thorough = ((3, _faces([[100, 100, 140, 150], [500, 10, 540, 60]], [0.9, 0.4])),)
    plan = build_plan(VIDEO, Settings(), "d", frames,
                      evidence=FlagEvidence(threshold=0.5, cut_frames=(40,), cheap_only_frames=frozenset({70}), thorough=thorough))
    kinds = [(f.kind, f.frame, f.track) for f in plan.flags]
    assert kinds == [
        (FlagKind.THOROUGH_MISS, 3, None),  # the face at x=500 only: the other is covered
        (FlagKind.CHEAP_ONLY_APPEARANCE, 70, 7),
        (FlagKind.TRACK_GAP, 5, 1),
        (FlagKind.SHOT_CUT, 40, None),
        (FlagKind.NEAR_THRESHOLD, 2, 1),
        (FlagKind.TINY_FACE, 2, 1),
        (FlagKind.SHORT_TRACK, 70, 7),
    ]
    assert [f.risk for f in plan.flags] == sorted(f.risk for f in plan.flags)
    assert plan.flags[0].box == (500, 10, 540, 60) and plan.flags[0].time == pytest.approx(0.1)
    assert "55 frames" in plan.flags[2].message


def test_flags_without_evidence_are_only_those_the_boxes_show():
    faces = _faces([[1, 1, 9, 9], [50, 50, 100, 100], [200, 5, 210, 12]], [0.05, 0.99, 0.99])
    plan = build_plan(PHOTO, {}, "d", [(0, None, faces)])
    # a photo: the weakly detected tiny face is a place to look; the surely detected one says nothing
    assert [(f.kind, f.box) for f in plan.flags] == [(FlagKind.TINY_FACE, (1, 1, 9, 9))]
    assert plan.flags[0].time is None and "scored only 0.05" in plan.flags[0].message


def test_untracked_video_boxes_are_flagged_once_per_frame():
    rows = [[1, 1, 9, 9], [20, 20, 30, 30], [50, 50, 100, 100]]
    plan = build_plan(VIDEO, {}, "d", [(i, i / 30, _faces(rows, [0.99, 0.6, 0.99])) for i in range(3)], evidence=FlagEvidence(threshold=0.58))
    # the box at 20-30 is tiny and near the threshold (so not surely detected); the sure tiny one says nothing
    assert [(f.kind, f.frame, f.box) for f in plan.flags] == [
        (FlagKind.NEAR_THRESHOLD, 0, (20, 20, 30, 30)), (FlagKind.NEAR_THRESHOLD, 1, (20, 20, 30, 30)), (FlagKind.NEAR_THRESHOLD, 2, (20, 20, 30, 30)),
        (FlagKind.TINY_FACE, 0, (20, 20, 30, 30)), (FlagKind.TINY_FACE, 1, (20, 20, 30, 30)), (FlagKind.TINY_FACE, 2, (20, 20, 30, 30)),
    ]


def test_schema_file_ships_beside_the_package():
    import json

    from unseen.plan import SCHEMA_PATH

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema" and schema["properties"]["version"]["enum"] == [1, 2]


def test_builder_refuses_manual_boxes_in_frames():
    with pytest.raises(ValueError, match="regions"):
        build_plan(PHOTO, {}, "d", [(0, None, _faces([[1, 1, 9, 9]], origin=[Origin.MANUAL]))])
