"""Bounding-box regression: encode/decode round trip, ridge fit, RT-MDNet's gate."""
import numpy as np
import torch

from metartt_tracker.bbreg import BBoxRegressor, decode, encode
from metartt_tracker.config import SamplingConfig
from metartt_tracker.sampling import sample

GT = np.array([100.0, 50.0, 40.0, 80.0])


def test_encode_decode_round_trip():
    rng = np.random.default_rng(0)
    boxes = np.column_stack([rng.uniform(0, 200, (50, 2)), rng.uniform(5, 100, (50, 2))])
    deltas = encode(boxes, GT)
    assert np.allclose(decode(boxes, deltas), np.tile(GT, (50, 1)))
    assert np.allclose(encode(GT[None], GT), 0)


def _features(boxes, rng):
    """Features that hold the exact regression targets plus noise dimensions."""
    return torch.from_numpy(np.column_stack([encode(boxes, GT), rng.standard_normal((len(boxes), 12))])).float()


def test_fit_then_predict_recovers_the_ground_truth():
    rng = np.random.default_rng(1)
    boxes = sample(SamplingConfig().bbreg, GT, (640, 360), rng)
    reg = BBoxRegressor(alpha=1e-6)
    used = reg.fit(_features(boxes, rng), boxes, GT)
    assert used == len(boxes)
    test = sample(SamplingConfig().bbreg, GT, (640, 360), rng, n=20)
    pred = reg.predict(_features(test, rng), test, (640, 360))
    assert np.abs(pred - GT).max() < 0.05


def test_gate_keeps_the_input_box_when_the_prediction_jumps():
    rng = np.random.default_rng(2)
    boxes = sample(SamplingConfig().bbreg, GT, (640, 360), rng)
    reg = BBoxRegressor(alpha=1e-6)
    reg.fit(_features(boxes, rng), boxes, GT)
    far = np.array([[300.0, 200.0, 40.0, 80.0]])  # regressing it onto GT would be an IoU-0 jump
    assert np.array_equal(reg.predict(_features(far, rng), far, (640, 360)), far)
