"""How much a target's RoI features depend on the scene crop around it (issue 15 item 1).

nano's squeeze-excitation blocks average over the whole crop, so the same target box can give
different features in a small scene (tracking: the union of the 256 candidates) and in a large one
(first frame: the union of 5000 negatives), and the black padding outside the image takes part too.
lite0 (EfficientNet-Lite, no squeeze-excitation) only sees its receptive field.

For each bundled sample, frames 1, 30, 60: the target's RoI feature from scenes of growing size
(target box padded by 2x .. 12x, the resolution fixed so the target stays patch_size px), and from
the tracking-size scene with the padding (outside the image) filled with gray 128 instead of 0
(the target is moved to the image corner so padding exists). Printed: cosine similarity to the
3x-scene feature, and relative L2 distance.

    .venv/bin/python reports/2026-12-01-nano/scene_context.py > scene_context.txt
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from metartt_tracker.backbones import build_backbone
from metartt_tracker.data import open_sequence
from metartt_tracker.roi_align import boxes_to_rois, roi_features
from metartt_tracker.scene import crop, scene_for, to_tensor

SAMPLES = ('samples/davis_car-shadow', 'samples/otb_Crossing')
REF = 3.0  # reference scene: 3x the target (no RoI near the crop border)
FACTORS = (2.0, 5.0, 8.0, 12.0)


def target_feature(bb, img, target, factor, patch=107, pad_value=0.0):
    """RoI feature of `target` from a scene of `factor` x the target size centred on it."""
    centre, wh = target[:2] + target[2:] / 2, target[2:] * factor
    scene = scene_for(np.concatenate([centre - wh / 2, wh]), target[2:], patch, 10_000)
    x = crop(img - pad_value, [scene]) + pad_value  # zeros outside the image become pad_value
    with torch.inference_mode():
        fmap = bb(bb.normalize(x))
        rois = boxes_to_rois(torch.tensor(target[None]).float(), torch.tensor(scene.box[None, :2]).float(),
                             torch.tensor(scene.scale[None]).float(), 1.2, bb.receptive_field, bb.origin)
        return roi_features(fmap, rois, 1.0 / bb.stride)[0]


def compare(a, b):
    return float(F.cosine_similarity(a, b, dim=0)), float((a - b).norm() / a.norm())


def main() -> None:
    torch.set_num_threads(1)
    for name in ('nano16', 'nano', 'lite0'):
        bb = build_backbone(name).eval()
        size_rows, pad_rows = {f: [] for f in FACTORS}, []
        for path in SAMPLES:
            seq = open_sequence(path)
            gt = np.loadtxt(seq.annotation, delimiter=',')
            for k, frame in enumerate(seq.frames):
                if k not in (0, 29, 59):
                    continue
                img, target = to_tensor(frame), gt[k].astype(np.float64)
                ref = target_feature(bb, img, target, REF)
                for f in FACTORS:
                    size_rows[f].append(compare(ref, target_feature(bb, img, target, f)))
                corner = np.array([2.0, 2.0, *target[2:]])  # target at the top-left corner: padding on two sides
                shifted = torch.roll(img, (int(2 - target[1]), int(2 - target[0])), dims=(1, 2))
                pad_rows.append(compare(target_feature(bb, shifted, corner, 3.0),
                                        target_feature(bb, shifted, corner, 3.0, pad_value=128.0)))
        print(f'{name}: target RoI feature against the 3x-target scene (6 frames of 2 samples; cosine / relative L2)')
        for f, rows in size_rows.items():
            c, d = np.array(rows).T
            print(f'  scene {f:.0f}x target: cosine {c.mean():.3f} (min {c.min():.3f}), rel. L2 {d.mean():.3f}')
        c, d = np.array(pad_rows).T
        print(f'  padding 128 instead of 0 (target in the corner, 3x scene): cosine {c.mean():.3f} '
              f'(min {c.min():.3f}), rel. L2 {d.mean():.3f}')


if __name__ == '__main__':
    main()
