"""What the learned step sizes did: statistics per stage, iteration and layer, and their plot.

MetaRTT's claim rests on per-parameter step sizes that learn (paper Eq. 2-3). These numbers say
whether they did: for each (stage, iteration k, parameter tensor) the mean, the spread, and the
median relative change |alpha - alpha_init| / alpha_init. `MetaTrainer.export` stores them in the
checkpoint's recipe record (`step_sizes`); `plot_step_sizes` draws them for the model card.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..fileio import atomic_path


def step_size_stats(alphas: dict[str, list[dict[str, Tensor]]], alpha_init: float) -> list[dict[str, Any]]:
    """One row per (stage, iteration, parameter): mean, std, p5, p95, median relative change."""
    rows = []
    for stage, steps in alphas.items():
        for k, step in enumerate(steps):
            for name in sorted(step):
                a = step[name].detach().float().flatten()
                q = torch.quantile(a, torch.tensor([0.05, 0.95], device=a.device))  # (torch.quantile takes up to 16M values)
                change = (a - alpha_init).abs() / abs(alpha_init) if alpha_init else a.abs()
                rows.append({'stage': stage, 'iteration': k + 1, 'param': name, 'numel': a.numel(),
                             'mean': float(a.mean()), 'std': float(a.std()) if a.numel() > 1 else 0.0,
                             'p5': float(q[0]), 'p95': float(q[1]), 'median_rel_change': float(change.median())})
    return rows


def overall_median_change(alphas: dict[str, list[dict[str, Tensor]]], alpha_init: float) -> float:
    """Median over every step size of |alpha - alpha_init| / alpha_init (issue 16's acceptance figure)."""
    a = torch.cat([t.detach().float().flatten() for steps in alphas.values() for s in steps for t in s.values()])
    return float(((a - alpha_init).abs() / abs(alpha_init)).median())


def plot_step_sizes(rows: list[dict[str, Any]], path: str | Path, title: str = '') -> Path | None:
    """Mean and 5-95 % band of each parameter's step sizes per iteration, one panel per stage (PNG);
    None when matplotlib is absent."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    stages = sorted({r['stage'] for r in rows}, key=lambda s: (s != 'init', s))
    fig, axes = plt.subplots(1, len(stages), figsize=(4.5 * len(stages), 3.2), squeeze=False, sharey=True)
    for ax, stage in zip(axes[0], stages):
        for name in sorted({r['param'] for r in rows if r['stage'] == stage}):
            sel = sorted((r for r in rows if r['stage'] == stage and r['param'] == name), key=lambda r: r['iteration'])
            it = [r['iteration'] for r in sel]
            line, = ax.plot(it, [r['mean'] for r in sel], 'o-', ms=3, label=name)
            ax.fill_between(it, [r['p5'] for r in sel], [r['p95'] for r in sel], color=line.get_color(), alpha=0.15)
        ax.set_xlabel('iteration k')
        ax.set_title(f'{stage} steps')
        ax.set_xticks(sorted({r['iteration'] for r in rows if r['stage'] == stage}))
    axes[0][0].set_ylabel('step size (mean, 5-95 %)')
    axes[0][-1].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path, keep_suffix=True) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
    return path
