"""Adaptive RoIAlign against hand-computed values, its RoI geometry, and its double backward."""
import torch

from metartt_tracker.roi_align import adaptive_roi_align, boxes_to_rois, roi_features


def ramp(h, w, fn):
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing='ij')
    return fn(y, x)[None, None]


def test_linear_map_is_sampled_at_bin_top_left_corners():
    feat = ramp(6, 8, lambda y, x: 10 * y + x)
    # RoI (8, 8, 40, 24) px at scale 1/8 -> cells (1, 1, 5, 3): width 5 + 1 - 1 = 5, height 3
    out = adaptive_roi_align(feat, torch.tensor([[8.0, 8.0, 40.0, 24.0]], dtype=torch.float64), 1 / 8)
    assert out.shape == (1, 1, 7, 7)
    assert out[0, 0, 0, 0].item() == 11.0  # (h, w) = (1, 1)
    assert abs(out[0, 0, 6, 6].item() - 41.0) < 1e-9  # h = 1 + 6*3/7, w = 1 + 6*5/7 -> 287/7
    assert abs(out[0, 0, 2, 3].item() - (10 * (1 + 6 / 7) + (1 + 15 / 7))) < 1e-9


def test_support_widens_with_bin_size():
    feat = ramp(16, 16, lambda y, x: x ** 2)
    # cells (0.5, 0, 14, 13): bin_w = 14.5 / 7 = 2.0714 -> taps 2 apart (step round(2.07) = 2)
    out = adaptive_roi_align(feat, torch.tensor([[0.5, 0.0, 14.0, 13.0]], dtype=torch.float64), 1.0)
    w = 0.5 + 14.5 / 7  # output column 1
    t = w - 2  # start tap 2, far tap 4
    assert abs(out[0, 0, 0, 1].item() - ((1 - t / 2) * 4 + (t / 2) * 16)) < 1e-9
    # a 1-cell step would give (1 - t) * 4 + t * 9 instead
    assert abs(out[0, 0, 0, 1].item() - ((1 - t) * 4 + t * 9)) > 0.5


def test_points_outside_the_map_are_zero():
    feat = torch.ones(1, 1, 6, 6, dtype=torch.float64)
    out = adaptive_roi_align(feat, torch.tensor([[-3.5, 0.0, 3.5, 3.0]], dtype=torch.float64), 1.0)
    w = -3.5 + torch.arange(7, dtype=torch.float64) * (8 / 7)  # bin 8/7: the first points have w < 0
    assert torch.all(out[0, 0, :, w < 0] == 0)
    assert torch.all(out[0, 0, :, w >= 0] > 0)


def test_batch_index_selects_the_map():
    feat = torch.stack([torch.zeros(2, 6, 6), torch.ones(2, 6, 6)]).double()
    rois = torch.tensor([[0.0, 0.0, 3.0, 3.0]] * 2, dtype=torch.float64)
    out = roi_features(feat, rois, 1.0, torch.tensor([1, 0]))
    assert out.shape == (2, 2 * 9)
    assert torch.all(out[0] == 1) and torch.all(out[1] == 0)


def test_pooled_features_are_max_of_3x3_windows():
    torch.manual_seed(0)
    feat = torch.randn(1, 3, 9, 9, dtype=torch.float64)
    rois = torch.tensor([[0.3, 0.7, 7.9, 6.2]], dtype=torch.float64)
    full = adaptive_roi_align(feat, rois, 1.0)
    pooled = roi_features(feat, rois, 1.0).view(1, 3, 3, 3)
    assert torch.equal(pooled[0, :, 1, 2], full[0, :, 2:5, 4:7].amax(dim=(1, 2)))


def test_boxes_to_rois_pads_scales_and_subtracts_the_receptive_field():
    rois = boxes_to_rois(torch.tensor([[10.0, 20.0, 30.0, 40.0]]), torch.tensor([[0.0, 10.0]]),
                         torch.tensor([[2.0, 1.0]]), padding=1.2, receptive_field=75.0, origin=0.0)
    # pad (3, 4); lo = ((10-3)*2, (20-4-10)*1) = (14, 6); hi = (43*2 - 75, 54 - 75) -> max(hi, lo + 1)
    assert rois.tolist() == [[14.0, 6.0, 15.0, 7.0]]
    big = boxes_to_rois(torch.tensor([[0.0, 0.0, 100.0, 100.0]]), torch.zeros(1, 2), torch.ones(1, 2),
                        padding=1.0, receptive_field=75.0, origin=-37.5)
    assert big.tolist() == [[37.5, 37.5, 62.5, 62.5]]


def test_double_backward_gradgradcheck():
    torch.manual_seed(1)
    feat = torch.randn(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0.2, 0.4, 4.1, 3.3], [1.5, 0.0, 5.5, 4.9]], dtype=torch.float64)
    fn = lambda f: roi_features(f, rois, 1.0)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (feat,))
    assert torch.autograd.gradgradcheck(fn, (feat,))
