"""Effective receptive field of each backbone's feature cells, measured by gradients.

For a cell (i, j) well inside a 320x320 input, the gradient of its summed channels with respect
to the input (averaged over 8 random images, absolute value, summed over colour) is a map of which
pixels it sees. Its centre of mass minus stride * (i, j) is the cell's centre offset (the RoI
convention expects origin + receptive_field / 2 there); the radius holding 50 % / 90 % of the
gradient mass is its effective extent.

    .venv/bin/python reports/2026-12-01-nano/receptive_field.py   # -> receptive_field.txt
"""
from __future__ import annotations

import sys

import numpy as np
import torch

from metartt_tracker.backbones import build_backbone


def erf(name: str, size: int = 320, images: int = 8) -> dict[str, float]:
    torch.manual_seed(0)  # vggm without its official weights is randomly initialised: a geometric check only
    bb = build_backbone(name, True).eval()
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(images, 3, size, size, generator=g) * 255).requires_grad_(True)
    y = bb(bb.normalize(x))
    i = y.shape[2] // 2
    y[:, :, i, i].sum().backward()
    m = x.grad.abs().sum((0, 1)).double().numpy()
    yy, xx = np.mgrid[:size, :size]
    w = m / m.sum()
    cx, cy = float((w * xx).sum()), float((w * yy).sum())
    r = np.hypot(xx - cx, yy - cy).ravel()
    order = np.argsort(r)
    cum = np.cumsum(w.ravel()[order])
    r50, r90 = float(r[order][np.searchsorted(cum, 0.5)]), float(r[order][np.searchsorted(cum, 0.9)])
    nz = np.nonzero(m.sum(0) > 0)[0]
    return {'stride': bb.stride, 'cell': i, 'centre_offset_x': cx - bb.stride * i, 'centre_offset_y': cy - bb.stride * i,
            'r50': r50, 'r90': r90, 'theoretical_extent': float(nz[-1] - nz[0] + 1),
            'declared_centre_offset': bb.origin + bb.receptive_field / 2, 'declared_rf': bb.receptive_field}


def main() -> None:
    torch.set_num_threads(1)
    names = sys.argv[1:] or ['vggm', 'lite0', 'nano', 'nano16']
    print(f"{'backbone':8s} {'stride':>6s} {'centre dx':>9s} {'centre dy':>9s} {'r50':>6s} {'r90':>6s} "
          f"{'full extent':>11s} {'declared centre':>15s} {'declared RF':>11s}")
    for n in names:
        try:
            r = erf(n)
        except (ImportError, OSError) as e:
            print(f'{n:8s} skipped: {e}')
            continue
        print(f"{n:8s} {r['stride']:6d} {r['centre_offset_x']:9.2f} {r['centre_offset_y']:9.2f} {r['r50']:6.1f} "
              f"{r['r90']:6.1f} {r['theoretical_extent']:11.0f} {r['declared_centre_offset']:15.1f} {r['declared_rf']:11.1f}")


if __name__ == '__main__':
    main()
