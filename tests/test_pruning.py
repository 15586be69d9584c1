"""One-shot pruning: LASSO loss by hand, masked == physically pruned, smaller tensors, tracking."""
import copy

import numpy as np
import pytest
import torch

from metartt_tracker.backbones import VGGM, Lite0, Nano
from metartt_tracker.model import head_forward, init_head_params
from metartt_tracker.pruning import (PruningNetwork, calibrated_lambdas, channel_costs, feature_index, kept, lasso_loss,
                                     layer_prune_rates, masked_activations, network_from_dict, network_to_dict, pooled_inputs,
                                     prune_backbone, prune_heads, prune_rate, slice_like_heads)
from metartt_tracker.roi_align import roi_features


def test_lasso_loss_hand_case():
    """One conv channel, identity-like fc layers: reconstruction and L1 terms computed by hand."""
    params = {'fc4.weight': torch.eye(1, 9) * 0 + torch.tensor([[1.0] + [0.0] * 8]), 'fc4.bias': torch.zeros(1),
              'fc5.weight': torch.ones(1, 1), 'fc5.bias': torch.zeros(1),
              'fc6.weight': torch.tensor([[1.0], [2.0]]), 'fc6.bias': torch.zeros(2)}
    feats = torch.zeros(1, 9)
    feats[0, 0] = 2.0  # conv channel value 2 in bin 0
    masks = {'conv': torch.tensor([0.5]), 'fc4': torch.tensor([1.0]), 'fc5': torch.tensor([1.0])}
    # F_B: conv 1 (vs 2) -> |diff| 1; fc4 1 (vs 2) -> 1; fc5 1 (vs 2) -> 1; fc6 (1, 2) vs (2, 4) -> sqrt(5)
    expected = 0.1 * (0.5 + 1 + 1) + (1 + 1 + 1 + 5 ** 0.5)
    assert abs(lasso_loss(feats, params, masks, 0.1).item() - expected) < 1e-6
    per_layer = {'conv': 1.0, 'fc4': 0.1, 'fc5': 0.0}  # lambda_l |beta_l|_1 with one weight per layer
    assert abs(lasso_loss(feats, params, masks, per_layer).item() - (expected - 0.25 + 1.0 * 0.5 + 0.1 * 1)) < 1e-6


def test_squared_lasso_loss_hand_case():
    """Same case as above with |F - F_B|_2^2 (per-sample squared errors 1 + 1 + 1 + 5) and its relative form."""
    params = {'fc4.weight': torch.tensor([[1.0] + [0.0] * 8]), 'fc4.bias': torch.zeros(1),
              'fc5.weight': torch.ones(1, 1), 'fc5.bias': torch.zeros(1),
              'fc6.weight': torch.tensor([[1.0], [2.0]]), 'fc6.bias': torch.zeros(2)}
    feats = torch.zeros(1, 9)
    feats[0, 0] = 2.0
    masks = {'conv': torch.tensor([0.5]), 'fc4': torch.tensor([1.0]), 'fc5': torch.tensor([1.0])}
    assert lasso_loss(feats, params, masks, 0.1, recon='squared').item() == pytest.approx(0.1 * 2.5 + 8.0)
    # relative: each error over the unmasked layer's |F|^2 (conv 4, fc4 4, fc5 4, fc6 4 + 16)
    assert lasso_loss(feats, params, masks, 0.1, recon='relative').item() == pytest.approx(0.25 + 3 / 4 + 5 / 20)
    with pytest.raises(ValueError, match='unknown reconstruction'):
        lasso_loss(feats, params, masks, 0.1, recon='l1')


def test_channel_costs_and_calibrated_lambdas_by_hand():
    """Two conv channels feeding fc4 one-to-one: removing channel j costs its own error chain."""
    w4 = torch.zeros(2, 18)
    w4[0, 0], w4[1, 9] = 1.0, 1.0  # fc4 unit i reads bin 0 of conv channel i
    params = {'fc4.weight': w4, 'fc4.bias': torch.zeros(2), 'fc5.weight': torch.eye(2), 'fc5.bias': torch.zeros(2),
              'fc6.weight': torch.ones(2, 2), 'fc6.bias': torch.zeros(2)}
    feats = torch.zeros(1, 18)
    feats[0, 0], feats[0, 9] = 1.0, 3.0
    # removing conv channel j (value v): conv, fc4, fc5 each lose v; fc6 loses (v, v)
    norm, sq = channel_costs(feats, params), channel_costs(feats, params, recon='squared')
    assert norm['conv'].tolist() == pytest.approx([3 + 2 ** 0.5, 9 + 3 * 2 ** 0.5])
    assert sq['conv'].tolist() == pytest.approx([5.0, 45.0])
    assert sq['fc4'].tolist() == pytest.approx([4.0, 36.0])  # fc4, fc5 and 2 fc6 logits
    lam = calibrated_lambdas(sq, 0.0, 0.1, recon='squared')
    assert lam['conv'] == pytest.approx(1.8 * 5.0)  # m = 1 - lambda / 2I reaches 0.1 for the cheaper channel
    assert calibrated_lambdas(norm, 1.0, 0.1, recon='norm')['conv'] == pytest.approx(9 + 3 * 2 ** 0.5)
    per_layer = calibrated_lambdas(sq, {'conv': 1.0, 'fc4': 0.0, 'fc5': 0.0, 'fc6': 0.0}, 0.1, recon='squared')
    assert per_layer['conv'] == pytest.approx(1.8 * 45.0) and per_layer['fc4'] == pytest.approx(1.8 * 4.0)


def test_layer_prune_rates():
    masks = {'conv': torch.tensor([0.0, 0.05, 0.5, 1.0]), 'fc4': torch.ones(4), 'fc5': torch.tensor([0.0, 0.0, 0.0, 0.0])}
    assert layer_prune_rates(masks, 0.1) == {'conv': 0.5, 'fc4': 0.0, 'fc5': 0.75}  # one channel always survives
    assert prune_rate(masks, 0.1) == pytest.approx(5 / 12)


def _masks(widths, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {k: torch.relu(torch.rand(w, generator=g) * 2 - 0.8) for k, w in widths.items()}  # ~40 % zeros


@pytest.mark.parametrize('backbone_cls, size', [(Lite0, 96), (VGGM, 107), (Nano, 96)])
def test_pruned_network_equals_masked_network_and_is_smaller(backbone_cls, size):
    torch.manual_seed(0)
    backbone = backbone_cls().eval()
    c = backbone.out_channels
    params = init_head_params(c * 9, 64, torch.Generator().manual_seed(1))
    masks = _masks({'conv': c, 'fc4': 64, 'fc5': 64})
    x = torch.rand(1, 3, size, size) * 255
    rois = torch.tensor([[0.0, 0.0, 20.0, 20.0], [8.0, 4.0, 30.0, 26.0]])
    with torch.no_grad():
        feats = roi_features(backbone(backbone.normalize(x)), rois, 1 / 8)
        reference = masked_activations(feats, params, masks)['fc6']
        keep = kept(masks, 0.0)
        small = copy.deepcopy(backbone)
        prune_backbone(small, keep['conv'])
        small_feats = roi_features(small(small.normalize(x)), rois, 1 / 8)
        pruned = prune_heads(params, masks, keep)
        out = head_forward(small_feats, pruned)
    assert torch.allclose(out, reference, atol=1e-4)
    assert small.out_channels == len(keep['conv']) < c
    assert pruned['fc4.weight'].numel() < params['fc4.weight'].numel() * 0.5
    assert pruned['fc5.weight'].shape == (len(keep['fc5']), len(keep['fc4']))
    # The kept channels are the same dot products, but a convolution with fewer output channels may
    # block / vectorise its reduction differently, so the last float32 bits may differ on some CPUs:
    # features are O(1-10), 1e-5 relative is ~100 ulp, far below any real pruning error.
    assert torch.allclose(small_feats, feats[:, feature_index(keep['conv'])], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('rule', ['meta', 'sgd'])
def test_adapting_the_pruned_heads_equals_adapting_the_masked_network(monkeypatch, rule):
    """K steps on the pruned, mask-folded heads = K steps on the full network with the masks applied
    (removed channels at mask 0): the clip sees the masked gradient, the update is S^2 * g. Without the
    fold factors the two differ by about beta^2 per step (the negative control below)."""
    import metartt_tracker.adaptation as ad
    from metartt_tracker.adaptation import Adapter, MetaStep, SGDStep
    from metartt_tracker.config import AdaptationConfig
    from metartt_tracker.pruning import fold_scales
    c, w = 6, 16
    masks = _masks({'conv': c, 'fc4': w, 'fc5': w}, seed=4)
    keep = kept(masks, 0.0)
    g = torch.Generator().manual_seed(5)
    theta = init_head_params(c * 9, w, g)
    pos, neg = torch.randn(40, c * 9, generator=g) + 1, torch.randn(200, c * 9, generator=g) - 1
    cfg = AdaptationConfig(iters_init=5, lr_init=0.05, batch_pos=16, batch_neg=24, batch_neg_cand=64, dropout=0.0,
                           grad_clip=0.5)  # a clip that binds: the norm must be the masked network's
    alphas = {'init': [{k: torch.rand(v.shape, generator=g) * 0.2 for k, v in theta.items()} for _ in range(5)]}

    def step(a):
        return MetaStep(a, grad_clip=cfg.grad_clip) if rule == 'meta' else SGDStep(cfg)

    def pruned_run(scale):
        small_alphas = {'init': [slice_like_heads(a, keep) for a in alphas['init']]}
        return Adapter(cfg, {'init': step(small_alphas)}, np.random.default_rng(0), grad_scale=scale).adapt(
            prune_heads(theta, masks, keep), pos[:, cols], neg[:, cols], 'init')

    cols = feature_index(keep['conv'])
    pruned = pruned_run(fold_scales(masks, keep))
    unscaled = pruned_run(None)
    monkeypatch.setattr(ad, 'head_forward', lambda x, params, dropout=0.0, generator=None:
                        masked_activations(x, params, masks)['fc6'])
    full = Adapter(cfg, {'init': step(alphas)}, np.random.default_rng(0)).adapt(
        {k: v.clone() for k, v in theta.items()}, pos, neg, 'init')
    want = prune_heads({k: v.detach() for k, v in full.items()}, masks, keep)
    for k in want:  # weights O(0.1-1); float32 sums in a different order: 1e-5 is ~100 ulp
        assert torch.allclose(pruned[k].detach(), want[k], atol=1e-5), k
    assert max(float((unscaled[k].detach() - want[k]).abs().max()) for k in want) > 1e-3


def test_step_sizes_are_sliced_like_the_parameters():
    params = init_head_params(4 * 9, 8)
    masks = _masks({'conv': 4, 'fc4': 8, 'fc5': 8}, seed=3)
    keep = kept(masks, 0.0)
    pruned, alphas = prune_heads(params, masks, keep), slice_like_heads(params, keep)
    assert {k: v.shape for k, v in pruned.items()} == {k: v.shape for k, v in alphas.items()}


def test_pruning_network_starts_from_keep_everything_and_is_mean_over_samples():
    net = PruningNetwork({'conv': 4, 'fc4': 8, 'fc5': 8}, hidden=16).eval()
    params = init_head_params(36, 8)
    masks = net(pooled_inputs(torch.randn(5, 36), params))
    assert all(torch.equal(m, torch.ones_like(m)) for m in masks.values())
    assert prune_rate(masks, 0.1) == 0.0
    with torch.no_grad():
        for mlp in net.mlps.values():
            mlp[-1].bias.fill_(-2.0)  # every output relu(1 - 2) = 0
    assert prune_rate(net(pooled_inputs(torch.randn(5, 36), params)), 0.1) == pytest.approx(1 - 3 / 20)


@pytest.mark.parametrize('straight_through', [False, True])
def test_a_zero_mask_comes_back_only_with_the_straight_through_clamp(straight_through):
    """Same zero masks in the forward pass; only the straight-through clamp lets the gradient revive them.
    The setting survives the checkpoint round trip."""
    net = PruningNetwork({'conv': 4, 'fc4': 8, 'fc5': 8}, hidden=16, straight_through=straight_through).eval()
    with torch.no_grad():
        for mlp in net.mlps.values():
            mlp[-1].bias.fill_(-2.0)
    params = init_head_params(36, 8, torch.Generator().manual_seed(0))
    feats = torch.rand(5, 36) * 4
    masks = net(pooled_inputs(feats, params))
    assert all(torch.equal(m, torch.zeros_like(m)) for m in masks.values())
    lasso_loss(feats, params, masks, 0.1).backward()
    bias_grad = net.mlps['fc5'][-1].bias.grad
    assert (bias_grad.abs().sum() > 0) == straight_through  # the reconstruction pulls the masks up
    if straight_through:
        assert (bias_grad <= 0).all()  # descent raises the masks
    again = network_from_dict(network_to_dict(net, {'conv': 4, 'fc4': 8, 'fc5': 8}, 16, 0.2))
    assert again.straight_through == straight_through


def test_prune_variant_needs_a_pruning_network():
    from metartt_tracker import MetaRTTTracker, MissingWeightsError
    from metartt_tracker.config import variant_config
    from metartt_tracker.adaptation import constant_alphas
    theta = init_head_params(112 * 9, 512)
    with pytest.raises(MissingWeightsError, match='train prune'):
        MetaRTTTracker(variant_config('metartt-prune'), head_params=theta,
                       alphas=constant_alphas(theta, ('fc4', 'fc5', 'fc6'), 5, 5, 1e-3))


def test_pruned_tracker_runs_and_reports_its_prune_rate(car_frames, car_shadow):
    from metartt_tracker import MetaRTTTracker
    from metartt_tracker.adaptation import constant_alphas
    from metartt_tracker.backbones import build_backbone
    from metartt_tracker.config import variant_config
    backbone = build_backbone('lite0')
    cfg = variant_config('metartt-prune').replace(**{'geometry.n_aug_crops': 8})
    theta = init_head_params(112 * 9, 512, torch.Generator().manual_seed(0))
    net = PruningNetwork({'conv': 112, 'fc4': 512, 'fc5': 512}, hidden=16).eval()
    with torch.no_grad():
        for k, mlp in net.mlps.items():  # drop every other channel
            mlp[-1].bias.copy_(torch.tensor([0.0, -5.0]).repeat(mlp[-1].bias.numel() // 2))
    t = MetaRTTTracker(cfg, backbone=backbone, head_params=theta, seed=0, pruner=net,
                       alphas=constant_alphas(theta, cfg.adaptation.adapted, 5, 5, 1e-3))
    boxes = t.track(car_frames[:4], car_shadow.init_box).boxes
    assert np.isfinite(boxes).all() and t.prune_rate == pytest.approx(0.5)
    assert t.state.backbone.out_channels == 56 and t.backbone is backbone and backbone.out_channels == 112  # shared one untouched
    assert t.state.params['fc4.weight'].shape == (256, 56 * 9)
    t.init(car_frames[0], car_shadow.init_box)  # a second sequence starts from the full network again
    assert t.state.params['fc4.weight'].shape == (256, 56 * 9) and t.backbone.out_channels == 112


def test_prune_scale_false_selects_channels_without_scaling_them(car_frames, car_shadow):
    from metartt_tracker import MetaRTTTracker
    from metartt_tracker.adaptation import constant_alphas
    from metartt_tracker.backbones import build_backbone
    from metartt_tracker.config import variant_config
    backbone = build_backbone('lite0')
    theta = init_head_params(112 * 9, 512, torch.Generator().manual_seed(0))
    net = PruningNetwork({'conv': 112, 'fc4': 512, 'fc5': 512}, hidden=16).eval()
    with torch.no_grad():
        for mlp in net.mlps.values():  # every other channel kept with mask 0.5, the rest removed
            mlp[-1].bias.copy_(torch.tensor([-0.5, -5.0]).repeat(mlp[-1].bias.numel() // 2))
    trackers = {}
    for scale in (True, False):
        cfg = variant_config('metartt-prune').replace(**{'geometry.n_aug_crops': 8, 'pruning.scale': scale})
        trackers[scale] = MetaRTTTracker(cfg, backbone=backbone, head_params=theta, seed=0, pruner=net,
                                         alphas=constant_alphas(theta, cfg.adaptation.adapted, 5, 5, 1e-3))
        trackers[scale].init(car_frames[0], car_shadow.init_box)
    scaled, selected = trackers[True].state.params, trackers[False].state.params
    assert selected['fc4.weight'].shape == scaled['fc4.weight'].shape == (256, 56 * 9)
    assert torch.allclose(scaled['fc4.weight'], 0.25 * selected['fc4.weight'])  # conv mask x fc4 mask
    assert torch.allclose(scaled['fc5.weight'], 0.5 * selected['fc5.weight'])
    assert torch.equal(scaled['fc6.weight'], selected['fc6.weight'])
    assert trackers[True].prune_rate == trackers[False].prune_rate == pytest.approx(0.5)
