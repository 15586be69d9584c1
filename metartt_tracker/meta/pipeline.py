"""Train one table row's checkpoint end to end: `train(recipe, out_path, variant, ablation, data=...)`,
from the training videos `load_videos(kind, root, split)` finds.

This is the hook `metartt reproduce --train RECIPE` calls for rows whose weights are missing.
Meta-learned rows run `MetaTrainer` (exporting the lowest-validation state when a validation split
is given, else the last); pruning rows first need the `metartt` checkpoint beside `out_path`
(trained here when absent) and then run `PruneTrainer`. Work folders sit next to `out_path`
(`<stem>.run/`), so an interrupted call resumes when called again.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ..fileio import atomic_write
from .config import MetaConfig, recipe

PRUNE_ABLATIONS: dict[str, dict[str, Any]] = {  # pruning rows of Table 3 -> MetaConfig fields
    'prune': {},
    'prune-no-meta': {'prune_meta': False},
    'prune-static': {'prune_static': True},
}


def load_videos(kind: str, root: str, split: str | None, coco_images: str | None = None) -> list:
    """Training videos of a dataset kind (see metartt_tracker.meta.videos)."""
    from . import videos as v
    if kind == 'sequences':
        return v.sequence_videos(root, split)
    if kind == 'got10k':
        return v.sequence_videos(Path(root) / 'train', split)
    if kind == 'lasot':
        names = Path(split).read_text().split() if split else None
        return v.lasot_videos(root, names)
    if kind == 'imagenet-vid':
        return v.imagenet_vid_videos(root)
    if kind == 'coco':
        if not coco_images:
            raise ValueError('--dataset-type coco needs --coco-images DIR (and the instances JSON as --data)')
        return v.coco_pseudo_videos(root, coco_images)
    raise ValueError(f'unknown dataset type {kind!r}')


def with_pseudo_videos(cfg: MetaConfig, videos: list) -> list:
    """The training videos plus `cfg.pseudo_videos` still-frame pseudo-videos made from them (MetaRTT+COCO
    without COCO; with COCO at hand, `--dataset-type coco` reads its images instead)."""
    if cfg.pseudo_videos <= 0:
        return videos
    from .videos import frame_pseudo_videos
    return list(videos) + frame_pseudo_videos(videos, cfg.pseudo_videos, seed=cfg.seed)


def _finished(made: Path, out_path: Path) -> Path:
    """A trainer's checkpoint, or an error when `stop_after` left it at a saved state."""
    if made.name in ('state.pt', 'prune_state.pt'):
        raise RuntimeError(f'{made}: training stopped early (stop_after) with its state saved; run again to finish '
                           f'it and write {out_path}')
    return made


def train(recipe_name: str, out_path: str | Path, variant: str = 'metartt', ablation: str = 'metartt', *,
          data: str | Path, split: str | Path | None = None, val_split: str | Path | None = None,
          dataset_type: str = 'sequences', threads: int = 1, **overrides: Any) -> Path:
    """Write the checkpoint of one row to `out_path` and return it (see the module docstring)."""
    out_path = Path(out_path)
    work = out_path.with_name(out_path.stem + '.run')
    train_videos = load_videos(dataset_type, str(data), str(split) if split else None)
    if variant == 'metartt-prune':
        if ablation not in PRUNE_ABLATIONS:
            raise ValueError(f'unknown pruning ablation {ablation!r}; choose one of {sorted(PRUNE_ABLATIONS)}')
        meta_ckpt = out_path.with_name('metartt.pt')
        if not meta_ckpt.is_file():
            train(recipe_name, meta_ckpt, 'metartt', 'metartt', data=data, split=split, val_split=val_split,
                  dataset_type=dataset_type, threads=threads, **overrides)
        from .prune_trainer import PruneTrainer
        cfg = recipe(recipe_name, threads=threads, **{**PRUNE_ABLATIONS[ablation], **overrides})
        made = _finished(PruneTrainer(cfg, train_videos, meta_ckpt, work).run(), out_path)
    else:
        from .trainer import BEST, MetaTrainer
        cfg = recipe(recipe_name, ablation, threads=threads, **overrides)
        val = load_videos('sequences', str(data), str(val_split)) if val_split else []  # as `train meta --val-split`
        made = _finished(MetaTrainer(cfg, with_pseudo_videos(cfg, train_videos), val, work).run(), out_path)
        if val and (work / BEST).is_file():
            made = work / BEST
    return atomic_write(out_path, lambda tmp: shutil.copyfile(made, tmp))
