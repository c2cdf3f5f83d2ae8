"""A face that lives in the alpha channel (issue 11, part 3) is found, covered and checked.

Sticker, stencil and "remove background" tools export photos whose colour channels are black and
whose picture is the transparency: on a white page it looks like a normal photo. Detection runs on
every picture a photo with alpha shows (its colour, over white, over black, the alpha alone), in
every mode that has alpha; the cover makes the region opaque and fixes its colour; the check and
``--verify`` look at the same pictures. The face is the real one in examples/astronaut.jpg.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unseen import Settings, anonymize_array, anonymize_image
from unseen.cover import apply_cover, regions_for
from unseen.detect import FixedDetector
from unseen.detect.alpha_views import composite, detect_shown, views
from unseen.detect.base import Detector
from unseen.detect.cache import detector_for
from unseen.detect.multiscale import iou_matrix
from unseen.detect.passes import Pass
from unseen.errors import ExitStatus, UnsupportedFormat, VerificationError
from unseen.media.image_io import flatten_alpha, heif_available, read_image
from unseen.pipeline.check import MIN_SCORE, check_paths, on_solid_cover, verify_output
from unseen.types import Faces

from .conftest import EXAMPLE_PHOTO
from .media_factory import LONG, SHORT, _ifd, png_raw

# The astronaut's face as both presets box it in the photo itself (512 x 512).
FACE = np.array([[180, 56, 272, 180]], np.float32)
MAX_PIXELS = 10**8


@pytest.fixture(scope="module")
def photo() -> tuple[np.ndarray, np.ndarray]:
    with Image.open(EXAMPLE_PHOTO) as im:
        rgb = np.asarray(im.convert("RGB"))
        luma = np.asarray(im.convert("L"))
    return rgb, luma


def stencil(luma: np.ndarray, *, inverted: bool, colour: int = 0) -> np.ndarray:
    """Flat colour channels; the picture is the alpha (``inverted``: looks right over white)."""
    rgba = np.zeros(luma.shape + (4,), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = 255 - luma if inverted else luma
    return rgba


def face_found(faces: Faces) -> bool:
    return len(faces) > 0 and bool((iou_matrix(faces.boxes, FACE) > 0.5).any())


def visible_faces(pixels: np.ndarray) -> list[tuple[str, float]]:
    """Faces the default detector sees, at the check's score, in any view of ``pixels``."""
    det = detector_for(Settings())
    out = []
    for v in views(pixels):
        f = det.detect(v.pixels)
        out += [(v.name, float(s)) for s in f.scores if s >= MIN_SCORE]
    return out


def assert_covered(out: Path, boxes: list, settings: Settings, *, tolerance: int = 0) -> None:
    """In the output every channel of every region is the cover, and no face is left to see."""
    px = read_image(out, max_pixels=MAX_PIXELS).pixels
    h, w = px.shape[:2]
    regions = regions_for(Faces(np.asarray(boxes, np.float32).reshape(-1, 4)), w, h, settings)
    assert len(regions)
    assert any(r[0] <= FACE[0, 0] and r[1] <= FACE[0, 1] and r[2] >= FACE[0, 2] and r[3] >= FACE[0, 3] for r in regions)
    for x1, y1, x2, y2 in regions:
        sub = px[y1:y2, x1:x2].astype(np.int16)
        assert np.abs(sub[..., :3] - np.asarray(settings.fill)).max() <= tolerance
        if px.shape[2] == 4:
            assert sub[..., 3].min() >= 255 - tolerance  # opaque: no alpha pattern survives
    assert visible_faces(px) == []


# --- files in every mode that has alpha ------------------------------------------------------


def _save(im: Image.Image, path: Path, **kw) -> Path:
    im.save(path, **kw)
    return path


def rgba_png(path: Path, rgba: np.ndarray) -> Path:
    return _save(Image.fromarray(rgba, "RGBA"), path)


def la_png(path: Path, rgba: np.ndarray) -> Path:
    return _save(Image.fromarray(np.ascontiguousarray(rgba[..., [0, 3]]), "LA"), path)


def palette_png(path: Path, rgba: np.ndarray) -> Path:
    """Palette entry i: the (flat) colour, alpha i; each pixel's index is its alpha (tRNS)."""
    p = Image.fromarray(np.ascontiguousarray(rgba[..., 3]), "L").convert("P")
    p.putpalette(list(rgba[0, 0, :3]) * 256)
    return _save(p, path, transparency=bytes(range(256)))


def webp_lossless(path: Path, rgba: np.ndarray) -> Path:
    return _save(Image.fromarray(rgba, "RGBA"), path, lossless=True)


def rgba_tiff(path: Path, rgba: np.ndarray) -> Path:
    return _save(Image.fromarray(rgba, "RGBA"), path, compression="tiff_adobe_deflate")


def png16(path: Path, rgba: np.ndarray) -> Path:
    return png_raw(path, rgba.astype(np.uint16) * 257, color_type=6, bit_depth=16)


def tiff_premultiplied(path: Path, rgba: np.ndarray) -> Path:
    """8-bit RGBA TIFF with *associated* alpha (ExtraSamples = 1): colour stored premultiplied."""
    a = rgba[..., 3:4].astype(np.uint16)
    stored = np.concatenate([(rgba[..., :3] * a + 127) // 255, a], axis=2).astype(np.uint8)
    h, w = rgba.shape[:2]
    raw = stored.tobytes()
    entries: list = [(256, LONG, [w]), (257, LONG, [h]), (258, SHORT, [8] * 4), (259, SHORT, [1]),
                     (262, SHORT, [2]), (273, LONG, [0]), (277, SHORT, [4]), (278, LONG, [h]),
                     (279, LONG, [len(raw)]), (338, SHORT, [1])]  # fmt: skip
    data_at = 8 + len(_ifd(entries, 8, 0))
    entries = [(t, ty, [data_at] if t == 273 else v) for t, ty, v in entries]
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + _ifd(entries, 8, 0) + raw)
    return path


def heif_alpha(path: Path, rgba: np.ndarray) -> Path:
    if not heif_available():
        pytest.skip("pillow-heif is not installed")
    return _save(Image.fromarray(rgba, "RGBA"), path, quality=95)


def gif_binary(path: Path, rgba: np.ndarray) -> Path:
    """GIF transparency is one palette entry: the stencil thresholded (opaque where alpha >= 128)."""
    p = Image.fromarray((rgba[..., 3] < 128).astype(np.uint8), "P")
    p.putpalette([0, 0, 0, 0, 0, 0])
    _save(p, path, transparency=1)
    try:
        read_image(path, max_pixels=MAX_PIXELS)
    except UnsupportedFormat:
        pytest.skip("GIF is not read by this version of unseen")
    return path


WRITERS = {
    "rgba.png": rgba_png,
    "la.png": la_png,
    "palette.png": palette_png,
    "lossless.webp": webp_lossless,
    "rgba.tif": rgba_tiff,
    "deep16.png": png16,
    "premultiplied.tif": tiff_premultiplied,
    "alpha.heic": heif_alpha,
    "binary.gif": gif_binary,
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_a_face_only_in_the_alpha_is_found_and_covered_in_every_channel(tmp_path, photo, name):
    """Black colour, the face in the transparency: the same file written back, and as JPEG."""
    _rgb, luma = photo
    src = WRITERS[name](tmp_path / name, stencil(luma, inverted=True))
    loaded = read_image(src, max_pixels=MAX_PIXELS)
    assert loaded.pixels.shape[2] == 4
    assert not (loaded.pixels[..., :3] > 8).any()  # the colour channels hold nothing to find
    settings = Settings()
    lossy = name.endswith(".heic")
    same = tmp_path / f"out-{name}" if not name.endswith(".gif") else tmp_path / "out-gif.png"  # GIF: not written
    for out in (same, tmp_path / f"out-{Path(name).stem}.jpg"):
        report = anonymize_image(src, out, settings)
        assert report.faces >= 1, f"{name} -> {out.suffix}: no face found"
        assert face_found(Faces(np.asarray(report.details.boxes, np.float32).reshape(-1, 4)))
        assert_covered(out, report.details.boxes, settings, tolerance=8 if lossy or out.suffix == ".jpg" else 0)


@pytest.mark.parametrize("inverted", [True, False], ids=["looks-right-over-white", "alpha-is-the-luma"])
def test_both_stencil_polarities_are_found(photo, inverted):
    _rgb, luma = photo
    faces = detect_shown(detector_for(Settings()), stencil(luma, inverted=inverted))
    assert face_found(faces)


def test_white_colour_with_the_face_in_alpha_is_found_over_black(photo):
    """White colour channels, alpha = the luma: a dark-mode viewer shows the photo."""
    _rgb, luma = photo
    rgba = stencil(luma, inverted=False, colour=255)
    shown = views(rgba)
    # colour and over white are flat; the alpha as grey is the very same picture as over black
    assert [v.name for v in shown] == ["over black"]
    assert face_found(detect_shown(detector_for(Settings()), rgba))


def test_a_face_in_colour_under_alpha_zero_is_covered_in_colour_and_made_opaque(tmp_path, photo):
    """Invisible on screen, recovered by anyone who drops the alpha: still covered."""
    rgb, _luma = photo
    rgba = np.concatenate([rgb, np.zeros(rgb.shape[:2] + (1,), np.uint8)], axis=2)
    rgba[:40, :40, 3] = 255  # a little visible corner, so the file is not blank
    src = rgba_png(tmp_path / "hidden.png", rgba)
    settings = Settings()
    for out in (tmp_path / "out.png", tmp_path / "out.webp"):  # the WebP is lossy (another format)
        report = anonymize_image(src, out, settings)
        assert face_found(Faces(np.asarray(report.details.boxes, np.float32).reshape(-1, 4)))
        assert_covered(out, report.details.boxes, settings, tolerance=8 if out.suffix == ".webp" else 0)
        px = read_image(out, max_pixels=MAX_PIXELS).pixels
        # what dropping the alpha gives: the face is gone from the colour channels too
        assert visible_faces(np.ascontiguousarray(px[..., :3])) == []


def test_anonymize_array_sees_the_alpha(photo):
    _rgb, luma = photo
    result = anonymize_array(stencil(luma, inverted=True))
    assert face_found(result.faces)
    x1, y1, x2, y2 = result.regions[0]
    assert (result.image[y1:y2, x1:x2, 3] == 255).all() and (result.image[y1:y2, x1:x2, :3] == 0).all()


# --- cover: nothing of the alpha pattern survives in any mode ---------------------------------


@pytest.mark.parametrize("mode", ["solid", "mosaic", "blur"])
@pytest.mark.parametrize("shape", ["rect", "ellipse"])
def test_every_cover_makes_the_region_opaque_whatever_the_alpha_held(photo, mode, shape):
    _rgb, luma = photo
    img = stencil(luma, inverted=True)
    settings = Settings(mode=mode, shape=shape)
    regions = apply_cover(img, Faces(FACE), settings)
    x1, y1, x2, y2 = regions[0]
    alpha = img[y1:y2, x1:x2, 3]
    if shape == "rect":
        assert (alpha == 255).all()
    else:
        from unseen.cover import ellipse_mask

        assert (alpha[ellipse_mask(y2 - y1, x2 - x1)] == 255).all()
    assert visible_faces(img) == []


# --- the views: no cost for opaque photos, no duplicate passes --------------------------------


class Counting(Detector):
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, image: np.ndarray, passes: Sequence[Pass] | None = None) -> Faces:
        assert image.ndim == 3 and image.shape[2] == 3 and image.flags.c_contiguous
        self.calls += 1
        return Faces.empty()


def test_rgb_and_opaque_rgba_run_one_pass_alpha_runs_one_per_distinct_view(photo):
    rgb, luma = photo
    opaque = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
    assert [v.name for v in views(rgb)] == ["colour"]
    assert [v.name for v in views(opaque)] == ["colour"]
    assert np.array_equal(views(opaque)[0].pixels, rgb)
    det = Counting()
    detect_shown(det, opaque)
    assert det.calls == 1
    half = opaque.copy()
    half[..., 3] = luma
    det = Counting()
    detect_shown(det, half)
    assert det.calls == 4
    # a cut-out: alpha 0 or 255 and black under alpha 0, so "over black" is the colour itself
    cut = opaque.copy()
    cut[:, :200] = 0
    assert [v.name for v in views(cut)] == ["colour", "over white", "alpha"]


def test_composites_are_exact_for_every_colour_and_alpha():
    c, a = np.meshgrid(np.arange(256), np.arange(256))
    rgba = np.stack([c, 255 - c, c, a], axis=2).astype(np.uint8)
    x = rgba[..., :3].astype(np.int64) * a[..., None]
    assert np.array_equal(composite(rgba, 0), (x + 127) // 255)
    assert np.array_equal(composite(rgba, 255), (x + 255 * (255 - a[..., None]) + 127) // 255)
    assert np.array_equal(composite(rgba, 255), flatten_alpha(rgba))  # what a JPEG output shows


def test_boxes_of_one_face_in_several_views_become_one_enclosing_box():
    class PerView(Detector):
        name = "per-view"
        boxes = iter([[10, 10, 50, 50], [12, 8, 52, 48], [11, 11, 49, 51], [100, 100, 120, 120]])

        def detect(self, image, passes=None):
            return Faces(np.asarray([next(self.boxes)], np.float32), np.asarray([0.9], np.float32))

    img = np.zeros((128, 128, 4), np.uint8)
    img[..., 0] = np.arange(128, dtype=np.uint8)[None, :]
    img[..., 3] = np.arange(128, dtype=np.uint8)[:, None] * 2
    faces = detect_shown(PerView(), img)
    assert sorted(faces.boxes.tolist()) == [[10, 8, 52, 51], [100, 100, 120, 120]]


# --- check and --verify read the same views ---------------------------------------------------


def test_check_flags_a_face_that_lives_only_in_the_alpha(tmp_path, photo):
    _rgb, luma = photo
    out = rgba_png(tmp_path / "sticker.png", stencil(luma, inverted=True))
    report = check_paths([out])
    assert report.exit_status == ExitStatus.FACES_FOUND
    assert any(iou_matrix(np.asarray([f.box], np.float32), FACE)[0, 0] > 0.5 for f in report.findings)
    with pytest.raises(VerificationError, match="still visible"):
        verify_output(out, "image")


def test_cli_check_exits_7_on_a_face_in_the_alpha(tmp_path, photo, capsys):
    from unseen.cli import main

    _rgb, luma = photo
    out = webp_lossless(tmp_path / "sticker.webp", stencil(luma, inverted=False))
    assert main(["check", str(out)]) == 7
    assert "FACE" in capsys.readouterr().out


def test_verify_refuses_an_output_whose_alpha_still_shows_the_face(tmp_path, photo):
    """The anonymizer is told there is no face; --verify must see the one in the alpha."""
    _rgb, luma = photo
    src = rgba_png(tmp_path / "in.png", stencil(luma, inverted=True))
    out = tmp_path / "out.png"
    with pytest.raises(VerificationError):
        anonymize_image(src, out, Settings(verify=True), detector=FixedDetector(Faces.empty()))
    assert not out.exists()


def test_black_colour_over_a_face_in_alpha_is_not_a_solid_cover(photo):
    _rgb, luma = photo
    sticker = stencil(luma, inverted=True)
    assert not on_solid_cover(sticker, FACE[0])
    assert on_solid_cover(sticker[..., :3], FACE[0])  # the colour alone looks like a cover
    covered = sticker.copy()
    apply_cover(covered, Faces(FACE), Settings())
    assert on_solid_cover(covered, FACE[0])


def test_check_passes_an_anonymized_sticker(tmp_path, photo):
    _rgb, luma = photo
    src = rgba_png(tmp_path / "in.png", stencil(luma, inverted=True))
    out = tmp_path / "out.png"
    anonymize_image(src, out, Settings())
    findings = check_paths([out]).files[0].findings
    # No face at the check's threshold. Under the default's 1.35x cover, the thorough detector puts
    # a 0.29 box on the collar ring below the cover's corner, which the check reports as a face
    # covered in parts: on a stencil the ink is opaque black like the cover, so a box on dark ink
    # beside a cover counts as partly on it (a false alarm; at 1.3x the box was not there). It is
    # never on the face.
    assert not [f for f in findings if not f.partial], findings
    fx1, fy1, fx2, fy2 = FACE[0]
    for f in findings:
        x1, y1, x2, y2 = f.box
        assert x2 <= fx1 or x1 >= fx2 or y2 <= fy1 or y1 >= fy2, f


# --- a dithered 1-bit stencil (issue 11 leftover) ---------------------------------------------


def dithered_stencil(luma: np.ndarray, *, bayer: bool = False) -> np.ndarray:
    """Black colour channels, the face as a 1-bit dither in the alpha (Floyd-Steinberg, Pillow's
    ``convert("1")``, or a 4x4 Bayer matrix), looking right over white."""
    if bayer:
        matrix = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]]) * 16 + 8
        h, w = luma.shape
        ink = luma <= np.tile(matrix, (h // 4 + 1, w // 4 + 1))[:h, :w]
    else:
        ink = np.asarray(Image.fromarray(luma).convert("1")) == 0
    return stencil(np.where(ink, 0, 255).astype(np.uint8), inverted=True)


@pytest.mark.parametrize("bayer", [False, True], ids=["floyd-steinberg", "bayer"])
def test_a_dithered_stencil_is_found_at_a_normal_score(photo, bayer):
    # Was: the default preset scored the Floyd-Steinberg face 0.08-0.22, under the check's 0.5.
    _rgb, luma = photo
    rgba = dithered_stencil(luma, bayer=bayer)
    assert set(np.unique(rgba[..., 3])) == {0, 255}
    faces = detect_shown(detector_for(Settings()), rgba)
    on_face = faces.scores[iou_matrix(faces.boxes, FACE)[:, 0] > 0.5]
    assert on_face.size and float(on_face.max()) >= MIN_SCORE, on_face
    names = [v.name for v in views(rgba)]
    assert names == ["over white", "alpha", "over white, smoothed", "alpha, smoothed"]


def test_check_flags_a_dithered_stencil_and_passes_it_anonymized(tmp_path, photo):
    # Was: `unseen check` (thorough preset, 0.5) passed the dithered face: exit 0.
    _rgb, luma = photo
    src = rgba_png(tmp_path / "dithered.png", dithered_stencil(luma))
    report = check_paths([src])
    assert report.exit_status == ExitStatus.FACES_FOUND
    on_face = [f for f in report.findings if iou_matrix(np.asarray([f.box], np.float32), FACE)[0, 0] > 0.5]
    assert on_face, [(f.box, f.score) for f in report.findings]
    out = tmp_path / "out.png"
    report = anonymize_image(src, out, Settings())
    assert face_found(Faces(np.asarray(report.details.boxes, np.float32).reshape(-1, 4)))
    assert check_paths([out]).exit_status == ExitStatus.OK


def test_only_a_dithered_alpha_gets_smoothed_views(photo):
    """A cut-out, a thresholded or posterized alpha and a continuous one cost what they did."""
    from unseen.detect.alpha_views import dithered

    _rgb, luma = photo
    cut = np.full_like(luma, 255)
    cut[:, :200] = 0
    thresholded = np.where(luma >= 128, 255, 0).astype(np.uint8)
    posterized = (luma // 64 * 85).astype(np.uint8)
    for alpha in (cut, thresholded, posterized, luma):
        assert not dithered(alpha)
        rgba = stencil(alpha, inverted=False)
        assert not any(v.name.endswith("smoothed") for v in views(rgba))
    assert dithered(dithered_stencil(luma)[..., 3]) and dithered(dithered_stencil(luma, bayer=True)[..., 3])
    canvas = np.zeros((2048, 2048), np.uint8)  # a small dithered face on a large transparent canvas
    canvas[700:1212, 700:1212] = dithered_stencil(luma)[..., 3]
    assert dithered(canvas)
