"""Cross-check `--convention pytracking*` against pytracking's own analysis code on real result files.

pytracking cannot be pip-installed; this script runs its `pytracking/analysis/extract_results.py` as
published (a copy outside this repo, e.g. from a clone of github.com/visionml/pytracking) with two
stand-in modules for the imports that only set paths (`env_settings`, `load_text`), on result files
written by `metartt run` (got10k layout), and prints the largest difference of every curve.

    git -C PYTRACKING show HEAD:pytracking/analysis/extract_results.py > /tmp/extract_results.py
    .venv/bin/python reports/2026-12-01-toolkits/pytracking_crosscheck.py /tmp/extract_results.py \\
        ../shared/data/sot val.txt results/meta16_val/sot/ope/metartt 1
"""
from __future__ import annotations

import importlib.util
import sys
import tempfile
import types
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from metartt_tracker.data.benchmarks import open_benchmark
from metartt_tracker.evaluation import metrics as M
from metartt_tracker.evaluation.scoring import ResultSource

MODES = {  # our convention -> pytracking's dataset tag, whether NaN GT is allowed, whether flags are passed
    'pytracking': ('otb', False, False),
    'pytracking-uav': ('uav', True, False),
    'pytracking-lasot': ('lasot', False, True),
}


def load_pytracking(path: str, plot_dir: str) -> types.ModuleType:
    """pytracking's extract_results module, with its two path-only imports stood in for."""
    load_text = types.ModuleType('pytracking.utils.load_text')
    load_text.load_text = lambda p, delimiter, dtype: np.loadtxt(p, delimiter=',', dtype=dtype)
    env = types.ModuleType('pytracking.evaluation.environment')
    env.env_settings = lambda: SimpleNamespace(result_plot_path=plot_dir)
    for name in ('pytracking', 'pytracking.utils', 'pytracking.evaluation'):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules.update({load_text.__name__: load_text, env.__name__: env})
    spec = importlib.util.spec_from_file_location('pytracking_extract_results', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(extract_py: str, dataset: str, split: str, row_dir: str, repetition: str = '1') -> None:
    bench = list(open_benchmark(dataset, split=split))
    src = ResultSource(Path(row_dir).name, Path(row_dir), 'got10k')
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        pyt = load_pytracking(extract_py, tmp)
        for conv, (tag, nan_ok, flags) in MODES.items():
            seqs, ours = [], []
            for seq in bench:
                gt = np.asarray(seq.boxes, float)
                if np.isnan(gt).any() and not nan_ok:
                    if tag != 'lasot':
                        continue  # pytracking refuses NaN ground truth outside 'uav'
                    gt = np.nan_to_num(gt)  # LaSOT writes 0,0,0,0 for an absent target
                visible = None
                if flags:
                    visible = np.ones(len(gt), bool) if seq.visible is None else np.asarray(seq.visible, bool)
                boxes, _ = src.read_ope(seq.name, int(repetition))
                np.savetxt(Path(tmp) / f'{seq.name}.txt', boxes, delimiter=',', fmt='%.4f')
                boxes = np.loadtxt(Path(tmp) / f'{seq.name}.txt', delimiter=',')  # the same rounded file for both
                seqs.append(SimpleNamespace(name=seq.name, ground_truth_rect=gt, dataset=tag,
                                            target_visible=None if visible is None else visible.astype(np.uint8)))
                ours.append(M.ope_curves(boxes, gt, conv, visible))
            tracker = SimpleNamespace(results_dir=tmp, name='metartt', parameter_name='row', run_id=None,
                                      display_name='MetaRTT')
            data = pyt.extract_results([tracker], seqs, f'check_{tag}', plot_bin_gap=0.05)
            for key, field in (('ave_success_rate_plot_overlap', 'success'), ('ave_success_rate_plot_center', 'precision'),
                               ('ave_success_rate_plot_center_norm', 'norm_precision')):
                theirs = np.array(data[key])[:, 0, :]
                mine = np.array([getattr(c, field) for c in ours])
                diff = float(np.abs(theirs - mine).max())
                worst = max(worst, diff)
                auc = f'; AUC theirs {100 * theirs.mean():.4f} ours {100 * mine.mean():.4f}' if field == 'success' else ''
                print(f'{conv:17s} {len(seqs):2d} sequences  {field:15s} max |diff| {diff:.2e}{auc}')
    print(f'largest difference {worst:.2e}')
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == '__main__':
    main(*sys.argv[1:])
