"""The one overlap module: IoU of boxes, overlap of rectangles and polygons, and VOT's rasterised overlap.

Boxes are (x, y, w, h) float arrays in 0-based pixels; regions are boxes or polygons (x1, y1, ...,
xk, yk). Every overlap in the package comes from here:

- `box_iou`: vectorised IoU of boxes, optionally bounded to the image, exactly as got10k's
  `rect_iou` computes it (OPE / GOT-10k scores, and the tracker's sample and regression gates);
- `region_overlap`: geometric IoU of two regions, both clipped to the image (the failure test of
  pysot's and got10k's reset protocol; got10k's `poly_iou` on convex regions);
- `raster_overlaps`: vot-toolkit 0.7.4's overlap of regions rounded and rasterised to pixels
  (`region/raster.py`; VOT accuracy, EAO and failures);
- `polygon_to_box`: the axis-aligned box of polygons, as vot-toolkit / TraX convert them.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def _boxes(x: object) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).reshape(-1, 4)


# --------------------------------------------------------------------------- boxes


def bound_boxes(boxes: np.ndarray, size: tuple[float, float]) -> np.ndarray:
    """Clip boxes to the image exactly as got10k's `rect_iou(bound=...)` does (x first, then w)."""
    b = _boxes(boxes).copy()
    b[:, 0] = np.clip(b[:, 0], 0, size[0])
    b[:, 1] = np.clip(b[:, 1], 0, size[1])
    b[:, 2] = np.clip(b[:, 2], 0, size[0] - b[:, 0])
    b[:, 3] = np.clip(b[:, 3], 0, size[1] - b[:, 1])
    return b


def box_iou(boxes: np.ndarray, ref: np.ndarray, bound: tuple[float, float] | None = None) -> np.ndarray:
    """IoU of each box (N, 4) with the matching row of `ref` (N, 4), or with the one box `ref` (4,).

    got10k's `rect_iou`: no +1 pixel offsets, union + machine epsilon, clipped to [0, 1], NaN stays
    NaN; `bound` (W, H) first clips both to the image.
    """
    boxes, ref = _boxes(boxes), _boxes(ref)
    if bound is not None:
        boxes, ref = bound_boxes(boxes, bound), bound_boxes(ref, bound)
    lt = np.maximum(boxes[:, :2], ref[:, :2])
    rb = np.minimum(boxes[:, :2] + boxes[:, 2:], ref[:, :2] + ref[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
    union = np.prod(boxes[:, 2:], axis=1) + np.prod(ref[:, 2:], axis=1) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.clip(inter / (union + np.finfo(float).eps), 0.0, 1.0)


def polygon_to_box(polygons: np.ndarray) -> np.ndarray:
    """Axis-aligned boxes of (N, 2k) polygons as vot-toolkit / TraX convert them: min corner, max - min."""
    p = np.atleast_2d(np.asarray(polygons, dtype=np.float64))
    p = p.reshape(len(p), p.shape[1] // 2, 2)
    lo, hi = p.min(axis=1), p.max(axis=1)
    return np.concatenate([lo, hi - lo], axis=1)


# --------------------------------------------------------------------------- geometric region overlap


def _polygon(region: np.ndarray) -> np.ndarray:
    """Corners of a box (4 values) or the points of a polygon (2k values), as (k, 2)."""
    if len(region) == 4:
        x, y, w, h = region
        return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
    return region.reshape(-1, 2)


def _clip(poly: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Sutherland-Hodgman clipping of a polygon to an axis-aligned rectangle."""
    for axis, bound, keep_above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if len(poly) == 0:
            break
        inside = poly[:, axis] >= bound if keep_above else poly[:, axis] <= bound
        out = []
        for i in range(len(poly)):
            p, q, p_in, q_in = poly[i - 1], poly[i], inside[i - 1], inside[i]
            if p_in != q_in:
                t = (bound - p[axis]) / (q[axis] - p[axis])
                out.append(p + t * (q - p))
            if q_in:
                out.append(q)
        poly = np.array(out).reshape(-1, 2)
    return poly


def _signed_area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _area(poly: np.ndarray) -> float:
    return abs(_signed_area(poly)) if len(poly) >= 3 else 0.0


def _clip_convex(poly: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman clipping of a polygon to a convex polygon `window`."""
    window = window if _signed_area(window) >= 0 else window[::-1]
    for a, b in zip(window, np.roll(window, -1, axis=0)):
        if len(poly) == 0:
            break
        side = (b[0] - a[0]) * (poly[:, 1] - a[1]) - (b[1] - a[1]) * (poly[:, 0] - a[0])
        out = []
        for i in range(len(poly)):
            if (side[i - 1] >= 0) != (side[i] >= 0):
                out.append(poly[i - 1] + side[i - 1] / (side[i - 1] - side[i]) * (poly[i] - poly[i - 1]))
            if side[i] >= 0:
                out.append(poly[i])
        poly = np.array(out).reshape(-1, 2)
    return poly


def region_overlap(a: Sequence[float], b: Sequence[float], bounds: tuple[float, float] | None = None) -> float:
    """IoU of two regions (boxes, or polygons of which at least one convex), both clipped to (width, height).

    NaN when `b` (the ground truth) is not finite (not annotated; VOT ignores such frames), 0 when
    `a` (the prediction) is not. With a box on either side the other region may be any simple polygon.
    """
    a, b = np.asarray(a, dtype=np.float64).reshape(-1), np.asarray(b, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(b)):
        return float('nan')
    if not np.all(np.isfinite(a)):
        return 0.0
    x0, y0, x1, y1 = (0.0, 0.0, *bounds) if bounds else (-np.inf, -np.inf, np.inf, np.inf)
    pa, pb = _clip(_polygon(a), x0, y0, x1, y1), _clip(_polygon(b), x0, y0, x1, y1)
    if len(b) == 4 and len(a) != 4:
        a, b, pa, pb = b, a, pb, pa
    if len(a) == 4:
        ax, ay, aw, ah = a
        window = (max(x0, ax), max(y0, ay), min(x1, ax + aw), min(y1, ay + ah))
        inter = _area(_clip(pb, *window)) if aw > 0 and ah > 0 else 0.0
    else:
        inter = _area(_clip_convex(pb, pa)) if len(pa) >= 3 else 0.0
    union = _area(pa) + _area(pb) - inter
    return inter / union if union > 0 else 0.0


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


def _pixels(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """Pixel count of the inclusive spans [x0, x1] x [y0, y1] (0 when empty)."""
    return np.clip(x1 - x0 + 1, 0, None) * np.clip(y1 - y0 + 1, 0, None)


def _rect_raster_overlaps(p: tuple[np.ndarray, ...], g: tuple[np.ndarray, ...], size: tuple[int, int]) -> np.ndarray:
    win, identical, outside = _window(p[1], g[1], size)
    ax0, ax1, ay0, ay1 = _spans(p[0], p[2], win)
    bx0, bx1, by0, by1 = _spans(g[0], g[2], win)
    inter = _pixels(np.maximum(ax0, bx0), np.minimum(ax1, bx1), np.maximum(ay0, by0), np.minimum(ay1, by1))
    union = _pixels(ax0, ax1, ay0, ay1) + _pixels(bx0, bx1, by0, by1) - inter
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
    inter, rect_area = int(inside.sum()), int(_pixels(x0, x1, y0, y1))
    union = int(mask.sum()) + rect_area - inter
    return inter / union if union > 0 else 0.0
