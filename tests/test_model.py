"""Backbones (geometry, BN folding), fc heads, the loss, and the two adaptation rules."""
import numpy as np
import pytest
import torch

from metartt_tracker.adaptation import Adapter, MetaStep, SGDStep, constant_alphas
from metartt_tracker.backbones import Lite0, VGGM, _fold_bn, build_backbone
from metartt_tracker.config import AdaptationConfig
from metartt_tracker.model import binary_loss, head_forward, init_head_params


def test_vggm_geometry_stride_8_receptive_field_75():
    net = VGGM().eval()
    with torch.no_grad():
        assert net(torch.zeros(1, 3, 107, 107)).shape == (1, 512, 5, 5)
        assert net(torch.zeros(1, 3, 75, 75)).shape[-2:] == (1, 1)  # one cell sees exactly 75 px
        assert net(torch.zeros(1, 3, 83, 83)).shape[-2:] == (2, 2)  # 8 more px, one more cell
    with pytest.raises(RuntimeError):
        net(torch.zeros(1, 3, 74, 74))


def test_vggm_lrn_is_elementwise():
    from metartt_tracker.backbones import _rtmdnet_lrn
    x = torch.tensor([0.0, 10.0, -3.0])
    assert torch.allclose(_rtmdnet_lrn(x), x / (2 + 1e-4 * x ** 2) ** 0.75)


def test_lite0_is_stride_8_and_translation_equivariant():
    net = Lite0().eval()  # random weights suffice for geometry
    x = torch.randn(1, 3, 48, 640)
    with torch.no_grad():
        y = net(x)
        y_shift = net(torch.roll(x, 8, dims=3))
    assert y.shape == (1, 112, 6, 80)
    # shifting the input by 8 px moves every interior cell by one
    assert torch.allclose(y_shift[..., 31:50], y[..., 30:49], atol=1e-4)


def test_bn_folding_matches_batchnorm_in_eval_mode():
    torch.manual_seed(0)
    conv, bn = torch.nn.Conv2d(4, 6, 3, bias=False), torch.nn.BatchNorm2d(6, eps=1e-3).eval()
    bn.weight.data.uniform_(0.5, 2), bn.bias.data.normal_(), bn.running_mean.normal_(), bn.running_var.uniform_(0.5, 2)
    sd = {f'bn.{k}': v for k, v in bn.state_dict().items()}
    w, b = _fold_bn(conv.weight.data, sd, 'bn')
    x = torch.randn(2, 4, 7, 7)
    assert torch.allclose(torch.nn.functional.conv2d(x, w, b), bn(conv(x)), atol=1e-5)


def test_pretrained_lite0_loads_and_is_frozen():
    net = build_backbone('lite0')
    assert not any(p.requires_grad for p in net.parameters())
    with torch.no_grad():
        y = net(net.normalize(torch.full((1, 3, 107, 107), 128.0)))
    assert y.shape == (1, 112, 14, 14) and torch.isfinite(y).all()


def test_head_forward_and_binary_loss_hand_case():
    params = init_head_params(18, 4, torch.Generator().manual_seed(0))
    assert {k: tuple(v.shape) for k, v in params.items()} == {
        'fc4.weight': (4, 18), 'fc4.bias': (4,), 'fc5.weight': (4, 4), 'fc5.bias': (4,),
        'fc6.weight': (2, 4), 'fc6.bias': (2,)}
    assert head_forward(torch.randn(3, 18), params).shape == (3, 2)
    pos, neg = torch.tensor([[0.0, 0.0]]), torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    assert abs(binary_loss(pos, neg).item() - np.log(2)) < 1e-6  # every sample at p = 0.5


def _data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(64, 18, generator=g) + 1, torch.randn(300, 18, generator=g) - 1


def test_meta_step_with_constant_rates_equals_plain_sgd():
    """Learned steps alpha = lr everywhere must reproduce SGD without momentum / decay / clipping."""
    pos, neg = _data()
    cfg = AdaptationConfig(iters_init=4, lr_init=1e-2, lr_mult={}, momentum=0.0, weight_decay=0.0,
                           grad_clip=1e9, dropout=0.0, batch_neg_cand=96)  # no mining: float ties could pick other negatives
    theta = init_head_params(18, 8, torch.Generator().manual_seed(1))
    sgd = Adapter(cfg, {'init': SGDStep(cfg)}, np.random.default_rng(5)).adapt(
        {k: v.clone() for k, v in theta.items()}, pos, neg, 'init')
    alphas = constant_alphas(theta, cfg.adapted, 4, 1, 1e-2)
    meta = Adapter(cfg, {'init': MetaStep(alphas)}, np.random.default_rng(5)).adapt(
        {k: v.clone() for k, v in theta.items()}, pos, neg, 'init')
    for k in theta:
        assert torch.allclose(sgd[k], meta[k], atol=1e-5), k
        assert not torch.equal(sgd[k], theta[k]), k


def test_every_step_mines_its_hard_negatives_with_the_weights_of_that_step(monkeypatch):
    """Learned steps return a new dict each step; mining must use theta_k, not the stage's theta_0
    (RT-MDNet mines with the current weights). A step that flips fc6 reverses the ranking, so with
    stale weights steps 1 and 2 would train on the easiest negatives of theta_k."""
    import metartt_tracker.adaptation as ad
    pos, neg = _data()
    cfg = AdaptationConfig(iters_init=3, batch_neg_cand=len(neg), batch_neg=8, batch_test=4096, dropout=0.0)
    seen_params, seen_neg_logits = [], []

    def flip(params, grads, stage, it):
        seen_params.append({k: v.detach().clone() for k, v in params.items()})
        return {k: (-v if k.startswith('fc6') else v).detach().requires_grad_(True) for k, v in params.items()}

    def recording_loss(pos_logits, neg_logits):
        seen_neg_logits.append(neg_logits.detach()[:, 1])
        return binary_loss(pos_logits, neg_logits)

    monkeypatch.setattr(ad, 'binary_loss', recording_loss)
    theta = init_head_params(18, 8, torch.Generator().manual_seed(3))
    Adapter(cfg, {'init': flip}, np.random.default_rng(0)).adapt(theta, pos, neg, 'init')
    assert len(seen_params) == len(seen_neg_logits) == 3
    for k, (params, logits) in enumerate(zip(seen_params, seen_neg_logits)):
        with torch.no_grad():
            hardest = head_forward(neg, params)[:, 1].topk(8).values  # candidates = all negatives
        assert torch.allclose(logits.sort(descending=True).values, hardest), f'step {k} mined with stale weights'


def test_adaptation_lowers_the_loss_and_only_touches_adapted_layers():
    pos, neg = _data()
    cfg = AdaptationConfig(iters_init=20, lr_init=1e-2, adapted=('fc5', 'fc6'))
    theta = init_head_params(18, 8, torch.Generator().manual_seed(2))
    before = {k: v.clone() for k, v in theta.items()}
    after = Adapter(cfg, {'init': SGDStep(cfg)}, np.random.default_rng(0), torch.Generator().manual_seed(0)).adapt(
        theta, pos, neg, 'init')
    with torch.no_grad():
        l0 = binary_loss(head_forward(pos, before), head_forward(neg, before))
        l1 = binary_loss(head_forward(pos, after), head_forward(neg, after))
    assert l1 < l0
    assert torch.equal(after['fc4.weight'], before['fc4.weight'])
    assert not torch.equal(after['fc6.weight'], before['fc6.weight'])


def test_meta_step_refuses_more_steps_than_it_learned():
    pos, neg = _data()
    theta = init_head_params(18, 8)
    cfg = AdaptationConfig(iters_init=3)
    adapter = Adapter(cfg, {'init': MetaStep(constant_alphas(theta, cfg.adapted, 2, 2, 1e-3))}, np.random.default_rng(0))
    with pytest.raises(ValueError, match='only 2 learned step sizes'):
        adapter.adapt(theta, pos, neg, 'init')


def test_meta_steps_are_differentiable_wrt_the_step_sizes():
    pos, neg = _data()
    cfg = AdaptationConfig(iters_init=2, dropout=0.0, batch_neg_cand=96)
    theta = {k: v.requires_grad_(True) for k, v in init_head_params(18, 8).items()}
    alphas = constant_alphas(theta, cfg.adapted, 2, 1, 1e-2)
    for step in alphas['init']:
        for v in step.values():
            v.requires_grad_(True)
    out = Adapter(cfg, {'init': MetaStep(alphas, create_graph=True)}, np.random.default_rng(0), create_graph=True).adapt(
        dict(theta), pos, neg, 'init')
    loss = binary_loss(head_forward(pos, out), head_forward(neg, out))
    g = torch.autograd.grad(loss, [alphas['init'][0]['fc6.weight'], theta['fc4.weight']])
    assert all(torch.isfinite(x).all() and x.abs().sum() > 0 for x in g)


def test_meta_step_clips_the_global_gradient_norm_like_sgd():
    """||theta_1 - theta_0|| = alpha * max_norm when the gradient norm exceeds max_norm (constant alpha)."""
    theta = init_head_params(18, 8, torch.Generator().manual_seed(4))
    alphas = constant_alphas(theta, ('fc4', 'fc5', 'fc6'), 1, 1, 0.5)
    grads = {k: torch.full_like(v, 3.0) for k, v in theta.items()}
    norm = float(torch.sqrt(sum((g * g).sum() for g in grads.values())))
    assert norm > 10
    for clip, want in ((10.0, 0.5 * 10.0), (None, 0.5 * norm), (1e9, 0.5 * norm)):
        out = MetaStep(alphas, grad_clip=clip)(dict(theta), grads, 'init', 0)
        moved = float(torch.sqrt(sum(((out[k].detach() - theta[k]) ** 2).sum() for k in theta)))
        assert moved == pytest.approx(want, rel=1e-4), clip
