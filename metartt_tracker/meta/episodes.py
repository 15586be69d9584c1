"""One simulated tracking episode (paper §3, Algorithm 1) and its test losses (Eq. 1, 4-7).

Frames 1..6 of one video: frame 1 gives D_init from the ground truth (RT-MDNet's sampling rules),
K_init learned steps adapt theta_0; in frames 2-5 the adapted model scores candidates around the
ground truth and the best one is the *estimated* target that D_on is sampled around (noisy
labels, as in real tracking); K_on learned steps continue from theta^{K_init}; frame 6 gives
D_test^std from the ground truth and other videos' ground-truth patches give D_test^hard.
L_test = CE(D_test^std) + gamma * triplet(D_test) and L_meta = L_test(theta_init^K) + L_test(theta_on^K),
differentiated through both stages (`create_graph=True`, Eq. 8).

The inner steps reuse the tracker's own `Adapter` (same minibatches, hard-negative mining and
dropout as at tracking time), so what is meta-learned is exactly what the tracker executes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..adaptation import Adapter, MetaStep
from ..config import TrackerConfig
from ..model import Params, binary_loss, head_forward
from ..overlap import box_iou
from ..sampling import draw, sample
from .config import MetaConfig
from .features import FrameFeatures, roi


@dataclass
class TestSet:
    """D_test: positives / negatives of frame 6 and hard negatives from other videos."""

    pos: Tensor
    neg: Tensor
    hard: Tensor


def triplet_loss(pos_out: Tensor, hard_out: Tensor, margin: float, rng: np.random.Generator) -> Tensor:
    """Eq. 5-6: mean of (xi + d(x, x+) - d(x, x-))_+ with d the distance of L2-normalised outputs;
    x, x+ are two positives of D_test^std, x- a hard example."""
    if len(pos_out) < 2 or len(hard_out) == 0:
        return pos_out.sum() * 0.0
    p = F.normalize(pos_out, dim=1)
    h = F.normalize(hard_out, dim=1)
    n = len(p)
    partner = torch.from_numpy((np.arange(n) + rng.integers(1, n, size=n)) % n).to(p.device)  # never itself
    negative = torch.from_numpy(rng.integers(len(h), size=n)).to(p.device)
    d_pos = (p - p[partner]).norm(dim=1)
    d_neg = (p - h[negative]).norm(dim=1)
    return F.relu(margin + d_pos - d_neg).mean()


def test_loss(theta: Params, test: TestSet, cfg: MetaConfig, rng: np.random.Generator) -> tuple[Tensor, dict[str, float]]:
    """Eq. 4 on D_test (no dropout), plus accuracies for the logs."""
    pos_out, neg_out = head_forward(test.pos, theta), head_forward(test.neg, theta)
    loss = binary_loss(pos_out, neg_out)
    stats = {'ce': loss.item(), 'acc': float(torch.cat([pos_out.argmax(1) == 1, neg_out.argmax(1) == 0]).float().mean())}
    if cfg.use_hard_examples and cfg.gamma > 0 and len(test.hard):
        hard_out = head_forward(test.hard, theta)
        tri = triplet_loss(pos_out, hard_out, cfg.margin, rng)
        loss = loss + cfg.gamma * tri
        stats['triplet'] = tri.item()
        stats['hard_acc'] = float((hard_out.argmax(1) == 0).float().mean())
    return loss, stats


class EpisodeRunner:
    """Samples the datasets of an episode and runs both adaptation stages with learned steps."""

    def __init__(self, cfg: MetaConfig, tracker_cfg: TrackerConfig, source: Any) -> None:
        self.cfg, self.tcfg, self.source = cfg, tracker_cfg, source
        self.adapt_cfg = dataclasses.replace(tracker_cfg.adaptation, iters_init=cfg.k_init, iters_update=cfg.k_on)

    def _feats(self, ff: FrameFeatures, spec: Any, centre: np.ndarray, n: int, rng: np.random.Generator) -> Tensor:
        boxes = sample(spec, centre, ff.size, rng, n=n, min_size=self.tcfg.sampling.min_box_size)
        return roi(self.source.backbone, ff, boxes, self.tcfg.geometry.roi_padding)

    def _estimate(self, theta: Params, ff: FrameFeatures, rng: np.random.Generator) -> np.ndarray:
        """The best-scoring candidate around the ground truth: the target the tracker would report."""
        sp = self.tcfg.sampling
        cands = draw('gaussian', ff.box, self.cfg.n_candidates, ff.size, rng, sp.trans_candidates,
                     sp.scale_candidates, valid=True, min_size=sp.min_box_size)
        with torch.no_grad():
            scores = head_forward(roi(self.source.backbone, ff, cands, self.tcfg.geometry.roi_padding), theta)[:, 1]
        return cands[int(scores.argmax())]

    def test_set(self, ff: FrameFeatures, vi: int, rng: np.random.Generator) -> TestSet:
        sp, c = self.tcfg.sampling, self.cfg
        return TestSet(self._feats(ff, sp.pos_init, ff.box, c.n_pos_test, rng),
                       self._feats(ff, sp.neg_init, ff.box, c.n_neg_test, rng),
                       self.source.hard_examples(vi, c.n_hard if c.use_hard_examples else 0, rng))

    def simulate(self, theta0: Params, alphas: dict, vi: int, rng: np.random.Generator, generator: torch.Generator,
                 backbone_params: dict[str, Tensor] | None = None, create_graph: bool = True) -> Trajectory:
        """Datasets and parameters of one episode on video vi (the paper's trajectory tau)."""
        c, sp = self.cfg, self.tcfg.sampling
        frames = self.source.episode_frames(vi, rng, 6, backbone_params)
        thetas_on: list[Params] = []
        init_step = MetaStep(alphas, create_graph=create_graph, grad_clip=self.adapt_cfg.grad_clip)
        on_step = _Recording(init_step, thetas_on)
        adapter = Adapter(self.adapt_cfg, {'init': init_step, 'update': on_step}, rng, generator, create_graph)
        f0 = frames[0]
        d_init = (self._feats(f0, sp.pos_init, f0.box, c.n_pos_init, rng), self._feats(f0, sp.neg_init, f0.box, c.n_neg_init, rng))
        theta_init = adapter.adapt(dict(theta0), *d_init, 'init')
        test = self.test_set(frames[5], vi, rng)
        if not c.online_stage:
            return Trajectory(d_init, theta_init, None, [], test, float('nan'))
        targets = [self._estimate(theta_init, f, rng) if c.use_estimated_targets else f.box for f in frames[1:5]]
        d_on = (torch.cat([self._feats(f, sp.pos_update, t, sp.pos_update.n, rng) for f, t in zip(frames[1:5], targets)]),
                torch.cat([self._feats(f, sp.neg_update, t, sp.neg_update.n, rng) for f, t in zip(frames[1:5], targets)]))
        theta_on = adapter.adapt(theta_init, *d_on, 'update')
        if not thetas_on:  # no online data: the online stage left theta unchanged
            thetas_on.append(theta_on)
        target_iou = float(np.mean([box_iou(t[None], f.box)[0] for t, f in zip(targets, frames[1:5])]))
        return Trajectory(d_init, theta_init, d_on, thetas_on, test, target_iou)

    def run(self, theta0: Params, alphas: dict, vi: int, rng: np.random.Generator, generator: torch.Generator,
            backbone_params: dict[str, Tensor] | None = None, create_graph: bool = True) -> tuple[Tensor, dict[str, float]]:
        """L_meta of one episode on video vi (Eq. 7), and its statistics."""
        tau = self.simulate(theta0, alphas, vi, rng, generator, backbone_params, create_graph)
        loss, stats = test_loss(tau.theta_init, tau.test, self.cfg, rng)
        stats = {f'init_{k}': v for k, v in stats.items()}
        if tau.thetas_on:
            loss_on, on_stats = test_loss(tau.thetas_on[-1], tau.test, self.cfg, rng)
            loss = loss + loss_on
            stats.update({f'on_{k}': v for k, v in on_stats.items()})
            stats['on_target_iou'] = tau.target_iou
        stats['loss'] = loss.item()
        return loss, stats


@dataclass
class Trajectory:
    """tau = (D_init, D_on, D_test, theta_init^K, theta_on^1..K) of one episode."""

    d_init: tuple[Tensor, Tensor]  # positive, negative RoI features of frame 1
    theta_init: Params  # after K_init steps
    d_on: tuple[Tensor, Tensor] | None  # from the estimated targets of frames 2-5 (None: no online stage)
    thetas_on: list[Params]  # after each online step
    test: TestSet  # frame 6 plus hard examples
    target_iou: float  # mean IoU of the estimated targets with the ground truth


class _Recording:
    """A step rule that also keeps every parameter set it produces."""

    def __init__(self, step: MetaStep, sink: list[Params]) -> None:
        self.step, self.sink = step, sink

    def __call__(self, params: Params, grads: dict[str, Tensor], stage: str, it: int,
                 clip_grads: dict[str, Tensor] | None = None) -> Params:
        out = self.step(params, grads, stage, it, clip_grads)
        self.sink.append(out)
        return out
