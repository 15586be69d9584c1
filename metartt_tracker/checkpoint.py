"""MetaRTT's one checkpoint format: read, write and validate it (nothing else: building trackers is
`factory.py`'s, the shipped weights and their manifest are `shipped.py`'s).

A checkpoint is a `torch.save`d plain dict (loadable with `weights_only=True`):

    format 'metartt-checkpoint', format_version, variant, backbone, config (TrackerConfig dict),
    backbone_state (None = the registry's ImageNet weights), head_params (theta_0 of fc4-fc6),
    alphas ({'init': [K_init dicts], 'update': [K_on dicts]} or None), pruning (state or None),
    recipe (dict), data (list of sequence names), code_version, created (ISO date), dtype.

A shipped variant that only adds to another (metartt-prune = metartt + a pruning network) is
stored as a delta (format_version 2): `base` = {file, sha256} of the checkpoint in the same
folder whose backbone_state, head_params and alphas it shares, and those three entries None.
Loading fills them from the base after checking its sha256, so the two can never drift apart
and git keeps one copy of the shared 17 MB instead of one per variant.

Files are written atomically (`fileio.atomic_write`). `compact=True` stores tensors as float16
(issue guidance: fp16 where exact values do not matter); they are float32 again after loading.
"""
from __future__ import annotations

import datetime as _dt
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .backbones import build_backbone
from .config import TrackerConfig
from .fileio import atomic_write, sha256_file
from .importers import WeightsError, load_rtmdnet_pth, load_vggm_mat
from .model import HEAD_LAYERS, Params, init_head_params
from .pruning import network_from_dict, widths_for
from .roi_align import POOLED
from .version import code_version

FORMAT = 'metartt-checkpoint'
FORMAT_VERSION = 1  # a self-contained checkpoint
DELTA_VERSION = 2  # a checkpoint that takes SHARED from a `base` file next to it
SHARED = ('backbone_state', 'head_params', 'alphas')  # what a delta checkpoint takes from its base


@dataclass
class Checkpoint:
    """Everything a tracker (and a reader of its numbers) needs from trained weights."""

    config: TrackerConfig  # tracking configuration, incl. variant and backbone
    head_params: Params  # theta_0 of the fc layers
    backbone_state: dict[str, Tensor] | None = None  # None: the registry's pretrained backbone
    alphas: dict[str, list[dict[str, Tensor]]] | None = None  # learned step sizes per stage and step
    pruning: dict[str, Any] | None = None  # pruning-network state (metartt-prune)
    recipe: dict[str, Any] = field(default_factory=dict)  # how it was trained
    data: list[str] = field(default_factory=list)  # sequences it was trained on
    code_version: str = ''  # package version and git commit that wrote it
    created: str = ''  # ISO-8601 UTC time of writing


def _map_tensors(obj: Any, fn: Any) -> Any:
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: _map_tensors(v, fn) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_map_tensors(v, fn) for v in obj]
    return obj


def save_checkpoint(ckpt: Checkpoint, path: str | os.PathLike, compact: bool = False,
                    base: dict[str, str] | None = None) -> Path:
    """Write `ckpt` atomically; float16 tensors when `compact`; without the SHARED tensors when
    `base` ({file, sha256} of a checkpoint in the same folder holding them) is given."""
    path = Path(path)
    dtype = torch.float16 if compact else torch.float32
    payload = {
        'format': FORMAT, 'format_version': DELTA_VERSION if base else FORMAT_VERSION,
        'variant': ckpt.config.variant, 'backbone': ckpt.config.backbone, 'config': ckpt.config.to_dict(),
        'backbone_state': ckpt.backbone_state, 'head_params': ckpt.head_params, 'alphas': ckpt.alphas,
        'pruning': ckpt.pruning, 'recipe': ckpt.recipe, 'data': list(ckpt.data),
        'code_version': ckpt.code_version or code_version(),
        'created': ckpt.created or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds'),
        'dtype': str(dtype).replace('torch.', ''),
    }
    if base:
        payload.update(dict.fromkeys(SHARED), base={'file': base['file'], 'sha256': base['sha256']})
    payload = _map_tensors(payload, lambda t: t.detach().to('cpu', dtype if t.is_floating_point() else t.dtype))
    buffer = io.BytesIO()  # in memory first: the bytes (and sha256) do not depend on a temp file's name
    torch.save(payload, buffer)
    atomic_write(path, buffer.getvalue())
    return path


def _expect(cond: bool, path: Path, msg: str) -> None:
    if not cond:
        raise WeightsError(f'{path}: {msg}')


def _check_shapes(path: Path, what: str, got: dict[str, Tensor], want: dict[str, tuple[int, ...]]) -> None:
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    _expect(not missing, path, f'{what} is missing {missing}')
    _expect(not extra, path, f'{what} has unexpected entries {extra}')
    for k, shape in want.items():
        _expect(isinstance(got[k], Tensor), path, f'{what}[{k!r}] is not a tensor')
        _expect(tuple(got[k].shape) == shape, path,
                f'{what}[{k!r}] has shape {tuple(got[k].shape)}, expected {shape}')
        _expect(bool(torch.isfinite(got[k].float()).all()), path, f'{what}[{k!r}] has NaN/inf values')


def head_shapes(cfg: TrackerConfig, in_channels: int) -> dict[str, tuple[int, ...]]:
    """Shapes of the fc parameters for a config and a backbone width."""
    return {k: tuple(v.shape) for k, v in init_head_params(in_channels * POOLED * POOLED, cfg.fc_width).items()}


def load_checkpoint(path: str | os.PathLike, *, _base_of: Path | None = None) -> Checkpoint:
    """Read and validate a checkpoint (a delta one with its base); every problem names the file and the mismatch."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: checkpoint not found')
    try:
        raw = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # noqa: BLE001 - torch raises many types for corrupt files
        raise WeightsError(f'{path}: not a readable checkpoint, truncated or corrupt ({type(e).__name__}: {e})') from e
    _expect(isinstance(raw, dict) and raw.get('format') == FORMAT, path,
            f"not a MetaRTT checkpoint (no format={FORMAT!r}); import official RT-MDNet weights with "
            f"`metartt import-weights`")
    _expect(raw.get('format_version') in (FORMAT_VERSION, DELTA_VERSION), path,
            f"format_version {raw.get('format_version')!r} is not supported (expected {FORMAT_VERSION} or "
            f"{DELTA_VERSION}); a newer MetaRTT wrote it")
    if raw.get('base') is not None:
        if _base_of is not None:
            raise WeightsError(f'{_base_of}: its base {path} is itself a delta checkpoint; a base must be self-contained')
        raw.update(_shared_from_base(path, raw['base']))
    try:
        cfg = TrackerConfig.from_dict(raw['config'])
    except (KeyError, TypeError) as e:
        raise WeightsError(f'{path}: config does not match this version of MetaRTT ({e})') from e
    raw = _map_tensors(raw, lambda t: t.float() if t.is_floating_point() else t)
    channels = build_backbone(cfg.backbone, pretrained=False).out_channels
    shapes = head_shapes(cfg, channels)
    _check_shapes(path, 'head_params', raw['head_params'], shapes)
    if raw['backbone_state'] is not None:
        want = {k: tuple(v.shape) for k, v in build_backbone(cfg.backbone, pretrained=False).state_dict().items()}
        _check_shapes(path, 'backbone_state', raw['backbone_state'], want)
    _check_alphas(path, cfg, raw['alphas'], shapes)
    _check_pruning(path, cfg, raw['pruning'], channels)
    return Checkpoint(cfg, raw['head_params'], raw['backbone_state'], raw['alphas'], raw['pruning'],
                      raw.get('recipe', {}), raw.get('data', []), raw.get('code_version', ''), raw.get('created', ''))


def _shared_from_base(path: Path, base: Any) -> dict[str, Any]:
    """The SHARED entries of a delta checkpoint, read from its sha256-verified base file."""
    _expect(isinstance(base, dict) and isinstance(base.get('file'), str) and isinstance(base.get('sha256'), str),
            path, f'base entry {base!r} is not {{file, sha256}}')
    bpath = path.parent / base['file']
    _expect(bpath.is_file(), path, f"shares its weights with {base['file']}, which is not in {path.parent}; "
                                   f"keep the two files together")
    digest = sha256_file(bpath)
    _expect(digest == base['sha256'], path, f"its base {bpath} has sha256 {digest}, expected {base['sha256']}; "
                                            f"the base was replaced or is corrupt")
    b = load_checkpoint(bpath, _base_of=path)
    return {k: getattr(b, k) for k in SHARED}


def _check_alphas(path: Path, cfg: TrackerConfig, alphas: Any, shapes: dict[str, tuple[int, ...]]) -> None:
    a = cfg.adaptation
    if a.mode == 'sgd':
        return
    _expect(isinstance(alphas, dict), path, f'variant {cfg.variant!r} needs learned step sizes (alphas), found none')
    adapted = {k: v for k, v in shapes.items() if k.split('.')[0] in a.adapted}
    stages = (('init', a.iters_init), ('update', a.iters_update)) if a.mode == 'meta' else (('init', a.iters_init),)
    for stage, k in stages:
        steps = alphas.get(stage)
        _expect(isinstance(steps, list) and len(steps) == k, path,
                f'alphas[{stage!r}] holds {len(steps) if isinstance(steps, list) else 0} steps, the config runs {k}')
        for i, step in enumerate(steps):
            _check_shapes(path, f'alphas[{stage!r}][{i}]', step, adapted)


def _check_pruning(path: Path, cfg: TrackerConfig, pruning: Any, channels: int) -> None:
    if not cfg.pruning.enabled:
        return
    _expect(isinstance(pruning, dict) and 'state' in pruning, path,
            f'variant {cfg.variant!r} prunes channels but the checkpoint has no pruning network')
    want = widths_for(channels, cfg.fc_width)
    _expect(pruning.get('widths') == want, path, f"pruning network masks {pruning.get('widths')}, expected {want}")
    try:
        network_from_dict(pruning)
    except (KeyError, RuntimeError, TypeError) as e:
        raise WeightsError(f'{path}: pruning network does not load ({e})') from e


def import_official(path: str | os.PathLike, variant_cfg: TrackerConfig) -> Checkpoint:
    """Checkpoint from official RT-MDNet weights: `rt-mdnet.pth` (conv1-3, fc4, fc5) or
    `imagenet-vgg-m.mat` (conv1-3 only; fc layers get PyTorch's default init).
    fc6 is never in those files (RT-MDNet trains it per video) and gets the default init."""
    path = Path(path)
    cfg = variant_cfg.replace(backbone='vggm')
    tensors = load_vggm_mat(path) if path.suffix.lower() == '.mat' else load_rtmdnet_pth(path)
    heads = init_head_params(512 * POOLED * POOLED, cfg.fc_width, torch.Generator().manual_seed(0))
    heads.update({k: v for k, v in tensors.items() if k.split('.')[0] in HEAD_LAYERS})
    backbone = {k: v for k, v in tensors.items() if k.startswith('conv')}
    return Checkpoint(cfg, heads, backbone, recipe={'source': 'official RT-MDNet weights', 'file': path.name})
