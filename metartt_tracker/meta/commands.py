"""`metartt train meta|prune`: meta-training and pruning-network training from the command line."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..config import parse_override
from .config import ABLATIONS, RECIPES, MetaConfig, recipe
from .pipeline import load_videos, with_pseudo_videos


def _config(args: argparse.Namespace) -> MetaConfig:
    kw = dict(parse_override(p) for p in args.set or [])
    for name in ('episodes', 'seed', 'threads'):
        if getattr(args, name, None) is not None:
            kw[name] = getattr(args, name)
    return recipe(args.recipe, args.ablation, **kw)


def _distributed() -> None:
    """Join a torchrun job when launched by one (env:// rendezvous; gloo on CPU, nccl on GPU)."""
    if int(os.environ.get('WORLD_SIZE', '1')) > 1:
        import torch
        import torch.distributed as dist
        if not dist.is_initialized():
            dist.init_process_group('nccl' if torch.cuda.is_available() else 'gloo')


def cmd_meta(args: argparse.Namespace) -> int:
    from .trainer import MetaTrainer
    cfg = _config(args)
    _distributed()
    train = load_videos(args.dataset_type, args.data, args.split, args.coco_images)
    val = load_videos('sequences', args.val_data or args.data, args.val_split) if args.val_split else []
    trainer = MetaTrainer(cfg, with_pseudo_videos(cfg, train), val, args.out)
    path = trainer.run()
    from .curves import plot_curves
    plot_curves(Path(args.out))
    print(f'wrote {path}')
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from .prune_trainer import PruneTrainer
    cfg = _config(args)
    _distributed()
    train = load_videos(args.dataset_type, args.data, args.split, args.coco_images)
    path = PruneTrainer(cfg, train, args.meta_checkpoint, args.out).run()
    print(f'wrote {path}')
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
        p.add_argument('--set', action='append', metavar='KEY=VALUE', help='override any MetaConfig field')
        if name == 'meta':
            p.add_argument('--val-split', help='held-out sequences for validation (e.g. val.txt)')
            p.add_argument('--val-data', help='root of the validation sequences (default: --data)')
        else:
            p.add_argument('--meta-checkpoint', required=True, help='checkpoint written by `metartt train meta`')
        p.set_defaults(func=func)
