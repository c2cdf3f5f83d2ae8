"""Hostile plans are refused cleanly: an InputError with one line naming the file, never another
exception, never a hang, and sizes refused before millions of objects are built."""

from __future__ import annotations

import contextlib
import random
import signal

import pytest

from unseen.errors import InputError, LimitExceeded
from unseen.plan import plan_from_bytes
from unseen.plan.encode import dumps

from .plan_cases import image_doc, to_bytes, video_doc
from .plan_mutate import mutate

NAME = "hostile.json"


@contextlib.contextmanager
def _alarm(seconds: int):
    def boom(*_):
        raise TimeoutError(f"the loader took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _outcome(data: bytes, seconds: int = 30) -> str:
    """'accepted' (and then it saves and loads back equal), or the refusal's one line."""
    with _alarm(seconds):
        try:
            plan = plan_from_bytes(data, NAME)
        except InputError as exc:
            msg = str(exc)
            assert msg.startswith(f"{NAME}: ") and "\n" not in msg and len(msg) < 600, msg
            return msg
    assert plan_from_bytes(dumps(plan).encode("utf-8"), NAME) == plan
    return "accepted"


def _frames_with(box_items: bytes, count: int) -> bytes:
    """A video plan whose frame 0 holds ``count`` copies of ``box_items`` (bytes of one item)."""
    head, tail = to_bytes(video_doc()).split(b'"frames": ', 1)
    rest = tail[tail.index(b', "regions"'):]
    return head + b'"frames": [{"index": 0, "time": 0.0, "boxes": [' + b",".join([box_items] * count) + b"]}]" + rest


BOX = b'{"box": [1, 2, 3, 4], "score": 0.5, "origin": "detected", "track": 1}'


@pytest.mark.parametrize(
    "data, says",
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 16 levels (limit MAX_DEPTH)"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested deeper than 16 levels (limit MAX_DEPTH)"),
        (b"[" * 100_000, "nested deeper than 16 levels"),  # and unterminated
        (_frames_with(BOX, 1_000_000), "a list holds more than 10000 boxes"),
        (_frames_with(b"{}", 10_000_000), "more than 7000000 boxes and keyframes (limits MAX_TOTAL_BOXES"),
        (_frames_with(b"0", 10_000_000), "frames[0].boxes: holds 10000000 items, more than MAX_BOXES_PER_FRAME (10000)"),
        (b'{"a": ' + b"9" * 100_000 + b"}", "is out of range (limit MAX_INTEGER: 2^53)"),
        (b'{"a": 0.' + b"0" * 100_000 + b"1e-400}", "plan.json" if False else "not a plan"),
        (b'{"format": "unseen-plan", "version": 1e308}', "number 1e308 is out of range"),
        (b'{"format": "unseen-plan", "version": -1e308}', "number -1e308 is out of range"),
        (b'{"format": "unseen-plan", "version": NaN}', "NaN is not a number a plan may hold"),
        (b'{"format": "unseen-plan", "version": Infinity}', "Infinity is not a number a plan may hold"),
        (to_bytes(video_doc())[:-7], "not valid JSON"),
        (b"\xef\xbb\xbf" + to_bytes(video_doc()), "not valid JSON"),
        (b"\xff\xfe{}", "byte 0: not UTF-8 text"),
        (to_bytes(video_doc()).replace(b'"size": 4096', b'"size": -4096'), "input.size: must be between 0 and"),
        (to_bytes(video_doc()).replace(b'"size": 4096', b'"size": 2147483648000'), "accepted"),  # 2 TB declared: a number, nothing read
        (to_bytes(video_doc()).replace(b'"width": 640', b'"width": -640'), "input.width: must be between 1 and 1048576, got -640"),
        (to_bytes(video_doc()).replace(b'"frame_count": 90', b'"frame_count": 1e15'), "input.frame_count: must be between 1 and 10000000"),
        (to_bytes(video_doc()).replace(b'"version": 1', b'"version": 1, "version": 2'), 'duplicate key "version"'),
        (to_bytes(image_doc()).replace(b'"photo.jpg"', b'"' + b"x" * 5000 + b'"'), "input.name: is longer than MAX_TEXT (1000 characters)"),
        (b"null", "a plan is a JSON object, not null"),
        (b'"unseen-plan"', "a plan is a JSON object, not a string"),
    ],
)
def test_hostile_plans_are_refused_in_one_line(data, says):
    out = _outcome(data)
    if says == "not a plan":  # 0.000...1e-400 is zero: a valid number, then not a plan
        assert out.endswith("format: must be 'unseen-plan': this is not an unseen plan")
    else:
        assert says in out


def test_size_refusals_are_limit_errors():
    for data in (b"[" * 100_000, _frames_with(b"{}", 20_000)):
        with pytest.raises(LimitExceeded):
            plan_from_bytes(data, NAME)


def test_escaped_quotes_do_not_fool_the_prescan():
    # brackets inside strings (with escaped quotes around them) are not structure
    doc = video_doc()
    doc["regions"][0]["note"] = '\\" [[[[[[[[[[[[[[[[[[[[[[[[ "\\\\'
    doc["producer"]["detector"] = "{" * 900
    assert _outcome(to_bytes(doc)) == "accepted"


def test_random_mutations_never_escape():
    rng = random.Random(2026)
    counts = {"accepted": 0, "refused": 0}
    for _ in range(500):
        _, data = mutate(video_doc() if rng.random() < 0.7 else image_doc(), rng)
        out = _outcome(data, seconds=30)
        counts["accepted" if out == "accepted" else "refused"] += 1
    assert counts["refused"] > 300 and counts["accepted"] > 0


def test_a_string_across_scan_chunks_is_still_a_string():
    from unseen.plan import scan

    doc = video_doc()
    doc["producer"]["detector"] = "[" * (scan._CHUNK + 1000)  # brackets on both sides of a chunk boundary
    assert _outcome(to_bytes(doc)) == f"{NAME}: producer.detector: is longer than MAX_TEXT (1000 characters)"


def _structure(value) -> tuple[int, int]:
    """(objects and arrays, value separators) of a parsed JSON value."""
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        return 0, 0
    containers, commas = 1, max(len(items) - 1, 0)
    for item in items:
        c, s = _structure(item)
        containers, commas = containers + c, commas + s
    return containers, commas


def test_the_prescan_bounds_hold_every_valid_plan_at_the_limits():
    # the worst shape per item: one box per frame, every optional field set; flags with every field
    import json

    from unseen.plan import limits

    doc = video_doc()
    doc["input"]["frame_count"] = 1000
    box = {"box": [1.0, 2.0, 3.0, 4.0], "score": 0.5, "origin": "detected", "track": 1, "rejected": True, "by": "a", "at": "b", "why": "c"}
    doc["frames"] = [{"index": i, "time": i / 30, "boxes": [dict(box)]} for i in range(500)]
    flag = {"kind": "thorough_miss", "risk": 1, "frame": 1, "time": 0.1, "box": [1.0, 2.0, 3.0, 4.0], "score": 0.5, "track": 2, "message": "m"}
    doc["flags"] = [dict(flag) for _ in range(300)]
    doc["regions"] = [{"unit": "frame", "start": 0, "end": 999, "note": "n", "keyframes": [{"at": k, "box": [1.0, 1.0, 2.0, 2.0]} for k in range(10)]} for _ in range(20)]
    doc["producer"]["settings"] = {f"s{i}": list(range(limits.MAX_SETTING_LIST)) for i in range(limits.MAX_SETTINGS)}
    assert _outcome(json.dumps(doc).encode()) == "accepted"
    containers, commas = _structure(doc)
    assert containers <= (limits.CONTAINERS_PER_BOX * 500 + limits.CONTAINERS_PER_FLAG * 300 + limits.CONTAINERS_PER_REGION * 20
                          + limits.CONTAINERS_PER_KEYFRAME * 200 + limits.MAX_SETTINGS + 64)
    assert commas <= (limits.SEPARATORS_PER_BOX * 500 + limits.SEPARATORS_PER_FLAG * 300 + limits.SEPARATORS_PER_REGION * 20
                      + limits.SEPARATORS_PER_KEYFRAME * 200 + limits.MAX_SETTINGS * (limits.MAX_SETTING_LIST + 1) + 64)


def test_a_frame_at_the_box_limit_is_accepted_and_one_more_refused():
    from unseen.plan import limits

    n = limits.MAX_BOXES_PER_FRAME
    assert _outcome(_frames_with(BOX, n)) == "accepted"
    assert "a list holds more than 10000 boxes" in _outcome(_frames_with(BOX, n + 1))


def test_more_boxes_than_the_total_are_refused_before_parsing():
    from unseen.plan import limits

    per_frame = limits.MAX_BOXES_PER_FRAME
    frames = limits.MAX_TOTAL_BOXES // per_frame + limits.MAX_TOTAL_KEYFRAMES // per_frame + 1
    head, tail = to_bytes(video_doc()).split(b'"frames": ', 1)
    rest = tail[tail.index(b', "regions"'):]
    one = b'{"index": 0, "time": 0, "boxes": [' + b",".join([b"{}"] * per_frame) + b"]}"
    data = head + b'"frames": [' + b",".join([one] * frames) + b"]" + rest  # 7 million empty boxes, 21 MB
    with _alarm(60), pytest.raises(LimitExceeded) as err:
        plan_from_bytes(data, NAME)
    assert str(err.value) == f"{NAME}: more than 7000000 boxes and keyframes (limits MAX_TOTAL_BOXES 6000000, MAX_TOTAL_KEYFRAMES 1000000)"
