"""Step-size statistics and plot of a MetaRTT checkpoint (issue 16: did the step sizes learn?).

    .venv/bin/python reports/2026-12-01-stepsizes/plot_steps.py weights/metartt.pt 0.03 \
        reports/2026-12-01-stepsizes/shipped_lite0.png > reports/2026-12-01-stepsizes/shipped_lite0.txt
"""
import sys

from metartt_tracker.checkpoint import load_checkpoint
from metartt_tracker.meta.stepsizes import overall_median_change, plot_step_sizes, step_size_stats

if __name__ == '__main__':
    path, alpha_init, png = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    ck = load_checkpoint(path)
    alphas = {st: [{k: v.float() for k, v in s.items()} for s in steps] for st, steps in ck.alphas.items()}
    rows = step_size_stats(alphas, alpha_init)
    print(f'{path}: median |alpha - {alpha_init}| / {alpha_init} over all step sizes = '
          f'{overall_median_change(alphas, alpha_init):.4f}')
    print(f"{'stage':<7}{'k':>2} {'param':<11}{'mean':>9}{'p5':>9}{'p95':>9}{'median rel. change':>20}")
    for r in rows:
        print(f"{r['stage']:<7}{r['iteration']:>2} {r['param']:<11}{r['mean']:>9.4f}{r['p5']:>9.4f}{r['p95']:>9.4f}"
              f"{r['median_rel_change']:>20.3f}")
    plot_step_sizes(rows, png, f'{path} ({ck.config.backbone})')
