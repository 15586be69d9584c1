"""Frames in, scene crops out: RT-MDNet's one padded crop per frame, resampled so the target is 107 px.

RT-MDNet never crops 107x107 patches while tracking. It crops one "scene" covering all sample
boxes and resamples it anisotropically so the current target becomes patch_size x patch_size
(`crop_img_size = scene_wh * 107 / target_wh`); samples are then RoIs on that one feature map.
Out-of-image pixels are 0 (black) before normalisation, as in RT-MDNet's `imgCropper`.

Deliberate simplification: crop pixel j samples image x0 + j / scale exactly, so RoIs and crop
agree to the pixel (RT-MDNet's cropper uses a (w + 1) / (out - 1) spacing and truncates the size).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor


def to_tensor(image: object, device: torch.device | str | None = None) -> Tensor:
    """RGB float tensor (3, H, W) in 0..255 on `device` (default CPU) from a PIL image or an RGB/gray/RGBA
    numpy array."""
    if isinstance(image, Image.Image):
        arr = np.asarray(image.convert('RGB'))
    elif isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        elif arr.ndim == 3 and arr.shape[2] == 1:
            arr = np.repeat(arr, 3, axis=2)
        elif arr.ndim == 3 and arr.shape[2] == 4:
            arr = arr[:, :, :3]
        if arr.ndim != 3 or arr.shape[2] != 3:
            raise ValueError(f'expected an RGB image (H, W, 3), gray (H, W) or RGBA (H, W, 4) array, '
                             f'got shape {image.shape}')
    else:
        raise TypeError(f'expected a PIL image or numpy array, got {type(image).__name__}')
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(f'frame of {arr.shape[1]}x{arr.shape[0]} px is too small to track in')
    # uint8 crosses to the device (a quarter of float32's bytes), then becomes float there. Host-to-device copies
    # of the per-frame path are non_blocking: from pageable memory CUDA stages them at once without waiting for
    # the queued work (a blocking copy synchronises the stream)
    if not (arr.flags.writeable and arr.flags.c_contiguous):  # torch wants writable memory (PIL's is read-only)
        arr = np.array(arr, order='C')
    return torch.from_numpy(arr).to(device or 'cpu', non_blocking=True).permute(2, 0, 1).float().contiguous()


@dataclass
class Scene:
    """A crop of the frame: image box `box` (x, y, w, h) resampled by `scale` (sx, sy) px per px."""

    box: np.ndarray
    scale: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        """Crop size (width, height) in pixels."""
        wh = np.maximum(np.round(self.box[2:] * self.scale), 2).astype(int)
        return int(wh[0]), int(wh[1])


def scene_for(box: np.ndarray, target_wh: np.ndarray, patch_size: int, max_size: int,
              jitter_scale: float = 1.0) -> Scene:
    """Scene over `box` at the resolution that makes the target patch_size * jitter_scale px."""
    box = np.asarray(box, dtype=np.float64)
    scale = patch_size * jitter_scale / np.maximum(np.asarray(target_wh, dtype=np.float64), 1e-6)
    longest = float((box[2:] * scale).max())
    if longest > max_size:
        scale = scale * (max_size / longest)
    return Scene(box, scale)


def union_box(boxes: np.ndarray, padding: float = 1.0) -> np.ndarray:
    """Smallest box holding every box enlarged by `padding` (0.5 (padding - 1) w per side)."""
    pad = boxes[:, 2:] * (padding - 1.0) / 2.0
    lo = (boxes[:, :2] - pad).min(axis=0)
    hi = (boxes[:, :2] + boxes[:, 2:] + pad).max(axis=0)
    return np.concatenate([lo, hi - lo])


def crop(image: Tensor, scenes: list[Scene]) -> Tensor:
    """Bilinear crops (B, 3, h, w) of same-size scenes from one frame (3, H, W); black outside."""
    ow, oh = scenes[0].size
    _, h, w = image.shape
    grids = []
    for s in scenes:
        xs = s.box[0] + np.arange(ow) / s.scale[0]
        ys = s.box[1] + np.arange(oh) / s.scale[1]
        gx = torch.from_numpy(xs * 2.0 / max(w - 1, 1) - 1.0).float().to(image.device, non_blocking=True)
        gy = torch.from_numpy(ys * 2.0 / max(h - 1, 1) - 1.0).float().to(image.device, non_blocking=True)
        grids.append(torch.stack(torch.meshgrid(gy, gx, indexing='ij')[::-1], dim=-1))
    grid = torch.stack(grids)
    src = image[None].expand(len(scenes), -1, -1, -1)
    return F.grid_sample(src, grid, mode='bilinear', padding_mode='zeros', align_corners=True)
