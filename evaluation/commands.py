"""`metartt run | reproduce | score | export-results` subcommands (registered by metartt_tracker.cli)."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from metartt_tracker.config import parse_override
from metartt_tracker.data.benchmarks import KINDS, Benchmark, detect_kind, open_benchmark
from metartt_tracker.device import add_device_arg

from . import runner
from .rows import ROWS, Row, row


SPLIT_OPTION = {'packed': 'split', 'lasot': 'split', 'got10k': 'subset'}  # what --split means per benchmark


def load_benchmark(args: argparse.Namespace, dataset: str | None = None) -> Benchmark:
    """The benchmark named on the command line, restricted to --sequences and cut to --max-frames."""
    root = dataset or args.dataset
    kind = args.benchmark or detect_kind(root)
    options: dict[str, Any] = {}
    if args.split:
        if kind not in SPLIT_OPTION:
            raise ValueError(f'--split applies to {sorted(SPLIT_OPTION)} benchmarks, not {kind}')
        options[SPLIT_OPTION[kind]] = args.split
    if kind == 'otb' and args.version:
        options['version'] = int(args.version) if args.version.isdigit() else args.version
        if args.sequences:  # the official list is checked for these only: a partial copy works
            options['names'] = args.sequences.split(',')
    bench = open_benchmark(root, kind, **options)
    if args.sequences:
        bench = bench.subset(args.sequences.split(','))
    if args.max_frames:
        bench = replace(bench, sequences=tuple(runner.head(s, args.max_frames) for s in bench))
    return bench


def results_root(args: argparse.Namespace, bench: Benchmark, protocol: str) -> Path:
    """`<results>/<dataset folder>/<ope|vot>`: one results tree per local dataset copy (splits share it)."""
    root = bench.root.resolve()
    name = f'{root.parent.name}_{root.name}' if bench.kind == 'got10k' else root.name
    return Path(args.results) / name / ('ope' if protocol == 'ope' else 'vot')


def specs_from(args: argparse.Namespace, keys: list[str]) -> list[Row]:
    """Row specs with the command line's --override values (and --max-frames) folded in."""
    extra = dict(parse_override(o) for o in args.override or [])
    tag = f'max_frames={args.max_frames}' if args.max_frames else ''
    return [r.with_overrides({} if r.baseline else extra, tag) for r in map(row, keys)]


def execute(args: argparse.Namespace, specs: list[Row], bench: Benchmark, protocol: str) -> list[runner.JobReport]:
    """Plan, shard and run what is missing for these rows on this benchmark."""
    jobs = runner.plan(specs, bench, results_root(args, bench, protocol), protocol, args.repetitions, args.seed,
                       args.threads, args.weights, devices(args))
    if args.shard:
        jobs = runner.shard(jobs, *runner.parse_shard(args.shard))
    if not jobs:
        return []
    print(f'{len(jobs)} job(s), {sum(j.frames for j in jobs)} frames to track on {bench.name} ({protocol})',
          file=sys.stderr)
    return runner.run_jobs(jobs, args.jobs, not args.quiet)


def devices(args: argparse.Namespace) -> tuple[str, ...]:
    """--devices cuda:0,cuda:1 (job i on the i-th modulo), else --device; each checked here, before any job."""
    from metartt_tracker.device import resolve_device
    names = tuple(d.strip() for d in (args.devices or args.device).split(',') if d.strip())
    for name in names:
        resolve_device(name)  # a missing GPU is one line now, not an error per job
    return names or ('auto',)


def cmd_run(args: argparse.Namespace) -> int:
    bench = load_benchmark(args)
    reports = execute(args, specs_from(args, args.variants.split(',')), bench, args.protocol)
    failed = [r for r in reports if r.error]
    print(json.dumps({'dataset': bench.name, 'sequences': len(bench), 'jobs': len(reports), 'failed': len(failed),
                      'results': str(results_root(args, bench, args.protocol))}))
    return 1 if failed else 0


def _eao_range(text: str) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in text.split(','))
    except ValueError:
        raise ValueError(f'--eao-range takes LOW,HIGH (e.g. 108,371), got {text!r}') from None
    return low, high


def _tables_out(args: argparse.Namespace, bench: Benchmark) -> Path:
    return Path(args.out) if args.out else Path(args.results) / 'tables' / bench.name.replace('/', '-')


def _train_kwargs(args: argparse.Namespace) -> dict[str, Any] | None:
    """Data of `--train`: missing rows are trained on --train-data (required with --train)."""
    if not args.train:
        return None
    if not args.train_data:
        raise ValueError('--train RECIPE needs --train-data DIR (and usually --train-split / --train-val-split)')
    return {'data': args.train_data, 'split': args.train_split, 'val_split': args.train_val_split,
            'threads': args.threads, 'device': args.device}


def cmd_reproduce(args: argparse.Namespace) -> int:
    from . import reproduce as rp
    from .scoring import ResultSource
    from .tables import TABLES
    ope = load_benchmark(args)
    vot = load_benchmark(args, args.vot_dataset) if args.vot_dataset else ope
    sources = [ResultSource.parse(c) for c in args.compare or []]
    eao_range, out_dir = _eao_range(args.eao_range), _tables_out(args, ope)
    wanted = args.rows.split(',') if args.rows else None
    for name in (list(TABLES) if args.table == 'all' else [args.table]):
        spec = TABLES[name]
        extra_rows = tuple(r for r in (args.add_rows.split(',') if args.add_rows else []) if r not in spec.rows)
        spec = replace(spec, rows=tuple(r for r in spec.rows if wanted is None or r in wanted) + extra_rows)
        specs = specs_from(args, list(spec.rows))
        reasons = rp.availability(specs, Path(args.weights), args.train, _train_kwargs(args))
        runnable = [s for s in specs if s.key.split('@')[0] not in reasons]
        benches = {p: ope if p == 'ope' else vot for p in spec.protocols}
        roots = {p: results_root(args, b, p) for p, b in benches.items()}
        if not args.no_run:
            for protocol, bench in benches.items():
                execute(args, runnable, bench, protocol)
        measured = rp.measure(runnable, sources, benches, roots, args.repetitions, args.convention, eao_range, reasons)
        labels = {k: ROWS[k].label for k in spec.rows}
        extra = {'convention': args.convention, 'eao_range': list(eao_range), 'repetitions': args.repetitions,
                 'results': {p: str(r) for p, r in roots.items()}, 'speed': rp.speed_summary(measured)}
        note = rp.convention_note(args.convention, eao_range, benches, spec.paper_dataset)
        text, files = rp.write_table(spec, measured, labels, reasons, out_dir, benches, note, extra)
        files += rp.write_plots(name, measured, labels, out_dir, benches, eao_range, args.realtime_fps, extra)
        print(text)
        print('wrote ' + ', '.join(str(f) for f in files) + '\n')
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from . import reproduce as rp
    from .scoring import ResultSource
    from .tables import comparison_table
    bench = load_benchmark(args)
    eao_range = _eao_range(args.eao_range)
    specs = specs_from(args, args.trackers.split(',')) if args.trackers else []
    sources = [ResultSource.parse(c) for c in args.compare or []]
    if not specs and not sources:
        raise ValueError('name --trackers and/or --compare LABEL=DIR')
    root = results_root(args, bench, args.protocol)
    measured = rp.measure(specs, sources, {args.protocol: bench}, {args.protocol: root}, args.repetitions,
                          args.convention, eao_range, {})
    keys = [s.key.split('@')[0] for s in specs]
    if args.paired and args.paired not in keys:
        raise ValueError(f'--paired {args.paired}: not one of --trackers ({",".join(keys)})')
    spec = replace(comparison_table(args.name, f'{bench.name}: {args.protocol} scores', keys, args.protocol),
                   paired_with=args.paired)
    labels = {s.key.split('@')[0]: s.label for s in specs}
    extra = {'convention': args.convention, 'eao_range': list(eao_range), 'results': str(root)}
    note = rp.convention_note(args.convention, eao_range, {args.protocol: bench})
    out_dir = _tables_out(args, bench)
    text, files = rp.write_table(spec, measured, labels, {}, out_dir, {args.protocol: bench}, note, extra)
    files += rp.write_plots(args.name, measured, labels, out_dir, {args.protocol: bench}, eao_range,
                            args.realtime_fps, extra)
    if args.attributes is not None:
        from metartt_tracker.data.attributes import read_attributes
        attrs = read_attributes(bench, args.attributes or None)
        layout = 'got10k' if args.protocol == 'ope' else 'vot'
        mine = [ResultSource(s.label, root / s.key, layout) for s in specs]
        theirs = [s for s in sources if (s.layout == 'vot') == (args.protocol == 'supervised')]
        more_text, more = rp.write_attribute_report(args.name, args.protocol, bench, mine + theirs, attrs, out_dir,
                                                    args.convention, extra)
        text, files = f'{text}\n{more_text}', files + more
    print(text)
    print('wrote ' + ', '.join(str(f) for f in files))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export
    files = export(args.results_dir, args.tracker, args.layout, args.out, **dict(map(parse_override, args.option or [])))
    print(f'wrote {len(files)} result file(s) in the {args.layout} layout under {args.out}')
    return 0


def add_scoring_options(p: argparse.ArgumentParser) -> None:
    """How results are scored and where tables / plots go."""
    from .metrics import CONVENTIONS
    p.add_argument('--convention', choices=sorted(CONVENTIONS), default='metartt',
                   help='first-frame / invalid-ground-truth convention of OPE scores (default metartt: frames 2..N, '
                        'invalid GT not scored; got10k, pysot, pytracking reproduce those toolkits)')
    p.add_argument('--eao-range', default='108,371', help='EAO sequence-length range LOW,HIGH (default VOT2016 108,371)')
    p.add_argument('--compare', action='append', metavar='LABEL=DIR[:layout][:one-based]',
                   help='add another tracker\'s result folder (got10k, flat OTB/pysot/pytracking, or vot layout)')
    p.add_argument('--out', help='where tables and plots go (default <results>/tables/<dataset>)')
    p.add_argument('--realtime-fps', type=float, default=20.0, help='plots draw slower trackers dashed (default 20)')


def add_data_options(p: argparse.ArgumentParser) -> None:
    """Options every evaluation command shares: which data, where results go, how to run."""
    p.add_argument('--dataset', required=True, help='local benchmark root (OTB, TC128, UAV123, DTB70, LaSOT, VOT, '
                   'GOT-10k split, or packed video.mp4 folders)')
    p.add_argument('--benchmark', choices=sorted(KINDS), help='benchmark layout (default: detected)')
    p.add_argument('--split', help='sequence list file (packed / LaSOT), or GOT-10k subset')
    p.add_argument('--version', help='OTB version: 2013, 2015, tb50, tb100 (default: every annotated folder)')
    p.add_argument('--sequences', help='comma-separated subset of sequence names')
    p.add_argument('--max-frames', type=int, default=0, help='only the first N frames of each sequence (quick runs)')
    p.add_argument('--results', default='results', help='results tree (default ./results)')
    p.add_argument('--weights', default='weights', help='folder holding the rows\' checkpoints (default ./weights)')
    p.add_argument('--repetitions', type=int, default=3, help='seeds per stochastic variant (default 3)')
    p.add_argument('--seed', type=int, default=0, help='seed of repetition 1 (repetition r uses seed + r - 1)')
    p.add_argument('--jobs', type=int, default=1, help='parallel tracking processes (default 1)')
    p.add_argument('--threads', type=int, default=1, help='torch / OpenCV threads per process (default 1)')
    add_device_arg(p)
    p.add_argument('--devices', help='spread --jobs processes over these devices, e.g. cuda:0,cuda:1 (job i on the '
                                     'i-th modulo; overrides --device)')
    p.add_argument('--shard', help='run only shard i/n of the jobs (split a run across machines)')
    p.add_argument('--override', action='append', metavar='KEY=VALUE',
                   help='tracker config override for every row of ours, e.g. geometry.n_aug_crops=8 (repeatable)')
    p.add_argument('--quiet', action='store_true', help='no progress bar')


def register(sub: Any) -> None:
    """Add the evaluation subcommands to the `metartt` parser."""
    r = sub.add_parser('run', help='run variants on a benchmark (resumable, parallel, shardable)')
    add_data_options(r)
    r.add_argument('--variants', required=True, help=f'comma-separated rows: {",".join(ROWS)}')
    r.add_argument('--protocol', choices=runner.PROTOCOLS, default='ope', help='one pass, or VOT reset-based')
    r.set_defaults(func=cmd_run)

    from .tables import TABLES
    rp = sub.add_parser('reproduce', help="run what is missing and write the paper's Tables 1-4 (ours beside the paper's)")
    rp.add_argument('table', choices=[*TABLES, 'all'])
    add_data_options(rp)
    add_scoring_options(rp)
    rp.add_argument('--vot-dataset', help='benchmark for the EAO column (default: --dataset)')
    rp.add_argument('--rows', help='only these rows (variant keys), e.g. rtmdnet,rtmdnet-5-5')
    rp.add_argument('--add-rows', help='extra rows run and shown without paper numbers, e.g. csrt,kcf,nanotrack')
    rp.add_argument('--train', metavar='RECIPE', help='train missing checkpoints with this meta-training recipe first')
    rp.add_argument('--train-data', help='training sequences root for --train (packed / GOT-10k / OTB folders)')
    rp.add_argument('--train-split', help='file listing the training sequences (e.g. train.txt)')
    rp.add_argument('--train-val-split', help='held-out sequences: the checkpoint kept is the lowest-validation one')
    rp.add_argument('--no-run', action='store_true', help='only score results already on disk')
    rp.set_defaults(func=cmd_reproduce)

    sc = sub.add_parser('score', help='table and plots of any trackers\' results on a benchmark (no tracking)')
    add_data_options(sc)
    add_scoring_options(sc)
    sc.add_argument('--trackers', help='our rows already run into --results, e.g. rtmdnet,csrt')
    sc.add_argument('--protocol', choices=runner.PROTOCOLS, default='ope')
    sc.add_argument('--name', default='comparison', help='file name stem of the table and plots')
    sc.add_argument('--attributes', nargs='?', const='', metavar='PATH',
                    help='also score per challenge attribute (table, radar plot, a success plot per attribute): '
                         'read from the dataset copy (VOT *.tag, GOT-10k labels, TempleColor _att.txt, OTB / UAV123 / '
                         'LaSOT anno/att) or PATH (a folder of <seq>.txt flag files, or a pysot dataset JSON)')
    sc.add_argument('--paired', metavar='ROW', help='add each row\'s per-seed success-AUC difference to this row of '
                                                    '--trackers (mean ± standard error, seeds ahead)')
    sc.set_defaults(func=cmd_score)

    ex = sub.add_parser('export-results', help='convert got10k-layout results to pysot / pytracking layouts '
                                               '(writers from metartt_tracker.integrations)')
    ex.add_argument('results_dir', help='got10k-layout root, e.g. results/sot/ope')
    ex.add_argument('--tracker', required=True, help='tracker folder inside it, e.g. rtmdnet')
    ex.add_argument('--layout', required=True, help='target layout: pysot, pytracking or got10k')
    ex.add_argument('--out', required=True, help='destination root')
    ex.add_argument('--option', action='append', metavar='KEY=VALUE',
                    help='writer option: dataset=OTB100 (pysot), parameter=default (pytracking)')
    ex.set_defaults(func=cmd_export)
