"""NanoTrack v2 through `cv2.TrackerNano`: which channel order to give OpenCV (issue 18), beside CSRT.

All three trackers are deterministic (one run each), tracked in turn on every sequence in one process
with one OpenCV thread; AUC = OTB-style success AUC, frames 2..N, mean over sequences.

    .venv/bin/python reports/2026-12-01-toolkits/nanotrack_channels.py ../shared/data/sot val.txt
"""
import sys

import cv2
import numpy as np

from metartt_tracker import baselines
from metartt_tracker.data.benchmarks import open_benchmark
from metartt_tracker.evaluation import metrics as M
from metartt_tracker.results import track_sequence


def main(dataset: str, split: str) -> None:
    cv2.setNumThreads(1)
    rows = {'nanotrack, RGB to OpenCV (network sees BGR, as upstream)': ('nanotrack', 'rgb'),
            'nanotrack, BGR to OpenCV (network sees RGB)': ('nanotrack', 'bgr'), 'csrt': ('csrt', 'bgr')}
    auc = {k: [] for k in rows}
    times = {k: [] for k in rows}
    for seq in open_benchmark(dataset, split=split):
        frames = list(seq.frames)[:len(seq)]
        for label, (kind, order) in rows.items():
            baselines.NANOTRACK_INPUT = order
            res = track_sequence(baselines.OpenCVTracker(kind, threads=1), frames, seq.init_box, seq.name)
            auc[label].append(100 * M.ope_curves(res.boxes, seq.boxes).scores()['auc'])
            times[label].append(res.times)
    ref = M.fps(times['csrt'], True)
    for label in rows:
        fps = M.fps(times[label], True)
        print(f'{label:58s} AUC {np.mean(auc[label]):5.1f}  FPS frames 2..N {fps:6.1f} ({fps / ref:.2f}x CSRT)')


if __name__ == '__main__':
    main(*sys.argv[1:])
