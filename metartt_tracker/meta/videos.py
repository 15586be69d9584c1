"""Annotated training videos for meta-learning, from the datasets the paper and RT-MDNet use.

Every source becomes a `TrainingVideo`: a name, per-frame boxes (x, y, w, h; NaN rows where the
target is absent, which are never used as positives) and `frames(indices)` decoding only what an
episode or the feature cache needs.

- `sequence_videos`: our packed `video.mp4` folders, GOT-10k and OTB folders (via `open_sequence`),
  listed by a split file (e.g. shared data `train.txt`) or a GOT-10k `list.txt`.
- `lasot_videos`: LaSOT `<class>/<class-N>/img` + `groundtruth.txt`, `full_occlusion.txt`,
  `out_of_view.txt` (occluded / out-of-view frames become absent).
- `imagenet_vid_videos`: ImageNet-VID XML; like RT-MDNet's preprocessing, track id 0 only and
  frames where the object exceeds half the image in both width and height are dropped.
- `coco_pseudo_videos`: still images with boxes (COCO instances JSON) turned into 6-frame
  pseudo-videos by random resizing and shifting (paper §5, after DaSiamRPN).
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from ..data import open_sequence, read_boxes


@dataclass
class TrainingVideo:
    """One annotated video; `load(indices)` returns RGB uint8 frames for sorted indices."""

    name: str
    boxes: np.ndarray
    load: Callable[[list[int]], list[np.ndarray]] = field(repr=False)

    def visible(self) -> np.ndarray:
        """Indices of frames with a real target box."""
        b = self.boxes
        return np.flatnonzero(np.all(np.isfinite(b), axis=1) & (b[:, 2] > 1) & (b[:, 3] > 1))

    def frames(self, indices: list[int]) -> list[np.ndarray]:
        return self.load(sorted(indices))


def _from_sequence(path: Path) -> TrainingVideo:
    seq = open_sequence(path)
    if seq.boxes is None:
        raise ValueError(f'{path}: a training video needs ground truth')

    def load(indices: list[int]) -> list[np.ndarray]:
        wanted, out = set(indices), {}
        for i, frame in enumerate(seq.frames):
            if i in wanted:
                out[i] = frame
            if i >= indices[-1]:
                break
        return [out[i] for i in indices]
    return TrainingVideo(seq.name, np.asarray(seq.boxes, dtype=np.float64), load)


def _images(paths: list[Path]) -> Callable[[list[int]], list[np.ndarray]]:
    return lambda idx: [np.asarray(Image.open(paths[i]).convert('RGB')) for i in idx]


def sequence_videos(root: str | Path, split: str | Path | None = None) -> list[TrainingVideo]:
    """Sequences in `root` named by a split file (default: `root/list.txt`)."""
    root = Path(root)
    split = Path(split) if split else root / 'list.txt'
    if not split.is_absolute() and not split.exists():
        split = root / split
    if not split.is_file():
        raise FileNotFoundError(f'{split}: split file not found')
    names = [n for n in split.read_text().split() if n]
    if not names:
        raise ValueError(f'{split}: lists no sequences')
    return [_from_sequence(root / n) for n in names]


def lasot_videos(root: str | Path, names: list[str] | None = None) -> list[TrainingVideo]:
    """LaSOT sequences (`<root>/<class>/<class-N>`), all or the given names."""
    root = Path(root)
    dirs = [root / n.rsplit('-', 1)[0] / n for n in names] if names else sorted(root.glob('*/*-*'))
    out = []
    for d in dirs:
        boxes = read_boxes(d / 'groundtruth.txt')
        for flag in ('full_occlusion.txt', 'out_of_view.txt'):
            f = d / flag
            if f.is_file():
                hidden = np.array([int(v) for v in f.read_text().replace('\n', ',').split(',') if v.strip()], bool)
                boxes[:len(hidden)][hidden[:len(boxes)]] = np.nan
        paths = sorted((d / 'img').glob('*.jpg'))
        if len(paths) != len(boxes):
            raise ValueError(f'{d / "groundtruth.txt"}: {len(boxes)} rows but {len(paths)} frames in {d / "img"}')
        out.append(TrainingVideo(d.name, boxes, _images(paths)))
    return out


def _vid_box(xml_path: Path) -> tuple[np.ndarray, tuple[int, int]]:
    tree = ET.parse(xml_path).getroot()
    size = (int(tree.findtext('size/width')), int(tree.findtext('size/height')))
    for obj in tree.iter('object'):
        if obj.findtext('trackid') == '0':
            b = obj.find('bndbox')
            x1, y1, x2, y2 = (float(b.findtext(k)) for k in ('xmin', 'ymin', 'xmax', 'ymax'))
            return np.array([x1, y1, x2 - x1, y2 - y1]), size
    return np.full(4, np.nan), size


def imagenet_vid_videos(root: str | Path, subset: str = 'train') -> list[TrainingVideo]:
    """ImageNet-VID snippets (`Annotations/VID/<subset>/...xml`, `Data/VID/<subset>/...JPEG`)."""
    root = Path(root)
    out = []
    for ann_dir in sorted({p.parent for p in (root / 'Annotations' / 'VID' / subset).rglob('*.xml')}):
        xmls = sorted(ann_dir.glob('*.xml'))
        boxes = []
        for x in xmls:
            box, (w, h) = _vid_box(x)
            if np.all(np.isfinite(box)) and box[2] > w / 2 and box[3] > h / 2:
                box = np.full(4, np.nan)  # RT-MDNet drops targets larger than half the frame both ways
            boxes.append(box)
        rel = ann_dir.relative_to(root / 'Annotations' / 'VID' / subset)
        paths = [root / 'Data' / 'VID' / subset / rel / (x.stem + '.JPEG') for x in xmls]
        out.append(TrainingVideo(str(rel), np.array(boxes).reshape(-1, 4), _images(paths)))
    return out


def _pseudo_motion(box: np.ndarray, n: int, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """Affine maps and boxes of n pseudo-frames: identity, then resizes 1.1^U(-1,1) about the box
    centre and shifts U(+-0.2) of the box size."""
    mats, boxes = [np.array([[1.0, 0, 0], [0, 1.0, 0]])], [box]
    c = box[:2] + box[2:] / 2
    for _ in range(n - 1):
        s = 1.1 ** rng.uniform(-1, 1)
        t = rng.uniform(-0.2, 0.2, 2) * box[2:]
        mats.append(np.array([[s, 0, (1 - s) * c[0] + t[0]], [0, s, (1 - s) * c[1] + t[1]]]))
        boxes.append(np.concatenate([c + t - box[2:] * s / 2, box[2:] * s]))
    return mats, np.array(boxes)


def coco_pseudo_videos(annotation_json: str | Path, image_dir: str | Path, n_frames: int = 6,
                       min_size: float = 16.0, seed: int = 0) -> list[TrainingVideo]:
    """One pseudo-video per non-crowd COCO box of at least `min_size` px per side."""
    import cv2
    data = json.loads(Path(annotation_json).read_text())
    files = {im['id']: Path(image_dir) / im['file_name'] for im in data['images']}
    out = []
    for k, ann in enumerate(data['annotations']):
        box = np.asarray(ann['bbox'], dtype=np.float64)
        if ann.get('iscrowd') or box[2] < min_size or box[3] < min_size:
            continue
        mats, boxes = _pseudo_motion(box, n_frames, np.random.default_rng((seed, k)))

        def load(idx: list[int], path: Path = files[ann['image_id']], mats: list = mats) -> list[np.ndarray]:
            img = np.asarray(Image.open(path).convert('RGB'))
            size = (img.shape[1], img.shape[0])
            return [cv2.warpAffine(img, mats[i], size, borderMode=cv2.BORDER_REFLECT) for i in idx]
        out.append(TrainingVideo(f'coco_{ann["id"]}', boxes, load))
    return out
