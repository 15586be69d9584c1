"""Training the one-shot pruning network (paper §4, Eq. 9-12) with the meta-learned theta fixed.

Each iteration simulates one episode with the meta-trained tracker (no gradients), predicts
B = psi(D_init; theta_init^K, phi) and minimises Eq. 11 over the trajectory:
L_lasso(D_init; theta_init^K) + sum_k L_lasso(D_on; theta_on^k) + L_lasso(D_test; theta_on^K).
Ablations: `prune_meta=False` keeps only the first-frame term (Table 3 "no meta-learning"),
`prune_static=True` learns one video-independent mask (Table 3 "no adaptive pruning").

Our addition: lambda is steered multiplicatively towards `prune_target` (the paper's 50 % prune
rate) instead of being hand-tuned; the paper only says lambda controls the sparsity. With
`prune_per_layer`, each masked layer has its own lambda, started at the value that would prune that
rate of the layer one channel at a time (`pruning.calibrated_lambdas` on the first episode's D_init)
and steered to that rate.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from ..backbones import build_backbone
from ..checkpoint import load_checkpoint, save_checkpoint
from ..device import describe
from ..version import code_version
from ..data import Sequence
from ..fileio import atomic_write
from ..pruning import (RECONSTRUCTIONS, PruningNetwork, calibrated_lambdas, channel_costs, lasso_loss, layer_prune_rates,
                       network_to_dict, pooled_inputs, prune_rate, widths_for)
from .config import MetaConfig
from .episodes import EpisodeRunner, Trajectory
from .features import FeatureCache
from .placement import training_device
from .trainer import RUNTIME_ONLY

STATE = 'prune_state.pt'
SUBSAMPLE = 256  # samples of each dataset entering the LASSO reconstruction term
# A static mask is one free parameter per channel: Adam moves it by about lr a step, so at prune_lr it cannot
# cross the threshold (1 -> 0.1) within a run, lambda ramps unanswered and the layers then collapse at once
# (issue 16: 82 % removed). The MLP's masks respond through all its weights; the static one gets this gain.
STATIC_LR_GAIN = 20.0
LAMBDA_GAIN = 0.02  # per-step multiplicative lambda correction: slow next to psi's response time


def _subsample(x: Tensor, rng: np.random.Generator) -> Tensor:
    return x if len(x) <= SUBSAMPLE else x[torch.from_numpy(rng.choice(len(x), SUBSAMPLE, replace=False)).to(x.device)]


def episode_loss(tau: Trajectory, masks: dict[str, Tensor], lam: float | dict[str, float], whole_episode: bool,
                 rng: np.random.Generator, recon: str = 'norm') -> Tensor:
    """Eq. 11 (or only its first-frame term)."""
    d_init = _subsample(torch.cat(tau.d_init), rng)
    loss = lasso_loss(d_init, tau.theta_init, masks, lam, recon)
    if whole_episode and tau.d_on is not None:
        d_on = _subsample(torch.cat(tau.d_on), rng)
        for theta in tau.thetas_on:
            loss = loss + lasso_loss(d_on, theta, masks, lam, recon)
        d_test = _subsample(torch.cat([tau.test.pos, tau.test.neg, tau.test.hard]), rng)
        loss = loss + lasso_loss(d_test, tau.thetas_on[-1], masks, lam, recon)
    return loss


def layer_targets(widths: dict[str, int], total: float, fixed: dict[str, float] | None) -> dict[str, float]:
    """Per-layer prune rates: `fixed` ones as given, the others one shared rate such that the
    channel-weighted mean over all layers is `total` (what `pruning.prune_rate` measures)."""
    fixed = dict(fixed or {})
    unknown = sorted(set(fixed) - set(widths))
    if unknown:
        raise ValueError(f'prune_layer_targets names {unknown}; the masked layers are {sorted(widths)}')
    bad = {k: v for k, v in fixed.items() if not (isinstance(v, (int, float)) and 0.0 <= v < 1.0)}
    if bad:
        raise ValueError(f'prune_layer_targets {bad}: each rate must be a number in [0, 1)')
    free = [k for k in widths if k not in fixed]
    if not free:
        raise ValueError(f'prune_layer_targets fixes every layer; leave at least one to meet prune_target={total}')
    left = total * sum(widths.values()) - sum(v * widths[k] for k, v in fixed.items())
    shared = left / sum(widths[k] for k in free)
    if not 0.0 <= shared < 1.0:
        raise ValueError(f'prune_layer_targets {fixed} with prune_target={total} leaves the layers {free} '
                         f'a rate of {shared:.3f}, outside [0, 1)')
    return {k: float(fixed.get(k, shared)) for k in widths}


class PruneTrainer:
    """Trains psi for a meta-trained checkpoint; `run()` writes a `metartt-prune` checkpoint."""

    def __init__(self, cfg: MetaConfig, train: list[Sequence], meta_checkpoint: str | Path,
                 out_dir: str | Path) -> None:
        if cfg.prune_recon not in RECONSTRUCTIONS:
            raise ValueError(f'prune_recon={cfg.prune_recon!r}: choose one of {RECONSTRUCTIONS}')
        if cfg.prune_per_layer and cfg.prune_target is None:
            raise ValueError('prune_per_layer needs prune_target: each layer\'s lambda is calibrated and steered to it')
        if cfg.prune_layer_targets and not cfg.prune_per_layer:
            raise ValueError(f'prune_layer_targets={cfg.prune_layer_targets} needs prune_per_layer=true (one lambda '
                             'per layer); with one lambda also pass --set prune_layer_targets=null '
                             '(the compact recipe sets targets)')
        self.cfg, self.out, self.target = cfg, Path(out_dir), cfg.prune_target
        if cfg.threads > 0:
            torch.set_num_threads(cfg.threads)
        self.device = training_device(cfg.device)
        self.meta = load_checkpoint(meta_checkpoint)
        self.tcfg = self.meta.config
        self.theta0 = {k: v.to(self.device) for k, v in self.meta.head_params.items()}
        self.alphas = {st: [{k: v.to(self.device) for k, v in a.items()} for a in steps]
                       for st, steps in self.meta.alphas.items()}
        backbone = build_backbone(self.tcfg.backbone, pretrained=self.meta.backbone_state is None)
        if self.meta.backbone_state is not None:
            backbone.load_state_dict(self.meta.backbone_state)
        backbone = backbone.to(self.device)
        print(f'prune-train on {describe(self.device)}', file=sys.stderr)
        self.source = FeatureCache(train, backbone, cfg.frames_per_video, cfg.context, cfg.max_scene, cfg.seed,
                                   desc='caching train maps')
        self.runner = EpisodeRunner(cfg.replace(online_stage=True), self.tcfg, self.source)
        self.widths = widths_for(backbone.out_channels, self.tcfg.fc_width)
        self.layer_targets = (layer_targets(self.widths, cfg.prune_target, cfg.prune_layer_targets)
                              if cfg.prune_per_layer else None)
        self.net = PruningNetwork(self.widths, cfg.prune_hidden, cfg.prune_dropout, cfg.prune_static,
                                  cfg.prune_straight_through).to(self.device)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=cfg.prune_lr * (STATIC_LR_GAIN if cfg.prune_static else 1))
        self.lam: float | dict[str, float] = cfg.prune_lambda  # per-layer: calibrated on the first episode
        self.iteration, self.log = 0, []
        self._resume()

    def _resume(self) -> None:
        path = self.out / STATE
        if path.is_file():
            s = torch.load(path, map_location='cpu', weights_only=False)
            now = self.cfg.to_dict()
            if any(v != now.get(k) for k, v in s['config'].items() if k not in RUNTIME_ONLY):
                raise ValueError(f'{path}: was written with different settings; use another output folder')
            self.net.load_state_dict(s['net'])
            self.opt.load_state_dict(s['adam'])
            self.lam, self.iteration, self.log = s['lam'], s['iteration'], s['log']

    def _save(self) -> None:
        state = {'config': self.cfg.to_dict(), 'net': self.net.state_dict(), 'adam': self.opt.state_dict(),
                 'lam': self.lam, 'iteration': self.iteration, 'log': self.log}
        atomic_write(self.out / STATE, lambda tmp: torch.save(state, tmp))
        atomic_write(self.out / 'prune_log.json', json.dumps(self.log))

    def step(self) -> dict[str, Any]:
        """One episode, one Adam step on phi, one lambda adjustment."""
        c, e = self.cfg, self.iteration
        rng = np.random.default_rng((c.seed, 2 ** 30, e))
        gen = torch.Generator(device=self.device).manual_seed(c.seed * 7919 + e)
        vi = self.source.usable[int(rng.integers(len(self.source.usable)))]
        with torch.no_grad():
            tau = self.runner.simulate(self.theta0, self.alphas, vi, rng, gen, create_graph=False)
        tau = _detached(tau)
        if c.prune_per_layer and not isinstance(self.lam, dict):
            costs = channel_costs(_subsample(torch.cat(tau.d_init), rng), tau.theta_init, c.prune_recon)
            self.lam = calibrated_lambdas(costs, self.layer_targets, c.prune_threshold, c.prune_recon)
        self.net.train()
        masks = self.net(pooled_inputs(torch.cat(tau.d_init), tau.theta_init))
        loss = episode_loss(tau, masks, self.lam, c.prune_meta, rng, c.prune_recon)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        detached = {k: m.detach() for k, m in masks.items()}
        rate, layer_rates = prune_rate(detached, c.prune_threshold), layer_prune_rates(detached, c.prune_threshold)
        if self.target is not None:
            self.lam = self._steer(self.lam, rate, layer_rates)
        self.iteration += 1
        return {'iteration': self.iteration, 'loss': loss.item(), 'prune_rate': rate, 'lambda': self.lam,
                'layer_rates': layer_rates}

    def _steer(self, lam: float | dict[str, float], rate: float,
               layer_rates: dict[str, float]) -> float | dict[str, float]:
        """Multiplicative step of lambda (or of each layer's lambda) towards the target prune rate."""
        if isinstance(lam, dict):
            t = self.layer_targets
            return {k: v * math.exp(LAMBDA_GAIN * (t[k] - layer_rates[k])) for k, v in lam.items()}
        return lam * math.exp(LAMBDA_GAIN * (self.target - rate))

    def run(self) -> Path:
        """Train to `prune_iters` steps (continuing a saved state) and write the checkpoint."""
        c = self.cfg
        bar = tqdm(total=c.prune_iters, initial=self.iteration, desc='prune-train', unit='step')
        session = 0
        while self.iteration < c.prune_iters:
            row = self.step()
            self.log.append(row)
            lam = row['lambda']
            bar.set_postfix(loss=f"{row['loss']:.3f}", rate=f"{row['prune_rate']:.2f}",
                            lam='/'.join(f'{v:.3g}' for v in lam.values()) if isinstance(lam, dict) else f'{lam:.3g}')
            bar.update(1)
            if self.iteration % c.ckpt_every == 0 or self.iteration == c.prune_iters:
                self._save()
            session += 1
            if c.stop_after and session >= c.stop_after and self.iteration < c.prune_iters:
                self._save()
                bar.close()
                return self.out / STATE  # the same command continues from here
        bar.close()
        return self.export()

    def export(self, path: str | Path | None = None) -> Path:
        cfg = self.tcfg.replace(variant='metartt-prune',
                                **{'pruning.enabled': True, 'pruning.threshold': self.cfg.prune_threshold})
        ck = self.meta
        ck.config = cfg
        ck.pruning = network_to_dict(self.net.eval(), self.widths, self.cfg.prune_hidden, self.cfg.prune_dropout)
        ck.recipe = {**ck.recipe, 'pruning': {**self.cfg.to_dict(), 'ran_on': describe(self.device), 'final_lambda': self.lam,
                                              'iterations': self.iteration, 'target_rate': self.target,
                                              'layer_targets': self.layer_targets}}
        ck.code_version, ck.created = code_version(), ''
        return save_checkpoint(ck, Path(path) if path else self.out / 'metartt-prune.pt')


def _detached(tau: Trajectory) -> Trajectory:
    """The trajectory with plain (non-inference, grad-free) tensors, so phi can be trained on it."""
    def d(p: dict[str, Tensor]) -> dict[str, Tensor]:
        return {k: v.detach().clone() for k, v in p.items()}
    t = tau.test
    return Trajectory(tuple(x.clone() for x in tau.d_init), d(tau.theta_init),
                      tuple(x.clone() for x in tau.d_on) if tau.d_on is not None else None,
                      [d(p) for p in tau.thetas_on], type(t)(t.pos.clone(), t.neg.clone(), t.hard.clone()),
                      tau.target_iou)
