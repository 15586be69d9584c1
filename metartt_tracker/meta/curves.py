"""Learning curves of a meta-training run (meta-loss and accuracies per episode) as PNG."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def _smooth(y: np.ndarray, k: int) -> np.ndarray:
    if len(y) < k or k < 2:
        return y
    return np.convolve(y, np.ones(k) / k, mode='valid')


def plot_curves(out_dir: Path) -> Path | None:
    """Plot `log.json` / `val_log.json` of a run into `curves.png`; None if matplotlib is absent."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    log = json.loads((out_dir / 'log.json').read_text()) if (out_dir / 'log.json').exists() else []
    val = json.loads((out_dir / 'val_log.json').read_text()) if (out_dir / 'val_log.json').exists() else []
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.2))
    if log:
        ep = np.array([r['episodes'] for r in log])
        k = max(1, len(log) // 50)
        for key in ('loss', 'init_ce', 'on_ce'):
            if key in log[0]:
                y = _smooth(np.array([r[key] for r in log]), k)
                ax[0].plot(ep[len(ep) - len(y):], y, label=f'train {key}')
    if val and 'loss' in val[0]:
        ax[0].plot([r['episodes'] for r in val], [r['loss'] for r in val], 'o-', label='val loss')
        best = min(val, key=lambda r: r['loss'])  # the state metartt_best.pt holds
        ax[0].axvline(best['episodes'], color='gray', ls=':', lw=1, label=f"best val: {best['episodes']} episodes")
    ax[0].set_xlabel('episodes')
    ax[0].set_title('meta-loss')
    ax[0].legend(fontsize=7)
    for key in ('init_acc', 'on_acc', 'init_hard_acc', 'on_hard_acc'):
        if val and key in val[0]:
            ax[1].plot([r['episodes'] for r in val], [r[key] for r in val], 'o-', label=key)
    ax[1].set_xlabel('episodes')
    ax[1].set_title('validation accuracy on D_test')
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    path = out_dir / 'curves.png'
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
