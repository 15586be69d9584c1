"""The shipped weights: the manifest of `weights/`, sha256-verified lookup by name, and `publish`.

`weights/` (installed as `metartt_tracker.weights`) holds fp16 checkpoints and `MANIFEST.json`
(name -> {file, sha256, bytes[, base]}); a file is only ever loaded after its sha256 matches.
"""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .checkpoint import SHARED, load_checkpoint, save_checkpoint
from .errors import MissingWeightsError
from .fileio import atomic_write, sha256_file
from .importers import WeightsError

MANIFEST = 'MANIFEST.json'  # name -> {file, sha256, bytes} of the shipped checkpoints


def weights_dir() -> Path:
    """Folder of the shipped checkpoints (the repository's weights/, installed as metartt_tracker.weights;
    imported here, not at module level, so the package imports even where that mapping is absent)."""
    from . import weights
    return Path(weights.__file__).parent


def read_manifest(folder: str | os.PathLike | None = None) -> dict[str, Any]:
    """The manifest of a weights folder (default: the shipped one); empty when there is none."""
    path = Path(folder or weights_dir()) / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else {}


def pretrained_path(name: str) -> Path:
    """Path of a shipped checkpoint by variant name, after checking its sha256 against the manifest."""
    d = weights_dir()
    manifest = read_manifest(d)
    if name not in manifest:
        raise MissingWeightsError(f'no shipped weights named {name!r} (have: {sorted(manifest) or "none"}); '
                                  f'train them with `metartt train meta` / `metartt train prune`')
    return _verified(d, manifest[name])


def _verified(d: Path, entry: dict[str, Any]) -> Path:
    """The file of a manifest entry in folder `d`, after checking its sha256."""
    path = d / entry['file']
    if not path.is_file():
        raise FileNotFoundError(f'{path}: shipped weights listed in {d / MANIFEST} are missing')
    digest = sha256_file(path)
    if digest != entry['sha256']:
        raise WeightsError(f'{path}: sha256 {digest} does not match the manifest ({entry["sha256"]}); '
                           f'the file is corrupt or was replaced')
    return path


def _same_in_fp16(a: Any, b: Any) -> bool:
    """Equal after rounding every float tensor to float16 (what a published file stores)."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape == b.shape and torch.equal(a.half() if a.is_floating_point() else a,
                                                  b.half() if b.is_floating_point() else b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_in_fp16(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_in_fp16(x, y) for x, y in zip(a, b))
    return a is None and b is None


def _base_entry(checkpoint: str | os.PathLike, ckpt: Any, base: str, d: Path,
                manifest: dict[str, Any]) -> dict[str, str]:
    """{file, sha256} of the shipped `base` after checking it holds the same SHARED tensors as `ckpt`."""
    if base not in manifest:
        raise ValueError(f'--base {base!r}: not another shipped checkpoint in {d / MANIFEST} '
                         f'(have: {sorted(manifest) or "none"})')
    entry = manifest[base]
    shipped = load_checkpoint(_verified(d, entry))
    differ = [k for k in SHARED if not _same_in_fp16(getattr(ckpt, k), getattr(shipped, k))]
    if differ:
        raise ValueError(f'{checkpoint}: {differ} differ from the shipped {base!r} ({d / entry["file"]}); '
                         f'publish it whole (without --base) or publish the matching {base!r} first')
    return {'file': entry['file'], 'sha256': entry['sha256']}


def publish(checkpoint: str | os.PathLike, name: str, folder: str | os.PathLike | None = None,
            base: str | None = None) -> Path:
    """Copy a checkpoint (as float16) into the shipped-weights folder as `<name>.pt` and record its
    sha256 in the manifest, so `MetaRTTTracker.from_pretrained(name)` verifies it on load.

    `base`: the name of a shipped checkpoint holding the same backbone, theta_0 and step sizes
    (as metartt does for metartt-prune); only the rest is written, and loading checks the base.
    """
    d = Path(folder) if folder else weights_dir()
    manifest = read_manifest(d)
    if base == name:
        raise ValueError(f'--base {base!r}: not another shipped checkpoint (a checkpoint cannot be its own base)')
    ckpt = load_checkpoint(checkpoint)
    base_entry = _base_entry(checkpoint, ckpt, base, d, manifest) if base else None
    out = save_checkpoint(ckpt, d / f'{name}.pt', compact=True, base=base_entry)
    manifest[name] = {'file': out.name, 'sha256': sha256_file(out), 'bytes': out.stat().st_size}
    if base:
        manifest[name]['base'] = base
    stale = sorted(n for n, e in manifest.items() if e.get('base') == name)
    if stale:
        warnings.warn(f'{stale} share the weights of the {name!r} just replaced and will refuse to load '
                      f'until they are republished with --base {name}', stacklevel=2)
    atomic_write(d / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + '\n')
    return out
