"""Meta-training: meta-gradients against finite differences, ablation switches, losses, resume."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from metartt_tracker.config import variant_config
from metartt_tracker.meta.config import ABLATIONS, recipe
from metartt_tracker.meta.episodes import EpisodeRunner, triplet_loss
from metartt_tracker.meta.features import FrameFeatures
from metartt_tracker.meta.trainer import init_alphas
from metartt_tracker.model import init_head_params
from metartt_tracker.scene import Scene

C, WIDTH = 2, 4  # a tiny network: 2-channel maps -> 18-d RoI features -> 4 -> 4 -> 2


class TinySource:
    """Six random float64 frames of one video plus hard examples, in the FeatureCache interface."""

    def __init__(self, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.backbone = SimpleNamespace(receptive_field=16.0, origin=0.0, stride=8, out_channels=C)
        box = np.array([40.0, 40.0, 20.0, 20.0])
        scene = Scene(np.array([0.0, 0.0, 100.0, 100.0]), np.array([1.0, 1.0]))
        self.frames = [FrameFeatures(torch.randn(1, C, 12, 12, generator=g, dtype=torch.float64), scene, box, (100, 100))
                       for _ in range(6)]
        self.hard = torch.randn(8, C * 9, generator=g, dtype=torch.float64)
        self.usable = [0]

    def episode_frames(self, vi, rng, k=6, params=None):
        return self.frames[:k]

    def hard_examples(self, vi, n, rng):
        return self.hard[:n]


def _tiny(**kw):
    cfg = recipe('compact', alpha_init=1e-3, k_init=2, k_on=2, n_pos_init=16, n_neg_init=24, n_candidates=16, n_pos_test=8,
                 n_neg_test=8, n_hard=8, **kw)
    tcfg = variant_config('metartt').replace(**{'adaptation.dropout': 0.0, 'adaptation.batch_pos': 8,
                                                'adaptation.batch_neg': 12, 'adaptation.batch_neg_cand': 12,
                                                'sampling.pos_update.n': 8, 'sampling.neg_update.n': 12})
    runner = EpisodeRunner(cfg, tcfg, TinySource())
    theta = {k: v.double().requires_grad_(True) for k, v in
             init_head_params(C * 9, WIDTH, torch.Generator().manual_seed(3)).items()}
    alphas = init_alphas(theta, cfg, tcfg.adaptation.adapted)
    alphas = {s: [{n: (a.detach().double() * 50).requires_grad_(True) for n, a in st.items()} for st in steps]
              for s, steps in alphas.items()}
    return cfg, runner, theta, alphas


def _loss(runner, theta, alphas):
    return runner.run(theta, alphas, 0, np.random.default_rng(11), torch.Generator().manual_seed(0))[0]


@pytest.mark.parametrize('name, stage, step', [('fc6.weight', 'init', 0), ('fc4.weight', 'init', 1),
                                               ('fc5.bias', 'update', 0), ('fc6.bias', 'update', 1)])
def test_meta_gradient_matches_finite_differences(name, stage, step):
    """Eq. 8: gradients reach theta_0 and both stages' step sizes through both adaptations."""
    cfg, runner, theta, alphas = _tiny()
    leaf_a, leaf_t = alphas[stage][step][name], theta[name]
    ga, gt = torch.autograd.grad(_loss(runner, theta, alphas), [leaf_a, leaf_t])
    eps = 1e-6
    for leaf, grad in ((leaf_a, ga), (leaf_t, gt)):
        idx = tuple(int(i) for i in np.unravel_index(int(grad.abs().argmax()), grad.shape))
        with torch.no_grad():
            leaf[idx] += eps
            up = _loss(runner, theta, alphas).item()
            leaf[idx] -= 2 * eps
            down = _loss(runner, theta, alphas).item()
            leaf[idx] += eps
        fd = (up - down) / (2 * eps)
        assert abs(grad[idx].item() - fd) < 1e-6 + 1e-4 * abs(fd), (name, stage, grad[idx].item(), fd)
        assert abs(fd) > 1e-8


def test_online_step_sizes_get_no_gradient_without_the_online_stage():
    cfg, runner, theta, alphas = _tiny(online_stage=False)
    g = torch.autograd.grad(_loss(runner, theta, alphas), [alphas['update'][0]['fc6.weight']], allow_unused=True)[0]
    assert g is None


def test_ablation_switches_change_exactly_what_they_name():
    base = recipe('compact').to_dict()
    for name, switches in ABLATIONS.items():
        changed = {k for k, v in recipe('compact', name).to_dict().items() if base[k] != v}
        assert changed == set(switches), name


def test_estimated_targets_switch_uses_ground_truth(monkeypatch):
    seen = []
    cfg, runner, theta, alphas = _tiny(use_estimated_targets=False)
    monkeypatch.setattr(runner, '_estimate', lambda *a: seen.append(1))
    stats = runner.run(theta, alphas, 0, np.random.default_rng(0), torch.Generator().manual_seed(0))[1]
    assert not seen and stats['on_target_iou'] == 1.0
    cfg, runner, theta, alphas = _tiny()
    stats = runner.run(theta, alphas, 0, np.random.default_rng(0), torch.Generator().manual_seed(0))[1]
    assert stats['on_target_iou'] < 1.0


def test_hard_examples_switch_drops_the_triplet_term():
    _, runner, theta, alphas = _tiny(use_hard_examples=False)
    stats = runner.run(theta, alphas, 0, np.random.default_rng(0), torch.Generator().manual_seed(0))[1]
    assert 'init_triplet' not in stats
    _, runner, theta, alphas = _tiny()
    stats = runner.run(theta, alphas, 0, np.random.default_rng(0), torch.Generator().manual_seed(0))[1]
    assert stats['init_triplet'] >= 0


def test_scalar_lr_is_one_shared_learnable_number():
    theta = init_head_params(18, 4)
    cfg = recipe('compact', 'scalar-lr')
    a = init_alphas(theta, cfg, ('fc4', 'fc5', 'fc6'))
    leaves = {id(t) for st in a.values() for d in st for t in d.values()}
    assert len(leaves) == 1 and next(iter(a['init'][0].values())).dim() == 0


def test_triplet_loss_hand_case():
    rng = np.random.default_rng(0)
    pos = torch.tensor([[1.0, 0.0], [2.0, 0.0]])  # both normalise to (1, 0): d(x, x+) = 0
    hard_far = torch.tensor([[-1.0, 0.0]])  # distance 2 > margin -> no loss
    hard_near = torch.tensor([[3.0, 0.0]])  # distance 0 -> loss = margin
    assert triplet_loss(pos, hard_far, 0.5, rng).item() == 0.0
    assert abs(triplet_loss(pos, hard_near, 0.5, rng).item() - 0.5) < 1e-7
    hard_side = torch.tensor([[0.0, 1.0]])  # distance sqrt(2)
    assert abs(triplet_loss(pos, hard_side, 2.0, rng).item() - (2.0 - 2 ** 0.5)) < 1e-6


def test_step_size_statistics_by_hand(tmp_path):
    """Per (stage, k, parameter) mean / spread / median relative change, and the overall median."""
    import torch
    from metartt_tracker.meta.stepsizes import overall_median_change, plot_step_sizes, step_size_stats
    alphas = {'init': [{'fc6.bias': torch.tensor([0.03, 0.06]), 'fc6.weight': torch.full((2, 3), 0.015)}],
              'update': [{'fc6.bias': torch.tensor([0.03, 0.03])}]}
    rows = {(r['stage'], r['iteration'], r['param']): r for r in step_size_stats(alphas, 0.03)}
    assert rows[('init', 1, 'fc6.bias')]['mean'] == pytest.approx(0.045)
    assert rows[('init', 1, 'fc6.bias')]['median_rel_change'] == pytest.approx(0.0)  # torch: lower median of (0, 1)
    assert rows[('init', 1, 'fc6.weight')]['median_rel_change'] == pytest.approx(0.5)
    assert rows[('update', 1, 'fc6.bias')]['std'] == pytest.approx(0.0, abs=1e-9) and len(rows) == 3
    # the 10 changes sorted: 0, 0, 0, 0.5 x 6, 1 -> (lower) median 0.5
    assert overall_median_change(alphas, 0.03) == pytest.approx(0.5)
    png = plot_step_sizes(list(rows.values()), tmp_path / 'steps.png')
    assert png is None or png.stat().st_size > 1000
