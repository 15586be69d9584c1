"""Box generators: the IoU / area ranges RT-MDNet asks for, clipping, determinism."""
import numpy as np

from metartt_tracker.config import SamplingConfig
from metartt_tracker.overlap import box_iou
from metartt_tracker.sampling import candidates, draw, sample

TARGET = np.array([200.0, 120.0, 80.0, 60.0])
SIZE = (640, 360)


def test_box_iou_hand_cases():
    assert box_iou(np.array([[0, 0, 10, 10]]), np.array([5, 0, 10, 10]))[0] == 50 / 150
    assert box_iou(np.array([[0, 0, 10, 10]]), np.array([20, 20, 5, 5]))[0] == 0
    assert box_iou(np.array([[0, 0, 10, 10]]), np.array([0, 0, 10, 10]))[0] == 1


def test_generators_respect_their_ranges():
    cfg, rng = SamplingConfig(), np.random.default_rng(0)
    pos = sample(cfg.pos_init, TARGET, SIZE, rng)
    neg = sample(cfg.neg_init, TARGET, SIZE, rng)
    reg = sample(cfg.bbreg, TARGET, SIZE, rng)
    upd = sample(cfg.neg_update, TARGET, SIZE, rng)
    assert len(pos) == 500 and len(neg) == 5000 and len(reg) > 500
    assert box_iou(pos, TARGET).min() >= 0.7
    assert box_iou(neg, TARGET).max() <= 0.5
    assert box_iou(upd, TARGET).max() <= 0.3
    r, a = box_iou(reg, TARGET), reg[:, 2] * reg[:, 3] / (TARGET[2] * TARGET[3])
    assert r.min() >= 0.6 and a.min() >= 1.0 and a.max() <= 2.0


def test_gaussian_offsets_are_bounded_by_trans():
    rng = np.random.default_rng(1)
    boxes = draw('gaussian', TARGET, 2000, SIZE, rng, trans=0.6, scale=1.05)
    centre = boxes[:, :2] + boxes[:, 2:] / 2
    limit = 0.6 * TARGET[2:].mean() + 1e-9
    assert np.abs(centre - (TARGET[:2] + TARGET[2:] / 2)).max() <= limit
    ratio = boxes[:, 2] / TARGET[2]
    assert ratio.min() >= 1.05 ** -1 - 1e-9 and ratio.max() <= 1.05 + 1e-9


def test_candidates_stay_inside_the_frame_and_are_reproducible():
    edge = np.array([600.0, 330.0, 60.0, 40.0])  # partly outside the 640x360 frame
    a = candidates(edge, 256, SIZE, np.random.default_rng(3), 1.4, 1.05)
    b = candidates(edge, 256, SIZE, np.random.default_rng(3), 1.4, 1.05)
    assert np.array_equal(a, b)
    assert a[:, 0].min() >= 0 and a[:, 1].min() >= 0
    assert (a[:, 0] + a[:, 2]).max() <= 640 and (a[:, 1] + a[:, 3]).max() <= 360
    assert a[:, 2:].min() >= 5
