"""`metartt train meta|prune`: meta-training and pruning-network training from the command line."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..config import parse_override
from ..device import DEVICE_CHOICES
from .placement import BACKENDS, join_process_group
from .config import ABLATIONS, RECIPES, MetaConfig, recipe
from .pipeline import load_videos, with_pseudo_videos


def _config(args: argparse.Namespace) -> MetaConfig:
    kw = dict(parse_override(p) for p in args.set or [])
    for name in ('episodes', 'seed', 'threads', 'device', 'dist_backend', 'workers'):
        if getattr(args, name, None) is not None:
            kw[name] = getattr(args, name)
    return recipe(args.recipe, args.ablation, **kw)


def _distributed(cfg: MetaConfig) -> None:
    """Join a torchrun job when launched by one (the backend follows the device: placement.py)."""
    join_process_group(cfg.device, cfg.dist_backend)


def cmd_meta(args: argparse.Namespace) -> int:
    from .trainer import MetaTrainer
    cfg = _config(args)
    _distributed(cfg)
    train = load_videos(args.dataset_type, args.data, args.split, args.coco_images)
    val = load_videos('sequences', args.val_data or args.data, args.val_split) if args.val_split else []
    trainer = MetaTrainer(cfg, with_pseudo_videos(cfg, train), val, args.out)
    path = trainer.run()
    from .curves import plot_curves
    plot_curves(Path(args.out))
    if path.suffix == '.pt' and path.name == 'state.pt':
        print(f'stopped after iteration {trainer.iteration} of {trainer.total_iterations} (stop_after); state in {path}: '
              f'run the same command to continue')
    else:
        print(f'wrote {path}')
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from .prune_trainer import PruneTrainer
    cfg = _config(args)
    _distributed(cfg)
    train = load_videos(args.dataset_type, args.data, args.split, args.coco_images)
    path = PruneTrainer(cfg, train, args.meta_checkpoint, args.out).run()
    print(f'stopped early (stop_after); state in {path}: run the same command to continue' if path.name == 'prune_state.pt'
          else f'wrote {path}')
    return 0


def register(sub: Any) -> None:
    """Add `train meta` and `train prune` to the metartt CLI."""
    train = sub.add_parser('train', help='meta-train MetaRTT (paper §3) or its pruning network (§4)')
    tsub = train.add_subparsers(dest='what', required=True)
    for name, func, text in (('meta', cmd_meta, 'meta-learn theta_0 and the step sizes'),
                             ('prune', cmd_prune, 'train the one-shot pruning network (theta fixed)')):
        p = tsub.add_parser(name, help=text)
        p.add_argument('--data', required=True, help='dataset root (or COCO instances JSON)')
        p.add_argument('--split', help='file listing the training sequences (default: DATA/list.txt)')
        p.add_argument('--dataset-type', default='sequences',
                       choices=['sequences', 'got10k', 'lasot', 'imagenet-vid', 'coco'])
        p.add_argument('--coco-images', help='COCO image folder (with --dataset-type coco)')
        p.add_argument('--recipe', default='compact', choices=sorted(RECIPES))
        p.add_argument('--ablation', default='metartt', choices=sorted(ABLATIONS))
        p.add_argument('--out', required=True, help='output folder: state, logs, curves, final checkpoint')
        p.add_argument('--episodes', type=int, help='override the recipe\'s number of episodes')
        p.add_argument('--seed', type=int)
        p.add_argument('--threads', type=int)
        p.add_argument('--device', help=f'where training runs: {DEVICE_CHOICES} (default auto; torchrun: cuda:LOCAL_RANK)')
        p.add_argument('--dist-backend', choices=BACKENDS,
                       help='torchrun process group (default auto: nccl on CUDA, gloo on the CPU; gloo for several '
                            'ranks on one GPU)')
        p.add_argument('--workers', type=int, help='full recipe: frame-decoding DataLoader processes (default 2)')
        p.add_argument('--set', action='append', metavar='KEY=VALUE', help='override any MetaConfig field')
        if name == 'meta':
            p.add_argument('--val-split', help='held-out sequences for validation (e.g. val.txt)')
            p.add_argument('--val-data', help='root of the validation sequences (default: --data)')
        else:
            p.add_argument('--meta-checkpoint', required=True, help='checkpoint written by `metartt train meta`')
        p.set_defaults(func=func)
