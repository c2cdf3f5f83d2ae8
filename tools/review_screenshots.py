"""Screenshots of the review page for docs/ (docs/review-*.png), taken in headless Chromium on
generated media only (never on ../shared data: those are real people).

    PYTHONPATH=src python tools/review_screenshots.py [--out docs]

The photo's and the video's plans are written here with boxes at the drawn shapes, standing in
for detections (generated media has no faces); the page shows them exactly as it shows real plans.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import av
import numpy as np
from PIL import Image
from tests.review_media import photo

from unseen.plan import Keyframe, Region, build_plan, describe_input, save_plan
from unseen.plan.flags import FlagEvidence
from unseen.settings import Settings
from unseen.types import Faces

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def make_video(path: Path, w: int = 480, h: int = 270, fps: int = 10, seconds: int = 6) -> list[Faces]:
    """Two moving squares (one leaves halfway); returns their boxes per frame."""
    boxes_per_frame = []
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(fps * seconds):
            img = np.full((h, w, 3), 70, np.uint8)
            img[:, :, 2] = 110
            boxes, scores = [], []
            x = 20 + i * 5
            img[60:120, x:x + 50] = (220, 180, 150)
            boxes.append([x, 60, x + 50, 120])
            scores.append(0.9)
            if i < fps * seconds // 2 and i % 7 != 3:  # a shorter track, with gaps
                y = 150 + (i % 10)
                img[y:y + 30, 350:375] = (200, 160, 130)
                boxes.append([350, y, 375, y + 30])
                scores.append(0.52)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for pkt in s.encode(frame):
                c.mux(pkt)
            boxes_per_frame.append(Faces(np.array(boxes, np.float32), np.array(scores, np.float32),
                                         track_ids=np.arange(len(boxes), dtype=np.int64)))
        for pkt in s.encode():
            c.mux(pkt)
    return boxes_per_frame


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs"))
    args = ap.parse_args()
    out = Path(args.out)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from unseen.review.server import make_server

    work = Path(tempfile.mkdtemp(prefix="unseen-shots-"))
    media = work / "media"
    media.mkdir()
    settings = Settings()
    # photos: one with boxes, a rejected box and a manual region; two plain ones (gallery)
    p = photo(media / "market.png", 480, 320)
    info = describe_input(p, kind="image", width=480, height=320)
    faces = Faces(np.array([[60, 50, 120, 130], [300, 80, 340, 130], [200, 200, 212, 214]], np.float32),
                  np.array([0.93, 0.51, 0.6], np.float32))
    plan = build_plan(info, settings, "generated", [(0, None, faces)],
                      regions=[Region("frame", 0, 0, (Keyframe(0, (380.0, 200.0, 460.0, 300.0)),), "badge")],
                      evidence=FlagEvidence(threshold=0.5))
    import dataclasses

    from unseen.plan import Rejection

    fr = plan.frames[0]
    boxes = list(fr.boxes)
    boxes[1] = dataclasses.replace(boxes[1], rejected=Rejection("reviewer", "2026-12-02T14:00:00+00:00", "a logo"))
    plan = dataclasses.replace(plan, frames=(dataclasses.replace(fr, boxes=tuple(boxes)),))
    save_plan(plan, media / "market.png.plan.json")
    photo(media / "beach.png", 320, 240, seed=7)
    photo(media / "office.png", 300, 300, seed=11)
    # video
    v = media / "walk.mp4"
    per_frame = make_video(v)
    n = len(per_frame)
    vinfo = describe_input(v, kind="video", width=480, height=270, frame_count=n, time_base=(1, 10), fps=10.0,
                           duration=n / 10)
    vplan = build_plan(vinfo, settings, "generated", [(i, i / 10, f) for i, f in enumerate(per_frame)],
                       regions=[Region("time", 1.0, 3.0, (Keyframe(1.0, (200.0, 180.0, 260.0, 240.0)),), "poster")],
                       evidence=FlagEvidence(threshold=0.5, cut_frames=(30,)))
    save_plan(vplan, media / "walk.mp4.plan.json")

    server, url = make_server([media], out=None, host="127.0.0.1", port=0, allow_remote=False, err=io.StringIO())
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    profile = tempfile.mkdtemp(prefix="unseen-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for f in FLAGS + ["--window-size=1000,760", f"--user-data-dir={profile}"]:
        options.add_argument(f)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)

    def wait(css: str):
        for _ in range(300):
            found = driver.find_elements(By.CSS_SELECTOR, css)
            if found:
                return found
            time.sleep(0.1)
        raise RuntimeError(f"no {css} in the page")

    def shot(name: str) -> None:
        time.sleep(0.5)
        png = driver.get_screenshot_as_png()
        img = Image.open(io.BytesIO(png)).convert("RGB")
        img = img.quantize(colors=128)
        img.save(out / name, optimize=True)
        print(out / name, (out / name).stat().st_size, "bytes")

    try:
        driver.get(url)
        wait(".card")
        time.sleep(1)
        shot("review-gallery.png")
        cards = {c.find_element(By.CSS_SELECTOR, ".meta").text.split()[0]: c for c in driver.find_elements(By.CSS_SELECTOR, ".card")}
        cards["market.png"].click()
        wait(".box")
        shot("review-photo.png")
        driver.find_element(By.ID, "back").click()
        wait(".card")
        cards = {c.find_element(By.CSS_SELECTOR, ".meta").text.split()[0]: c for c in driver.find_elements(By.CSS_SELECTOR, ".card")}
        cards["walk.mp4"].click()
        wait("#stage video")
        driver.execute_script("const m = document.getElementById('media'); m.currentTime = 1.5;")
        time.sleep(1.5)
        driver.execute_script("window.scrollTo(0, 0)")
        shot("review-video.png")
    finally:
        driver.quit()
        server.should_exit = True
        thread.join(10)
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
