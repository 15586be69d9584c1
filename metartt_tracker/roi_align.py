"""RT-MDNet's adaptive RoIAlign, in pure PyTorch (gather + weighted sum; twice differentiable).

Re-derived from the official CUDA kernel `ROIAlignAdaForward` (RT-MDNet
modules/roi_align/src/cuda/roi_align_kernel.cu) and the `RoIAlignAdaMax` wrapper:

- an RoI (x1, y1, x2, y2) in crop pixels is scaled by `spatial_scale` (1/stride);
  roi_w = max(x2 - x1 + 1, 0) cells, bin_w = roi_w / 7, step_w = max(1, round(bin_w));
- output bin p samples at the bin's top-left corner w = x1 + p * bin_w (not its centre);
- the value is interpolated from the taps wstart and wstart + step_w, wstart = min(floor(w), W - 2),
  with triangle weights 1 - |w - tap| / step_w, i.e. bilinear whose support widens with bin size;
- samples with w < 0 or w >= W (same for h) are 0;
- the 7x7 grid is max-pooled (kernel 3, stride 2) to 3x3.

One deliberate difference: the kernel reads whatever memory follows when the far tap
(wstart + step_w) lies past the map edge; here such taps contribute 0.
The common RoIAlign op (bin centres, averaged samples) is not equivalent and is not used.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

ALIGNED = 7  # RoIAlignAdaMax aligns to (3 + 4) x (3 + 4) before pooling
POOLED = 3  # output grid after max_pool2d(3, 2)


def boxes_to_rois(boxes: Tensor, scene_xy: Tensor, scale_xy: Tensor, padding: float,
                  receptive_field: float, origin: float) -> Tensor:
    """Sample boxes (x, y, w, h; image px) -> RoIs (x1, y1, x2, y2) on a scene crop.

    RT-MDNet `samples2maskroi`: enlarge each box by `padding`, move into the crop's pixel
    frame (scene top-left `scene_xy`, resampling factors `scale_xy`), then express it in terms of
    receptive-field positions: x1 -> x1 - origin, x2 -> x2 - origin - receptive_field, keeping
    x2 >= x1 + 1.
    """
    pad = boxes[:, 2:] * (padding - 1.0) / 2.0
    lo = (boxes[:, :2] - pad - scene_xy) * scale_xy - origin
    hi = (boxes[:, :2] + boxes[:, 2:] + pad - scene_xy) * scale_xy - origin - receptive_field
    hi = torch.maximum(hi, lo + 1.0)
    return torch.cat([lo, hi], dim=1)


def _axis_taps(start: Tensor, end: Tensor, size: int, aligned: int) -> tuple[Tensor, Tensor, Tensor]:
    """Per RoI and output bin along one axis: tap indices (N,a,2), weights (N,a,2), validity (N,a)."""
    extent = (end - start + 1.0).clamp(min=0.0)
    bin_size = extent / aligned
    step = torch.floor(bin_size + 0.5).clamp(min=1.0)  # C roundf on a non-negative value
    pos = start[:, None] + torch.arange(aligned, dtype=start.dtype, device=start.device) * bin_size[:, None]
    first = torch.floor(pos).clamp(max=size - 2)
    taps = torch.stack([first, first + step[:, None]], dim=-1)
    weights = 1.0 - (pos[..., None] - taps).abs() / step[:, None, None]
    inside = (taps >= 0) & (taps <= size - 1)
    weights = weights * inside
    valid = (pos >= 0) & (pos < size)
    return taps.clamp(0, size - 1).long(), weights, valid


def adaptive_roi_align(feat: Tensor, rois: Tensor, spatial_scale: float, aligned: int = ALIGNED,
                       batch_index: Tensor | None = None) -> Tensor:
    """Adaptive RoIAlign of feature maps (B, C, H, W) at RoIs (N, 4) -> (N, C, aligned, aligned).

    `batch_index` (N,) names each RoI's map (RT-MDNet's roi[:, 0]); it defaults to map 0.
    """
    if feat.dim() == 3:
        feat = feat[None]
    b, c, h, w = feat.shape
    if h < 2 or w < 2:
        raise ValueError(f'feature map {h}x{w} is too small for RoIAlign (needs at least 2x2)')
    r = rois.to(feat.dtype) * spatial_scale
    ty, wy, vy = _axis_taps(r[:, 1], r[:, 3], h, aligned)
    tx, wx, vx = _axis_taps(r[:, 0], r[:, 2], w, aligned)
    n = rois.shape[0]
    # index of each of the 4 taps of each of the aligned x aligned points: (N, a, a, 2, 2)
    index = ty[:, :, None, :, None] * w + tx[:, None, :, None, :]
    if batch_index is not None:
        index = index + (batch_index.long() * (h * w)).view(n, 1, 1, 1, 1)
    weight = wy[:, :, None, :, None] * wx[:, None, :, None, :]
    weight = weight * (vy[:, :, None] & vx[:, None, :])[..., None, None]
    table = feat.permute(0, 2, 3, 1).reshape(b * h * w, c)  # each gathered row is one C-vector
    values = table.index_select(0, index.reshape(-1)).view(n * aligned * aligned, 4, c)
    out = torch.bmm(weight.reshape(n * aligned * aligned, 1, 4), values)  # (N*a*a, 1, C)
    return out.view(n, aligned, aligned, c).permute(0, 3, 1, 2)


def roi_features(feat: Tensor, rois: Tensor, spatial_scale: float, batch_index: Tensor | None = None) -> Tensor:
    """RoIAlignAdaMax: adaptive 7x7 align, 3x3 max-pool (stride 2), flattened to (N, C*9)."""
    aligned = adaptive_roi_align(feat, rois, spatial_scale, ALIGNED, batch_index)
    pooled = F.max_pool2d(aligned, kernel_size=3, stride=2)
    return pooled.flatten(1)
