"""Issue 14 acceptance: the bundled samples give the same boxes before and after the consolidation.

Tracks both bundled samples with rtmdnet, metartt and metartt-prune (seed 0, 1 torch thread) through
the package found at SRC (a checkout of any commit) and writes '%.6f' boxes to OUT:

    git worktree add /tmp/old a7bab03
    OMP_NUM_THREADS=1 .venv/bin/python reports/2026-12-01-consolidation/boxes_before_after.py /tmp/old /tmp/old6
    OMP_NUM_THREADS=1 .venv/bin/python reports/2026-12-01-consolidation/boxes_before_after.py . /tmp/new6
    .venv/bin/python reports/2026-12-01-consolidation/boxes_before_after.py --compare /tmp/old6 /tmp/new6

An optional third argument names the backbone of the rtmdnet runs (default lite0, as issue 14 compared);
issue 17 compared the default backbone (nano16; reports/2026-12-01-gpu/README.md).
"""
import sys
from pathlib import Path

import numpy as np

SAMPLES = Path(__file__).resolve().parents[2] / 'samples'
NAMES = [(s, v) for s in ('davis_car-shadow', 'otb_Crossing') for v in ('rtmdnet', 'metartt', 'metartt-prune')]


def frames_of(seq: str) -> list[np.ndarray]:
    import cv2
    cap, frames = cv2.VideoCapture(str(SAMPLES / seq / 'video.mp4')), []
    while True:
        ok, frame = cap.read()
        if not ok:
            return frames
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))


def track(src: str, out: str, backbone: str = 'lite0') -> None:
    sys.path.insert(0, src)
    import torch
    torch.set_num_threads(1)
    try:
        from metartt_tracker.tracker import build_tracker
    except ImportError:  # before the consolidation build_tracker lived in checkpoint.py
        from metartt_tracker.checkpoint import build_tracker
    Path(out).mkdir(parents=True, exist_ok=True)
    for seq, variant in NAMES:
        gt = np.loadtxt(SAMPLES / seq / 'groundtruth.txt', delimiter=',')
        boxes = build_tracker(variant, backbone, None, 0).track(frames_of(seq), gt[0]).boxes
        np.savetxt(f'{out}/{seq}_{variant}.txt', boxes, fmt='%.6f', delimiter=',')


def compare(a: str, b: str) -> None:
    worst = 0.0
    for seq, variant in NAMES:
        x, y = (np.loadtxt(f'{d}/{seq}_{variant}.txt', delimiter=',') for d in (a, b))
        diff = float(np.abs(x - y).max())
        worst = max(worst, diff)
        print(f'{seq:18} {variant:14} {len(x):4d} frames  max |diff| {diff:.6f} px')
    print(f'max |diff| over all boxes: {worst:.6f} px')


if __name__ == '__main__':
    compare(*sys.argv[2:4]) if sys.argv[1] == '--compare' else track(*sys.argv[1:4])
