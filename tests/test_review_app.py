"""The review page's routes through Starlette's test client: plans made and saved, regions
validated, rejections recorded, rendering covers the region, and the guards (token, Host, Origin,
traversal, symlink escape, non-loopback refused)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the review extra (starlette) is not installed")
pytest.importorskip("httpx", reason="starlette's test client needs httpx")

from PIL import Image  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from unseen.errors import ConfigError  # noqa: E402
from unseen.plan import load_plan  # noqa: E402
from unseen.review.app import Review, build_app  # noqa: E402
from unseen.review.files import Workspace  # noqa: E402
from unseen.review.security import check_bind  # noqa: E402

from .review_media import photo  # noqa: E402

TOKEN = "t0ken-for-tests"
HOST = "127.0.0.1:8765"


def client(paths: list[Path], out: Path | None = None, *, authed: bool = True) -> TestClient:
    app = build_app(Review(Workspace(paths, out)), token=TOKEN, hosts={HOST})
    c = TestClient(app, base_url=f"http://{HOST}")
    if authed:
        c.headers["X-Unseen-Token"] = TOKEN
    return c


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "media"
    d.mkdir()
    photo(d / "a.png")
    photo(d / "b.png", seed=5)
    return d


def render_and_wait(c: TestClient, fid: str, *, tries: int) -> None:
    """Start a render and poll it until it ends; it must have ended written and verified."""
    assert c.post(f"/api/files/{fid}/render").status_code == 202
    for _ in range(tries):
        job = c.get(f"/api/files/{fid}/render").json()
        if job["state"] != "running":
            break
        time.sleep(0.05)
    assert job["state"] == "done", job


def first_id(c: TestClient) -> str:
    files = c.get("/api/files").json()["files"]
    return next(f["id"] for f in files if f["name"] == "a.png")


def test_gallery_lists_media_only(folder: Path) -> None:
    (folder / "notes.txt").write_text("not media")
    c = client([folder])
    names = sorted(f["name"] for f in c.get("/api/files").json()["files"])
    assert names == ["a.png", "b.png"]


def test_plan_made_on_first_open_and_saved(folder: Path) -> None:
    c = client([folder])
    fid = first_id(c)
    assert not (folder / "a.png.plan.json").exists()
    r = c.get(f"/api/files/{fid}/plan")
    assert r.status_code == 200
    assert r.json()["plan"]["input"]["width"] == 320
    plan = load_plan(folder / "a.png.plan.json", media_path=folder / "a.png")
    assert plan.input.kind == "image"


def test_region_saved_and_reload_shows_it(folder: Path) -> None:
    c = client([folder])
    fid = first_id(c)
    r = c.post(f"/api/files/{fid}/regions", json={"box": [10, 20, 110, 90]})
    assert r.status_code == 200, r.text
    assert load_plan(folder / "a.png.plan.json").regions[0].keyframes[0].box == (10, 20, 110, 90)
    again = client([folder]).get(f"/api/files/{fid}/plan").json()["plan"]  # a fresh server: the file is the state
    assert again["regions"][0]["keyframes"][0]["box"] == [10, 20, 110, 90]
    r = c.put(f"/api/files/{fid}/regions/0", json={"box": [30, 40, 130, 110]})
    assert r.json()["plan"]["regions"][0]["keyframes"][0]["box"] == [30, 40, 130, 110]
    r = c.delete(f"/api/files/{fid}/regions/0")
    assert r.json()["plan"]["regions"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"box": [10, 20, 400, 90]},  # outside the 320 x 240 frame
        {"box": [-1, 0, 10, 10]},
        {"box": [50, 50, 40, 60]},  # x2 < x1
        {"box": [1, 2, 3]},
        {"box": ["a", 2, 3, 4]},
        {"box": [1, 2, 3, True]},
        {},
    ],
)
def test_bad_region_refused_and_plan_unchanged(folder: Path, body: dict) -> None:
    c = client([folder])
    fid = first_id(c)
    c.get(f"/api/files/{fid}/plan")
    before = (folder / "a.png.plan.json").read_bytes()
    r = c.post(f"/api/files/{fid}/regions", json=body)
    assert r.status_code == 400
    assert "error" in r.json()
    assert (folder / "a.png.plan.json").read_bytes() == before


def test_nan_refused(folder: Path) -> None:
    c = client([folder])
    fid = first_id(c)
    r = c.post(f"/api/files/{fid}/regions", content=b'{"box": [NaN, 1, 2, 3]}')
    assert r.status_code == 400


def test_reject_and_restore_recorded(tmp_path: Path) -> None:
    # a plan with one detected box, written by the plan module (the page makes plans the same way)
    from unseen.plan import build_plan, describe_input, save_plan
    from unseen.settings import Settings
    from unseen.types import Faces

    p = photo(tmp_path / "c.png")
    info = describe_input(p, kind="image", width=320, height=240)
    faces = Faces(np.array([[40, 40, 100, 110]], np.float32), np.array([0.9], np.float32))
    save_plan(build_plan(info, Settings(), "test", [(0, None, faces)]), tmp_path / "c.png.plan.json")
    c = client([p])
    fid = c.get("/api/files").json()["files"][0]["id"]
    r = c.post(f"/api/files/{fid}/boxes", json={"frame": 0, "box": 0, "rejected": True, "by": "ana", "why": "a hand"})
    assert r.status_code == 200, r.text
    box = load_plan(tmp_path / "c.png.plan.json").frames[0].boxes[0]
    assert box.rejected is not None and box.rejected.by == "ana" and box.rejected.why == "a hand" and box.rejected.at
    c.post(f"/api/files/{fid}/boxes", json={"frame": 0, "box": 0, "rejected": False, "by": "ana"})
    assert load_plan(tmp_path / "c.png.plan.json").frames[0].boxes[0].rejected is None
    assert c.post(f"/api/files/{fid}/boxes", json={"frame": 0, "box": 5, "rejected": True}).status_code == 400


def test_render_covers_region(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    c = client([folder], out)
    fid = first_id(c)
    c.post(f"/api/files/{fid}/regions", json={"box": [100, 60, 200, 160]})
    render_and_wait(c, fid, tries=200)
    result = sorted(out.glob("a*.png"))
    assert len(result) == 1
    src = np.asarray(Image.open(folder / "a.png"))
    got = np.asarray(Image.open(result[0]))
    inside = got[60:160, 100:200]
    assert inside.std() < 1.0 and not np.array_equal(inside, src[60:160, 100:200])  # a solid fill
    assert np.array_equal(got[:40, :60], src[:40, :60])  # far away: untouched
    assert c.get(f"/api/files/{fid}/output").status_code == 200


def test_token_required(folder: Path) -> None:
    c = client([folder], authed=False)
    assert c.get("/api/files").status_code == 401
    assert c.get("/").status_code == 401
    assert c.get("/api/files", headers={"X-Unseen-Token": "wrong"}).status_code == 401
    r = c.get(f"/?token={TOKEN}")
    assert r.status_code == 200
    assert "unseen_token" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    assert c.get("/api/files").status_code == 200  # the cookie from here on


def test_host_checked(folder: Path) -> None:
    c = client([folder])
    assert c.get("/api/files", headers={"Host": "evil.example:8765"}).status_code == 421
    assert c.get("/api/files", headers={"Host": "127.0.0.1:9999"}).status_code == 421


def test_origin_checked(folder: Path) -> None:
    c = client([folder])
    fid = first_id(c)
    r = c.post(f"/api/files/{fid}/regions", json={"box": [1, 1, 9, 9]}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert c.get("/api/files", headers={"Origin": "null"}).status_code == 403
    assert c.get("/api/files", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert c.get("/api/files", headers={"Origin": f"http://{HOST}"}).status_code == 200


def test_security_headers(folder: Path) -> None:
    r = client([folder]).get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "http" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    body = r.text
    assert "http://" not in body and "https://" not in body  # nothing external


def test_static_and_pages_load_nothing_external() -> None:
    from unseen.review.app import STATIC

    for f in STATIC.iterdir():
        text = f.read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, f


def test_traversal_refused(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes((folder / "a.png").read_bytes())
    c = client([folder])
    for path in ["/api/files/../../secret.png/media", "/api/files/..%2F..%2Fsecret.png/media", "/static/..%2F__init__.py",
                 "/static/../app.py", "/api/files/0000000000000000/media"]:
        r = c.get(path)
        assert r.status_code == 404, (path, r.status_code)


def test_symlink_escape_not_served(folder: Path, tmp_path: Path) -> None:
    outside = photo(tmp_path / "outside.png", seed=9)
    (folder / "link.png").symlink_to(outside)
    c = client([folder])
    names = [f["name"] for f in c.get("/api/files").json()["files"]]
    assert "link.png" not in names and "outside.png" not in names


def test_symlink_swapped_after_start_not_served(folder: Path, tmp_path: Path) -> None:
    outside = photo(tmp_path / "outside.png", seed=9)
    inside = folder / "b.png"
    c = client([folder])
    fid = next(f["id"] for f in c.get("/api/files").json()["files"] if f["name"] == "b.png")
    inside.unlink()
    inside.symlink_to(outside)
    assert c.get(f"/api/files/{fid}/media").status_code == 404


def test_non_loopback_refused_unless_allowed() -> None:
    assert check_bind("127.0.0.1", False) is None
    assert check_bind("::1", False) is None
    with pytest.raises(ConfigError, match="loopback"):
        check_bind("0.0.0.0", False)
    with pytest.raises(ConfigError):
        check_bind("192.168.1.5", False)
    assert "warning" in (check_bind("0.0.0.0", True) or "")


def test_cli_review_refuses_remote_host(folder: Path) -> None:
    import io

    from unseen.cli import main

    err = io.StringIO()
    code = main(["review", str(folder), "--host", "0.0.0.0", "--no-browser"], stdout=io.StringIO(), stderr=err)
    assert code == 2 and "loopback" in err.getvalue()


def test_bad_json_refused(folder: Path) -> None:
    c = client([folder])
    fid = first_id(c)
    assert c.post(f"/api/files/{fid}/regions", content=b"{not json").status_code == 400
    assert c.post(f"/api/files/{fid}/regions", content=json.dumps({"box": [1] * 10000}).encode() * 10).status_code == 400


def _video_with_plan(tmp_path: Path) -> Path:
    import av

    from unseen.plan import build_plan, describe_input, save_plan
    from unseen.settings import Settings
    from unseen.types import Faces

    v = tmp_path / "clip.mp4"
    with av.open(str(v), "w") as c:
        s = c.add_stream("mpeg4", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(20):
            img = np.full((48, 64, 3), 10 * i, np.uint8)
            for pkt in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    info = describe_input(v, kind="video", width=64, height=48, frame_count=20, time_base=(1, 10), fps=10.0, duration=2.0)
    frames = [(i, i / 10, Faces(np.array([[5, 5, 20, 25]], np.float32), np.array([0.9], np.float32))) for i in range(5)]
    save_plan(build_plan(info, Settings(), "test", frames), tmp_path / "clip.mp4.plan.json")
    return v


def test_video_region_keyframes(tmp_path: Path) -> None:
    v = _video_with_plan(tmp_path)
    c = client([v])
    fid = c.get("/api/files").json()["files"][0]["id"]
    r = c.post(f"/api/files/{fid}/regions", json={"box": [30, 10, 50, 30], "start": 0.5, "end": 1.5, "at": 0.5})
    assert r.status_code == 200, r.text
    r = c.put(f"/api/files/{fid}/regions/0", json={"box": [40, 10, 60, 30], "start": 0.5, "end": 1.5, "at": 1.5})
    region = load_plan(tmp_path / "clip.mp4.plan.json").regions[0]
    assert region.unit == "time" and [k.at for k in region.keyframes] == [0.5, 1.5]
    assert region.box_at(1.0) == (35, 10, 55, 30)  # interpolated between the two keyframes
    for bad in [{"box": [30, 10, 50, 30], "start": 1.5, "end": 0.5},  # end before start
                {"box": [30, 10, 50, 30], "start": 0.5, "end": 9.0},  # past the end of the video
                {"box": [30, 10, 50, 30], "start": 0.5, "end": 1.0, "at": 1.2},  # keyframe outside
                {"box": [30, 10, 50, 30]}]:  # no times
        assert c.post(f"/api/files/{fid}/regions", json=bad).status_code == 400, bad
    assert len(load_plan(tmp_path / "clip.mp4.plan.json").regions) == 1


def test_install_hint_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from unseen.review import require_review

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # what Python does for a package not installed
    with pytest.raises(ConfigError, match=r"pip install 'unseen\[review\]'") as info:
        require_review()
    assert info.value.exit_status == 2


def test_cli_starts_real_server_and_prints_url(folder: Path) -> None:
    import re
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    root = Path(__file__).resolve().parents[1]
    env = {"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "unseen", "review", str(folder), "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline().strip()
        m = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]{20,})", line)
        assert m, line
        for _ in range(100):
            try:
                with urllib.request.urlopen(line, timeout=2) as r:
                    assert r.status == 200 and b"unseen review" in r.read()
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer")
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(f"http://127.0.0.1:{m.group(1)}/api/files", timeout=2)
        assert denied.value.code == 401
    finally:
        proc.terminate()
        proc.wait(10)


def test_video_plan_made_on_open_and_rendered_with_a_timed_region(tmp_path: Path) -> None:
    # A video without a plan: the page makes one (the pipeline's make_plan), a region is added for
    # 0.3-0.6 s, and the render (render_plan: no detection again) covers it on exactly those frames.
    from .video_factory import covered, make_clip, read_frames

    media = tmp_path / "media"
    media.mkdir()
    v = media / "clip.mp4"
    make_clip(v, width=96, height=64, n=30, fps=30)
    out = tmp_path / "out"
    c = client([media], out)
    fid = c.get("/api/files").json()["files"][0]["id"]
    r = c.get(f"/api/files/{fid}/plan")
    assert r.status_code == 200, r.text
    assert (out / "clip.mp4.plan.json").exists() or (media / "clip.mp4.plan.json").exists()
    r = c.post(f"/api/files/{fid}/regions", json={"box": [20, 10, 60, 40], "start": 0.3, "end": 0.6, "at": 0.3})
    assert r.status_code == 200, r.text
    render_and_wait(c, fid, tries=600)
    result = sorted(out.glob("clip*.mp4"))
    assert len(result) == 1
    frames, times = read_frames(result[0])
    assert len(frames) == 30
    box = np.array([20, 10, 60, 40])
    inside = [covered(f, box) for f, t in zip(frames, times, strict=True) if 0.3 + 1e-6 <= t <= 0.6 - 1e-6]
    outside = [covered(f, box) for f, t in zip(frames, times, strict=True) if t < 0.2 or t > 0.7]
    assert inside and min(inside) > 0.95
    assert outside and max(outside) < 0.5


def test_moved_video_region_adds_a_keyframe_and_keeps_the_others(tmp_path: Path) -> None:
    # Moving a region at time t (the page sends the box, t and the frame index; no span) makes the
    # box its keyframe at t: the other keyframes and the span stay. It used to need the page's
    # start/end fields, which moved the span and dropped the keyframes outside it.
    v = _video_with_plan(tmp_path)
    c = client([v])
    fid = c.get("/api/files").json()["files"][0]["id"]
    r = c.post(f"/api/files/{fid}/regions", json={"box": [10, 10, 20, 20], "start": 0.2, "end": 1.8, "at": 0.2})
    assert r.status_code == 200, r.text
    for box, at in (([30, 10, 40, 20], 1.8), ([20, 20, 30, 30], 1.0)):
        r = c.put(f"/api/files/{fid}/regions/0", json={"box": box, "at": at, "frame": round(at * 10)})
        assert r.status_code == 200, r.text
    region = load_plan(tmp_path / "clip.mp4.plan.json").regions[0]
    assert (region.unit, region.start, region.end) == ("time", 0.2, 1.8)
    assert [k.at for k in region.keyframes] == [0.2, 1.0, 1.8]
    assert region.box_at(0.6) == (15, 15, 25, 25) and region.box_at(1.4) == (25, 15, 35, 25)
    # A move within half a frame of a keyframe replaces it (the player's time is not exact).
    r = c.put(f"/api/files/{fid}/regions/0", json={"box": [22, 20, 32, 30], "at": 1.02, "frame": 10})
    region = load_plan(tmp_path / "clip.mp4.plan.json").regions[0]
    assert [k.at for k in region.keyframes] == [0.2, 1.02, 1.8] and region.keyframes[1].box == (22, 20, 32, 30)
    r = c.put(f"/api/files/{fid}/regions/0", json={"box": [22, 20, 32, 30], "at": 1.95})  # outside its span
    assert r.status_code == 400 and len(load_plan(tmp_path / "clip.mp4.plan.json").regions[0].keyframes) == 3


def test_moved_frame_region_stays_in_frames_with_all_its_keyframes(tmp_path: Path) -> None:
    import dataclasses

    from unseen.plan import Keyframe, Region, save_plan

    v = _video_with_plan(tmp_path)
    pf = tmp_path / "clip.mp4.plan.json"
    region = Region("frame", 2, 15, (Keyframe(2, (0, 0, 10, 10)), Keyframe(15, (30, 0, 40, 10))))
    save_plan(dataclasses.replace(load_plan(pf), regions=(region,)), pf, overwrite=True)
    c = client([v])
    fid = c.get("/api/files").json()["files"][0]["id"]
    # Both the page's body (no span) and one with the span in seconds (as the page used to send).
    bodies = [
        {"box": [10, 20, 20, 30], "at": 0.8, "frame": 8},
        {"box": [12, 20, 22, 30], "start": 0.2, "end": 1.5, "at": 0.8},
    ]
    for body in bodies:
        r = c.put(f"/api/files/{fid}/regions/0", json=body)
        assert r.status_code == 200, r.text
        moved = load_plan(pf).regions[0]
        assert (moved.unit, moved.start, moved.end) == ("frame", 2, 15), body
        assert [k.at for k in moved.keyframes] == [2, 8, 15] and moved.keyframes[1].box == tuple(body["box"]), body


def test_photo_plan_with_text_boxes_shown_and_rejectable(tmp_path: Path) -> None:
    # A version 2 plan (a text box beside the face): the page gets each box's kind to draw it in its
    # colour, and a text box is rejected like a face box.
    from unseen.plan import build_plan, describe_input, save_plan
    from unseen.settings import Settings
    from unseen.types import Faces, Regions

    src = photo(tmp_path / "a.png")
    info = describe_input(src, kind="image", width=320, height=240)
    face = Faces(np.array([[10, 10, 40, 50]], np.float32), np.array([0.9], np.float32))
    text = Regions("text", Faces(np.array([[100, 100, 180, 120]], np.float32), np.array([0.7], np.float32)))
    plan = build_plan(info, Settings(cover="text"), "test", [(0, None, face)], others=[(0, None, text)])
    save_plan(plan, tmp_path / "a.png.plan.json")
    c = client([src])
    fid = first_id(c)
    doc = c.get(f"/api/files/{fid}/plan").json()["plan"]
    assert doc["version"] == 2 and [b.get("kind") for b in doc["frames"][0]["boxes"]] == [None, "text"]
    r = c.post(f"/api/files/{fid}/boxes", json={"frame": 0, "box": 1, "rejected": True, "by": "me"})
    assert r.status_code == 200, r.text
    saved = load_plan(tmp_path / "a.png.plan.json")
    assert saved.frames[0].boxes[1].rejected is not None and saved.frames[0].boxes[1].kind == "text"
    assert saved.regions_for(0)[0].kind == "text" and len(saved.regions_for(0)[0]) == 0
    assert "kind-text" in (Path(__file__).parents[1] / "src/unseen/review/static/review.css").read_text()


def test_video_plan_with_kinds_shown_per_frame_and_a_rejected_text_box_left_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A video plan made with --cover text (version 2): the page gets each frame's text boxes with
    # their kind (drawn in the kind's colour, as on a photo); rejecting frame 5's text boxes there
    # leaves the sign visible on frame 5 only, and the render runs no detector.
    from unseen.pipeline.plan_run import write_plan
    from unseen.settings import Settings

    from .test_plan_video_kinds import SIGN, NeverCalled, _scene
    from .test_video_kinds import SkippingRegions
    from .video_factory import GREEN, MagentaDetector, covered, make_clip, read_frames

    media = tmp_path / "media"
    media.mkdir()
    clip = make_clip(media / "clip.mp4", width=96, height=64, n=10, draw=_scene)
    out = tmp_path / "out"
    out.mkdir()
    write_plan(
        clip.path,
        out / "clip.mp4.plan.json",
        Settings(cover="text"),
        detector=MagentaDetector(),
        region_detectors=[SkippingRegions("text", GREEN)],
    )
    c = client([media], out)
    fid = c.get("/api/files").json()["files"][0]["id"]
    doc = c.get(f"/api/files/{fid}/plan").json()["plan"]
    assert doc["version"] == 2 and doc["input"]["kind"] == "video"
    frame5 = next(f for f in doc["frames"] if f["index"] == 5)
    texts = [k for k, b in enumerate(frame5["boxes"]) if b.get("kind") == "text"]
    assert texts and all(b.get("kind") in (None, "text") for f in doc["frames"] for b in f["boxes"])
    for k in texts:
        r = c.post(f"/api/files/{fid}/boxes", json={"frame": 5, "box": k, "rejected": True, "by": "me"})
        assert r.status_code == 200, r.text
    from unseen.detect import kinds

    monkeypatch.setitem(kinds.BUILDERS, "text", lambda settings: NeverCalled("text"))
    render_and_wait(c, fid, tries=600)
    frames, _ = read_frames(next(out.glob("clip*.mp4")))
    assert len(frames) == 10
    assert [covered(f, SIGN) > 0.95 for f in frames] == [i != 5 for i in range(10)]
