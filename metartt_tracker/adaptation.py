"""Adapting the fc layers to one video: RT-MDNet's momentum SGD or MetaRTT's learned steps.

Both share RT-MDNet's minibatch schedule (tracker.py `train`): walk through concatenated random
permutations of the positives (32 per step) and negatives (1024 candidates per step), keep the
96 hardest candidates (highest target logit under the current weights theta_k, scored without
dropout), and take one step on the binary loss. Only the step differs:

- `SGDStep`: SGD with momentum 0.9, weight decay 5e-4, fc6 lr x10, global grad-norm clip 10;
  the momentum buffers persist across calls, as RT-MDNet reuses one optimiser per stage.
- `MetaStep`: theta_k = theta_{k-1} - alpha_k * grad (paper Eq. 2-3), one learned tensor alpha_k
  per parameter and per iteration, separately for the initial ('init') and online ('update') stage.
  The gradient is clipped to the same global norm as RT-MDNet's SGD (the paper is silent): online
  updates repeat hundreds of times per video, and without the clip a run of failed frames can grow
  the weights geometrically until they overflow (seen on OTB Crossing: NaN from frame 56).

`steps_for` picks the rule per stage: 'sgd' (RT-MDNet), 'meta' (MetaRTT) or 'meta-init'
(Meta-Tracker: learned first-frame steps, SGD online).
"""
from __future__ import annotations

from typing import Iterator, Protocol

import numpy as np
import torch
from torch import Tensor

from .config import AdaptationConfig
from .model import Params, binary_loss, head_forward

STAGES = ('init', 'update')


def _index_stream(n: int, per_step: int, steps: int, rng: np.random.Generator) -> np.ndarray:
    """RT-MDNet: concatenate permutations of range(n) until steps*per_step indices exist."""
    reps = -(-per_step * steps // n)
    return np.concatenate([rng.permutation(n) for _ in range(max(reps, 1))])


def minibatches(pos: Tensor, neg: Tensor, steps: int, cfg: AdaptationConfig,
                rng: np.random.Generator) -> Iterator[tuple[Tensor, Tensor]]:
    """Yield (positive batch, negative candidates) per step; `hard_negatives` then picks the hardest
    candidates with the weights of that step."""
    n_cand = max(cfg.batch_neg_cand, cfg.batch_neg)
    pos_idx = torch.from_numpy(_index_stream(len(pos), cfg.batch_pos, steps, rng)).to(pos.device, non_blocking=True)
    neg_idx = torch.from_numpy(_index_stream(len(neg), n_cand, steps, rng)).to(neg.device, non_blocking=True)
    for it in range(steps):  # the whole update's indices crossed to the device in two copies
        yield (pos[pos_idx[it * cfg.batch_pos:(it + 1) * cfg.batch_pos]], neg[neg_idx[it * n_cand:(it + 1) * n_cand]])


def hard_negatives(params: Params, candidates: Tensor, cfg: AdaptationConfig) -> Tensor:
    """RT-MDNet's hard-negative mining: the `batch_neg` candidates with the highest target logit under
    `params` (no dropout, no gradient), scored in chunks of `batch_test`."""
    if len(candidates) <= cfg.batch_neg:
        return candidates
    with torch.no_grad():
        score = torch.cat([head_forward(candidates[s:s + cfg.batch_test], params)[:, 1]
                           for s in range(0, len(candidates), cfg.batch_test)])
    return candidates[score.topk(cfg.batch_neg).indices]


class Step(Protocol):
    """One parameter update from gradients; `it` is the iteration index within the call. The gradient
    clip is computed on `clip_grads` when given (the masked network's gradients of a pruned one)."""

    def __call__(self, params: Params, grads: dict[str, Tensor], stage: str, it: int,
                 clip_grads: dict[str, Tensor] | None = None) -> Params: ...


def clip_factor(grads: dict[str, Tensor], max_norm: float | None) -> Tensor | float:
    """RT-MDNet's clip_grad_norm as a factor: min(1, max_norm / ||g||) over all gradients together."""
    if max_norm is None:
        return 1.0
    norm = torch.sqrt(sum((g * g).sum() for g in grads.values()))
    return torch.clamp(max_norm / (norm + 1e-6), max=1.0)


class SGDStep:
    """torch.optim.SGD semantics (momentum, dampening 0, weight decay) with per-layer lr multipliers."""

    in_place = True  # updates the given parameter tensors (callers wanting the old values must copy)

    def __init__(self, cfg: AdaptationConfig) -> None:
        self.cfg = cfg
        self.buffers: dict[str, dict[str, Tensor]] = {s: {} for s in STAGES}

    def _lr(self, name: str, stage: str) -> float:
        lr = self.cfg.lr_init if stage == 'init' else self.cfg.lr_update
        for prefix, mult in self.cfg.lr_mult.items():
            if name.startswith(prefix):
                lr *= mult
        return lr

    def __call__(self, params: Params, grads: dict[str, Tensor], stage: str, it: int,
                 clip_grads: dict[str, Tensor] | None = None) -> Params:
        clip = clip_factor(grads if clip_grads is None else clip_grads, self.cfg.grad_clip)  # stays on the device
        bufs = self.buffers[stage]
        with torch.no_grad():
            for name, g in grads.items():
                p = params[name]
                d = g * clip + self.cfg.weight_decay * p
                if name in bufs:
                    bufs[name].mul_(self.cfg.momentum).add_(d)
                else:
                    bufs[name] = d.clone()
                p.sub_(self._lr(name, stage) * bufs[name])
        return params


class MetaStep:
    """theta <- theta - alpha[stage][it][name] * clip * grad; differentiable when `create_graph`.

    `grad_clip` (None = off) bounds the global gradient norm like `SGDStep` does.
    """

    in_place = False  # returns new tensors; the given ones stay valid

    def __init__(self, alphas: dict[str, list[dict[str, Tensor]]], create_graph: bool = False,
                 grad_clip: float | None = None) -> None:
        self.alphas = alphas
        self.create_graph = create_graph
        self.grad_clip = grad_clip

    def __call__(self, params: Params, grads: dict[str, Tensor], stage: str, it: int,
                 clip_grads: dict[str, Tensor] | None = None) -> Params:
        steps = self.alphas[stage]
        if it >= len(steps):
            raise ValueError(f'{stage} adaptation asked for step {it + 1}, but only {len(steps)} '
                             f'learned step sizes exist (K_{stage} = {len(steps)})')
        alpha = steps[it]
        clip = clip_factor(grads if clip_grads is None else clip_grads, self.grad_clip)
        new = dict(params)
        for name, g in grads.items():
            new[name] = params[name] - alpha[name] * (g * clip)
            if not self.create_graph:
                new[name] = new[name].detach().requires_grad_(True)
        return new


class Adapter:
    """Runs minibatch updates of the adapted layers with one `Step` rule per stage.

    `grad_scale` (pruned heads, `pruning.fold_scales`): parameters are S * those of a masked network;
    the steps then clip on S * g and update with S^2 * g, which is exactly the masked network's step.
    """

    def __init__(self, cfg: AdaptationConfig, steps: dict[str, Step], rng: np.random.Generator,
                 generator: torch.Generator | None = None, create_graph: bool = False,
                 grad_scale: Params | None = None) -> None:
        self.cfg = cfg
        self.steps = steps
        self.rng = rng
        self.generator = generator
        self.create_graph = create_graph
        self.grad_scale = grad_scale

    def adapt(self, params: Params, pos: Tensor, neg: Tensor, stage: str) -> Params:
        """Adapt `params` to positive / negative RoI features; returns the updated dict."""
        if stage not in STAGES:
            raise ValueError(f'unknown adaptation stage {stage!r}')
        if len(pos) == 0 or len(neg) == 0:
            return params
        steps = self.cfg.iters_init if stage == 'init' else self.cfg.iters_update
        names = [n for n in params if n.split('.')[0] in self.cfg.adapted]
        for name in names:
            if not params[name].requires_grad:
                params[name] = params[name].detach().requires_grad_(True)
        with torch.enable_grad():
            for it, (pb, cand) in enumerate(minibatches(pos, neg, steps, self.cfg, self.rng)):
                nb = hard_negatives(params, cand, self.cfg)  # mined with theta_k, as RT-MDNet does
                loss = binary_loss(head_forward(pb, params, self.cfg.dropout, self.generator),
                                   head_forward(nb, params, self.cfg.dropout, self.generator))
                grads = dict(zip(names, torch.autograd.grad(loss, [params[n] for n in names],
                                                            create_graph=self.create_graph)))
                if self.grad_scale is None:
                    params = self.steps[stage](params, grads, stage, it)
                else:
                    masked = {n: g * self.grad_scale[n] for n, g in grads.items()}
                    params = self.steps[stage](params, {n: g * self.grad_scale[n] for n, g in masked.items()},
                                               stage, it, clip_grads=masked)
        return params


def steps_for(cfg: AdaptationConfig, alphas: dict | None) -> dict[str, Step]:
    """The step rule of each stage for an adaptation mode ('sgd', 'meta' or 'meta-init')."""
    sgd = SGDStep(cfg)
    if cfg.mode == 'sgd':
        return {'init': sgd, 'update': sgd}
    if cfg.mode not in ('meta', 'meta-init'):
        raise ValueError(f'unknown adaptation mode {cfg.mode!r}')
    meta = MetaStep(alphas or {}, grad_clip=cfg.grad_clip)
    return {'init': meta, 'update': meta if cfg.mode == 'meta' else sgd}


def constant_alphas(params: Params, adapted: tuple[str, ...], k_init: int, k_update: int,
                    lr: float) -> dict[str, list[dict[str, Tensor]]]:
    """Step sizes of MetaRTT's shape filled with one value: the untrained starting point."""
    def one() -> dict[str, Tensor]:
        return {n: torch.full_like(p, lr) for n, p in params.items() if n.split('.')[0] in adapted}
    return {'init': [one() for _ in range(k_init)], 'update': [one() for _ in range(k_update)]}
