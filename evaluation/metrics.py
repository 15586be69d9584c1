"""Tracking metrics, vectorised over frames, each computed the way a named reference toolkit does.

Overlaps come from `metartt_tracker.overlap` (the one overlap module: `box_iou`, `raster_overlaps`),
frame states are `metartt_tracker.results.FrameState` and a reset-based run is a
`metartt_tracker.results.ResetRun`.

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
A run is a `ResetRun`: per-frame boxes plus a `FrameState` each (TRACKED, or VOT's INIT, FAILURE, SKIPPED).

FPS: frames / total tracking seconds, with and without the first frame (plus got10k's mean of
per-frame 1/t for comparison).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

import numpy as np

from metartt_tracker.overlap import box_iou, raster_overlaps
from metartt_tracker.results import FrameState, ResetRun

SUCCESS_THRESHOLDS = np.linspace(0, 1, 21)
PRECISION_THRESHOLDS = np.arange(0, 51)
NORM_PRECISION_THRESHOLDS = np.arange(0, 51) / 100
GOT10K_THRESHOLDS = np.linspace(0, 1, 101)

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
    #   | 'nonpositive' (NaN, or any of x, y, w, h <= 0: a box touching the image's top or left edge too)
    source: str  # where the convention comes from
    norm_precision_invalid: str | None = None  # normalised precision on invalid-GT frames (None: as precision)
    invisible: str = 'ignore'  # frames the dataset flags absent: 'ignore' (the GT alone decides) | 'invalid'
    #   (also invalid) | 'miss' (invalid, and a miss for both precisions whatever the rules above say)
    hold_empty: bool = False  # a predicted box of zero width or height is replaced by the previous prediction

    def invalid_mask(self, gt: np.ndarray, visible: np.ndarray | None = None) -> np.ndarray:
        """Frames this convention treats as having no ground truth."""
        gt = _boxes(gt)
        if self.invalid_is == 'nan':
            bad = np.any(np.isnan(gt), axis=1)
        elif self.invalid_is == 'nonpositive':
            with np.errstate(invalid='ignore'):
                bad = ~np.all(gt > 0, axis=1)  # NaN > 0 is False
        else:
            bad = ~valid_gt(gt)
        if visible is not None and self.invisible != 'ignore':
            bad = bad | ~np.asarray(visible, bool)
        return bad


_PYTRACKING = 'pytracking analysis/extract_results.py (calc_seq_err_robust, 2023-12 HEAD): pred[0] = anno[0]; ' \
              'valid = all four GT values > 0 and visible; invalid: overlap -1 (miss), normalised centre error -1 (hit)'

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
    Convention('pytracking', 'gt', 'miss', 'miss', 'nonpositive', _PYTRACKING + '; centre error inf (miss)',
               norm_precision_invalid='hit', invisible='invalid', hold_empty=True),
    Convention('pytracking-uav', 'gt', 'miss', 'hit', 'nonpositive', _PYTRACKING + "; dataset 'uav': centre error -1 (hit)",
               norm_precision_invalid='hit', invisible='invalid', hold_empty=True),
    Convention('pytracking-lasot', 'gt', 'miss', 'miss', 'nonpositive',
               _PYTRACKING + "; dataset 'lasot': both centre errors inf (miss) where the target is absent",
               norm_precision_invalid='hit', invisible='miss', hold_empty=True),
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


def _passes(values: np.ndarray, thresholds: np.ndarray, above: bool, keep: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """(N, T) 1.0 where a frame passes a threshold (`hit` frames pass whatever their value), NaN where not scored."""
    with np.errstate(invalid='ignore'):
        passed = values[:, None] > thresholds[None, :] if above else values[:, None] <= thresholds[None, :]
    return np.where(keep[:, None], (passed | hit[:, None]).astype(np.float64), np.nan)


def _held(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Zero-width or -height predictions replaced by the previous (already replaced) one where the GT has no NaN."""
    pred = pred.copy()
    for i in np.flatnonzero(np.any(pred[:, 2:] == 0, axis=1) & ~np.any(np.isnan(gt), axis=1)):
        if i > 0:
            pred[i] = pred[i - 1]
    return pred


def _rate(passes: np.ndarray) -> np.ndarray:
    """Fraction of scored frames passing each threshold (NaN where no frame is scored)."""
    scored = ~np.isnan(passes[:, 0]) if len(passes) else np.zeros(0, bool)
    return passes[scored].mean(axis=0) if scored.any() else np.full(passes.shape[1], np.nan)


@dataclass(frozen=True)
class FramePasses:
    """Per frame and threshold of one sequence: 1 where the frame passes, 0 where it fails, NaN where the
    convention does not score it. Curves are column means; pooling frames of several sequences (per-frame
    attributes) is concatenating rows."""

    success: np.ndarray  # (N, 21) IoU > t
    precision: np.ndarray  # (N, 51) centre error <= t px
    norm_precision: np.ndarray  # (N, 51) normalised centre error <= t / 100

    def curves(self, rows: np.ndarray | None = None) -> Curves | None:
        """Curves over all frames, or over the `rows` (a boolean mask); None when no chosen frame is scored."""
        parts = [p if rows is None else p[np.asarray(rows, bool)] for p in (self.success, self.precision,
                                                                             self.norm_precision)]
        frames = int((~np.isnan(parts[0][:, 0])).sum()) if len(parts[0]) else 0
        return Curves(*map(_rate, parts), frames) if frames else None

    @staticmethod
    def concat(items: Iterable['FramePasses | None'], rows: Iterable[np.ndarray]) -> 'FramePasses':
        """The chosen rows of several sequences, as one pool of frames."""
        pairs = [(p, np.asarray(r, bool)) for p, r in zip(items, rows) if p is not None]
        return FramePasses(*(np.concatenate([getattr(p, f)[r] for p, r in pairs] or [np.zeros((0, n))])
                             for f, n in (('success', 21), ('precision', 51), ('norm_precision', 51))))


def frame_passes(pred: np.ndarray, gt: np.ndarray, conv: str | Convention = 'metartt',
                 visible: np.ndarray | None = None) -> FramePasses:
    """Which frames of one sequence pass each success / precision threshold under a convention."""
    c = convention(conv)
    pred, gt = _boxes(pred), _boxes(gt)
    if len(pred) != len(gt):
        raise ValueError(f'{len(pred)} predicted boxes but {len(gt)} ground-truth rows')
    if visible is not None and len(visible) != len(gt):
        raise ValueError(f'{len(visible)} visibility flags but {len(gt)} ground-truth rows')
    if c.hold_empty:
        pred = _held(pred, gt)
    if c.first_frame == 'gt' and len(pred):
        pred = pred.copy()
        pred[0] = gt[0]
    invalid = c.invalid_mask(gt, visible)
    shown = np.ones(len(gt), bool) if visible is None else np.asarray(visible, bool)
    absent = ~shown if c.invisible == 'miss' else np.zeros(len(gt), bool)  # a miss whatever the rule says
    frames = np.ones(len(gt), bool)
    if c.first_frame == 'skip':
        frames[:1] = False
    kept = frames & ~invalid if c.invalid == 'drop' else frames
    success = _passes(np.where(invalid, -1.0, box_iou(pred, gt)), SUCCESS_THRESHOLDS, True, kept,
                      np.zeros(len(gt), bool))
    precisions = []
    for rule, normalize, thresholds in ((c.precision_invalid, False, PRECISION_THRESHOLDS),
                                        (c.norm_precision_invalid or c.precision_invalid, True, NORM_PRECISION_THRESHOLDS)):
        errors = np.where(invalid, np.inf, center_errors(pred, gt, normalize))
        precisions.append(_passes(errors, thresholds, False, frames & ~invalid if rule == 'drop' else frames,
                                  invalid & (rule == 'hit') & ~absent))
    return FramePasses(success, *precisions)


def ope_curves(pred: np.ndarray, gt: np.ndarray, conv: str | Convention = 'metartt',
               visible: np.ndarray | None = None) -> Curves:
    """Success, precision and normalised-precision curves of one sequence under a convention;
    `visible` (per-frame target-present flags of the dataset, optional) matters where the convention uses them."""
    curves = frame_passes(pred, gt, conv, visible).curves()
    if curves is None:
        raise ValueError('no frame with a valid ground-truth box to score')
    return curves


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
    return box_iou(pred, gt, size)[keep]


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


# --------------------------------------------------------------------------- VOT accuracy, failures, EAO


def with_vot_overlaps(run: ResetRun, regions: np.ndarray, size: tuple[int, int]) -> ResetRun:
    """The run with its rasterised overlaps against ground-truth boxes or polygons (special frames: empty region)."""
    return replace(run, overlaps=raster_overlaps(run.tracked_boxes(), regions, size))


def _overlaps(run: ResetRun) -> np.ndarray:
    if run.overlaps is None:
        raise ValueError(f'{run.name}: no overlaps with the ground truth yet (with_vot_overlaps)')
    return run.overlaps


def accuracy_frames(run: ResetRun, burnin: int = 10, ignore_unknown: bool = True) -> np.ndarray:
    """Frames VOT's accuracy averages: tracked ones, without `burnin` frames from each (re)initialisation."""
    c = run.states
    mask = c != FrameState.FAILURE
    if ignore_unknown:
        mask &= c != FrameState.SKIPPED
    for i in np.flatnonzero(c == FrameState.INIT):
        mask[i:i + burnin] = False
    return mask


def vot_accuracy(run: ResetRun, burnin: int = 10, ignore_unknown: bool = True) -> float:
    """Mean overlap of tracked frames, skipping `burnin` frames from each (re)initialisation (vot's compute_accuracy)."""
    overlaps, mask = _overlaps(run), accuracy_frames(run, burnin, ignore_unknown)
    return float(overlaps[mask].mean()) if mask.any() else 0.0


def vot_failures(run: ResetRun) -> int:
    """Number of failures in a run."""
    return run.failures


def eao_fragments(run: ResetRun) -> list[tuple[np.ndarray, bool]]:
    """Split a run into (overlaps from an init up to its failure, reached the end?) pieces, as vot does."""
    overlaps = _overlaps(run)
    fails, inits = np.flatnonzero(run.states == FrameState.FAILURE), np.flatnonzero(run.states == FrameState.INIT)
    if not len(fails):
        return [(overlaps, True)]
    frags = [(overlaps[inits[i]:fails[i]], False) for i in range(len(fails))]
    if len(inits) > len(fails):
        frags.append((overlaps[inits[-1]:], True))
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


def vot_scores(runs: dict[str, list[ResetRun]], lengths: dict[str, int], eao_range: tuple[int, int] = VOT2016_EAO_RANGE,
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
