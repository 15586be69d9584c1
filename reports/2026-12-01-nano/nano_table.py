"""Issue 15 backbone table: val AUC per (sequence, seed) for nano / nano16 runs, paired against lite0.

lite0's per-(sequence, seed) AUCs are read from reports/2026-11-24-weights/table2_per_sequence.md
(seeds 0-4, the same code path: the consolidation left every box unchanged). Usage:

    .venv/bin/python reports/2026-12-01-nano/nano_table.py ../shared/data/sot val.txt results/nano_choice [results/...]
"""
import json
import sys
from pathlib import Path

import numpy as np

from metartt_tracker.data.benchmarks import open_benchmark
from metartt_tracker.evaluation import metrics as M
from metartt_tracker.evaluation.scoring import ResultSource

ROW_OVERRIDES = ('adaptation.iters_init', 'adaptation.iters_update')  # the row's own, not the experiment's
LITE0 = Path(__file__).resolve().parents[1] / '2026-11-24-weights' / 'table2_per_sequence.md'


def lite0_aucs(row: str) -> dict[str, list[float]]:
    lines = [l for l in LITE0.read_text().splitlines() if l.startswith('|')]
    col = [c.strip() for c in lines[0].strip('|').split('|')].index(row)
    out = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip('|').split('|')]
        if not cells[0].startswith('**'):
            out[cells[0]] = [float(v) for v in cells[col].split('/')]
    return out


def our_aucs(folder: Path, bench) -> tuple[dict[str, list[float]], list[float], list[float]]:
    src = ResultSource(folder.name, folder, 'got10k')
    per, fps, fps1 = {}, [], []
    for r in range(1, 6):
        times = []
        for seq in bench:
            boxes, t = src.read_ope(seq.name, r)
            per.setdefault(seq.name, []).append(100 * M.ope_curves(boxes, seq.boxes, 'metartt').scores()['auc'])
            times.append(t)
        fps.append(M.fps(times))
        fps1.append(M.fps(times, True))
    return per, fps, fps1


def main(dataset: str, split: str, *results: str) -> None:
    bench = open_benchmark(dataset, split=split)
    roots = [Path(r) / Path(dataset).name / 'ope' for r in results]
    for row in ('rtmdnet-5-5', 'rtmdnet'):
        base = lite0_aucs(row)
        base_means = np.mean([base[s.name] for s in bench], axis=0)
        print(f'\n{row}: lite0 AUC {base_means.mean():.1f} +- {base_means.std(ddof=1):.1f} (seeds 0-4, previous table)')
        for folder in sorted(f for root in roots for f in root.glob(f'{row}@*')):
            info = json.loads(next(folder.rglob('*_001_info.json')).read_text())
            backbone = ' '.join(f'{k.split(".")[-1]}={v}' for k, v in info['overrides'].items()
                                if k not in ROW_OVERRIDES)
            try:
                per, fps, fps1 = our_aucs(folder, bench)
            except (FileNotFoundError, OSError) as e:
                print(f'  {folder.name}: incomplete ({e})')
                continue
            means = np.mean([per[s.name] for s in bench], axis=0)
            diff = means - base_means
            print(f'  {backbone:28s} AUC {means.mean():.1f} +- {means.std(ddof=1):.1f}; paired vs lite0 '
                  f'{diff.mean():+.1f} +- {diff.std(ddof=1) / np.sqrt(len(diff)):.1f} (SE), ahead on '
                  f'{int((diff > 0).sum())}/5 seeds; FPS {np.mean(fps):.2f}, frames 2..N {np.mean(fps1):.2f}')
            for s in bench:
                d = np.array(per[s.name]) - np.array(base[s.name])
                print(f'    {s.name:18s} {np.mean(per[s.name]):5.1f} (lite0 {np.mean(base[s.name]):5.1f}, {d.mean():+5.1f})')


if __name__ == '__main__':
    main(*sys.argv[1:])
