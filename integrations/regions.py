"""Target regions as toolkits write them: rectangles (x, y, w, h) and 4-point polygons (8 values).

Region files are checked line by line (errors name file:line) and polygons become axis-aligned
boxes for the tracker. Their overlap (VOT's bounded overlap that detects failures in the reset
protocol) is `metartt_tracker.overlap.region_overlap`.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from metartt_tracker.overlap import polygon_to_box

_SPLIT = re.compile(r'[,;\s]+')


def region_to_box(region: Sequence[float]) -> np.ndarray:
    """x, y, w, h of a rectangle, or the min/max box around a polygon (as the VOT toolkit converts)."""
    r = np.asarray(region, dtype=np.float64).reshape(-1)
    if len(r) == 4:
        return r.copy()
    if len(r) >= 6 and len(r) % 2 == 0:
        return polygon_to_box(r)[0]
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
