"""End to end in a real headless Chromium (Debian's, driven by Selenium through the system
chromedriver): the real server on a free port, the page opened with its token, a region drawn with
the mouse on a generated photo, rendered; the written file has that region covered."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the review extra (starlette) is not installed")
pytest.importorskip("uvicorn", reason="the review extra (uvicorn) is not installed")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

from PIL import Image  # noqa: E402

from unseen.plan import load_plan  # noqa: E402

from .review_media import photo  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1200,900",
]

needs_chromium = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Debian chromium and chromium-driver are not installed (.ci/run installs them)",
)


def start_server(paths: list[Path], out: Path | None):
    """The real uvicorn server in a thread; returns (server, url, thread)."""
    import io

    from unseen.review.server import make_server

    server, url = make_server(paths, out=out, host="127.0.0.1", port=0, allow_remote=False, err=io.StringIO())
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            return server, url, thread
        time.sleep(0.05)
    raise RuntimeError("the review server did not start")


def browser(profile: str, width: int = 1200, height: int = 900):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def wait_for(predicate, timeout: float = 30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting in the page")


@needs_chromium
def test_draw_region_render_covers_it(tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    media = tmp_path / "media"
    media.mkdir()
    src = photo(media / "street.png", 320, 240)
    out = tmp_path / "out"
    server, url, thread = start_server([media], out)
    profile = tempfile.mkdtemp(prefix="unseen-chromium-")
    driver = browser(profile)
    try:
        driver.get(url)
        card = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".card"))[0]
        card.click()
        stage = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#stage img"))[0]
        wait_for(lambda: driver.execute_script("return document.querySelector('#stage img').naturalWidth") == 320)
        rect = driver.execute_script("const r = document.getElementById('stage').getBoundingClientRect(); return [r.width, r.height];")
        assert rect == [320, 240]  # zoom 100 %: page pixels are photo pixels
        # drag from (100, 60) to (200, 160) in photo pixels; offsets are from the element's centre
        ActionChains(driver).move_to_element_with_offset(stage, 100 - 160, 60 - 120).click_and_hold().move_by_offset(
            50, 50
        ).move_by_offset(50, 50).release().perform()
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".region[data-region]"))
        plan = load_plan(out / "street.png.plan.json")  # with -o, plans are mirrored under it
        assert len(plan.regions) == 1
        box = plan.regions[0].keyframes[0].box
        assert all(abs(a - b) <= 3 for a, b in zip(box, (100, 60, 200, 160))), box
        driver.find_element(By.ID, "render").click()
        wait_for(lambda: driver.find_element(By.ID, "result").get_attribute("data-state"), 60)
        assert driver.find_element(By.ID, "result").get_attribute("data-state") == "done", driver.find_element(By.ID, "result").text
        written = sorted(out.glob("street*.png"))
        assert len(written) == 1
        got = np.asarray(Image.open(written[0]))
        orig = np.asarray(Image.open(src))
        inside = got[65:155, 105:195]
        assert inside.std() < 1.0 and not np.array_equal(inside, orig[65:155, 105:195])
        assert np.array_equal(got[:30, :50], orig[:30, :50])
        assert not driver.get_log("browser") or all("Content Security Policy" not in e["message"] for e in driver.get_log("browser"))
    finally:
        driver.quit()
        server.should_exit = True
        thread.join(10)
        shutil.rmtree(profile, ignore_errors=True)


@needs_chromium
def test_moving_a_video_region_at_a_moment_adds_a_keyframe(tmp_path: Path) -> None:
    # A region keyed at 0.2 s and 1.8 s; the page is seeked to 1.0 s and the region dragged 20 px
    # right: the plan gets a third keyframe at ~1.0 s and keeps the other two and the span.
    import dataclasses

    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from unseen.pipeline.plan_run import make_plan
    from unseen.plan import Keyframe, Region, save_plan

    from .video_factory import MagentaDetector, make_clip, plain

    media = tmp_path / "media"
    media.mkdir()
    clip = make_clip(media / "clip.mp4", width=160, height=120, n=20, fps=10, draw=plain)
    region = Region("time", 0.2, 1.8, (Keyframe(0.2, (20, 20, 60, 60)), Keyframe(1.8, (20, 20, 60, 60))))
    plan = make_plan(clip.path, detector=MagentaDetector())
    save_plan(dataclasses.replace(plan, regions=(region,)), media / "clip.mp4.plan.json")
    server, url, thread = start_server([media], None)
    profile = tempfile.mkdtemp(prefix="unseen-chromium-")
    driver = browser(profile)
    try:
        driver.get(url)
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".card"))[0].click()
        ready = "const m = document.getElementById('media'); return m && m.readyState >= 1"
        wait_for(lambda: driver.execute_script(ready))
        driver.execute_script("const m = document.getElementById('media'); m.pause(); m.currentTime = 1.0;")
        at_one = "return Math.abs(document.getElementById('media').currentTime - 1.0) < 0.06"
        wait_for(lambda: driver.execute_script(at_one))
        driver.execute_script("document.getElementById('media').dispatchEvent(new Event('timeupdate'))")
        div = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".region[data-region]"))[0]
        drag = ActionChains(driver).move_to_element(div).click_and_hold()
        drag.move_by_offset(10, 0).move_by_offset(10, 0).release().perform()

        def keyed() -> list[float]:
            keys = load_plan(media / "clip.mp4.plan.json").regions[0].keyframes
            return [k.at for k in keys] if len(keys) == 3 else []

        ats = wait_for(keyed, 20)
        moved = load_plan(media / "clip.mp4.plan.json").regions[0]
        assert (moved.start, moved.end) == (0.2, 1.8) and ats[0] == 0.2 and ats[2] == 1.8 and abs(ats[1] - 1.0) < 0.06
        assert abs(moved.keyframes[1].box[0] - 40) <= 3 and moved.keyframes[0].box == (20, 20, 60, 60), moved
    finally:
        driver.quit()
        server.should_exit = True
        thread.join(10)
        shutil.rmtree(profile, ignore_errors=True)
