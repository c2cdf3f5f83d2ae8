"""The re-identification statistics: intervals, AUC, and that a cover leaving nothing scores chance.

Runs without dlib: the attacks work on any embedding arrays.
"""

from __future__ import annotations

import numpy as np
import pytest

from unseen_eval import attacks
from unseen_eval.stats import auc, binom_p_above, wilson_interval

reid = pytest.importorskip("unseen_eval.reid", reason="unseen_eval.reid needs unseen's cover stack")


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(5, 61)
    assert lo == pytest.approx(0.0355, abs=1e-3) and hi == pytest.approx(0.1784, abs=1e-3)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_binomial_p_value():
    assert binom_p_above(0, 61, 1 / 13) == 1.0
    assert binom_p_above(61, 61, 1 / 13) < 1e-60
    # 5/61 is what chance gives: far from significant; 12/61 is significant at 5 %
    assert binom_p_above(5, 61, 1 / 13) > 0.4
    assert binom_p_above(12, 61, 1 / 13) < 0.05


def test_auc_handles_ties_and_extremes():
    assert auc(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1])) == 1.0
    assert auc(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 1, 0, 0])) == 0.0
    assert auc(np.zeros(10), np.arange(10) % 2) == 0.5
    assert np.isnan(auc(np.ones(3), np.zeros(3)))


def _population(n_classes=6, per=4, dim=16, spread=0.05, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, dim))
    labels = np.repeat(np.array([f"id{k}" for k in range(n_classes)]), per)
    x = np.repeat(centres, per, axis=0) + spread * rng.normal(size=(n_classes * per, dim))
    return x.astype(np.float32), labels


def test_identical_embeddings_score_exactly_chance():
    # a solid cover: every face is the same black chip
    _, labels = _population()
    classes = np.unique(labels)
    x = np.ones((len(labels), 16), np.float32)
    d = attacks.distances(x, x)
    ok, _ = attacks.nn_identify(d, labels, classes)
    assert ok.mean() == pytest.approx(1 / len(classes))
    ok, _ = attacks.linear_identify(x, x, labels, classes)
    assert ok.mean() == pytest.approx(1 / len(classes))
    assert attacks.pair_auc(d, labels) == 0.5


def test_separable_embeddings_are_identified():
    x, labels = _population()
    classes = np.unique(labels)
    ok, _ = attacks.nn_identify(attacks.distances(x, x), labels, classes)
    assert ok.mean() == 1.0
    ok, scores = attacks.linear_identify(x, x, labels, classes)
    assert ok.mean() == 1.0
    assert attacks.class_auc(scores, labels, classes) > 0.99


def test_znorm_removes_a_gallery_offset():
    # probes carry no identity; one gallery photo sits nearest to "the empty face" for all
    rng = np.random.default_rng(1)
    m = 20
    d = rng.normal(size=(m, m)) * 0.01 + 1.0
    d[:, 3] -= 0.5
    z = attacks.znorm(d)
    assert abs(z[:, 3].mean()) < 0.5


def test_default_covers_sweep_every_mode_and_strength():
    covers = reid.default_covers()
    names = {c.name for c in covers}
    assert "original" in names
    for blocks in range(2, 9):
        assert f"mosaic{blocks}/rect/x1.3" in names and f"blur{blocks}/rect/x1.3" in names
    for c in covers:
        assert c.mismatch is None or c.mismatch in names, c
    assert {c.settings.shape for c in covers if c.settings} == {"rect", "ellipse"}


def test_the_sweep_holds_each_presets_own_head_growth():
    """The default and thorough presets' solid covers, at the growth they ship with, are rows."""
    from unseen.cover import box_scale
    from unseen.settings import Settings

    shipped = {(c.settings.preset, c.settings.box_scale) for c in reid.default_covers() if c.settings}
    for preset in ("default", "thorough", "fast"):
        assert (preset, box_scale(Settings(preset=preset))) in shipped, preset


def test_restore_changes_only_the_region():
    from unseen.settings import Settings

    img = np.random.default_rng(0).integers(0, 255, (60, 80, 3), dtype=np.uint8)
    for mode in ("mosaic", "blur"):
        out = reid.restore(img, (10, 10, 50, 50), Settings(mode=mode))
        assert out.shape == img.shape
        outside = np.ones(img.shape[:2], bool)
        outside[10:50, 10:50] = False
        assert np.array_equal(out[outside], img[outside])
    assert np.array_equal(reid.restore(img, (10, 10, 50, 50), Settings()), img)


def test_attack_report_end_to_end_on_synthetic_embeddings():
    x, labels = _population(n_classes=5, per=3, dim=128)
    samples = [reid.Sample(f"p{i}", lab, np.zeros((4, 4, 3), np.uint8), (0, 0, 2, 2)) for i, lab in enumerate(labels)]
    m = len(samples)
    clean = reid.CoverEmbeddings(reid.Cover("original", None), x, x, np.ones(m, bool), np.zeros(m, bool))
    blank = np.zeros_like(x)
    from unseen.settings import Settings

    solid = reid.CoverEmbeddings(reid.Cover("solid", Settings()), blank, blank, np.zeros(m, bool), np.ones(m, bool))
    rep = reid.attack(samples, clean, solid, None)
    assert set(rep.attacks) == {"a", "a_found_only", "c", "d"}
    for k in ("a", "c", "d"):
        assert rep.attacks[k].rate == pytest.approx(1 / 5)
        assert not rep.attacks[k].above_chance
    assert rep.attacks["a_found_only"].correct == 0
    base = reid.attack(samples, clean, clean, None)
    assert base.attacks["a"].rate == 1.0 and base.attacks["a"].above_chance
    row = reid.format_row(rep)
    assert row.startswith("| solid |") and "3/15" in row
