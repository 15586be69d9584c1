"""Metrics on hand-computed cases: OPE curves and conventions, GOT-10k AO/SR, VOT overlaps, accuracy, EAO, FPS."""
from dataclasses import replace

import numpy as np
import pytest

from metartt_tracker import overlap as O
from metartt_tracker.evaluation import metrics as M
from metartt_tracker.results import FrameState, ResetRun, SequenceResult

NAN4 = [np.nan] * 4


def test_iou_and_centre_error_by_hand():
    gt = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], float)
    pred = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [20, 20, 4, 4]], float)
    assert O.box_iou(pred, gt) == pytest.approx([1.0, 50 / 150, 0.0])
    assert M.center_errors(pred, gt) == pytest.approx([0.0, 5.0, np.hypot(17, 17)])  # centres x + (w - 1) / 2
    assert M.center_errors(pred, gt, normalize=True)[1] == pytest.approx(0.5)
    # got10k's bound: x clipped to the image first, then w to what is left (a box is shifted, not cut)
    assert O.bound_boxes([[-5, 2, 10, 10]], (8, 8)).tolist() == [[0, 2, 8, 6]]


def test_success_curve_is_strict_and_auc_is_its_mean():
    gt = np.tile([0, 0, 10, 10], (5, 1)).astype(float)
    pred = gt.copy()
    pred[2, 0] = 5  # IoU 1/3
    pred[3, 0] = 10  # IoU 0 (touching)
    pred[4, 0] = 30
    c = M.ope_curves(pred, gt, 'metartt')  # frames 2..5 scored
    assert c.frames == 4
    assert c.success[0] == pytest.approx(2 / 4)  # IoU > 0: frames 2 and 3 (not the touching one)
    assert c.success[-1] == 0  # strict: IoU 1 is not > 1
    s = c.scores()
    assert s['auc'] == pytest.approx(c.success.mean())
    assert s['precision'] == pytest.approx(3 / 4)  # centre errors 0, 5, 10, 30 px
    assert s['success_rate'] == pytest.approx(1 / 4)


def test_identity_scores_20_of_21_thresholds():
    """pysot-toolkit #7: the strict '>' makes a perfect tracker score 20/21 on the last bin."""
    gt = np.tile([3, 4, 20, 30], (6, 1)).astype(float)
    assert M.ope_scores(gt, gt)['auc'] == pytest.approx(20 / 21)


@pytest.mark.parametrize('conv, auc_frames, prec, first', [
    ('metartt', 2, 1 / 2, 'skip'),  # frames 2..4; invalid frame dropped from both
    ('got10k', 4, 2 / 4, 'gt'),  # frame 1 forced to GT; NaN GT stays in the denominator as a miss
    ('got10k-uav123', 3, 2 / 3, 'gt'),  # NaN GT frames dropped
    ('pysot', 4, 2 / 4, 'keep'),  # frame 1 as written (a miss here); invalid GT: IoU miss, centre hit
    ('pytracking', 4, 2 / 4, 'gt'),
    ('pytracking-uav', 4, 3 / 4, 'gt'),
])
def test_invalid_ground_truth_conventions(conv, auc_frames, prec, first):
    gt = np.array([[1, 1, 10, 10], [1, 1, 10, 10], NAN4, [1, 1, 10, 10]], float)  # x, y > 0: valid for pytracking
    pred = np.array([[51, 51, 10, 10], [1, 1, 10, 10], [1, 1, 10, 10], [41, 1, 10, 10]], float)
    c = M.ope_curves(pred, gt, conv)
    assert c.frames == auc_frames
    assert M.CONVENTIONS[conv].first_frame == first
    assert c.precision[20] == pytest.approx(prec)
    hits = {'skip': 1, 'gt': 2, 'keep': 1}[first]  # frame 1 is a hit only when replaced by the GT
    assert c.success[10] == pytest.approx(hits / auc_frames)


@pytest.mark.parametrize('conv, prec, norm_prec', [
    ('pytracking', 3 / 5, 4 / 5),  # invalid frames: centre error inf (miss), normalised -1 (hit)
    ('pytracking-uav', 5 / 5, 4 / 5),  # dataset 'uav': centre error -1 (hit) too
    ('pytracking-lasot', 3 / 5, 3 / 5),  # dataset 'lasot': absent frames miss both precisions
])
def test_pytracking_rules_one_frame_each(conv, prec, norm_prec):
    """pytracking's calc_seq_err_robust, hand-computed: frame 1 is the GT and scored; x = 0 makes a box invalid;
    a zero-width prediction takes the previous one; an absent target is invalid; all frames in the denominator."""
    a = [5, 5, 10, 10]
    gt = np.array([a, [0, 5, 10, 10], a, a, a], float)
    pred = np.array([[50, 50, 10, 10],  # frame 1: replaced by the GT (IoU 1, error 0)
                     [0, 5, 10, 10],  # perfect, but the GT touches the left edge (x = 0): invalid, IoU -1
                     [5, 5, 0, 10],  # zero width: held from frame 2 -> IoU 1/3, error 5 px, normalised 0.5
                     a,  # perfect, but the dataset says the target is absent: invalid
                     [6, 5, 10, 10]], float)  # IoU 90/110, error 1 px, normalised 0.1
    visible = np.array([1, 1, 1, 0, 1], bool)
    c = M.ope_curves(pred, gt, conv, visible)
    assert M.CONVENTIONS[conv].invalid_mask(gt).tolist() == [False, True, False, False, False]
    assert M.CONVENTIONS[conv].invalid_mask(gt, visible).tolist() == [False, True, False, True, False]
    assert c.frames == 5
    assert c.success[0] == pytest.approx(3 / 5)  # IoU > 0: frames 1, 3 (held), 5
    assert c.success[6] == pytest.approx(3 / 5)  # IoU > 0.3: the held box (1/3) still passes
    assert c.success[10] == pytest.approx(2 / 5) and c.success[17] == pytest.approx(1 / 5)
    assert c.precision[20] == pytest.approx(prec) and c.norm_precision[20] == pytest.approx(norm_prec)
    unheld = M.ope_curves(pred, gt, replace(M.CONVENTIONS[conv], hold_empty=False), visible)
    assert unheld.success[6] == pytest.approx(2 / 5)  # without holding, the zero-width box has IoU 0
    # without visibility flags only the GT decides: frame 4 is a valid, perfect frame
    assert M.ope_curves(pred, gt, conv).success[10] == pytest.approx(3 / 5)


def test_mean_curves_average_sequences_equally():
    a = M.Curves(np.ones(21), np.ones(51), np.ones(51), 10)
    b = M.Curves(np.zeros(21), np.zeros(51), np.zeros(51), 1000)
    m = M.mean_curves([a, b])
    assert m.scores()['auc'] == 0.5 and m.frames == 1010


def test_ao_sr_pool_visible_frames_after_the_first():
    gt = np.tile([0, 0, 10, 10], (4, 1)).astype(float)
    pred = np.array([[9, 9, 9, 9], [0, 0, 10, 10], [5, 0, 10, 10], [0, 0, 10, 10]], float)
    ious = M.got10k_ious(pred, gt, visible=np.array([1, 1, 1, 0], bool), size=(100, 100))
    assert ious == pytest.approx([1.0, 1 / 3])
    s = M.ao_sr([ious, np.array([0.8])])
    assert s['ao'] == pytest.approx((1 + 1 / 3 + 0.8) / 3)
    assert (s['sr50'], s['sr75'], s['frames']) == (pytest.approx(2 / 3), pytest.approx(2 / 3), 3)
    assert M.got10k_success_curve(ious).shape == (101,)


def test_fps_with_and_without_first_frame():
    times = [np.array([2.0, 0.5, 0.5]), np.array([1.0, 0.25])]
    assert M.fps(times) == pytest.approx(5 / 4.25)
    assert M.fps(times, skip_first=True) == pytest.approx(3 / 1.25)
    assert M.got10k_speed(np.array([0.5, 0.25, 0.0, np.nan])) == pytest.approx(3.0)


def test_vot_raster_overlap_by_hand():
    size = (100, 100)
    gt = np.array([[10, 10, 10, 10]] * 5, float)
    pred = np.array([[15, 10, 10, 10],  # 50 px shared of 150
                     [14.5, 10, 10, 10],  # rounds half to even: x = 14 -> 60 / 140
                     NAN4,  # special frame: empty region vs a box -> 0
                     [200, 200, 5, 5],  # outside the image
                     [10, 10, 10, 10]], float)
    assert O.raster_overlaps(pred, gt, size) == pytest.approx([50 / 150, 60 / 140, 0, 0, 1])
    assert O.raster_overlaps(np.array([NAN4]), np.array([NAN4]), size)[0] == 1.0  # two empty regions
    square = np.array([[10, 10, 20, 10, 20, 20, 10, 20]], float)  # polygon of 11 x 11 pixels
    assert O.raster_overlaps(np.array([[10, 10, 11, 11]], float), square, size)[0] == pytest.approx(1.0)
    assert O.polygon_to_box(square).tolist() == [[10, 10, 10, 10]]


def test_vot_raster_overlap_equals_vot_toolkit_on_random_regions():
    """Same numbers as vot-toolkit 0.7.4's rasteriser for rectangles and rotated polygons."""
    from vot.region import Special
    from vot.region.raster import calculate_overlap
    from vot.region.shapes import Polygon, Rectangle
    rng = np.random.default_rng(1)
    n, size = 300, (120, 90)
    pred = np.c_[rng.uniform(-30, 130, n), rng.uniform(-30, 100, n), rng.uniform(-2, 60, n), rng.uniform(-2, 60, n)]
    pred[::3] = np.round(pred[::3] * 2) / 2  # exact .5 values exercise rounding
    pred[::11] = np.nan
    gt = np.c_[rng.uniform(-10, 110, n), rng.uniform(-10, 80, n), rng.uniform(0, 50, n), rng.uniform(0, 50, n)]
    angles, centres = rng.uniform(0, np.pi, n), rng.uniform(-10, 130, (n, 2))
    unit = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * rng.uniform(1, 25, (n, 1, 2))
    rot = np.stack([np.cos(angles), -np.sin(angles), np.sin(angles), np.cos(angles)], 1).reshape(n, 2, 2)
    polys = (np.einsum('nij,nkj->nki', rot, unit) + centres[:, None]).reshape(n, 8)
    region = lambda b: Special(1) if np.isnan(b).any() else Rectangle(*b)  # noqa: E731
    ref_rect = [calculate_overlap(region(p), Rectangle(*g), size) for p, g in zip(pred, gt)]
    ref_poly = [calculate_overlap(region(p), Polygon(g.reshape(4, 2).tolist()), size) for p, g in zip(pred, polys)]
    assert O.raster_overlaps(pred, gt, size) == pytest.approx(ref_rect, abs=1e-12)
    assert O.raster_overlaps(pred, polys, size) == pytest.approx(ref_poly, abs=1e-12)


def _run(overlaps, states):
    n = len(states)
    return ResetRun(SequenceResult('s', np.full((n, 4), np.nan), np.full(n, np.nan), np.zeros(n)), states, overlaps)


T, I, F, S = FrameState.TRACKED, FrameState.INIT, FrameState.FAILURE, FrameState.SKIPPED


def test_vot_accuracy_burnin_failures_and_fragments():
    run = _run([0, .9, .8, .7, 0, 0, 0, 0, 0, 0, .5, .6],
               [I, T, T, T, F, S, S, S, S, I, T, T])
    assert M.vot_accuracy(run, burnin=2) == pytest.approx((.8 + .7 + .6) / 3)
    assert M.vot_accuracy(run, burnin=0) == pytest.approx((0 + .9 + .8 + .7 + 0 + .5 + .6) / 7)
    assert M.vot_failures(run) == 1
    frags = M.eao_fragments(run)
    assert [(f.tolist(), done) for f, done in frags] == [([0, .9, .8, .7], False), ([0, .5, .6], True)]


def test_eao_curve_pads_failures_and_masks_finished_runs():
    # fragment A failed after 2 tracked frames; B reached the end after 1 tracked frame.
    curve = M.eao_curve([(np.array([0, 1.0, 0.5]), False), (np.array([0, 0.4]), True)])
    # length 1: mean over A (1.0) and B (0.4); length 2: only A (B is masked): (1 + .5) / 2
    assert curve.tolist() == pytest.approx([0, 0.7, 0.75])
    assert M.eao_score(curve, 1, 2) == pytest.approx(0.725)
    assert np.isnan(M.eao_score(curve, 5, 9))


def test_vot_scores_weight_sequences_by_length():
    a = _run([0, .5, .5, .5], [I, T, T, T])
    b = _run([0, 1, 0, 0, 0, 0, 0, 0], [I, T, F, S, S, S, S, I])
    s = M.vot_scores({'a': [a], 'b': [b]}, {'a': 4, 'b': 8}, eao_range=(1, 3), burnin=1)
    assert s['accuracy'] == pytest.approx((0.5 * 4 + 1.0 * 8) / 12)
    assert s['failures'] == pytest.approx(8 / 12)
    assert s['ar_robustness'] == pytest.approx(np.exp(-30 * (8 / 12) / 6))
    assert s['total_failures'] == 1 and np.isfinite(s['eao'])


def test_unknown_convention_and_length_mismatch_are_errors():
    with pytest.raises(ValueError, match='unknown ground-truth convention'):
        M.ope_curves(np.zeros((2, 4)), np.zeros((2, 4)), 'otb-matlab')
    with pytest.raises(ValueError, match='3 predicted boxes but 2'):
        M.ope_curves(np.zeros((3, 4)), np.ones((2, 4)))


def test_ao_without_visibility_labels_skips_frames_without_ground_truth():
    gt = np.array([[0, 0, 10, 10], NAN4, [0, 0, 10, 10]], float)
    assert M.got10k_ious(gt, gt).tolist() == [1.0]
