"""Meta-training videos as core `Sequence`s, plus the two functions training needs on them.

Every source becomes a `metartt_tracker.data.Sequence`: a name, per-frame boxes (x, y, w, h; NaN
rows where the target is absent, which are never used as positives) and lazily decoded frames.
`visible_frames(video)` gives the indices usable as positives and `load_frames(video, indices)`
decodes only what an episode or the feature cache needs (then releases the decoder).

- `sequence_videos`: our packed `video.mp4` folders, GOT-10k and OTB folders (via `open_sequence`),
  listed by a split file (e.g. shared data `train.txt`) or a GOT-10k `list.txt`; a truncated
  video keeps the frames that decode.
- `lasot_videos`: LaSOT `<class>/<class-N>/img` + `groundtruth.txt`, `full_occlusion.txt`,
  `out_of_view.txt` (occluded / out-of-view frames become absent).
- `imagenet_vid_videos`: ImageNet-VID XML; like RT-MDNet's preprocessing, track id 0 only and
  frames where the object exceeds half the image in both width and height are dropped.
- `coco_pseudo_videos`: still images with boxes (COCO instances JSON) turned into 6-frame
  pseudo-videos by random resizing and shifting (paper §5, after DaSiamRPN).
- `frame_pseudo_videos`: the same from annotated frames of other videos, for MetaRTT+COCO where
  COCO itself is not at hand (each still is one visible frame of a training video).
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

from ..data import FrameSource, ImageFolderFrames, Sequence, open_sequence, read_boxes


def visible_frames(video: Sequence) -> np.ndarray:
    """Indices of frames with a real target box (finite, w and h > 1, not marked invisible)."""
    b = video.boxes
    ok = np.all(np.isfinite(b), axis=1) & (b[:, 2] > 1) & (b[:, 3] > 1)
    if video.visible is not None:
        ok &= video.visible
    return np.flatnonzero(ok)


def load_frames(video: Sequence, indices: list[int]) -> list[np.ndarray]:
    """RGB uint8 frames at the sorted `indices`; the video's decoder is released afterwards."""
    try:
        return [video.frames[i] for i in sorted(indices)]
    finally:
        video.frames.close()


class _PseudoFrames(FrameSource):
    """Frames made from one still image by affine maps (pseudo-videos); the still is cached until close().

    The still is an image file (`path`) or frame `index` of a video (`video`).
    """

    def __init__(self, path: Path, mats: list[np.ndarray], video: Sequence | None = None, index: int = 0) -> None:
        self.path, self.mats, self.video, self.index = Path(path), mats, video, index
        self._image: np.ndarray | None = None

    def _still(self) -> np.ndarray:
        if self._image is None:
            if self.video is not None:
                self._image = load_frames(self.video, [self.index])[0]
            else:
                with Image.open(self.path) as img:
                    self._image = np.asarray(img.convert('RGB'))
        return self._image

    def __len__(self) -> int:
        return len(self.mats)

    def __getitem__(self, index: int) -> np.ndarray:
        import cv2
        img = self._still()
        size = (img.shape[1], img.shape[0])
        return cv2.warpAffine(img, self.mats[self._normalise_index(index)], size, borderMode=cv2.BORDER_REFLECT)

    @property
    def size(self) -> tuple[int, int]:
        if self.video is not None:
            return self.video.frames.size
        with Image.open(self.path) as img:
            return img.size

    @property
    def where(self) -> Path:
        return self.path

    def close(self) -> None:
        self._image = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, '_image': None}


def _from_sequence(path: Path) -> Sequence:
    seq = open_sequence(path)
    if seq.boxes is None:
        raise ValueError(f'{path}: a training video needs ground truth')
    return seq.head(len(seq.frames)) if seq.truncated else seq  # a truncated video: the frames that decode


def sequence_videos(root: str | Path, split: str | Path | None = None) -> list[Sequence]:
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


def lasot_videos(root: str | Path, names: list[str] | None = None) -> list[Sequence]:
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
        out.append(Sequence(d.name, ImageFolderFrames(paths), boxes, d, annotation=d / 'groundtruth.txt'))
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


def imagenet_vid_videos(root: str | Path, subset: str = 'train') -> list[Sequence]:
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
        out.append(Sequence(str(rel), ImageFolderFrames(paths), np.array(boxes).reshape(-1, 4), paths[0].parent,
                            annotation=ann_dir))
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
                       min_size: float = 16.0, seed: int = 0) -> list[Sequence]:
    """One pseudo-video per non-crowd COCO box of at least `min_size` px per side."""
    data = json.loads(Path(annotation_json).read_text())
    files = {im['id']: Path(image_dir) / im['file_name'] for im in data['images']}
    out = []
    for k, ann in enumerate(data['annotations']):
        box = np.asarray(ann['bbox'], dtype=np.float64)
        if ann.get('iscrowd') or box[2] < min_size or box[3] < min_size:
            continue
        mats, boxes = _pseudo_motion(box, n_frames, np.random.default_rng((seed, k)))
        path = files[ann['image_id']]
        out.append(Sequence(f'coco_{ann["id"]}', _PseudoFrames(path, mats), boxes, path,
                            annotation=Path(annotation_json)))
    return out


def frame_pseudo_videos(videos: list[Sequence], count: int, n_frames: int = 6, min_size: float = 16.0,
                        seed: int = 0) -> list[Sequence]:
    """`count` pseudo-videos, each from one visible frame (target at least `min_size` px per side) of
    a video drawn at random, moved like `coco_pseudo_videos` (MetaRTT+COCO without COCO)."""
    rng = np.random.default_rng(seed)
    pools = [(v, [i for i in visible_frames(v) if min(v.boxes[i, 2:]) >= min_size]) for v in videos]
    pools = [(v, idx) for v, idx in pools if idx]
    if not pools and count:
        raise ValueError(f'no frame with a target of at least {min_size} px in {len(videos)} videos '
                         f'to make pseudo-videos from')
    out = []
    for k in range(count):
        video, idx = pools[rng.integers(len(pools))]
        i = int(idx[rng.integers(len(idx))])
        mats, boxes = _pseudo_motion(video.boxes[i].astype(np.float64), n_frames, np.random.default_rng((seed, k)))
        out.append(Sequence(f'still_{video.name}_{i:05d}_{k}', _PseudoFrames(video.source, mats, video, i), boxes,
                            video.source, annotation=video.annotation))
    return out
