"""Target regions as toolkits write them: rectangles (x, y, w, h) and 4-point polygons (8 values).

Region files are checked line by line (errors name file:line), polygons become axis-aligned boxes
for the tracker, and `overlap` is VOT's bounded overlap (both regions clipped to the image) used
to detect failures in the reset protocol.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Sequence

import numpy as np

_SPLIT = re.compile(r'[,;\s]+')


def region_to_box(region: Sequence[float]) -> np.ndarray:
    """x, y, w, h of a rectangle, or the min/max box around a polygon (as the VOT toolkit converts)."""
    r = np.asarray(region, dtype=np.float64).reshape(-1)
    if len(r) == 4:
        return r.copy()
    if len(r) >= 6 and len(r) % 2 == 0:
        xs, ys = r[0::2], r[1::2]
        return np.array([xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min()])
    raise ValueError(f'a region is 4 numbers (x, y, w, h) or a polygon of 2k >= 6 numbers; got {len(r)}')


def pysot_init_box(region: Sequence[float]) -> np.ndarray:
    """The box pysot's tools/test.py initialises with: get_axis_aligned_bbox, then [cx-(w-1)/2, cy-(h-1)/2, w, h].

    For polygons the box keeps the polygon's area and centre; for rectangles it is shifted by half a pixel.
    """
    r = np.asarray(region, dtype=np.float64).reshape(-1)
    if len(r) == 8:
        cx, cy = r[0::2].mean(), r[1::2].mean()
        x1, x2, y1, y2 = r[0::2].min(), r[0::2].max(), r[1::2].min(), r[1::2].max()
        a1 = np.linalg.norm(r[0:2] - r[2:4]) * np.linalg.norm(r[2:4] - r[4:6])
        s = math.sqrt(a1 / ((x2 - x1) * (y2 - y1)))
        w, h = s * (x2 - x1) + 1, s * (y2 - y1) + 1
    else:
        x, y, w, h = region_to_box(r)
        cx, cy = x + w / 2, y + h / 2
    return np.array([cx - (w - 1) / 2, cy - (h - 1) / 2, w, h])


def is_valid_box(box: Sequence[float]) -> bool:
    """Finite with positive width and height."""
    b = np.asarray(box, dtype=np.float64)
    return bool(np.all(np.isfinite(b)) and b[2] > 0 and b[3] > 0)


def _polygon(region: Sequence[float]) -> np.ndarray:
    r = np.asarray(region, dtype=np.float64).reshape(-1)
    if len(r) == 4:
        x, y, w, h = r
        return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
    return r.reshape(-1, 2)


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


def _area(poly: np.ndarray) -> float:
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def overlap(box: Sequence[float], region: Sequence[float], bounds: tuple[int, int] | None = None) -> float:
    """IoU of a predicted x,y,w,h box and a rectangle or convex polygon, both clipped to (width, height).

    NaN when the region is not annotated (non-finite values), as VOT ignores such frames.
    """
    region = np.asarray(region, dtype=np.float64)
    if not np.all(np.isfinite(region)):
        return float('nan')
    if not np.all(np.isfinite(np.asarray(box, dtype=np.float64))):
        return 0.0
    x0, y0, x1, y1 = (0.0, 0.0, *bounds) if bounds else (-np.inf, -np.inf, np.inf, np.inf)
    a, b = _clip(_polygon(box), x0, y0, x1, y1), _clip(_polygon(region), x0, y0, x1, y1)
    bx, by, bw, bh = np.asarray(box, dtype=np.float64)
    inter = _area(_clip(b, max(x0, bx), max(y0, by), min(x1, bx + bw), min(y1, by + bh))) if bw > 0 and bh > 0 else 0.0
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def read_regions(path: str | Path, widths: Sequence[int] = (4,), columns: slice | None = None) -> np.ndarray:
    """Read a region file (one region per line, comma/space separated); errors name file:line.

    `widths` are the allowed numbers of values per line; `columns` picks the numeric part of a
    wider line (NfS: slice(1, 5)). 'nan' entries are kept. Returns an (N, width) float array.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{path}: ground-truth file not found')
    lines = path.read_text(encoding='utf-8-sig').splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ValueError(f'{path}: ground-truth file is empty')
    rows = []
    for n, line in enumerate(lines, 1):
        tokens = [t for t in _SPLIT.split(line.strip()) if t]
        tokens = tokens[columns] if columns is not None else tokens
        try:
            row = [float(t) for t in tokens]
        except ValueError:
            row = []
        if len(row) not in widths or any(math.isinf(v) for v in row):
            want = ' or '.join(str(w) for w in widths)
            raise ValueError(f'{path}:{n}: expected {want} numbers, got {line.strip()!r}')
        rows.append(row)
    if len({len(r) for r in rows}) > 1:
        raise ValueError(f'{path}: lines mix region formats ({sorted({len(r) for r in rows})} values per line)')
    return np.asarray(rows, dtype=np.float64)


def check_region(region: Sequence[float], where: str) -> None:
    """ValueError naming `where` (file:line) if a region is not finite or has zero size."""
    box = region_to_box(region)
    if not is_valid_box(box):
        raise ValueError(f'{where}: region {np.asarray(region).tolist()} has zero size or is not finite')
