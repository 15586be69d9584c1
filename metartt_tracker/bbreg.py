"""Ridge bounding-box regression on RoI features, with RT-MDNet's prediction gate (modules/bbreg.py).

Targets (centre form): dx = (gx - bx) / bw, dy = (gy - by) / bh, dw = log(gw / bw), dh = log(gh / bh).
Ridge with an intercept, as sklearn's `Ridge(alpha=1000)` fits it; solved in the dual
(N x N) form because N (<= ~1200 samples) is far below the feature size (1008 or 4608).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .overlap import box_iou


def encode(boxes: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Regression targets that move `boxes` (N, 4) onto `gt` (4,)."""
    bc = boxes[:, :2] + boxes[:, 2:] / 2
    gc = gt[:2] + gt[2:] / 2
    return np.concatenate([(gc - bc) / boxes[:, 2:], np.log(gt[2:] / boxes[:, 2:])], axis=1)


def decode(boxes: np.ndarray, deltas: np.ndarray) -> np.ndarray:
    """Apply regression outputs `deltas` (N, 4) to `boxes` (N, 4)."""
    c = boxes[:, :2] + boxes[:, 2:] / 2 + deltas[:, :2] * boxes[:, 2:]
    wh = np.exp(deltas[:, 2:]) * boxes[:, 2:]
    return np.concatenate([c - wh / 2, wh], axis=1)


class BBoxRegressor:
    """Fitted once on the first frame; refines the top candidates on successful frames."""

    def __init__(self, alpha: float = 1000.0, iou_range: tuple[float, float] = (0.6, 1.0),
                 area_range: tuple[float, float] = (1.0, 2.0)) -> None:
        self.alpha = alpha
        self.iou_range = iou_range
        self.area_range = area_range
        self.weight: Tensor | None = None  # (D, 4)
        self.bias: Tensor | None = None  # (4,)

    def _in_range(self, r: np.ndarray, a: np.ndarray) -> np.ndarray:
        return ((r >= self.iou_range[0]) & (r <= self.iou_range[1])
                & (a >= self.area_range[0]) & (a <= self.area_range[1]))

    def fit(self, feats: Tensor, boxes: np.ndarray, gt: np.ndarray) -> int:
        """Fit on samples whose IoU / area ratio with `gt` is in range; returns how many were used."""
        gt = np.asarray(gt, dtype=np.float64)
        keep = self._in_range(box_iou(boxes, gt), boxes[:, 2] * boxes[:, 3] / (gt[2] * gt[3]))
        if keep.sum() < 2:
            self.weight = self.bias = None
            return int(keep.sum())
        x = feats[torch.from_numpy(np.flatnonzero(keep)).to(feats.device)].double()
        y = torch.from_numpy(encode(boxes[keep], gt)).to(feats.device)
        x_mean, y_mean = x.mean(0), y.mean(0)
        xc, yc = x - x_mean, y - y_mean
        gram = xc @ xc.T + self.alpha * torch.eye(len(xc), dtype=torch.float64, device=feats.device)
        self.weight = (xc.T @ torch.linalg.solve(gram, yc)).float()
        self.bias = (y_mean - x_mean @ self.weight.double()).float()
        return int(keep.sum())

    @property
    def fitted(self) -> bool:
        """Whether `fit` found enough samples (else boxes pass through unchanged)."""
        return self.weight is not None

    def deltas(self, feats: Tensor) -> Tensor:
        """Regression offsets (N, 4) of RoI features, float64 on their device (read back by the caller)."""
        return (feats.float() @ self.weight + self.bias).double()

    def predict(self, feats: Tensor, boxes: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
        """Refined boxes; a prediction outside the IoU / area gate reverts to its input box."""
        if self.weight is None:
            return boxes.copy()
        return self.refine(boxes, self.deltas(feats).cpu().numpy(), image_size)

    def refine(self, boxes: np.ndarray, deltas: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
        """`predict` from offsets already on the host."""
        pred = decode(boxes, deltas)
        ok = self._in_range(box_iou(boxes, pred), boxes[:, 2] * boxes[:, 3] / (pred[:, 2] * pred[:, 3]))
        pred[~ok] = boxes[~ok]
        pred[:, :2] = np.maximum(pred[:, :2], 0)
        pred[:, 2:] = np.minimum(pred[:, 2:], np.asarray(image_size, dtype=np.float64) - boxes[:, :2])
        return pred
