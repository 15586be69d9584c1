"""`metartt eval | vot init | run-pysot | run-pytracking | dropin` (registered by metartt_tracker.cli).

Toolkit modules are imported only when their command runs, so `metartt` starts without them.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from metartt_tracker.config import VARIANTS
from metartt_tracker.fileio import atomic_write

from .options import add_tracker_args, spec_from_args

EVAL_BENCHMARKS = ('got10k', 'otb', 'uav123', 'dtb70', 'nfs', 'vot')  # integrations.got10k.make_experiment


def cmd_eval(args: argparse.Namespace) -> int:
    from .got10k import FirstFrames, MetaRTTGot10k, make_experiment, summary
    experiment = make_experiment(args.benchmark, args.root, args.results, args.reports, args.version, args.subset,
                                 args.fps, tuple(args.experiments.split(',')))
    tracker = MetaRTTGot10k(spec_from_args(args), args.name, args.stochastic)
    if args.max_frames:  # cut runs get their own name: the toolkit skips sequences whose result file exists
        experiment.dataset = FirstFrames(experiment.dataset, args.max_frames)
        tracker.name = f'{tracker.name}@first{args.max_frames}'
    experiment.run(tracker)
    out: dict[str, Any] = {'benchmark': args.benchmark, 'tracker': tracker.name, 'results': experiment.result_dir}
    if not args.no_report:
        out.update(summary(experiment.report([tracker.name, *args.compare]), tracker.name))
        out['report'] = str(Path(experiment.report_dir) / tracker.name)
    print(json.dumps(out))
    return 0


def cmd_vot_init(args: argparse.Namespace) -> int:
    from .vot_workspace import create_workspace, plan_specs
    specs, missing = plan_specs(spec_from_args(args, checkpoint=None), args.variants.split(','), args.checkpoint)
    eao = tuple(int(v) for v in args.eao.split(',')) if args.eao else None
    ws = create_workspace(args.workspace, args.sequences, specs, args.stack, args.timeout, args.max_frames, eao,
                          missing, args.force)
    names = ' '.join(s.label for s in specs)
    for s in specs:
        if s.checkpoint and s.label in args.variants.split(','):
            print(f'note: entry {s.label!r} runs {s.checkpoint} (the --checkpoint of that name replaces the variant)')
    print(f'workspace {ws}: trackers {names}\n  cd {ws} && vot evaluate {names} && vot analysis --name run {names}')
    return 0


def cmd_run_pysot(args: argparse.Namespace) -> int:
    from .runs import run_pysot
    files = run_pysot(spec_from_args(args), args.root, args.dataset, args.results, args.name, args.max_frames)
    print(json.dumps({'dataset': args.dataset, 'results': [str(f) for f in files]}))
    return 0


def cmd_run_pytracking(args: argparse.Namespace) -> int:
    from .runs import run_pytracking
    files = run_pytracking(spec_from_args(args), args.root, args.results_path, args.parameter, args.run_id,
                           args.max_frames)
    print(json.dumps({'results': [str(f) for f in files]}))
    return 0


def cmd_dropin(args: argparse.Namespace) -> int:
    from . import pysot, pytracking
    module = {'pysot': pysot, 'pytracking': pytracking}[args.harness]
    root = module.check_checkout(args.checkout)
    spec = spec_from_args(args)
    if spec.checkpoint:  # the harness runs from its own working directory
        spec = dataclasses.replace(spec, checkpoint=str(Path(spec.checkpoint).resolve()))
    files = module.dropin_files(spec)
    existing = [p for p in files if (root / p).exists()]
    if existing and not args.force:
        raise ValueError(f'{root / existing[0]} exists (use --force to overwrite)')
    for rel, text in files.items():
        print(atomic_write(root / rel, text))
    if args.harness == 'pysot':
        print(f'now add to {root / "pysot/tracker/tracker_builder.py"}:\n{pysot.PYSOT_REGISTRATION}')
    return 0


def register(sub: Any) -> None:
    """Add the toolkit-integration subcommands to the `metartt` parser."""
    e = sub.add_parser('eval', help='run a GOT-10k-toolkit experiment on a local benchmark copy (no downloads)')
    e.add_argument('benchmark', choices=EVAL_BENCHMARKS)
    e.add_argument('--root', required=True, help='benchmark root (GOT-10k: the folder holding val/ and test/)')
    e.add_argument('--version', help='OTB: 2013, 2015 (default), tb50, tb100; UAV123: UAV123, UAV20L; VOT: 2013..2019')
    e.add_argument('--subset', default='val', choices=('val', 'test'), help='GOT-10k split (default val)')
    e.add_argument('--fps', type=int, default=30, choices=(30, 240), help='NfS frame rate (default 30)')
    e.add_argument('--experiments', default='supervised', help='VOT: supervised,unsupervised,realtime')
    e.add_argument('--name', help='tracker name in results/reports (default: variant or checkpoint name)')
    e.add_argument('--stochastic', action='store_true',
                   help='new seed per initialisation; the toolkit then runs its repetitions')
    e.add_argument('--results', default='results', help='toolkit result_dir (default ./results)')
    e.add_argument('--reports', default='reports', help='toolkit report_dir (default ./reports)')
    e.add_argument('--compare', nargs='*', default=[], help='other tracker names already under --results')
    e.add_argument('--no-report', action='store_true', help='run only')
    e.add_argument('--max-frames', type=int, default=0,
                   help='only the first N frames of each sequence (quick runs; results under <name>@firstN)')
    add_tracker_args(e)
    e.set_defaults(func=cmd_eval)

    v = sub.add_parser('vot', help='VOT toolkit workspaces (the TraX server is '
                                   'python -m metartt_tracker.integrations.vot_server)')
    vsub = v.add_subparsers(dest='vot_command', required=True)
    vi = vsub.add_parser('init', help='create a vot-toolkit 0.7.4 workspace for local GOT-10k/OTB/packed sequences')
    vi.add_argument('workspace')
    vi.add_argument('--sequences', required=True, help='folder of sequence folders (GOT-10k, OTB or packed layout)')
    vi.add_argument('--stack', default='short', help='short (default), vot2016, realtime, or an integrated stack id')
    vi.add_argument('--variants', default=','.join(VARIANTS), help='trackers.ini entries (default: all variants)')
    vi.add_argument('--checkpoint', action='append', default=[], help='add an entry for this checkpoint (repeatable)')
    vi.add_argument('--timeout', type=int, default=300, help='seconds per TraX call (default 300)')
    vi.add_argument('--max-frames', type=int, default=0, help='cut sequences to their first N frames')
    vi.add_argument('--eao', help='EAO interval LOW,HIGH (default: the stack\'s)')
    vi.add_argument('--force', action='store_true', help='rebuild an existing workspace')
    add_tracker_args(vi, variant=False)
    vi.set_defaults(func=cmd_vot_init)

    p = sub.add_parser('run-pysot', help="track a dataset and write pysot's results layout (tools/test.py protocol)")
    p.add_argument('root', help="pysot testing_dataset/<DS> folder with <DS>.json, or a folder of sequences")
    p.add_argument('--dataset', required=True,
                   help='pysot dataset name: VOT2016/2017/2018/2019 run with resets, others in one pass')
    p.add_argument('--results', default='results', help='results root (default ./results)')
    p.add_argument('--name', help='tracker folder name (default: variant or checkpoint name)')
    p.add_argument('--max-frames', type=int, default=0, help='only the first N frames of each sequence')
    add_tracker_args(p)
    p.set_defaults(func=cmd_run_pysot)

    t = sub.add_parser('run-pytracking', help="track sequences and write pytracking's results layout")
    t.add_argument('root', help='folder of sequences (GOT-10k, OTB or packed layout)')
    t.add_argument('--results-path', default='tracking_results', help="pytracking's env results_path")
    t.add_argument('--parameter', help='parameter name (default: variant with _ for -)')
    t.add_argument('--run-id', type=int, help='run id (folder suffix _NNN)')
    t.add_argument('--max-frames', type=int, default=0, help='only the first N frames of each sequence')
    add_tracker_args(t)
    t.set_defaults(func=cmd_run_pytracking)

    d = sub.add_parser('dropin', help='write MetaRTT drop-in files into a pysot or pytracking checkout')
    d.add_argument('harness', choices=('pysot', 'pytracking'))
    d.add_argument('checkout', help='root of the pysot / pytracking git checkout')
    d.add_argument('--force', action='store_true', help='overwrite existing drop-in files')
    add_tracker_args(d)
    d.set_defaults(func=cmd_dropin)
