"""Speed benchmark of the per-frame path: stage milliseconds, first-frame time, FPS with/without frame 1.

Frames are decoded and resized before timing starts (decoding is never inside the timer). Stages
come from the tracker's `StageTimer`: crop, backbone, roi_align, heads, update (fc adaptation),
bbreg, sampling per frame 2..N, and the same split of the first frame (plus prune). A stage
nested in another is counted in both (backbone in update is not).
OpenCV's CSRT runs on the same frames in the same process as a reference: the `xCSRT` columns
(FPS over CSRT's FPS, first frame over CSRT's) survive a noisy or different machine better than
the absolute figures.

On a GPU every clock read waits for the device: the stage columns come from a pass whose stage timers
synchronise, the FPS columns from a second pass without them (the synchronisations would slow it).
"""
from __future__ import annotations

import os
import platform
import time
import warnings
from typing import Any

import numpy as np

from .baselines import OpenCVTracker

STAGES = ('crop', 'backbone', 'roi_align', 'heads', 'readback', 'update', 'bbreg', 'sampling')  # readback: the frame's one device-to-host copy
FIRST_STAGES = ('crop', 'backbone', 'roi_align', 'update', 'prune', 'bbreg')  # what init() spends its time on


def _load_frames(source: str, size: str, frames: int) -> tuple[list[np.ndarray], np.ndarray, str]:
    import cv2

    from .data import open_sequence
    seq = open_sequence(source)
    w, h = (int(v) for v in size.lower().split('x'))
    sx, sy = w / seq.frames.size[0], h / seq.frames.size[1]
    n = len(seq.frames) if frames <= 0 else min(frames, len(seq.frames))
    imgs = [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f, _ in zip(seq.frames, range(n))]
    box = np.asarray(seq.init_box, dtype=np.float64) * np.array([sx, sy, sx, sy])
    return imgs, box, seq.name


def checkpoint_for(variant: str, weights: str | None) -> str | None:
    """`weights/<variant>.pt` for meta-learned variants when a folder is given (else shipped weights)."""
    from .config import variant_config
    if weights is None or not variant_config(variant).needs_meta_weights:
        return None
    path = os.path.join(weights, f'{variant}.pt')
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{path}: no checkpoint for variant {variant!r} in --weights {weights}')
    return path


def _timed_run(tracker: Any, imgs: list[np.ndarray], box: np.ndarray) -> tuple[float, float, dict, dict]:
    """(first-frame s, frames 2..N s, stage seconds after init, stage seconds at the end); the device is
    synchronised before each clock read."""
    from .device import synchronize
    synchronize(tracker.device)
    t0 = time.perf_counter()
    tracker.init(imgs[0], box)
    synchronize(tracker.device)
    first = time.perf_counter() - t0
    after_init = tracker.timer.snapshot()
    t0 = time.perf_counter()
    for img in imgs[1:]:
        tracker.update(img)
    synchronize(tracker.device)
    return first, time.perf_counter() - t0, after_init, tracker.timer.snapshot()


def run_one(variant: str, backbone: str, imgs: list[np.ndarray], box: np.ndarray, seed: int,
            weights: str | None = None, device: str = 'auto') -> dict[str, Any]:
    """Track once (twice on a GPU: stages, then speed) and return the timing row of one (variant, backbone);
    meta-learned variants load their checkpoint (from `weights` or the shipped ones) and run on its backbone."""
    from .device import describe
    from .tracker import build_tracker
    tracker = build_tracker(variant, backbone, checkpoint_for(variant, weights), seed, device=device)
    backbone = tracker.cfg.backbone
    if tracker.device.type != 'cpu':  # CUDA, cuBLAS and cuDNN start lazily: not in any timed pass
        _timed_run(tracker, imgs[:3], box)
    tracker.profile = True
    tracker.timer.reset()
    first, rest, after_init, total = _timed_run(tracker, imgs, box)
    if tracker.device.type != 'cpu':  # speed without the stage timers' synchronisations
        tracker.profile = False
        first, rest, _, _ = _timed_run(tracker, imgs, box)
    n = len(imgs) - 1
    stages = {s: 1000.0 * (total.get(s, 0.0) - after_init.get(s, 0.0)) / max(n, 1) for s in STAGES}
    first_stages = {s: 1000.0 * after_init.get(s, 0.0) for s in FIRST_STAGES}
    return {'variant': variant, 'backbone': backbone, 'device': describe(tracker.device), 'frames': len(imgs),
            'first_frame_ms': 1000 * first, 'first_stage_ms': first_stages,
            'prune_rate': float(getattr(tracker, 'prune_rate', 0.0)),
            'fps': len(imgs) / (first + rest), 'fps_without_first': n / rest if n else float('nan'),
            'ms_per_frame': 1000 * rest / max(n, 1), 'stage_ms': stages}


def run_reference(kind: str, imgs: list[np.ndarray], box: np.ndarray) -> dict[str, Any]:
    """The timing row of an OpenCV tracker (`baselines.OpenCVTracker`) on the same frames."""
    tracker = OpenCVTracker(kind)
    t0 = time.perf_counter()
    tracker.init(imgs[0], box)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for img in imgs[1:]:
        tracker.update(img)
    rest, n = time.perf_counter() - t0, len(imgs) - 1
    return {'variant': kind, 'backbone': '-', 'device': 'cpu', 'frames': len(imgs), 'first_frame_ms': 1000 * first,
            'prune_rate': 0.0,
            'fps': len(imgs) / (first + rest), 'fps_without_first': n / rest if n else float('nan'),
            'ms_per_frame': 1000 * rest / max(n, 1), 'stage_ms': {}, 'first_stage_ms': {}}


def _relative_to(rows: list[dict[str, Any]], ref: dict[str, Any]) -> None:
    """Each row's FPS and first-frame time as multiples of the reference's (same frames, same run)."""
    for r in rows:
        r['fps_x_ref'] = r['fps'] / ref['fps']
        r['fps_without_first_x_ref'] = r['fps_without_first'] / ref['fps_without_first']
        r['first_frame_x_ref'] = r['first_frame_ms'] / ref['first_frame_ms']


def bench(source: str, variants: list[str], backbones: list[str], frames: int, seed: int,
          size: str = '640x360', weights: str | None = None, reference: str = 'csrt',
          device: str = 'auto') -> list[dict[str, Any]]:
    """One row per (variant, backbone), all measured in this process on the same frames, then the
    `reference` OpenCV tracker ('' for none) whose speed every row is also given relative to.

    Meta-learned variants run once, on their checkpoint's backbone (`backbones` does not apply).
    """
    from .config import variant_config
    imgs, box, name = _load_frames(source, size, frames)
    rows = []
    for i, backbone in enumerate(backbones):
        for variant in variants:
            if variant_config(variant).needs_meta_weights and i > 0:
                continue  # its backbone is the checkpoint's
            row = run_one(variant, backbone, imgs, box, seed, weights, device)
            row['sequence'], row['size'] = name, size
            rows.append(row)
    if reference:
        try:
            ref = run_reference(reference, imgs, box)
        except RuntimeError as e:  # OpenCV without the contrib trackers: report, keep the rows
            warnings.warn(f'no {reference} reference row: {e}', stacklevel=2)
            return rows
        ref['sequence'], ref['size'] = name, size
        rows.append(ref)
        _relative_to(rows, ref)
    return rows


def format_bench(rows: list[dict[str, Any]], threads: int = 0) -> str:
    """A plain-text table of `bench` rows plus the machine they were measured on."""
    import torch
    ref = 'fps_x_ref' in (rows[0] if rows else {})
    head = (f"{'variant':<14}{'backbone':<9}{'pruned':>7}{'FPS':>7}{'FPS>1':>7}{'1st ms':>8}{'ms/frm':>8}"
            + (f"{'FPS xREF':>9}{'FPS>1 x':>8}{'1st x':>7}" if ref else '') + ''.join(f'{s[:9]:>10}' for s in STAGES))
    lines = [head.replace('REF', rows[-1]['variant'].upper()) if ref else head]
    for r in rows:
        lines.append(f"{r['variant']:<14}{r['backbone']:<9}{100 * r['prune_rate']:>6.0f}%{r['fps']:>7.2f}"
                     f"{r['fps_without_first']:>7.2f}{r['first_frame_ms']:>8.0f}{r['ms_per_frame']:>8.1f}"
                     + (f"{r['fps_x_ref']:>9.2f}{r['fps_without_first_x_ref']:>8.2f}{r['first_frame_x_ref']:>7.2f}"
                        if ref else '')
                     + ''.join(f"{r['stage_ms'][s]:>10.1f}" if s in r['stage_ms'] else f"{'':>10}" for s in STAGES))
    lines += ['', f"{'first frame ms':<23}" + ''.join(f'{s[:9]:>10}' for s in FIRST_STAGES)]
    lines += [f"{r['variant']:<14}{r['backbone']:<9}" + ''.join(f"{r['first_stage_ms'][s]:>10.0f}" for s in FIRST_STAGES)
              for r in rows if r['first_stage_ms']]
    lines.append(f"(device {rows[0]['device'] if rows else ''}; x columns: multiples of the last row's, measured in this run; "
                 f"stage columns: ms per frame, frames 2..N; {rows[0]['sequence'] if rows else ''} at "
                 f"{rows[0]['size'] if rows else ''}; {platform.processor() or platform.machine()}, "
                 f"{os.cpu_count()} cores, torch {torch.__version__}, {threads or torch.get_num_threads()} threads)")
    return '\n'.join(lines)
