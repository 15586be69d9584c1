"""Tracking metrics, vectorised over frames, each computed the way a named reference toolkit does.

OPE (OTB / UAV123 / TC128 / DTB70 / LaSOT; got10k `experiments/otb.py`):
- IoU of (x, y, w, h) boxes as `got10k.utils.metrics.rect_iou` (no +1 pixel offsets);
- success curve on 21 thresholds linspace(0, 1, 21) with IoU > t (strict), AUC = the curve's mean;
- centre error with centres at x + (w - 1) / 2, precision curve on 0..50 px with error <= t,
  precision score at 20 px; normalised precision (pysot / pytracking): centres divided by the
  ground-truth size, curve on 0..0.5, score at 0.2;
- per-sequence curves are averaged over sequences.
How the first frame and frames with absent / invalid ground truth count is a `Convention`; the
named ones reproduce got10k, pysot and pytracking (research/rtmdnet-and-toolkits-reference.md §4.1).

GOT-10k (`experiments/got10k.py`): IoU on frames 2..N where the target is visible, boxes bounded
to the image as `rect_iou(..., bound=...)` does; IoUs of all sequences and repetitions pooled;
AO = mean, SR0.5 / SR0.75 = fraction above 0.5 / 0.75.

VOT reset-based ("supervised") protocol, as vot-toolkit 0.7.4 (`analysis/supervised.py`) computes
it: overlaps of rasterised regions (`region/raster.py`), accuracy without 10 burn-in frames after
each (re)initialisation, failures, and EAO over a sequence-length range (VOT2016: [108, 371]).
A run is per-frame boxes plus codes: TRACKED, or VOT's specials INIT (1), FAILURE (2), SKIPPED (0).

FPS: frames / total tracking seconds, with and without the first frame (plus got10k's mean of
per-frame 1/t for comparison).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

SUCCESS_THRESHOLDS = np.linspace(0, 1, 21)
PRECISION_THRESHOLDS = np.arange(0, 51)
NORM_PRECISION_THRESHOLDS = np.arange(0, 51) / 100
GOT10K_THRESHOLDS = np.linspace(0, 1, 101)

SKIPPED, INIT, FAILURE, TRACKED = 0, 1, 2, -1  # VOT trajectory codes (0/1/2 are vot-toolkit's own)
VOT2016_EAO_RANGE = (108, 371)
VOT2017_EAO_RANGE = (100, 356)


def _boxes(x: object) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).reshape(-1, 4)


# --------------------------------------------------------------------------- boxes


def valid_gt(gt: np.ndarray) -> np.ndarray:
    """Frames whose ground truth is a real box (finite, positive width and height)."""
    gt = _boxes(gt)
    with np.errstate(invalid='ignore'):
        return np.all(np.isfinite(gt), axis=1) & (gt[:, 2] > 0) & (gt[:, 3] > 0)


def bound_boxes(boxes: np.ndarray, size: tuple[float, float]) -> np.ndarray:
    """Clip boxes to the image exactly as got10k's `rect_iou(bound=...)` does (x first, then w)."""
    b = _boxes(boxes).copy()
    b[:, 0] = np.clip(b[:, 0], 0, size[0])
    b[:, 1] = np.clip(b[:, 1], 0, size[1])
    b[:, 2] = np.clip(b[:, 2], 0, size[0] - b[:, 0])
    b[:, 3] = np.clip(b[:, 3], 0, size[1] - b[:, 1])
    return b


def overlaps(pred: np.ndarray, gt: np.ndarray, bound: tuple[float, float] | None = None) -> np.ndarray:
    """Per-frame IoU of two (N, 4) box arrays (got10k's `rect_iou`; NaN stays NaN)."""
    pred, gt = _boxes(pred), _boxes(gt)
    if bound is not None:
        pred, gt = bound_boxes(pred, bound), bound_boxes(gt, bound)
    lt = np.maximum(pred[:, :2], gt[:, :2])
    rb = np.minimum(pred[:, :2] + pred[:, 2:], gt[:, :2] + gt[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
    union = np.prod(pred[:, 2:], axis=1) + np.prod(gt[:, 2:], axis=1) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.clip(inter / (union + np.finfo(float).eps), 0.0, 1.0)


def center_errors(pred: np.ndarray, gt: np.ndarray, normalize: bool = False) -> np.ndarray:
    """Per-frame distance between box centres (x + (w - 1) / 2); in units of the GT size if `normalize`."""
    pred, gt = _boxes(pred), _boxes(gt)
    cp = pred[:, :2] + (pred[:, 2:] - 1) / 2
    cg = gt[:, :2] + (gt[:, 2:] - 1) / 2
    if normalize:
        with np.errstate(invalid='ignore', divide='ignore'):
            cp, cg = cp / gt[:, 2:], cg / gt[:, 2:]
    return np.sqrt(((cp - cg) ** 2).sum(axis=1))


# --------------------------------------------------------------------------- OPE


@dataclass(frozen=True)
class Convention:
    """How a toolkit scores the first frame and frames whose ground truth is absent or invalid."""

    name: str
    first_frame: str  # 'skip' (not scored) | 'gt' (prediction replaced by the GT, scored) | 'keep' (scored as written)
    invalid: str  # success / AO on invalid-GT frames: 'drop' (out of numerator and denominator) | 'miss'
    precision_invalid: str  # precision on invalid-GT frames: 'drop' | 'miss' | 'hit'
    invalid_is: str  # what is invalid: 'nan' (any NaN value) | 'empty' (NaN, or width / height <= 0)
    source: str  # where the convention comes from

    def invalid_mask(self, gt: np.ndarray) -> np.ndarray:
        """Frames this convention treats as having no ground truth."""
        gt = _boxes(gt)
        return ~valid_gt(gt) if self.invalid_is == 'empty' else np.any(np.isnan(gt), axis=1)


CONVENTIONS: dict[str, Convention] = {c.name: c for c in (
    Convention('metartt', 'skip', 'drop', 'drop', 'empty',
               'this package: frames 2..N; frames without a valid GT box are not scored'),
    Convention('got10k', 'gt', 'miss', 'miss', 'nan',
               'got10k 0.1.3 ExperimentOTB: boxes[0] = anno[0]; NaN GT never succeeds (experiments/otb.py)'),
    Convention('got10k-uav123', 'gt', 'drop', 'drop', 'nan',
               'got10k 0.1.3 ExperimentUAV123: frames with NaN GT dropped (experiments/uav123.py)'),
    Convention('pysot', 'keep', 'miss', 'hit', 'empty',
               'pysot toolkit statistics.py: invalid GT -> IoU -1 (miss), centre error -1 (hit); '
               'all frames in the denominator'),
    Convention('pytracking', 'gt', 'miss', 'miss', 'empty',
               'pytracking extract_results.py: pred[0] = anno[0]; invalid GT -> overlap -1, centre error inf'),
    Convention('pytracking-uav', 'gt', 'miss', 'hit', 'empty',
               'pytracking extract_results.py for UAV datasets: invalid GT centre error -1 (hit)'),
)}


def convention(name: str | Convention) -> Convention:
    """A named convention (or the argument itself)."""
    if isinstance(name, Convention):
        return name
    if name not in CONVENTIONS:
        raise ValueError(f'unknown ground-truth convention {name!r}; choose one of {sorted(CONVENTIONS)}')
    return CONVENTIONS[name]


@dataclass(frozen=True)
class Curves:
    """OPE curves of one sequence (or their mean over sequences)."""

    success: np.ndarray  # (21,) fraction of frames with IoU > t
    precision: np.ndarray  # (51,) fraction with centre error <= t px
    norm_precision: np.ndarray  # (51,) fraction with normalised centre error <= t / 100
    frames: int  # frames scored (summed over sequences for a mean)

    def scores(self) -> dict[str, float]:
        """Success AUC, success rate at IoU 0.5, precision at 20 px, normalised precision at 0.2."""
        return {'auc': float(self.success.mean()), 'success_rate': float(self.success[10]),
                'precision': float(self.precision[20]), 'norm_precision': float(self.norm_precision[20])}


def _rate(values: np.ndarray, thresholds: np.ndarray, above: bool, keep: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """Fraction of kept frames passing each threshold; `hit` frames pass whatever their value."""
    with np.errstate(invalid='ignore'):
        passed = values[:, None] > thresholds[None, :] if above else values[:, None] <= thresholds[None, :]
    passed = passed | hit[:, None]
    return passed[keep].mean(axis=0) if keep.any() else np.full(len(thresholds), np.nan)


def ope_curves(pred: np.ndarray, gt: np.ndarray, conv: str | Convention = 'metartt') -> Curves:
    """Success, precision and normalised-precision curves of one sequence under a convention."""
    c = convention(conv)
    pred, gt = _boxes(pred), _boxes(gt)
    if len(pred) != len(gt):
        raise ValueError(f'{len(pred)} predicted boxes but {len(gt)} ground-truth rows')
    if c.first_frame == 'gt' and len(pred):
        pred = pred.copy()
        pred[0] = gt[0]
    invalid = c.invalid_mask(gt)
    frames = np.ones(len(gt), bool)
    if c.first_frame == 'skip':
        frames[:1] = False
    keep_succ = frames & ~invalid if c.invalid == 'drop' else frames
    keep_prec = frames & ~invalid if c.precision_invalid == 'drop' else frames
    hit = invalid & (c.precision_invalid == 'hit')
    miss = np.zeros(len(gt), bool)
    ious = np.where(invalid, -1.0, overlaps(pred, gt))
    if not keep_succ.any():
        raise ValueError('no frame with a valid ground-truth box to score')
    return Curves(_rate(ious, SUCCESS_THRESHOLDS, True, keep_succ, miss),
                  _rate(np.where(invalid, np.inf, center_errors(pred, gt)), PRECISION_THRESHOLDS, False, keep_prec, hit),
                  _rate(np.where(invalid, np.inf, center_errors(pred, gt, True)), NORM_PRECISION_THRESHOLDS, False,
                        keep_prec, hit),
                  int(keep_succ.sum()))


def mean_curves(curves: Iterable[Curves]) -> Curves:
    """Curves averaged over sequences (each sequence weighs the same, as every OPE toolkit does)."""
    curves = list(curves)
    if not curves:
        raise ValueError('no sequences to average')
    return Curves(*(np.mean([getattr(c, f) for c in curves], axis=0) for f in ('success', 'precision', 'norm_precision')),
                  sum(c.frames for c in curves))


def ope_scores(pred: np.ndarray, gt: np.ndarray, skip_first: bool = True,
               conv: str | Convention | None = None) -> dict[str, float]:
    """One-pass scores of one sequence: AUC, success rate, precision@20, norm. precision, frames scored.

    Default: our convention (frames 2..N, invalid GT dropped); `skip_first=False` scores frame 1 too.
    """
    if conv is None:
        conv = 'metartt' if skip_first else Convention('metartt-all', 'keep', 'drop', 'drop', 'empty', 'frames 1..N')
    c = ope_curves(pred, gt, conv)
    return {**c.scores(), 'scored_frames': c.frames}


# --------------------------------------------------------------------------- GOT-10k


def got10k_ious(pred: np.ndarray, gt: np.ndarray, visible: np.ndarray | None = None,
                size: tuple[float, float] | None = None) -> np.ndarray:
    """IoUs GOT-10k scores: frames 2..N with a visible target, boxes bounded to the image `size`.

    Without visibility labels (OTB-style benchmarks) frames with a valid ground-truth box count.
    """
    pred, gt = _boxes(pred), _boxes(gt)
    if len(pred) != len(gt):
        raise ValueError(f'{len(pred)} predicted boxes but {len(gt)} ground-truth rows')
    keep = valid_gt(gt) if visible is None else np.asarray(visible, bool).copy()
    keep[:1] = False
    return overlaps(pred, gt, size)[keep]


def ao_sr(ious: np.ndarray | Sequence[np.ndarray]) -> dict[str, float]:
    """AO, SR0.5, SR0.75 of pooled IoUs (concatenate sequences and repetitions first)."""
    ious = np.concatenate([np.ravel(i) for i in ious]) if isinstance(ious, (list, tuple)) else np.ravel(ious)
    if ious.size == 0:
        raise ValueError('no visible frame to score')
    return {'ao': float(ious.mean()), 'sr50': float((ious > 0.5).mean()), 'sr75': float((ious > 0.75).mean()),
            'frames': int(ious.size)}


def got10k_success_curve(ious: np.ndarray) -> np.ndarray:
    """got10k's 101-threshold success curve of pooled IoUs."""
    return (np.ravel(ious)[:, None] > GOT10K_THRESHOLDS[None, :]).mean(axis=0)


# --------------------------------------------------------------------------- speed


def fps(times: Sequence[np.ndarray] | np.ndarray, skip_first: bool = False) -> float:
    """Frames per second over all sequences: frames / total seconds (optionally without each first frame)."""
    runs = [np.ravel(t) for t in times] if isinstance(times, (list, tuple)) else [np.ravel(times)]
    runs = [t[1:] if skip_first else t for t in runs]
    total, n = sum(float(np.nansum(t)) for t in runs), sum(len(t) for t in runs)
    return n / total if total > 0 else float('nan')


def got10k_speed(times: np.ndarray | Sequence[np.ndarray]) -> float:
    """got10k's speed: the mean of per-frame 1 / t over frames with t > 0 (NaN dropped)."""
    t = np.concatenate([np.ravel(x) for x in times]) if isinstance(times, (list, tuple)) else np.ravel(times)
    t = t[np.isfinite(t) & (t > 0)]
    return float(np.mean(1.0 / t)) if len(t) else -1.0


# --------------------------------------------------------------------------- VOT rasterised overlap


def _round_rects(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rounded (x, y, w, h), pixel bounds (l, t, r, b) and emptiness; NaN rows are VOT's empty region."""
    r = np.round(_boxes(boxes))
    empty = np.any(np.isnan(r), axis=1)
    r[empty] = 0
    bounds = np.stack([r[:, 0], r[:, 1], r[:, 0] + r[:, 2] - 1, r[:, 1] + r[:, 3] - 1], axis=1)
    bounds[empty] = 0
    return r, bounds, empty


def _rect_span(lo: np.ndarray, extent: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel interval [first, last] a rectangle fills in a raster window [b0, b1] with b0 >= 0 (raster.py)."""
    first, last = np.maximum(lo, b0), np.minimum(lo + extent - 1, b1)
    outside = (lo > b1) | (lo + extent - 1 < b0)
    return first, np.where(outside, first - 1, last)


def _polygon_rows(points: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
    """Boolean mask of a polygon over a raster window, with vot-toolkit's scanline rules."""
    x0, y0, x1, y1 = window
    width, height = x1 - x0 + 1, y1 - y0 + 1
    p = np.round(points) - [x0, y0]
    yi, xi = p[:, 1], p[:, 0]
    yj, xj = np.roll(yi, 1), np.roll(xi, 1)  # edge (j, i) with j = i - 1, cyclic
    row = np.arange(height, dtype=np.float64)[:, None]
    cross = (((yi <= row) & (yj > row)) | ((yj <= row) & (yi > row)) | ((yi < row) & (yj >= row))
             | ((yj < row) & (yi >= row)) | ((yi == yj) & (yi == row)))
    r, k = yj - yi, xj - xi
    with np.errstate(divide='ignore', invalid='ignore'):
        nx = np.where(r != 0, xi + (row - yi) / np.where(r != 0, r, 1) * k, xi)
    nx = np.trunc(np.broadcast_to(nx, cross.shape))
    nodes = np.sort(np.where(cross, nx, np.inf), axis=1)
    count = cross.sum(axis=1)
    diff = np.zeros((height, width + 1), np.int64)
    ptr, live = np.zeros(height, np.int64), np.ones(height, bool)
    rows = np.arange(height)
    for _ in range(len(p)):
        act = live & (ptr < count - 1)
        if not act.any():
            break
        a = nodes[rows, np.minimum(ptr, len(p) - 1)]
        b = nodes[rows, np.minimum(ptr + 1, len(p) - 1)]
        live &= ~(act & (a >= width))
        act &= live
        skip = act & (a == b) & (ptr < count - 2)
        fill = act & ~skip & (b >= 0)
        lo, hi = np.maximum(a[fill], 0).astype(np.int64), np.minimum(b[fill], width - 1).astype(np.int64)
        ok = hi >= lo
        np.add.at(diff, (rows[fill][ok], lo[ok]), 1)
        np.add.at(diff, (rows[fill][ok], hi[ok] + 1), -1)
        ptr = ptr + np.where(skip, 1, np.where(act, 2, 0))
    return np.cumsum(diff[:, :width], axis=1) > 0


def _polygon_bounds(points: np.ndarray) -> np.ndarray:
    p = np.round(points)
    return np.round([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])


def raster_overlaps(pred: np.ndarray, gt: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Per-frame overlap as vot-toolkit computes it: regions rounded and rasterised to pixels.

    `pred` (N, 4) boxes, NaN rows = special frames (empty regions); `gt` (N, 4) boxes or (N, 8)
    polygons, NaN rows = empty; `size` (W, H) bounds the raster as every vot analysis does
    (`bounded=True`; vot's unbounded path mis-indexes regions left of x = 0 and is not reproduced).
    """
    p = _round_rects(pred)
    gt = np.asarray(gt, dtype=np.float64)
    if gt.ndim != 2 or gt.shape[1] not in (4, 8) or len(gt) != len(p[0]):
        raise ValueError(f'ground truth must be (N, 4) boxes or (N, 8) polygons for {len(p[0])} frames, got {gt.shape}')
    if gt.shape[1] == 4:
        return _rect_raster_overlaps(p, _round_rects(gt), size)
    return np.array([_poly_raster_overlap(p[0][i], p[1][i], p[2][i], g.reshape(-1, 2), size) for i, g in enumerate(gt)])


def _window(b1: np.ndarray, b2: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The raster window (union bounds within the image), and which frames are 'both empty' (1) or outside (0)."""
    union = np.stack([np.minimum(b1[..., 0], b2[..., 0]), np.minimum(b1[..., 1], b2[..., 1]),
                      np.maximum(b1[..., 2], b2[..., 2]), np.maximum(b1[..., 3], b2[..., 3])], axis=-1)
    identical = (union[..., 0] >= union[..., 2]) | (union[..., 1] >= union[..., 3])
    win = np.stack([np.maximum(0, union[..., 0]), np.maximum(0, union[..., 1]),
                    np.minimum(size[0] - 1, union[..., 2]), np.minimum(size[1] - 1, union[..., 3])], axis=-1)
    outside = (win[..., 0] >= win[..., 2]) | (win[..., 1] >= win[..., 3])
    return win, identical, outside


def _spans(r: np.ndarray, empty: np.ndarray, win: np.ndarray) -> tuple[np.ndarray, ...]:
    """First / last column and row a rounded rectangle fills inside its raster window."""
    fx, lx = _rect_span(r[..., 0], r[..., 2], win[..., 0], win[..., 2])
    fy, ly = _rect_span(r[..., 1], r[..., 3], win[..., 1], win[..., 3])
    return fx, np.where(empty, fx - 1, lx), fy, ly


def _area(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> np.ndarray:
    return np.clip(x1 - x0 + 1, 0, None) * np.clip(y1 - y0 + 1, 0, None)


def _rect_raster_overlaps(p: tuple[np.ndarray, ...], g: tuple[np.ndarray, ...], size: tuple[int, int]) -> np.ndarray:
    win, identical, outside = _window(p[1], g[1], size)
    ax0, ax1, ay0, ay1 = _spans(p[0], p[2], win)
    bx0, bx1, by0, by1 = _spans(g[0], g[2], win)
    inter = _area(np.maximum(ax0, bx0), np.minimum(ax1, bx1), np.maximum(ay0, by0), np.minimum(ay1, by1))
    union = _area(ax0, ax1, ay0, ay1) + _area(bx0, bx1, by0, by1) - inter
    out = inter / np.where(union > 0, union, 1)
    return np.where(identical, 1.0, np.where(outside, 0.0, out))


def _poly_raster_overlap(rect: np.ndarray, bounds: np.ndarray, empty: bool, poly: np.ndarray,
                         size: tuple[int, int]) -> float:
    win, identical, outside = _window(bounds[None], _polygon_bounds(poly)[None], size)
    if identical[0] or outside[0]:
        return float(identical[0])
    w = tuple(int(v) for v in win[0])
    mask = _polygon_rows(poly, w)
    x0, x1, y0, y1 = (int(v[0]) for v in _spans(rect[None], np.array([empty]), win))
    inside = mask[y0 - w[1]:max(y1 - w[1] + 1, y0 - w[1]), x0 - w[0]:max(x1 - w[0] + 1, x0 - w[0])]
    inter, rect_area = int(inside.sum()), int(_area(x0, x1, y0, y1))
    union = int(mask.sum()) + rect_area - inter
    return inter / union if union > 0 else 0.0


def polygon_to_box(polygons: np.ndarray) -> np.ndarray:
    """Axis-aligned boxes of (N, 8) polygons as vot-toolkit / TraX convert them: min corner, max - min."""
    p = np.asarray(polygons, dtype=np.float64).reshape(-1, 4, 2)
    lo, hi = p.min(axis=1), p.max(axis=1)
    return np.concatenate([lo, hi - lo], axis=1)


# --------------------------------------------------------------------------- VOT accuracy, failures, EAO


@dataclass(frozen=True)
class VotRun:
    """One reset-based run of one sequence: per-frame overlaps and trajectory codes."""

    overlaps: np.ndarray  # (N,) raster overlaps with the ground truth (special frames: empty region)
    codes: np.ndarray  # (N,) TRACKED, INIT, FAILURE or SKIPPED

    @classmethod
    def from_boxes(cls, boxes: np.ndarray, codes: np.ndarray, gt: np.ndarray,
                   size: tuple[int, int]) -> 'VotRun':
        """Overlaps computed from boxes (NaN on special frames) against boxes or polygons."""
        codes = np.asarray(codes, dtype=np.int64)
        boxes = np.where((codes == TRACKED)[:, None], _boxes(boxes), np.nan)
        return cls(raster_overlaps(boxes, gt, size), codes)


def vot_accuracy(run: VotRun, burnin: int = 10, ignore_unknown: bool = True) -> float:
    """Mean overlap of tracked frames, skipping `burnin` frames from each (re)initialisation (vot's compute_accuracy)."""
    c = run.codes
    mask = c != FAILURE
    if ignore_unknown:
        mask &= c != SKIPPED
    for i in np.flatnonzero(c == INIT):
        mask[i:i + burnin] = False
    return float(run.overlaps[mask].mean()) if mask.any() else 0.0


def vot_failures(run: VotRun) -> int:
    """Number of failures in a run."""
    return int((run.codes == FAILURE).sum())


def eao_fragments(run: VotRun) -> list[tuple[np.ndarray, bool]]:
    """Split a run into (overlaps from an init up to its failure, reached the end?) pieces, as vot does."""
    fails, inits = np.flatnonzero(run.codes == FAILURE), np.flatnonzero(run.codes == INIT)
    if not len(fails):
        return [(run.overlaps, True)]
    frags = [(run.overlaps[inits[i]:fails[i]], False) for i in range(len(fails))]
    if len(inits) > len(fails):
        frags.append((run.overlaps[inits[-1]:], True))
    return frags


def eao_curve(fragments: Sequence[tuple[np.ndarray, bool]]) -> np.ndarray:
    """Expected average overlap for every sequence length: failed fragments zero-padded, finished ones masked."""
    n = max(len(o) for o, _ in fragments)
    values = np.zeros((len(fragments), n))
    mask = np.zeros((len(fragments), n))
    for i, (o, finished) in enumerate(fragments):
        values[i, :len(o)] = o
        mask[i, :len(o) if finished else n] = 1
    running = values.copy()
    running[:, 1:] = np.cumsum(values[:, 1:], axis=1) / np.arange(1, n)
    return (running * mask).sum(axis=0) / mask.sum(axis=0)


def eao_score(curve: np.ndarray, low: int, high: int) -> float:
    """Mean of the EAO curve over sequence lengths [low, high] (NaN if every fragment is shorter than low)."""
    part = curve[low:high + 1]
    return float(part.mean()) if len(part) else float('nan')


def vot_scores(runs: dict[str, list[VotRun]], lengths: dict[str, int], eao_range: tuple[int, int] = VOT2016_EAO_RANGE,
               burnin: int = 10, sensitivity: float = 30.0) -> dict[str, object]:
    """Accuracy, failures and EAO over sequences (each with its repetitions), as vot-toolkit aggregates them.

    Accuracy and failures are averaged over repetitions per sequence, then weighted by sequence length;
    `ar_robustness` = exp(-sensitivity * failures / mean length); EAO pools every fragment of every run.
    """
    if not runs:
        raise ValueError('no runs to score')
    acc = {s: np.mean([vot_accuracy(r, burnin) for r in rs]) for s, rs in runs.items()}
    fail = {s: np.mean([vot_failures(r) for r in rs]) for s, rs in runs.items()}
    w = np.array([lengths[s] for s in runs], dtype=np.float64)
    accuracy = float(np.dot([acc[s] for s in runs], w) / w.sum())
    failures = float(np.dot([fail[s] for s in runs], w) / w.sum())
    curve = eao_curve([f for rs in runs.values() for r in rs for f in eao_fragments(r)])
    return {'accuracy': accuracy, 'failures': failures,
            'ar_robustness': float(np.exp(-sensitivity * failures / (w.sum() / len(w)))),
            'total_failures': float(sum(fail.values())), 'eao': eao_score(curve, *eao_range), 'eao_curve': curve}
