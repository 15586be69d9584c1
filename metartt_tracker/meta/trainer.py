"""The meta-training loop (Algorithm 1): episodes -> L_meta -> Adam on M = {theta_0, A_init, A_on}.

Resumable and reproducible: episode e draws all its randomness from (seed, e), and the state file
holds the meta-parameters, Adam's state and the logs, so a killed run restarted with the same
command continues to the same result as an uninterrupted one on the CPU (on a GPU, backward passes that
accumulate with atomics vary in the last bits from run to run); a run may also resume on another device or
world size, which changes float rounding only. Data-parallel across
processes (`torchrun`; NCCL on GPUs, gloo on CPUs, `placement.py`): each rank runs a share of every
meta-batch on its own device and the gradients are summed with all_reduce before the Adam step.
The second-order meta-gradient stays in float32.
"""
from __future__ import annotations

import csv
import io
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor
from tqdm import tqdm

from ..backbones import build_backbone
from ..device import describe
from ..checkpoint import Checkpoint, save_checkpoint
from ..version import code_version
from ..config import TrackerConfig, variant_config
from ..data import Sequence
from ..fileio import atomic_write
from ..model import init_head_params
from .config import MetaConfig
from .episodes import EpisodeRunner
from .features import EpisodeFrames, FeatureCache, LiveFeatures
from .placement import training_device
from .stepsizes import overall_median_change, step_size_stats

STATE = 'state.pt'
BEST = 'metartt_best.pt'  # tracker checkpoint of the lowest validation meta-loss so far
RUNTIME_ONLY = {'threads', 'ckpt_every', 'snapshot_every', 'device', 'dist_backend', 'workers', 'stop_after'}  # settings a resumed
#   run may change without changing its result (beyond float rounding on another device)


def init_alphas(theta: dict[str, Tensor], cfg: MetaConfig, adapted: tuple[str, ...]) -> dict[str, list[dict[str, Tensor]]]:
    """Step sizes of the requested shape, all `alpha_init`: per parameter and iteration, or one scalar."""
    names = [n for n in theta if n.split('.')[0] in adapted]
    if cfg.lr_shape == 'scalar':
        s = torch.tensor(cfg.alpha_init, device=next(iter(theta.values())).device, requires_grad=True)
        return {'init': [{n: s for n in names} for _ in range(cfg.k_init)],
                'update': [{n: s for n in names} for _ in range(cfg.k_on)]}
    if cfg.lr_shape != 'per-param':
        raise ValueError(f'unknown lr_shape {cfg.lr_shape!r}')

    def one() -> dict[str, Tensor]:
        return {n: torch.full_like(theta[n], cfg.alpha_init).requires_grad_(True) for n in names}
    return {'init': [one() for _ in range(cfg.k_init)], 'update': [one() for _ in range(cfg.k_on)]}


def _unique(tensors: list[Tensor]) -> list[Tensor]:
    seen, out = set(), []
    for t in tensors:
        if id(t) not in seen:
            seen.add(id(t))
            out.append(t)
    return out


def alpha_leaves(alphas: dict[str, list[dict[str, Tensor]]]) -> list[Tensor]:
    """The distinct learnable step-size tensors, in a fixed order."""
    return _unique([a[n] for stage in ('init', 'update') for a in alphas[stage] for n in sorted(a)])


def expanded_alphas(alphas: dict[str, list[dict[str, Tensor]]], theta: dict[str, Tensor]) -> dict[str, list[dict[str, Tensor]]]:
    """Detached full-shape copies (a scalar step becomes a filled tensor) for the tracker checkpoint."""
    return {stage: [{n: a[n].detach().expand_as(theta[n]).clone() for n in a} for a in steps]
            for stage, steps in alphas.items()}


class MetaTrainer:
    """Trains MetaRTT's meta-parameters on annotated videos; `run()` returns the checkpoint path."""

    def __init__(self, cfg: MetaConfig, train: list[Sequence], val: list[Sequence], out_dir: str | Path,
                 tracker_cfg: TrackerConfig | None = None, data_names: list[str] | None = None) -> None:
        self.cfg, self.out = cfg, Path(out_dir)
        self.rank = dist.get_rank() if dist.is_initialized() else 0
        self.world = dist.get_world_size() if dist.is_initialized() else 1
        if cfg.threads > 0:
            torch.set_num_threads(cfg.threads)
        # the tracker variant these meta-parameters are for: MetaRTT, or Meta-Tracker without the online stage
        self.tcfg = tracker_cfg or variant_config('metartt' if cfg.online_stage else 'metatracker', backbone=cfg.backbone)
        self.device = training_device(cfg.device)
        self.backbone = build_backbone(cfg.backbone).to(self.device)
        if self.rank == 0:
            print(f'meta-train on {describe(self.device)}, {self.world} process(es)'
                  + (f', {dist.get_backend()}' if self.world > 1 else ''), file=sys.stderr)
        self.data_names = data_names or [v.name for v in train]
        # episodes=0 exports the untrained meta-parameters (the baseline of "does meta-training help?")
        self.train_src = self._source(train, 'train') if cfg.episodes > 0 else None
        self.val_src = self._source(val, 'val') if val and cfg.episodes > 0 else None
        self.runner = EpisodeRunner(cfg, self.tcfg, self.train_src)
        self.val_runner = EpisodeRunner(cfg, self.tcfg, self.val_src) if self.val_src else None
        self._init_params()
        self.iteration, self.log, self.val_log = 0, [], []
        self._resume()

    def _source(self, videos: list[Sequence], desc: str) -> Any:
        c = self.cfg
        if c.recipe == 'compact' or not c.meta_backbone:
            return FeatureCache(videos, self.backbone, c.frames_per_video, c.context, c.max_scene, c.seed,
                                desc=f'caching {desc} maps')
        return LiveFeatures(videos, self.backbone, c.context, c.max_scene)

    def _prefetch(self) -> None:
        """Full recipe: decode the frames of this rank's coming episodes in DataLoader workers."""
        c = self.cfg
        if not isinstance(self.train_src, LiveFeatures) or c.workers <= 0:
            return
        episodes = [it * c.meta_batch + b for it in range(self.iteration, self.total_iterations)
                    for b in range(c.meta_batch) if b % self.world == self.rank]
        self.train_src.prefetch(EpisodeFrames(self.train_src, c.seed, episodes), c.workers)

    def _init_params(self) -> None:
        c = self.cfg
        feat_dim = self.backbone.out_channels * 9
        self.theta = {k: v.to(self.device).requires_grad_(True) for k, v in  # drawn on the CPU: same start anywhere
                      init_head_params(feat_dim, self.tcfg.fc_width, torch.Generator().manual_seed(c.seed)).items()}
        self.alphas = init_alphas(self.theta, c, self.tcfg.adaptation.adapted)
        self.bb_params = ({k: v.detach().clone().requires_grad_(True) for k, v in self.backbone.named_parameters()}
                          if c.meta_backbone else None)
        groups = [{'params': list(self.theta.values()), 'lr': c.lr}, {'params': alpha_leaves(self.alphas), 'lr': c.alpha_lr}]
        if self.bb_params:
            groups.append({'params': list(self.bb_params.values()), 'lr': c.lr})
        self.opt = torch.optim.Adam(groups)

    # ------------------------------------------------------------ persistence
    def _state(self) -> dict[str, Any]:
        return {'iteration': self.iteration, 'config': self.cfg.to_dict(),
                'theta': {k: v.detach() for k, v in self.theta.items()},
                'alphas': [t.detach() for t in alpha_leaves(self.alphas)],
                'backbone': {k: v.detach() for k, v in self.bb_params.items()} if self.bb_params else None,
                'adam': self.opt.state_dict(), 'log': self.log, 'val_log': self.val_log}

    def _save_state(self) -> None:
        if self.rank != 0:
            return
        state = self._state()
        atomic_write(self.out / STATE, lambda tmp: torch.save(state, tmp))
        self._write_logs()

    def _resume(self) -> None:
        path = self.out / STATE
        if not path.is_file():
            return
        s = torch.load(path, map_location='cpu', weights_only=False)
        changed = sorted(k for k in s['config'] if k not in RUNTIME_ONLY and not k.startswith('prune')
                         and s['config'][k] != self.cfg.to_dict().get(k))  # pruning fields: PruneTrainer's
        if changed:
            raise ValueError(f'{path}: was written with different settings ({", ".join(changed)}); '
                             f'use another output folder or the same settings')
        with torch.no_grad():
            for k, v in s['theta'].items():
                self.theta[k].copy_(v)
            for t, v in zip(alpha_leaves(self.alphas), s['alphas']):
                t.copy_(v)
            if self.bb_params:
                for k, v in s['backbone'].items():
                    self.bb_params[k].copy_(v)
        self.opt.load_state_dict(s['adam'])
        self.iteration, self.log, self.val_log = s['iteration'], s['log'], s['val_log']

    def _write_logs(self) -> None:
        for name, rows in (('log', self.log), ('val_log', self.val_log)):
            if rows:
                keys = sorted({k for r in rows for k in r})
                buf = io.StringIO()
                w = csv.DictWriter(buf, keys)
                w.writeheader()
                w.writerows(rows)
                atomic_write(self.out / f'{name}.csv', buf.getvalue())
                atomic_write(self.out / f'{name}.json', json.dumps(rows))

    # ----------------------------------------------------------------- training
    @property
    def total_iterations(self) -> int:
        return math.ceil(self.cfg.episodes / self.cfg.meta_batch)

    def _episode(self, runner: EpisodeRunner, e: int, videos: list[int], create_graph: bool) -> tuple[Tensor, dict]:
        rng = np.random.default_rng((self.cfg.seed, e))  # EpisodeFrames replays these draws: keep them in step
        gen = torch.Generator(device=self.device).manual_seed(self.cfg.seed * 1_000_003 + e)
        vi = videos[int(rng.integers(len(videos)))]
        return runner.run(self.theta, self.alphas, vi, rng, gen, self.bb_params, create_graph)

    def _step(self) -> dict[str, float]:
        c, it = self.cfg, self.iteration
        leaves = [p for g in self.opt.param_groups for p in g['params']]
        stats: list[dict] = []
        for b in range(c.meta_batch):
            if b % self.world != self.rank:
                continue
            loss, s = self._episode(self.runner, it * c.meta_batch + b, self.train_src.usable, True)
            grads = torch.autograd.grad(loss / c.meta_batch, leaves, allow_unused=True)
            for p, g in zip(leaves, grads):
                if g is not None:
                    p.grad = g if p.grad is None else p.grad + g
            stats.append(s)
        if self.world > 1:
            for p in leaves:
                if p.grad is None:
                    p.grad = torch.zeros_like(p)
                dist.all_reduce(p.grad)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        if c.alpha_min is not None:
            with torch.no_grad():
                for a in alpha_leaves(self.alphas):
                    a.clamp_(min=c.alpha_min)
        self.iteration += 1
        return _mean(self._gather(stats))

    def _gather(self, stats: list[dict]) -> list[dict]:
        if self.world == 1:
            return stats
        out: list[list[dict]] = [None] * self.world  # type: ignore[list-item]
        dist.all_gather_object(out, stats)
        return [s for part in out for s in part]

    def validate(self) -> dict[str, float]:
        """Fixed episodes on the held-out videos (same seeds every time), no meta-update."""
        if self.val_runner is None:
            return {}
        stats = []
        for k in range(self.cfg.val_episodes):
            rng = np.random.default_rng((self.cfg.seed, 2 ** 31, k))  # a stream no training episode uses
            vi = self.val_src.usable[k % len(self.val_src.usable)]
            gen = torch.Generator(device=self.device).manual_seed(k)
            with torch.enable_grad():
                _, s = self.val_runner.run(self.theta, self.alphas, vi, rng, gen, self.bb_params, create_graph=False)
            stats.append(s)
        return _mean(stats)

    def train_step(self) -> dict[str, float]:
        """One Adam step plus its log row, validation and checkpoint when due."""
        c = self.cfg
        t0 = time.perf_counter()
        row = self._step()
        row.update(iteration=self.iteration, episodes=self.iteration * c.meta_batch,
                   seconds=round(time.perf_counter() - t0, 3))
        self.log.append(row)
        last = self.iteration == self.total_iterations
        if self.val_runner and self.rank == 0 and (self.iteration % c.val_every == 0 or last):
            self._validate_and_keep_best()
        if c.snapshot_every and self.iteration % c.snapshot_every == 0:
            self.export(self.out / 'snapshots' / f'metartt_{self.iteration * c.meta_batch:06d}.pt')
        if self.iteration % c.ckpt_every == 0 or last:
            self._save_state()
        return row

    def _validate_and_keep_best(self) -> None:
        """Log one validation pass; export `metartt_best.pt` when its meta-loss is the lowest so far.

        Early stopping for small training sets: the compact recipe over-fits 37 videos long before
        its last episode, and the best validation state is the checkpoint worth tracking with.
        """
        earlier = [r['loss'] for r in self.val_log if 'loss' in r]
        row = {'iteration': self.iteration, 'episodes': self.iteration * self.cfg.meta_batch, **self.validate()}
        self.val_log.append(row)
        if 'loss' in row and (not earlier or row['loss'] < min(earlier)):
            self.export(self.out / BEST)

    def run(self) -> Path:
        """Train to the configured number of episodes (continuing a saved state) and export."""
        bar = tqdm(total=self.total_iterations, initial=self.iteration, desc='meta-train', unit='step',
                   disable=self.rank != 0)
        if self.iteration == 0 and self.val_runner and self.rank == 0 and not self.val_log:
            self._validate_and_keep_best()
        self._prefetch()
        session = 0
        while self.iteration < self.total_iterations:
            row = self.train_step()
            bar.set_postfix(loss=f"{row['loss']:.3f}", acc=f"{row.get('on_acc', row['init_acc']):.3f}")
            bar.update(1)
            session += 1
            if self.cfg.stop_after and session >= self.cfg.stop_after and self.iteration < self.total_iterations:
                self._save_state()
                bar.close()
                return self.out / STATE  # the same command continues from here
        bar.close()
        return self.export()

    def export(self, path: str | Path | None = None) -> Path:
        """The tracker checkpoint (core format) of the current meta-parameters."""
        c = self.cfg
        over = {'adaptation.iters_init': c.k_init, 'adaptation.mode': 'meta' if c.online_stage else 'meta-init'}
        if c.online_stage:  # learned online steps too; Meta-Tracker keeps its variant's online SGD schedule
            over['adaptation.iters_update'] = c.k_on
        cfg = self.tcfg.replace(**over)
        theta = {k: v.detach().clone() for k, v in self.theta.items()}
        alphas = expanded_alphas(self.alphas, theta)
        ck = Checkpoint(cfg, theta, {k: v.detach().clone() for k, v in self.bb_params.items()} if self.bb_params else None,
                        alphas,
                        recipe={**c.to_dict(), 'iterations': self.iteration, 'episodes_run': self.iteration * c.meta_batch,
                                'world_size': self.world, 'ran_on': describe(self.device), 'step_sizes': step_size_stats(alphas, c.alpha_init),
                                'step_size_median_change': overall_median_change(alphas, c.alpha_init)},
                        data=self.data_names, code_version=code_version())
        path = Path(path) if path else self.out / 'metartt.pt'
        if self.rank == 0:
            save_checkpoint(ck, path)
            self._write_logs()
        return path


def _mean(rows: list[dict]) -> dict[str, float]:
    keys = sorted({k for r in rows for k in r})
    return {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys}
