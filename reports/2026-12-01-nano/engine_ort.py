"""Issue 15 item 4: would an inference engine for the frozen backbone pay on the whole `update()`?

The tracker's backbone (torch, channels_last crops, as shipped) is exported to ONNX with dynamic
batch/height/width and run by onnxruntime (CPU provider, same thread count) behind the same
interface. Both engines track the same frames from the same seed, in turn (torch, ort, torch, ...),
and the script prints per-pair ratios of the backbone stage and of frames 2..N as a whole. The
rule from the issue: add the engine behind a flag only if the whole update() is >= 1.3x faster.

    .venv/bin/python reports/2026-12-01-nano/engine_ort.py --backbone nano16 --pairs 5 > engine_ort.txt

Needs onnx and onnxruntime (the `test` extra installs both).
"""
from __future__ import annotations

import argparse
import io
import statistics
import time

import numpy as np
import torch
from torch import Tensor

from metartt_tracker.bench import _load_frames
from metartt_tracker.tracker import build_tracker


class OrtBackbone:
    """A backbone's interface (geometry constants, normalize, __call__) over an onnxruntime session."""

    def __init__(self, backbone: torch.nn.Module, threads: int) -> None:
        import onnxruntime as ort
        buf = io.BytesIO()
        x = torch.rand(1, 3, 200, 300) * 255
        torch.onnx.export(backbone, (x,), buf, input_names=['x'], output_names=['y'], opset_version=17,
                          dynamic_axes={'x': {0: 'b', 2: 'h', 3: 'w'}, 'y': {0: 'b', 2: 'h', 3: 'w'}}, dynamo=False)
        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
        self.session = ort.InferenceSession(buf.getvalue(), so, providers=['CPUExecutionProvider'])
        self.torch_backbone = backbone
        for k in ('stride', 'receptive_field', 'origin', 'out_channels', 'name'):
            setattr(self, k, getattr(backbone, k))

    def normalize(self, crop: Tensor) -> Tensor:
        return self.torch_backbone.normalize(crop)

    def __call__(self, x: Tensor) -> Tensor:
        return torch.from_numpy(self.session.run(None, {'x': np.ascontiguousarray(x.numpy())})[0])


def run(tracker, imgs, box) -> dict[str, float]:
    tracker.init(imgs[0], box)
    after = tracker.timer.snapshot()
    t0 = time.perf_counter()
    for img in imgs[1:]:
        tracker.update(img)
    rest = time.perf_counter() - t0
    n = len(imgs) - 1
    bb = tracker.timer.seconds['backbone'] - after.get('backbone', 0.0)
    return {'ms_per_frame': 1000 * rest / n, 'backbone_ms': 1000 * bb / n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sample', default='samples/otb_Crossing')
    ap.add_argument('--variant', default='rtmdnet-5-5')
    ap.add_argument('--backbone', default='nano16')
    ap.add_argument('--pairs', type=int, default=5)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    imgs, box, name = _load_frames(a.sample, '640x360', 0)
    t_torch = build_tracker(a.variant, a.backbone, None, 0)
    t_ort = build_tracker(a.variant, a.backbone, None, 0)
    t_ort.backbone = OrtBackbone(t_torch.backbone, a.threads)
    with torch.inference_mode():  # same input, both engines
        x = torch.rand(1, 3, 240, 400) * 255
        diff = float((t_ort.backbone(x) - t_torch.backbone(x)).abs().max())
    print(f'{a.variant}, {a.backbone}, {name} ({len(imgs)} frames at 640x360), {a.threads} thread(s); '
          f'max |ort - torch| on one crop: {diff:.2e}')
    ratios, bb_ratios = [], []
    for i in range(a.pairs):
        rt, ro = run(t_torch, imgs, box), run(t_ort, imgs, box)
        ratios.append(rt['ms_per_frame'] / ro['ms_per_frame'])
        bb_ratios.append(rt['backbone_ms'] / ro['backbone_ms'])
        print(f"pair {i + 1}: torch {rt['ms_per_frame']:.1f} ms/frame (backbone {rt['backbone_ms']:.1f}) | "
              f"ort {ro['ms_per_frame']:.1f} ms/frame (backbone {ro['backbone_ms']:.1f})", flush=True)
    print(f'update() frames 2..N, ort speed-up over torch: median {statistics.median(ratios):.3f} '
          f'(range {min(ratios):.3f}-{max(ratios):.3f})')
    print(f'backbone stage alone, ort speed-up over torch: median {statistics.median(bb_ratios):.3f} '
          f'(range {min(bb_ratios):.3f}-{max(bb_ratios):.3f})')


if __name__ == '__main__':
    main()
