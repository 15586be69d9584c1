"""Box generators and RT-MDNet's rejection sampling (modules/sample_generator.py); IoU is `overlap.box_iou`.

Boxes are float64 numpy arrays of (x, y, w, h) in 0-based image pixels. All randomness comes
from the `numpy.random.Generator` passed in, so a tracker seeded once is reproducible.
"""
from __future__ import annotations

import numpy as np

from .config import SamplerSpec
from .overlap import box_iou


def draw(kind: str, ref: np.ndarray, n: int, image_size: tuple[int, int], rng: np.random.Generator,
         trans: float, scale: float, aspect: float | None = None, valid: bool = False,
         min_size: float = 5.0) -> np.ndarray:
    """n boxes around `ref` (RT-MDNet SampleGenerator.__call__), clipped to the image.

    gaussian: centre += trans*mean(w,h)*clip(0.5 randn, +-1), size *= scale**clip(0.5 randn, +-1);
    uniform: the same with U(-1, 1); whole: centres on a grid over the image.
    `valid` keeps the whole box inside the image (used for candidates).
    """
    ref = np.asarray(ref, dtype=np.float64)
    img = np.asarray(image_size, dtype=np.float64)
    s = np.tile(np.array([ref[0] + ref[2] / 2, ref[1] + ref[3] / 2, ref[2], ref[3]]), (n, 1))
    if aspect is not None:
        r = rng.random((n, 1)) * 2 - 1
        s[:, 2:] *= aspect ** np.concatenate([r, -r], axis=1)
    mean_wh = ref[2:].mean()
    if kind == 'gaussian':
        s[:, :2] += trans * mean_wh * np.clip(0.5 * rng.standard_normal((n, 2)), -1, 1)
        s[:, 2:] *= scale ** np.clip(0.5 * rng.standard_normal((n, 1)), -1, 1)
    elif kind == 'uniform':
        s[:, :2] += trans * mean_wh * (rng.random((n, 2)) * 2 - 1)
        s[:, 2:] *= scale ** (rng.random((n, 1)) * 2 - 1)
    elif kind == 'whole':
        m = int(2 * np.sqrt(n)) + 1
        grid = np.dstack(np.meshgrid(np.linspace(0, 1, m), np.linspace(0, 1, m))).reshape(-1, 2)
        grid = grid[rng.permutation(len(grid))[:n]]
        s[:, :2] = ref[2:] / 2 + grid * (img - ref[2:] / 2 - 1)
        s[:, 2:] *= scale ** (rng.random((n, 1)) * 2 - 1)
    else:
        raise ValueError(f'unknown sampler kind {kind!r}')
    hi = np.maximum(img - min_size, min_size)
    s[:, 2:] = np.clip(s[:, 2:], min_size, hi)
    if valid:
        s[:, :2] = np.clip(s[:, :2], s[:, 2:] / 2, np.maximum(img - s[:, 2:] / 2 - 1, s[:, 2:] / 2))
    else:
        s[:, :2] = np.clip(s[:, :2], 0, img)
    s[:, :2] -= s[:, 2:] / 2
    return s


def sample(spec: SamplerSpec, ref: np.ndarray, image_size: tuple[int, int], rng: np.random.Generator,
           n: int | None = None, min_size: float = 5.0) -> np.ndarray:
    """RT-MDNet gen_samples: draw 2x, 4x, 8x oversampled batches and keep boxes in the IoU/area range.

    May return fewer than n boxes when the ranges are hard to hit (as RT-MDNet does).
    """
    n = spec.n if n is None else n
    ref = np.asarray(ref, dtype=np.float64)

    def gen(k: int) -> np.ndarray:
        return draw(spec.kind, ref, k, image_size, rng, spec.trans, spec.scale, spec.aspect, min_size=min_size)

    if spec.iou is None and spec.area is None:
        return gen(n)
    kept: list[np.ndarray] = []
    remain, factor = n, 2
    while remain > 0 and factor < 16:
        cand = gen(remain * factor)
        keep = np.ones(len(cand), dtype=bool)
        if spec.iou is not None:
            r = box_iou(cand, ref)
            keep &= (r >= spec.iou[0]) & (r <= spec.iou[1])
        if spec.area is not None:
            a = cand[:, 2] * cand[:, 3] / (ref[2] * ref[3])
            keep &= (a >= spec.area[0]) & (a <= spec.area[1])
        cand = cand[keep][:remain]
        kept.append(cand)
        remain -= len(cand)
        factor *= 2
    return np.concatenate(kept, axis=0) if kept else np.zeros((0, 4))


def candidates(ref: np.ndarray, n: int, image_size: tuple[int, int], rng: np.random.Generator,
               trans: float, scale: float, min_size: float = 5.0) -> np.ndarray:
    """Per-frame search boxes: gaussian around the last target, kept inside the image."""
    return draw('gaussian', ref, n, image_size, rng, trans, scale, valid=True, min_size=min_size)
