"""Issue 15's backbone table over every seed on disk: AUC per (row, backbone or candidate, seed), paired.

Runs are read from `metartt run` result folders (got10k layout); each run's `_info.json` gives its
seed and overrides, so seeds 0-4 and 5-9 may sit in different folders. lite0's seeds 0-4 come from
the previous session's per-sequence table (reports/2026-11-24-weights/table2_per_sequence.md, same
code path); its seeds 5-9 from a folder like the others. A folder given as PATH:TAG adds TAG to the
label of its runs (a candidate whose change is not a config override).

    .venv/bin/python reports/2026-12-01-nano/table_10seeds.py ../shared/data/sot val.txt \\
        results/nano_choice results/seeds59_lite0 results/seeds59_nano16 results/seeds59_nano \\
        results/nano_aug results/nano16_aug0 results/nano16_origin:origin+5.5 > table_10seeds.txt
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from metartt_tracker.data.benchmarks import open_benchmark
from metartt_tracker.evaluation import metrics as M
from metartt_tracker.evaluation.scoring import ResultSource

ROWS = ('rtmdnet-5-5', 'rtmdnet')
ROW_OVERRIDES = ('adaptation.iters_init', 'adaptation.iters_update')  # the row's own, not a candidate's
LITE0 = Path(__file__).resolve().parents[1] / '2026-11-24-weights' / 'table2_per_sequence.md'

Runs = dict[tuple[str, str], dict[int, dict[str, float]]]  # (row, label) -> seed -> sequence -> AUC %


def lite0_previous(runs: Runs, names: list[str]) -> None:
    """Seeds 0-4 of lite0 from the previous table (per sequence 'a/b/c/d/e' cells)."""
    lines = [line for line in LITE0.read_text().splitlines() if line.startswith('|')]
    header = [c.strip() for c in lines[0].strip('|').split('|')]
    for row in ROWS:
        col = header.index(row)
        for line in lines[2:]:
            cells = [c.strip() for c in line.strip('|').split('|')]
            if cells[0] in names:
                for seed, v in enumerate(cells[col].split('/')):
                    runs[(row, 'lite0')].setdefault(seed, {})[cells[0]] = float(v)


def label_of(info: dict, tag: str) -> str:
    over = {k: v for k, v in info['overrides'].items() if k not in ROW_OVERRIDES}
    parts = [str(over.pop('backbone', 'lite0'))]  # runs before the switch: no override = lite0
    parts += [f'{k.split(".")[-1]}={v}' for k, v in sorted(over.items())]
    return ' '.join(parts + ([tag] if tag else []))


def read_folder(runs: Runs, fps: dict, arg: str, bench) -> None:
    path, _, tag = arg.partition(':')
    root = Path(path) / 'sot' / 'ope'
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        src = ResultSource(folder.name, folder, 'got10k')
        for info_path in sorted(folder.glob(f'{bench[0].name}/*_info.json')):
            info = json.loads(info_path.read_text())
            row, rep = info['variant'], info['repetition']
            if row not in ROWS:
                continue
            key, per, times = (row, label_of(info, tag)), {}, []
            try:
                for seq in bench:
                    boxes, t = src.read_ope(seq.name, rep)
                    per[seq.name] = 100 * M.ope_curves(boxes, seq.boxes, 'metartt').scores()['auc']
                    times.append(t)
            except (FileNotFoundError, OSError):
                continue  # this repetition is still running
            runs[key][info['seed']] = per
            fps[key][info['seed']] = (M.fps(times), M.fps(times, True))


def main(dataset: str, split: str, *folders: str) -> None:
    bench = list(open_benchmark(dataset, split=split))
    names = [s.name for s in bench]
    runs: Runs = defaultdict(dict)
    fps: dict = defaultdict(dict)
    lite0_previous(runs, names)
    for f in folders:
        read_folder(runs, fps, f, bench)
    for row in ROWS:
        print(f'\n## {row} (val, {len(names)} sequences; AUC % = mean over sequences, then mean +- std over seeds)')
        print('| backbone / candidate | seeds | AUC % | paired vs lite0 (SE), seeds | paired vs nano16 (SE), seeds | ahead of lite0 | FPS | FPS frames 2..N |')
        print('|---|---|---:|---:|---:|---:|---:|---:|')
        means = {lab: {s: np.mean([v[n] for n in names]) for s, v in runs[(r, lab)].items()}
                 for (r, lab) in list(runs) if r == row}
        for lab, m in sorted(means.items(), key=lambda kv: (kv[0] != 'lite0', kv[0])):
            seeds = sorted(m)
            vals = np.array([m[s] for s in seeds])

            def paired(ref: str) -> tuple[str, str]:
                common = [s for s in seeds if s in means.get(ref, {})]
                if ref == lab or len(common) < 2:
                    return '', ''
                d = np.array([m[s] - means[ref][s] for s in common])
                return (f'{d.mean():+.1f} +- {d.std(ddof=1) / np.sqrt(len(d)):.1f} (n={len(d)})', f'{int((d > 0).sum())}/{len(d)}')
            vs_lite0, ahead = paired('lite0')
            vs_nano16, _ = paired('nano16')
            f = [fps[(row, lab)][s] for s in seeds if s in fps[(row, lab)]]
            fps_cells = f'{np.mean([x[0] for x in f]):.2f} | {np.mean([x[1] for x in f]):.2f}' if f else '(previous table) | '
            span = f'{seeds[0]}-{seeds[-1]}' if seeds == list(range(seeds[0], seeds[-1] + 1)) else ','.join(map(str, seeds))
            print(f'| {lab} | {span} | {vals.mean():.1f} +- {vals.std(ddof=1):.1f} | {vs_lite0} | {vs_nano16} | '
                  f'{ahead} | {fps_cells} |')
        print(f'\nper sequence (mean over seeds):')
        labs = sorted(means, key=lambda x: (x != 'lite0', x))
        print('| sequence | ' + ' | '.join(labs) + ' |')
        print('|---|' + '---:|' * len(labs))
        for n in names:
            print(f'| {n} | ' + ' | '.join(f'{np.mean([v[n] for v in runs[(row, lab)].values()]):.1f}' for lab in labs) + ' |')


if __name__ == '__main__':
    main(*sys.argv[1:])
