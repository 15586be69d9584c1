"""Issue 17 acceptance: the CPU path gives the same boxes before and after the device work.

Tracks both bundled samples with rtmdnet, metartt and metartt-prune (default backbone, shipped weights,
seed 0, 1 torch thread) through the package at SRC (a checkout of any commit; only its core is imported)
and writes '%.6f' boxes to OUT, then compares two such folders:

    git worktree add /tmp/old17 b600728
    OMP_NUM_THREADS=1 .venv/bin/python reports/2026-12-01-gpu/boxes_cpu_unchanged.py /tmp/old17 /tmp/before17
    OMP_NUM_THREADS=1 .venv/bin/python reports/2026-12-01-gpu/boxes_cpu_unchanged.py . /tmp/after17
    .venv/bin/python reports/2026-12-01-gpu/boxes_cpu_unchanged.py --compare /tmp/before17 /tmp/after17
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


def track(src: str, out: str) -> None:
    sys.path.insert(0, str(Path(src).resolve()))
    import torch
    torch.set_num_threads(1)
    from metartt_tracker.tracker import build_tracker
    Path(out).mkdir(parents=True, exist_ok=True)
    for seq, variant in NAMES:
        gt = np.loadtxt(SAMPLES / seq / 'groundtruth.txt', delimiter=',')
        boxes = build_tracker(variant).track(frames_of(seq), gt[0]).boxes
        np.savetxt(f'{out}/{seq}_{variant}.txt', boxes, fmt='%.6f', delimiter=',')
        print(seq, variant, len(boxes), flush=True)


def compare(a: str, b: str) -> None:
    worst = 0.0
    for seq, variant in NAMES:
        x, y = (np.loadtxt(f'{d}/{seq}_{variant}.txt', delimiter=',') for d in (a, b))
        diff = float(np.abs(x - y).max())
        worst = max(worst, diff)
        print(f'{seq:18} {variant:14} {len(x):4d} frames  max |diff| {diff:.6f} px')
    print(f'max |diff| over all boxes: {worst:.6f} px')


if __name__ == '__main__':
    compare(*sys.argv[2:4]) if sys.argv[1] == '--compare' else track(*sys.argv[1:3])
