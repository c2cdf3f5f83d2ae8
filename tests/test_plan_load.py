"""The plan loader's refusals: one line naming the file and the JSON path, bad-input exit status."""

from __future__ import annotations

import json
import os

import pytest

from unseen.errors import (
    CorruptInput,
    ExitStatus,
    InputError,
    InputNotFound,
    LimitExceeded,
    OutputExists,
)
from unseen.plan import describe_input, limits, load_plan, plan_from_bytes, save_plan

from .plan_cases import edited, image_doc, to_bytes, video_doc

V = video_doc()
B0 = ("frames", 0, "boxes", 0)


def _refusal(doc_or_bytes, name="plan.json") -> InputError:
    data = doc_or_bytes if isinstance(doc_or_bytes, bytes) else to_bytes(doc_or_bytes)
    with pytest.raises(InputError) as err:
        plan_from_bytes(data, name)
    e = err.value
    assert e.exit_status == ExitStatus.INPUT
    assert "\n" not in str(e) and str(e).startswith(f"{name}: ")
    return e


# (document, the exact one-line message)
CASES = [
    (edited(V, B0 + ("box",), [50.0, 20.0, 12.0, 70.0]), "plan.json: frames[0].boxes[0].box: x2 must be > x1 (got x1=50, x2=12)"),
    (edited(V, B0 + ("box",), [10.0, 70.0, 50.0, 70.0]), "plan.json: frames[0].boxes[0].box: y2 must be > y1 (got y1=70, y2=70)"),
    (edited(V, B0 + ("box",), [10.0, 20.0, 1300.0, 70.0]), "plan.json: frames[0].boxes[0].box[2]: must be >= -640 and <= 1280, got 1300.0"),
    (edited(V, B0 + ("box",), [10.0, 20.0, 50.0]), "plan.json: frames[0].boxes[0].box: must hold 4 numbers x1, y1, x2, y2, got 3"),
    (edited(V, B0 + ("box",), [10.0, "20", 50.0, 70.0]), "plan.json: frames[0].boxes[0].box[1]: must be a number, not a string"),
    (edited(V, B0 + ("score",), 1.5), "plan.json: frames[0].boxes[0].score: must be >= 0 and <= 1, got 1.5"),
    (edited(V, B0 + ("origin",), "manual"), "plan.json: frames[0].boxes[0].origin: must be one of detected, held, interpolated, got 'manual'"),
    (edited(V, B0 + ("track",), 2.5), "plan.json: frames[0].boxes[0].track: must be an integer, not a fraction"),
    (edited(V, B0 + ("rejected",), True), "plan.json: frames[0].boxes[0]: a rejection must say who (field 'by')"),
    (edited(V, B0 + ("rejected",), False), "plan.json: frames[0].boxes[0].rejected: must be true when present (a box is kept unless explicitly rejected)"),
    (edited(V, B0 + ("why",), "a hand"), "plan.json: frames[0].boxes[0].why: belongs to a rejection: set \"rejected\": true, or remove it"),
    (edited(V, ("frames", 1, "boxes", 1, "by"), " "), "plan.json: frames[1].boxes[1].by: must not be empty"),
    (edited(V, B0 + ("colour",), "red"), "plan.json: frames[0].boxes[0]: unknown field 'colour'"),
    (edited(V, B0 + ("score",), delete=True), "plan.json: frames[0].boxes[0]: missing field 'score'"),
    (edited(V, ("frames", 1, "index"), 0), "plan.json: frames[1].index: frames must be listed by increasing index (frame 0 after 0)"),
    (edited(V, ("frames", 1, "index"), 90), "plan.json: frames[1].index: frame 90 is outside the video's 90 frames"),
    (edited(V, ("frames", 1, "boxes"), []), "plan.json: frames[1].boxes: is empty: list only frames that have boxes"),
    (edited(V, ("frames", 1, "time"), delete=True), "plan.json: frames[1]: missing field 'time' (a video frame's time in seconds)"),
    (edited(V, ("version",), 3), "plan.json: version: unknown plan version 3 (this unseen reads versions 1, 2)"),
    (edited(V, ("version",), "1"), "plan.json: version: unknown plan version a string (this unseen reads versions 1, 2)"),
    (edited(V, ("format",), "other"), "plan.json: format: must be 'unseen-plan': this is not an unseen plan"),
    (edited(V, ("extra",), 1), "plan.json: unknown field 'extra'"),
    (edited(V, ("input", "sha256"), "ABC"), "plan.json: input.sha256: must be 64 lowercase hexadecimal digits"),
    (edited(V, ("input", "size"), -1), "plan.json: input.size: must be between 0 and 9007199254740992, got -1"),
    (edited(V, ("input", "width"), 0), "plan.json: input.width: must be between 1 and 1048576, got 0"),
    (edited(V, ("input", "fps"), 0), "plan.json: input.fps: must be > 0 and <= 1000, got 0"),
    (edited(V, ("input", "frame_count"), delete=True), "plan.json: input: missing field 'frame_count' (a video's plan needs it)"),
    (edited(V, ("input", "time_base"), [1, 0]), "plan.json: input.time_base[1]: must be between 1 and 9007199254740992, got 0"),
    (edited(V, ("input", "kind"), "audio"), "plan.json: input.kind: must be one of image, video, got 'audio'"),
    (edited(V, ("producer", "settings", "fill"), [[0]]), "plan.json: producer.settings.fill[0]: a setting's list holds only numbers, strings, booleans or null"),
    (edited(V, ("producer", "settings", "x"), {"a": 1}), "plan.json: producer.settings.x: a setting is a number, string, boolean, null or a list of them"),
    (edited(V, ("regions", 0, "keyframes", 0, "box"), [600.0, 100.0, 660.0, 150.0]), "plan.json: regions[0].keyframes[0].box[2]: must be >= 0 and <= 640, got 660.0"),
    (edited(V, ("regions", 0, "keyframes", 0, "box"), [-1.0, 100.0, 60.0, 150.0]), "plan.json: regions[0].keyframes[0].box[0]: must be >= 0 and <= 640, got -1.0"),
    (edited(V, ("regions", 0, "end"), 0.25), "plan.json: regions[0].end: must be >= start (0.5), got 0.25"),
    (edited(V, ("regions", 0, "end"), 60.0), "plan.json: regions[0].end: must be >= 0 and <= 3.03333, got 60.0"),
    (edited(V, ("regions", 0, "keyframes", 1, "at"), 0.75), "plan.json: regions[0].keyframes[1].at: keyframes must be in increasing order (0.75 after 1)"),
    (edited(V, ("regions", 0, "keyframes", 0, "at"), 0.25), "plan.json: regions[0].keyframes[0].at: must lie within the region's start and end (0.5-2), got 0.25"),
    (edited(V, ("regions", 0, "keyframes"), []), "plan.json: regions[0].keyframes: must hold at least one keyframe"),
    (edited(V, ("regions", 1, "end"), 90), "plan.json: regions[1].end: must be between 0 and 89, got 90"),
    (edited(V, ("regions", 1, "start"), 1.5), "plan.json: regions[1].start: must be an integer, not a fraction"),
    (edited(V, ("flags", 1, "risk"), 1), "plan.json: flags[1].risk: a shot_cut flag has risk 4, got 1"),
    (edited(edited(V, ("flags", 0, "kind"), "short_track"), ("flags", 0, "risk"), 7), "plan.json: flags[1].risk: flags must be ordered by risk (risk 4 after 7)"),
    (edited(V, ("flags", 0, "kind"), "leak"), "plan.json: flags[0].kind: must be one of cheap_only_appearance, near_threshold, short_track, shot_cut, thorough_miss, tiny_face, track_gap, got 'leak'"),
    (edited(image_doc(), ("regions", 0, "unit"), "time"), "plan.json: regions[0].unit: a photo's region has no time range: use unit \"frame\" (frame 0)"),
    (edited(image_doc(), ("frames", 0, "index"), 1), "plan.json: frames[0].index: frame 1 is outside a photo (frame 0 only)"),
    (edited(image_doc(), ("input", "fps"), 30.0), "plan.json: input: field 'fps' is for videos only"),
    (edited(image_doc(), ("frames", 0, "time"), 0.0), "plan.json: frames[0]: unknown field 'time'"),
    ([1, 2], "plan.json: a plan is a JSON object, not an array"),
]


@pytest.mark.parametrize("doc, message", CASES, ids=[m.split(": ", 1)[1][:60] for _, m in CASES])
def test_each_refusal_is_one_exact_line(doc, message):
    e = _refusal(doc)
    assert str(e) == message
    assert isinstance(e, CorruptInput)


@pytest.mark.parametrize(
    "data, says",
    [
        (b'{"format": "unseen-plan", "version": NaN}', "plan.json: NaN is not a number a plan may hold (only finite numbers)"),
        (b'{"a": -Infinity}', "plan.json: -Infinity is not a number a plan may hold (only finite numbers)"),
        (b'{"a": 1e308}', "plan.json: number 1e308 is out of range (limit MAX_ABS_NUMBER: 2^53)"),
        (b'{"a": 1e400}', "plan.json: number 1e400 is out of range (limit MAX_ABS_NUMBER: 2^53)"),
        (b'{"a": 123456789012345678901234567890}', "plan.json: number 123456789012345678901234567890 is out of range (limit MAX_INTEGER: 2^53)"),
        (b'{"a": 1, "a": 2}', 'plan.json: duplicate key "a"'),
        (b'{"a": [1, 2', "plan.json: line 1 column 12: not valid JSON: Expecting ',' delimiter"),
        (b'{"a": "\xff"}', "plan.json: byte 7: not UTF-8 text"),
        (b"  \n", "plan.json: line 2 column 1: not valid JSON: Expecting value"),
    ],
)
def test_json_level_refusals(data, says):
    e = _refusal(data)
    assert str(e) == says


def _write(tmp_path, doc, name="plan.json"):
    p = tmp_path / name
    p.write_bytes(to_bytes(doc))
    return p


def test_load_checks_the_media_hash_and_size(tmp_path):
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"x" * 4096)
    import hashlib

    good = edited(V, ("input", "sha256"), hashlib.sha256(media.read_bytes()).hexdigest())
    plan = load_plan(_write(tmp_path, good), media_path=media)
    assert plan.input.sha256 == good["input"]["sha256"]
    p = _write(tmp_path, V, "other.json")  # same size, another hash
    with pytest.raises(CorruptInput) as err:
        load_plan(p, media_path=media)
    assert str(err.value) == (
        f"{p}: input.sha256: the plan was made for another file (its SHA-256 is 0123456789abcdef..., "
        f"clip.mp4's is {good['input']['sha256'][:16]}...)"
    )
    assert err.value.exit_status == ExitStatus.INPUT
    media.write_bytes(b"x" * 10)
    with pytest.raises(CorruptInput, match=r"input\.size: the plan was made for another file \(clip\.mp4, 4096 bytes; clip\.mp4 is 10 bytes\)"):
        load_plan(_write(tmp_path, good, "g.json"), media_path=media)
    with pytest.raises(InputNotFound):
        load_plan(p, media_path=tmp_path / "missing.mp4")


def test_describe_input_reads_name_size_and_hash(tmp_path):
    import hashlib

    media = tmp_path / "photo.jpg"
    media.write_bytes(b"abc" * 100)
    info = describe_input(media, kind="image", width=10, height=20)
    assert (info.name, info.size, info.sha256) == ("photo.jpg", 300, hashlib.sha256(b"abc" * 100).hexdigest())
    with pytest.raises(InputNotFound):
        describe_input(tmp_path / "none.jpg", kind="image", width=1, height=1)


def test_load_file_errors(tmp_path):
    with pytest.raises(InputNotFound, match="plan file not found"):
        load_plan(tmp_path / "none.json")
    with pytest.raises(InputError, match="not a regular file"):
        load_plan(tmp_path)
    empty = tmp_path / "empty.json"
    empty.write_bytes(b" \n")
    with pytest.raises(CorruptInput, match="the plan file is empty"):
        load_plan(empty)
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:  # a sparse file: declared 2 GiB, nothing written
        fh.truncate(2 << 30)
    with pytest.raises(LimitExceeded) as err:
        load_plan(big)
    assert str(err.value) == f"{big}: plan file is {2 << 30} bytes, more than MAX_PLAN_BYTES ({limits.MAX_PLAN_BYTES})"


def test_save_refuses_an_invalid_plan_and_writes_nothing(tmp_path):
    plan = plan_from_bytes(to_bytes(V), "p.json")
    bad = plan.__class__(plan.input, plan.producer, plan.frames, plan.regions, tuple(reversed(plan.flags)))
    target = tmp_path / "plan.json"
    with pytest.raises(CorruptInput, match=r"flags\[1\]\.risk: flags must be ordered by risk"):
        save_plan(bad, target)
    assert os.listdir(tmp_path) == []
    save_plan(plan, target)
    with pytest.raises(OutputExists):
        save_plan(plan, target)
    save_plan(plan, target, overwrite=True)
    assert json.loads(target.read_text()) == V and os.listdir(tmp_path) == ["plan.json"]
