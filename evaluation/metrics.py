"""Tracking metrics, vectorised over frames. Conventions follow the got10k toolkit (OTB protocol).

- IoU of (x, y, w, h) boxes as `got10k.utils.metrics.rect_iou` computes it (no +1 pixel offsets);
- success curve on 21 thresholds linspace(0, 1, 21) with IoU > t (strict), AUC = the curve's mean;
- centre error with centres at x + (w - 1) / 2 (got10k), precision curve on 0..50 px with
  error <= t, precision score at 20 px.
Frames whose ground truth is missing (NaN or non-positive size) are dropped from both numerator
and denominator (got10k's UAV123 convention); other conventions arrive with the evaluation issue.
"""
from __future__ import annotations

import numpy as np

SUCCESS_THRESHOLDS = np.linspace(0, 1, 21)
PRECISION_THRESHOLDS = np.arange(0, 51)


def valid_gt(gt: np.ndarray) -> np.ndarray:
    """Frames whose ground truth is a real box."""
    gt = np.asarray(gt, dtype=np.float64)
    return np.all(np.isfinite(gt), axis=1) & (gt[:, 2] > 0) & (gt[:, 3] > 0)


def overlaps(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame IoU of two (N, 4) box arrays."""
    pred, gt = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    lt = np.maximum(pred[:, :2], gt[:, :2])
    rb = np.minimum(pred[:, :2] + pred[:, 2:], gt[:, :2] + gt[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
    union = np.prod(pred[:, 2:], axis=1) + np.prod(gt[:, 2:], axis=1) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(union > 0, inter / union, 0.0)


def center_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame distance between box centres, centres at x + (w - 1) / 2."""
    pred, gt = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    cp = pred[:, :2] + (pred[:, 2:] - 1) / 2
    cg = gt[:, :2] + (gt[:, 2:] - 1) / 2
    return np.sqrt(((cp - cg) ** 2).sum(axis=1))


def success_curve(ious: np.ndarray) -> np.ndarray:
    """Fraction of frames with IoU > t for each of the 21 thresholds."""
    ious = np.asarray(ious, dtype=np.float64)
    return (ious[:, None] > SUCCESS_THRESHOLDS[None, :]).mean(axis=0)


def precision_curve(errors: np.ndarray) -> np.ndarray:
    """Fraction of frames with centre error <= t px, t = 0..50."""
    errors = np.asarray(errors, dtype=np.float64)
    return (errors[:, None] <= PRECISION_THRESHOLDS[None, :]).mean(axis=0)


def ope_scores(pred: np.ndarray, gt: np.ndarray, skip_first: bool = True) -> dict[str, float]:
    """One-pass scores of one sequence: success AUC, success rate at 0.5, precision at 20 px."""
    pred, gt = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    n = min(len(pred), len(gt))
    keep = valid_gt(gt[:n])
    if skip_first:
        keep[0] = False
    p, g = pred[:n][keep], gt[:n][keep]
    if len(g) == 0:
        raise ValueError('no frame with a valid ground-truth box to score')
    succ = success_curve(overlaps(p, g))
    prec = precision_curve(center_errors(p, g))
    return {'auc': float(succ.mean()), 'success_rate': float(succ[10]), 'precision': float(prec[20]),
            'scored_frames': int(len(g))}
