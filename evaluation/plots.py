"""Paper-style figures (PNG + PDF, one paper column wide): success / precision plots as in the paper's
Figures 2-3 (legend with AUC / precision@20, sorted), VOT EAO curve and EAO scores, accuracy vs FPS.

Solid lines mark trackers at or above `realtime_fps` on the machine that ran them, dashed ones
below it, as the paper separates real-time from slow trackers. Needs the `plots` extra.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metartt_tracker.fileio import atomic_write

from .metrics import PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS, Curves

COLUMN_WIDTH = 3.4  # inches: one column of a two-column paper
STYLE = {'font.size': 7, 'axes.titlesize': 8, 'legend.fontsize': 6, 'axes.linewidth': 0.6, 'lines.linewidth': 1.2,
         'grid.linewidth': 0.4, 'pdf.fonttype': 42, 'savefig.dpi': 300}


@dataclass(frozen=True)
class Entry:
    """One tracker in a figure."""

    label: str
    curves: Curves | None = None
    fps: float = float('nan')
    auc: float = float('nan')  # accuracy-vs-speed: the y value
    eao: float = float('nan')
    eao_curve: np.ndarray | None = None


def _figure(height: float = 2.6) -> tuple:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    plt.rcParams.update(STYLE)
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, height))
    ax.grid(True, alpha=0.4)
    return fig, ax


def _save(fig: object, stem: Path) -> list[Path]:
    import matplotlib.pyplot as plt
    paths = []
    for ext in ('png', 'pdf'):
        def save(tmp: Path, ext: str = ext) -> None:
            fig.savefig(tmp, format=ext, bbox_inches='tight')  # the temp name ends in .tmp: name the format
        paths.append(atomic_write(stem.with_suffix(f'.{ext}'), save))
    plt.close(fig)
    return paths


def _style(i: int, fps: float, realtime_fps: float) -> dict:
    slow = np.isfinite(fps) and fps < realtime_fps
    return {'color': f'C{i % 10}', 'linestyle': '--' if slow else '-'}


def _curve_plot(entries: list[Entry], stem: Path, which: str, title: str, realtime_fps: float) -> list[Path]:
    entries = [e for e in entries if e.curves is not None]
    score = (lambda e: e.curves.success.mean()) if which == 'success' else (lambda e: e.curves.precision[20])
    fig, ax = _figure()
    for i, e in enumerate(sorted(entries, key=score, reverse=True)):
        x = SUCCESS_THRESHOLDS if which == 'success' else PRECISION_THRESHOLDS
        ax.plot(x, getattr(e.curves, which), label=f'{e.label} [{score(e):.3f}]', **_style(i, e.fps, realtime_fps))
    xlabel, xlim = ('Overlap threshold', (0, 1)) if which == 'success' else ('Location error threshold (px)', (0, 50))
    ax.set(xlabel=xlabel, ylabel='Success rate' if which == 'success' else 'Precision', xlim=xlim, ylim=(0, 1),
           title=title)
    ax.legend(loc='lower left' if which == 'success' else 'lower right', frameon=True, framealpha=0.85)
    return _save(fig, stem)


def success_plot(entries: list[Entry], stem: Path, title: str = 'Success plots of OPE',
                 realtime_fps: float = 20.0) -> list[Path]:
    """Success rate vs overlap threshold; legend '[AUC]', best first."""
    return _curve_plot(entries, stem, 'success', title, realtime_fps)


def precision_plot(entries: list[Entry], stem: Path, title: str = 'Precision plots of OPE',
                   realtime_fps: float = 20.0) -> list[Path]:
    """Precision vs location error threshold; legend '[precision@20]', best first."""
    return _curve_plot(entries, stem, 'precision', title, realtime_fps)


def eao_curve_plot(entries: list[Entry], stem: Path, eao_range: tuple[int, int],
                   title: str = 'Expected overlap curves') -> list[Path]:
    """EAO against sequence length with the averaging range shaded; legend '[EAO]', best first."""
    fig, ax = _figure()
    ax.axvspan(*eao_range, color='0.9', zorder=0)
    for i, e in enumerate(sorted((e for e in entries if e.eao_curve is not None), key=lambda e: -np.nan_to_num(e.eao))):
        ax.plot(np.arange(len(e.eao_curve)), e.eao_curve, label=f'{e.label} [{e.eao:.3f}]', color=f'C{i % 10}')
    ax.set(xlabel='Sequence length', ylabel='Expected overlap', ylim=(0, 1), title=title)
    ax.legend(loc='upper right')
    return _save(fig, stem)


def eao_score_plot(entries: list[Entry], stem: Path, title: str = 'Expected average overlap') -> list[Path]:
    """EAO per tracker, ranked (VOT's score plot)."""
    ranked = sorted((e for e in entries if np.isfinite(e.eao)), key=lambda e: -e.eao)
    fig, ax = _figure()
    for i, e in enumerate(ranked):
        ax.plot(len(ranked) - i, e.eao, 'o', color=f'C{i % 10}', label=f'{e.label} [{e.eao:.3f}]')
    ax.set(xlabel='Rank (right = best)', ylabel='EAO', title=title, xticks=range(1, len(ranked) + 1))
    ax.legend(loc='best')
    return _save(fig, stem)


def speed_plot(entries: list[Entry], stem: Path, title: str = 'Accuracy vs speed', ylabel: str = 'Success AUC',
               realtime_fps: float = 20.0) -> list[Path]:
    """Accuracy against FPS (log scale) for every tracker with both numbers."""
    pts = [e for e in entries if np.isfinite(e.fps) and np.isfinite(e.auc)]
    fig, ax = _figure()
    ax.axvline(realtime_fps, color='0.6', linestyle=':', linewidth=0.8)
    for i, e in enumerate(pts):
        ax.plot(e.fps, e.auc, 'o', color=f'C{i % 10}', label=f'{e.label} [{e.fps:.1f} FPS]')
    if pts:
        from matplotlib.ticker import NullFormatter, ScalarFormatter
        ax.set_xscale('log')
        ax.xaxis.set_major_formatter(ScalarFormatter())  # plain 1, 10, 100: minor 2x10^1-style labels overlap
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel='Frames per second (log)', ylabel=ylabel, title=title)
    ax.legend(loc='best')
    return _save(fig, stem)


def radar_plot(values: dict[str, dict[str, float]], axes: list[str], stem: Path, title: str,
               value_label: str = 'Success AUC', limits: tuple[float, float] | None = None) -> list[Path]:
    """One closed polygon per tracker over attribute axes ({tracker: {axis: value}}; NaN axes drawn at the centre)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    plt.rcParams.update(STYLE)
    fig = plt.figure(figsize=(COLUMN_WIDTH, COLUMN_WIDTH))
    ax = fig.add_subplot(projection='polar')
    angles = np.linspace(0, 2 * np.pi, len(axes), endpoint=False)
    everything = [v for per in values.values() for v in per.values() if np.isfinite(v)]
    low, high = limits or (0.0, max(everything, default=1.0) * 1.05 or 1.0)
    for i, (label, per) in enumerate(values.items()):
        ys = np.array([per.get(a, np.nan) for a in axes], dtype=np.float64)
        ys = np.where(np.isfinite(ys), ys, low)
        ax.plot(np.append(angles, angles[0]), np.append(ys, ys[0]), color=f'C{i % 10}', label=label)
        ax.fill(np.append(angles, angles[0]), np.append(ys, ys[0]), color=f'C{i % 10}', alpha=0.08)
    ax.set_xticks(angles)
    ax.set_xticklabels(axes, fontsize=6)
    ax.set_ylim(low, high)
    ax.set_title(f'{title}\n({value_label})', pad=14)
    ax.legend(loc='upper right', bbox_to_anchor=(1.25, 1.12), fontsize=5)
    return _save(fig, stem)
