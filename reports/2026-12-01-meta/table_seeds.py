"""Issue 16's tables over seeds: AUC per (label, seed), mean +- std over seeds, paired differences.

Each LABEL=DIR[,DIR...] names one table row and the `metartt run` row folders that hold its runs
(`results/X/sot/ope/<row key>`; seeds 0-4 and 5-9 may sit in different folders). A run is one
repetition: its `_info.json` gives the seed, the checkpoint and its sha256. A table row must come
from one checkpoint (checked). Paired differences are per seed, over the seeds both rows have;
SE = std of the differences / sqrt(n).

    .venv/bin/python reports/2026-12-01-meta/table_seeds.py ../shared/data/sot val.txt --ref MetaRTT \\
        "RT-MDNet 50/15=results/nano_choice/sot/ope/rtmdnet@b10384fb,results/seeds59_nano16/sot/ope/rtmdnet@b10384fb" \\
        "MetaRTT=results/t16/sot/ope/metartt"
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from metartt_tracker.data.benchmarks import open_benchmark
from metartt_tracker.evaluation import metrics as M
from metartt_tracker.evaluation.scoring import ResultSource


def read_row(folders: list[Path], bench) -> tuple[dict[int, dict[str, float]], dict[int, tuple[float, float]], set]:
    """seed -> sequence -> AUC %, seed -> (FPS, FPS frames 2..N), and the checkpoints' sha256 values."""
    auc, fps, shas = {}, {}, set()
    for folder in folders:
        src = ResultSource(folder.name, folder, 'got10k')
        for info_path in sorted(folder.glob(f'{bench[0].name}/*_info.json')):
            info = json.loads(info_path.read_text())
            per, times = {}, []
            try:
                for seq in bench:
                    boxes, t = src.read_ope(seq.name, info['repetition'])
                    per[seq.name] = 100 * M.ope_curves(boxes, seq.boxes, 'metartt').scores()['auc']
                    times.append(t)
            except (FileNotFoundError, OSError):
                continue  # this repetition is still running
            if info['seed'] in auc:
                raise SystemExit(f'{info_path}: seed {info["seed"]} appears twice in this row')
            auc[info['seed']], fps[info['seed']] = per, (M.fps(times), M.fps(times, True))
            shas.add(info.get('checkpoint_sha256'))
    return auc, fps, shas


def span(seeds: list[int]) -> str:
    return f'{seeds[0]}-{seeds[-1]}' if seeds == list(range(seeds[0], seeds[-1] + 1)) else ','.join(map(str, seeds))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('dataset')
    ap.add_argument('split')
    ap.add_argument('rows', nargs='+', metavar='LABEL=DIR[,DIR...]')
    ap.add_argument('--ref', action='append', default=[], help='label(s) to pair every row against')
    ap.add_argument('--title', default='')
    a = ap.parse_args()
    bench = list(open_benchmark(a.dataset, split=a.split))
    names = [s.name for s in bench]
    rows, fps = {}, {}
    for spec in a.rows:
        label, _, dirs = spec.partition('=')
        auc, fps[label], shas = read_row([Path(d) for d in dirs.split(',')], bench)
        if len(shas) > 1:
            raise SystemExit(f'{label}: runs from {len(shas)} different checkpoints {sorted(map(str, shas))}')
        rows[label] = auc
    means = {lab: {s: float(np.mean([v[n] for n in names])) for s, v in r.items()} for lab, r in rows.items()}
    print(f'## {a.title} (val, {len(names)} sequences; AUC % = mean over sequences, then mean +- std over seeds)\n')
    head = ' | '.join(f'paired vs {r} (SE), ahead' for r in a.ref)
    print(f'| row | seeds | AUC % | {head} | FPS | FPS frames 2..N |')
    print('|---|---|---:|' + '---:|' * len(a.ref) + '---:|---:|')
    for lab, m in means.items():
        seeds = sorted(m)
        if not seeds:
            print(f'| {lab} | none finished |')
            continue
        vals = np.array([m[s] for s in seeds])
        cells = []
        for ref in a.ref:
            common = [s for s in seeds if s in means.get(ref, {})]
            if ref == lab or len(common) < 2:
                cells.append('')
                continue
            d = np.array([m[s] - means[ref][s] for s in common])
            cells.append(f'{d.mean():+.1f} +- {d.std(ddof=1) / np.sqrt(len(d)):.1f}, {int((d > 0).sum())}/{len(d)}')
        f = [fps[lab][s] for s in seeds]
        print(f'| {lab} | {span(seeds)} | {vals.mean():.1f} +- {vals.std(ddof=1) if len(vals) > 1 else 0:.1f} | '
              + ' | '.join(cells) + f' | {np.mean([x[0] for x in f]):.1f} | {np.mean([x[1] for x in f]):.1f} |')
    print('\nper sequence (mean AUC % over seeds):\n')
    print('| sequence | ' + ' | '.join(means) + ' |')
    print('|---|' + '---:|' * len(means))
    for n in names:
        print(f'| {n} | ' + ' | '.join(f'{np.mean([v[n] for v in rows[lab].values()]):.1f}' if rows[lab] else ''
                                     for lab in means) + ' |')


if __name__ == '__main__':
    main()
