"""Benchmark readers (never downloading) whose sequences are the core `Sequence`, validated on load.

Every reader returns a `Benchmark`: named `Sequence`s with 0-based ``x,y,w,h`` ground truth (NaN
where the target is absent or unannotated), per-frame visibility when the benchmark has it, VOT
polygons, the annotation file, and frames that decode only when used (image paths, or a lazily
opened video), so listing a benchmark decodes nothing and the sequences pickle to worker
processes. Annotation rows are checked against frames on load (image folders) or by
`Sequence.check()` (videos, which counts their frames); every error names the file at fault.

Layouts (`open_benchmark` detects them; `kind=` forces one):

- ``otb``: ``<Seq>/img/*.jpg|png`` + ``groundtruth_rect[.N].txt`` (1-based; comma, tab or space).
  Quirks: late starts (David 300, BlurCar1 247, BlurCar3 3, BlurCar4 18: images are numbered by
  frame id), more images than rows (Football1, Freeman3/4, Diving), two targets (Jogging,
  Skating2 -> ``Jogging.1``/``Jogging.2``, got10k's names), empty ``groundtruth_rect.1.txt``
  (Human4), Tiger1's first 5 frames omitted in OTB-2015 (pytracking). ``version`` 2013 / 2015 /
  tb50 / tb100 selects the official list; None takes every annotated folder (also DTB70).
- ``tc128``: ``<Seq>/img/*.jpg`` + ``<Seq>_gt.txt`` + ``<Seq>_frames.txt`` (first,last frame id).
- ``uav123``: ``anno/<V>/<name>.txt`` + ``data_seq/<V>/<folder>/%06d.jpg``; sub-sequences
  (``bird1_1`` ...) take their frame ranges from the toolkit's ``configSeqs.m`` or a got10k-style
  ``uav123.json`` (``config=``, else found in the root, else got10k's installed copy).
- ``dtb70``: as OTB without an official list.
- ``lasot``: ``<class>/<class-k>/img/%08d.jpg`` + ``groundtruth.txt`` + ``full_occlusion.txt`` /
  ``out_of_view.txt``; ``split`` file (default ``testing_set.txt`` when present).
- ``vot``: ``list.txt`` + ``<seq>/groundtruth.txt`` (rectangles or 8-value polygons, VOT's own
  coordinates) + frames in ``<seq>/color/`` or ``<seq>/``.
- ``got10k``: ``[<subset>/]list.txt`` + ``<seq>/%08d.jpg`` + GOT-10k labels (visible = cover > 0).
- ``packed``: our ``<seq>/video.mp4`` + GOT-10k labels; ``split`` names a list file.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..fileio import sha256_text
from .sequences import (ABSENCE, GOT_GT, PACKED_VIDEO, FrameSource, ImageFolderFrames, Sequence, VideoFrames,
                        list_images, read_boxes, read_labels)

__all__ = ['Benchmark', 'KINDS', 'OTB_SEQUENCES', 'open_benchmark', 'read_dtb70', 'read_got10k_dataset',
           'read_lasot', 'read_otb', 'read_packed', 'read_tc128', 'read_uav123', 'read_vot']

_OTB13 = ('Basketball Bolt Boy Car4 CarDark CarScale Coke Couple Crossing David David2 David3 Deer Dog1 Doll Dudek '
          'FaceOcc1 FaceOcc2 Fish FleetFace Football Football1 Freeman1 Freeman3 Freeman4 Girl Ironman Jogging Jumping '
          'Lemming Liquor Matrix Mhyang MotorRolling MountainBike Shaking Singer1 Singer2 Skating1 Skiing Soccer '
          'Subway Suv Sylvester Tiger1 Tiger2 Trellis Walking Walking2 Woman').split()
_TB50 = ('Basketball Biker Bird1 BlurBody BlurCar2 BlurFace BlurOwl Bolt Box Car1 Car4 CarDark CarScale ClifBar '
         'Couple Crowds David Deer Diving DragonBaby Dudek Football Freeman4 Girl Human3 Human4 Human6 Human9 Ironman '
         'Jump Jumping Liquor Matrix MotorRolling Panda RedTeam Shaking Singer2 Skating1 Skating2 Skiing Soccer '
         'Surfer Sylvester Tiger2 Trellis Walking Walking2 Woman').split()
_TB100_EXTRA = ('Bird2 BlurCar1 BlurCar3 BlurCar4 Board Bolt2 Boy Car2 Car24 Coke Coupon Crossing Dancer Dancer2 '
                'David2 David3 Dog Dog1 Doll FaceOcc1 FaceOcc2 Fish FleetFace Football1 Freeman1 Freeman3 Girl2 Gym '
                'Human2 Human5 Human7 Human8 Jogging KiteSurf Lemming Man Mhyang MountainBike Rubik Singer1 Skater '
                'Skater2 Subway Suv Tiger1 Toy Trans Twinnings Vase').split()
OTB_SEQUENCES: dict[Any, tuple[str, ...]] = {  # sequence folders of each OTB version (got10k's lists)
    2013: tuple(_OTB13), 'tb50': tuple(_TB50), 'tb100': tuple(sorted(_TB50 + _TB100_EXTRA)),
    2015: tuple(sorted(_TB50 + _TB100_EXTRA)),
}
OTB_START = {'David': 300, 'BlurCar1': 247, 'BlurCar3': 3, 'BlurCar4': 18}  # first annotated frame id
OTB_OMIT = {'Tiger1': 5}  # OTB-2015: frames skipped at the start (pytracking's initOmit)

_NUM = re.compile(r'(\d+)')


# --------------------------------------------------------------------------- data model


def _sequence(name: str, boxes: np.ndarray, frames: FrameSource, anno: Path, **extra: Any) -> Sequence:
    """A benchmark sequence: its frames, ground truth and annotation file (the source is that file's folder)."""
    return Sequence(name, frames, boxes, anno.parent, annotation=anno, **extra)


def _image_frames(paths: tuple[Path, ...] | list[Path]) -> ImageFolderFrames:
    """Frames from image files; nothing is decoded until a frame is read."""
    return ImageFolderFrames(list(paths))


@dataclass(frozen=True)
class Benchmark:
    """A named, ordered collection of `Sequence`s read from one local root."""

    name: str  # e.g. 'OTB2015', 'UAV123', 'sot/val'
    kind: str  # reader that produced it (a key of KINDS)
    root: Path
    sequences: tuple[Sequence, ...]
    notes: dict[str, Any] = field(default_factory=dict)  # reader facts worth recording (config source, split)

    def __len__(self) -> int:
        return len(self.sequences)

    def __iter__(self) -> Iterator[Sequence]:
        return iter(self.sequences)

    def __getitem__(self, name: str) -> Sequence:
        for s in self.sequences:
            if s.name == name:
                return s
        raise KeyError(f'{self.name}: no sequence {name!r}')

    def names(self) -> list[str]:
        """Sequence names in order."""
        return [s.name for s in self.sequences]

    def list_hash(self) -> str:
        """sha256 (16 hex digits) of the sequence names and frame counts: cites exactly which data was used."""
        text = '\n'.join(f'{s.name}\t{len(s)}' for s in self.sequences)
        return sha256_text(text)[:16]

    def subset(self, names: list[str]) -> 'Benchmark':
        """The same benchmark restricted to `names` (in that order); unknown names are an error."""
        return replace(self, sequences=tuple(self[n] for n in names))

    def frames(self) -> int:
        """Total number of annotated frames."""
        return sum(len(s) for s in self.sequences)


# --------------------------------------------------------------------------- helpers


def _nonempty(path: Path) -> bool:
    return path.is_file() and path.read_text(encoding='utf-8-sig').strip() != ''


def _one_based(boxes: np.ndarray) -> np.ndarray:
    """1-based MATLAB boxes to 0-based; rows with w <= 0 or h <= 0 (OTB's '0,0,0,0') become NaN."""
    b = boxes.copy()
    b[:, :2] -= 1
    with np.errstate(invalid='ignore'):
        b[(b[:, 2] <= 0) | (b[:, 3] <= 0)] = np.nan
    return b


def _frame_ids(folder: Path) -> dict[int, Path]:
    """Images of a folder keyed by the last number in their name (0001.jpg -> 1)."""
    if not folder.is_dir():
        raise FileNotFoundError(f'frame folder not found: {folder}')
    out = {}
    for p in list_images(folder):
        nums = _NUM.findall(p.stem)
        if nums:
            out[int(nums[-1])] = p
    return out


def _pick_frames(folder: Path, first: int, count: int, anno: Path) -> tuple[Path, ...]:
    """Images with frame ids first .. first + count - 1; an error names the first one missing."""
    ids = _frame_ids(folder)
    missing = [i for i in range(first, first + count) if i not in ids]
    if missing:
        raise ValueError(f'{anno}: {count} rows need frames {first}..{first + count - 1} but {folder} has no image for '
                         f'frame {missing[0]} ({len(missing)} missing, {len(ids)} images there)')
    return tuple(ids[i] for i in range(first, first + count))


def _check_rows(anno: Path, rows: int, frames: int, where: Path) -> None:
    if rows != frames:
        raise ValueError(f'{anno}: {rows} ground-truth rows but {frames} frames in {where}')


def _list_file(path: Path) -> list[str]:
    if not path.is_file():
        raise FileNotFoundError(f'sequence list not found: {path}')
    return [line.strip() for line in path.read_text(encoding='utf-8-sig').splitlines() if line.strip()]


def _meta_info(folder: Path) -> dict[str, str]:
    """`meta_info.ini` of a GOT-10k / packed sequence as a dict ('key: value' lines)."""
    path = folder / 'meta_info.ini'
    if not path.is_file():
        return {}
    pairs = (line.split(':', 1) for line in path.read_text().splitlines() if ':' in line)
    return {k.strip(): v.strip() for k, v in pairs}


def _resolution(meta: dict[str, str], where: Path) -> tuple[int, int] | None:
    if 'resolution' not in meta:
        return None
    try:
        w, h = ast.literal_eval(meta['resolution'])
        return int(w), int(h)
    except (ValueError, SyntaxError, TypeError):
        raise ValueError(f'{where / "meta_info.ini"}: resolution must read (W, H), got {meta["resolution"]!r}') from None


def _labels(path: Path, rows: int) -> np.ndarray | None:
    if not path.is_file():
        return None
    values = read_labels(path)
    if len(values) != rows:
        raise ValueError(f'{path}: {len(values)} labels but {rows} ground-truth rows')
    return values


def _missing(root: Path, wanted: list[str], found: list[str], what: str) -> None:
    lost = [n for n in wanted if n not in found]
    if lost:
        raise FileNotFoundError(f'{root}: {len(lost)} {what} sequence(s) missing, e.g. {lost[:5]} '
                                f'(nothing is downloaded; read a subset with --sequences a,b (Python: names=[...])'
                                f'{", or drop --version to take every annotated folder" if what.startswith("OTB") else ""})')


# --------------------------------------------------------------------------- OTB family


def _otb_targets(folder: Path) -> list[Path]:
    files = sorted(folder.glob('groundtruth_rect*.txt'))
    return [f for f in files if _nonempty(f)]


def _otb_sequence(folder: Path, anno: Path, name: str, omit: int = 0) -> Sequence:
    boxes = _one_based(read_boxes(anno))
    start = OTB_START.get(folder.name, 1)
    frames = _pick_frames(folder / 'img', start, len(boxes), anno)
    return _sequence(name, boxes[omit:], _image_frames(frames[omit:]), anno)


def read_otb(root: str | Path, version: Any = 2015, names: list[str] | None = None, name: str | None = None,
             kind: str = 'otb') -> Benchmark:
    """OTB-2013 / 2015 / tb50 / tb100 (official folder list), or every annotated folder (version None)."""
    root = Path(root)
    if version is not None and version not in OTB_SEQUENCES:
        raise ValueError(f'unknown OTB version {version!r}; choose one of {list(OTB_SEQUENCES)} or None')
    folders = sorted(p for p in root.iterdir() if p.is_dir() and _otb_targets(p)) if root.is_dir() else []
    if version is not None:
        _missing(root, [n for n in OTB_SEQUENCES[version] if names is None or n.split('.')[0] in names],
                 [f.name for f in folders], f'OTB-{version}')
        folders = [f for f in folders if f.name in OTB_SEQUENCES[version]]
    if not folders:
        raise FileNotFoundError(f'{root}: no <sequence>/groundtruth_rect.txt folders')
    omit = OTB_OMIT if version in (2015, 'tb100') else {}
    seqs = []
    for folder in folders:
        targets = _otb_targets(folder)
        for i, anno in enumerate(targets, 1):
            label = folder.name if len(targets) == 1 else f'{folder.name}.{i}'
            seqs.append(_otb_sequence(folder, anno, label, omit.get(folder.name, 0)))
    bench = Benchmark(name or (f'OTB{version}' if version else root.name), kind, root, tuple(seqs))
    return bench.subset([n for n in bench.names() if n in names or n.split('.')[0] in names]) if names else bench


def read_dtb70(root: str | Path, names: list[str] | None = None) -> Benchmark:
    """DTB70: OTB layout (``<Seq>/img/%05d.jpg`` + 1-based ``groundtruth_rect.txt``), no official list."""
    return read_otb(root, None, names, 'DTB70', 'dtb70')


def read_tc128(root: str | Path, names: list[str] | None = None) -> Benchmark:
    """TempleColor-128: ``<Seq>/<Seq>_gt.txt`` (1-based) with ``<Seq>_frames.txt`` giving the frame ids."""
    root = Path(root)
    seqs = []
    for folder in sorted(p for p in root.iterdir() if (p / f'{p.name}_gt.txt').is_file()):
        if names and folder.name not in names:
            continue
        anno = folder / f'{folder.name}_gt.txt'
        boxes = _one_based(read_boxes(anno))
        span = folder / f'{folder.name}_frames.txt'
        first = int(re.split(r'[,\s]+', span.read_text().strip())[0]) if span.is_file() else 1
        frames = _image_frames(_pick_frames(folder / 'img', first, len(boxes), anno))
        seqs.append(_sequence(folder.name, boxes, frames, anno))
    if not seqs:
        raise FileNotFoundError(f'{root}: no <Seq>/<Seq>_gt.txt folders (TempleColor-128 layout)')
    return Benchmark('TColor128', 'tc128', root, tuple(seqs))


# --------------------------------------------------------------------------- UAV123


_CONFIG_ROW = re.compile(r"'name'\s*,\s*'([^']+)'\s*,\s*'path'\s*,\s*'([^']*)'\s*,\s*'startFrame'\s*,\s*(\d+)\s*,"
                         r"\s*'endFrame'\s*,\s*(\d+)")


def uav123_config(path: str | Path, version: str = 'UAV123') -> dict[str, tuple[str, int, int]]:
    """Sub-sequence table {name: (folder, first, last)} from ``configSeqs.m`` or a got10k-style json."""
    path = Path(path)
    text = path.read_text(encoding='utf-8-sig')
    if path.suffix == '.json':
        table = json.loads(text)
        table = table.get(version, table)
        return {k: (v['folder_name'], int(v['start_frame']), int(v['end_frame'])) for k, v in table.items()}
    rows = {m[0]: (re.split(r'[\\/]', m[1].rstrip('\\/'))[-1] or m[0], int(m[2]), int(m[3]))
            for m in _CONFIG_ROW.findall(text)}
    if not rows:
        raise ValueError(f"{path}: no struct('name',...,'path',...,'startFrame',N,'endFrame',M) entries")
    return rows


def _find_uav_config(root: Path, config: str | Path | None) -> Path | None:
    if config is not None:
        return Path(config)
    for cand in (root / 'configSeqs.m', root / 'uav123.json'):
        if cand.is_file():
            return cand
    try:
        import got10k
    except ImportError:
        return None
    cand = Path(got10k.__file__).parent / 'datasets' / 'uav123.json'
    return cand if cand.is_file() else None


def read_uav123(root: str | Path, version: str = 'UAV123', config: str | Path | None = None,
                names: list[str] | None = None) -> Benchmark:
    """UAV123 / UAV20L / UAV123_10fps: annotation files per (sub-)sequence, frame ranges from the config."""
    root = Path(root)
    anno_dir, data_dir = root / 'anno' / version, root / 'data_seq' / version
    if not anno_dir.is_dir():
        raise FileNotFoundError(f'{anno_dir}: not found (UAV123 layout: anno/{version}/*.txt, data_seq/{version}/)')
    cfg_path = _find_uav_config(root, config)
    table = uav123_config(cfg_path, version) if cfg_path else {}
    seqs = []
    for anno in sorted(anno_dir.glob('*.txt')):
        name = anno.stem
        if names and name not in names:
            continue
        boxes = _one_based(read_boxes(anno))
        if name in table:
            folder, first, last = table[name]
            _check_rows(anno, len(boxes), last - first + 1, data_dir / folder)
        elif re.search(r'_\d+$', name):
            raise ValueError(f'{anno}: sub-sequence {name!r} needs its frame range from configSeqs.m or uav123.json '
                             f'(pass config=; none found in {root})')
        else:
            folder, first = name, 1
        frames = _image_frames(_pick_frames(data_dir / folder, first, len(boxes), anno))
        seqs.append(_sequence(name, boxes, frames, anno))
    return Benchmark(version, 'uav123', root, tuple(seqs), {'config': str(cfg_path) if cfg_path else None})


# --------------------------------------------------------------------------- LaSOT


def _flags(path: Path, rows: int) -> np.ndarray:
    if not path.is_file():
        return np.zeros(rows, bool)
    values = [int(float(v)) for v in re.split(r'[,\s]+', path.read_text().strip()) if v]
    if len(values) != rows:
        raise ValueError(f'{path}: {len(values)} flags but {rows} ground-truth rows')
    return np.asarray(values, bool)


def read_lasot(root: str | Path, split: str | Path | None = None, names: list[str] | None = None) -> Benchmark:
    """LaSOT: ``<class>/<class-k>/`` sequences; visible = not fully occluded and not out of view."""
    root = Path(root)
    split_path = Path(split) if split else (root / 'testing_set.txt' if (root / 'testing_set.txt').is_file() else None)
    if split_path is not None and not split_path.is_absolute() and not split_path.is_file():
        split_path = root / split_path
    wanted = names or (_list_file(split_path) if split_path else None)
    folders = sorted(root.glob('*/*/groundtruth.txt'))
    found = {f.parent.name: f.parent for f in folders}
    if wanted:
        _missing(root, wanted, list(found), 'LaSOT')
    seqs = []
    for name in wanted or sorted(found):
        folder = found[name]
        anno = folder / 'groundtruth.txt'
        boxes = _one_based(read_boxes(anno))
        hidden = _flags(folder / 'full_occlusion.txt', len(boxes)) | _flags(folder / 'out_of_view.txt', len(boxes))
        frames = _pick_frames(folder / 'img', 1, len(boxes), anno)
        seqs.append(_sequence(name, boxes, _image_frames(frames), anno, visible=~hidden))
    if not seqs:
        raise FileNotFoundError(f'{root}: no <class>/<class-k>/groundtruth.txt folders (LaSOT layout)')
    return Benchmark('LaSOT', 'lasot', root, tuple(seqs), {'split': str(split_path) if split_path else None})


# --------------------------------------------------------------------------- VOT


def _read_regions(path: Path) -> np.ndarray:
    """VOT ground truth: 4-value rectangles or 8-value polygons per line, as an (N, 4|8) array."""
    rows = []
    for n, line in enumerate(path.read_text(encoding='utf-8-sig').splitlines(), 1):
        if not line.strip():
            continue
        try:
            vals = [float(v) for v in line.replace('\t', ',').split(',')]
        except ValueError:
            raise ValueError(f'{path}:{n}: expected 4 or 8 numbers (masks are not supported), '
                             f'got {line.strip()[:40]!r}') from None
        if len(vals) not in (4, 8) or (rows and len(vals) != len(rows[0])):
            raise ValueError(f'{path}:{n}: expected {len(rows[0]) if rows else "4 or 8"} numbers, got {len(vals)}')
        rows.append(vals)
    if not rows:
        raise ValueError(f'{path}: empty ground truth')
    return np.asarray(rows, dtype=np.float64)


def read_vot(root: str | Path, names: list[str] | None = None, name: str | None = None) -> Benchmark:
    """A VOT short-term dataset (e.g. VOT2016): polygons kept for overlaps, their bounding boxes as boxes."""
    root = Path(root)
    wanted = names or _list_file(root / 'list.txt')
    seqs = []
    for seq in wanted:
        folder = root / seq
        anno = folder / 'groundtruth.txt'
        if not anno.is_file():
            raise FileNotFoundError(f'{anno}: listed in {root / "list.txt"} but missing')
        regions = _read_regions(anno)
        img_dir = folder / 'color' if (folder / 'color').is_dir() else folder
        frames = tuple(list_images(img_dir))
        _check_rows(anno, len(regions), len(frames), img_dir)
        if regions.shape[1] == 8:
            p = regions.reshape(-1, 4, 2)
            boxes, polygons = np.concatenate([p.min(1), p.max(1) - p.min(1)], axis=1), regions
        else:
            boxes, polygons = regions, None
        seqs.append(_sequence(seq, boxes, _image_frames(frames), anno, polygons=polygons))
    return Benchmark(name or root.name, 'vot', root, tuple(seqs))


# --------------------------------------------------------------------------- GOT-10k and packed


def _got_like(folder: Path, images: tuple[Path, ...] | None) -> Sequence:
    """One GOT-10k-labelled sequence (image files, or the packed video, opened lazily, when `images` is None)."""
    anno = folder / GOT_GT
    boxes = read_boxes(anno)
    absent = _labels(folder / ABSENCE, len(boxes))
    cover = _labels(folder / 'cover.label', len(boxes))
    if absent is not None:
        boxes[absent == 1] = np.nan
    visible = cover > 0 if cover is not None else (absent == 0 if absent is not None else None)
    if images is not None and len(boxes) == 1 and len(images) > 1:  # GOT-10k test split: first box only
        boxes = np.vstack([boxes, np.full((len(images) - 1, 4), np.nan)])
        visible = None
    elif images is not None:
        _check_rows(anno, len(boxes), len(images), folder)
    frames = VideoFrames(folder / PACKED_VIDEO, lazy=True) if images is None else _image_frames(images)
    size = _resolution(_meta_info(folder), folder)
    return _sequence(folder.name, boxes, frames, anno, visible=visible, size=size)


def read_got10k_dataset(root: str | Path, subset: str | None = None, names: list[str] | None = None) -> Benchmark:
    """GOT-10k split folder (``list.txt`` + sequences), or its parent with ``subset``."""
    root = Path(root) / subset if subset else Path(root)
    wanted = names or _list_file(root / 'list.txt')
    seqs = []
    for n in wanted:
        folder = root / n
        imgs = tuple(list_images(folder)) if folder.is_dir() else ()
        if not imgs:
            raise FileNotFoundError(f'{folder}: listed in {root / "list.txt"} but has no frames')
        seqs.append(_got_like(folder, imgs))
    return Benchmark(f'GOT-10k/{root.name}', 'got10k', root, tuple(seqs))


def read_packed(root: str | Path, split: str | Path | None = None, names: list[str] | None = None) -> Benchmark:
    """Our packed sequences (``video.mp4`` + GOT-10k labels); `split` is a list file (relative to root or absolute)."""
    root = Path(root)
    split_path = None
    if names is None and split is not None:
        split_path = Path(split) if Path(split).is_file() else root / split
        names = _list_file(split_path)
    if names is None:
        names = sorted(p.name for p in root.iterdir() if (p / PACKED_VIDEO).is_file())
    seqs = []
    for n in names:
        folder = root / n
        if not (folder / PACKED_VIDEO).is_file():
            listed = f' (listed in {split_path})' if split_path else ''
            raise FileNotFoundError(f'{folder / PACKED_VIDEO}: not found{listed}')
        seqs.append(_got_like(folder, None))
    label = f'{root.name}/{Path(split_path).stem}' if split_path else root.name
    return Benchmark(label, 'packed', root, tuple(seqs), {'split': str(split_path) if split_path else None})


# --------------------------------------------------------------------------- detection


KINDS: dict[str, Callable[..., Benchmark]] = {
    'otb': read_otb, 'tc128': read_tc128, 'uav123': read_uav123, 'dtb70': read_dtb70, 'lasot': read_lasot,
    'vot': read_vot, 'got10k': read_got10k_dataset, 'packed': read_packed,
}


def detect_kind(root: str | Path) -> str:
    """Guess which reader a benchmark root needs from its files."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f'benchmark root not found: {root}')
    subs = [p for p in root.iterdir() if p.is_dir()]
    if (root / 'anno').is_dir() and (root / 'data_seq').is_dir():
        return 'uav123'
    if any((p / PACKED_VIDEO).is_file() for p in subs):
        return 'packed'
    if (root / 'list.txt').is_file():
        return 'got10k' if any((p / 'meta_info.ini').is_file() or (p / ABSENCE).is_file() for p in subs) else 'vot'
    if any(_otb_targets(p) for p in subs):
        names = {p.name for p in subs}
        return 'otb' if names & set(OTB_SEQUENCES['tb100']) else 'dtb70'
    if any((p / f'{p.name}_gt.txt').is_file() for p in subs):
        return 'tc128'
    if any(root.glob('*/*/groundtruth.txt')):
        return 'lasot'
    raise ValueError(f'{root}: not a benchmark layout this package reads (OTB, TC128, UAV123, DTB70, LaSOT, VOT, '
                     f'GOT-10k, packed video.mp4 folders)')


def open_benchmark(root: str | Path, kind: str | None = None, **options: Any) -> Benchmark:
    """Read a local benchmark copy; `kind` (a key of KINDS) is detected when not given.

    OTB without `version` reads every annotated folder present (official lists: version=2013/2015).
    """
    kind = kind or detect_kind(root)
    if kind not in KINDS:
        raise ValueError(f'unknown benchmark kind {kind!r}; choose one of {sorted(KINDS)}')
    if kind == 'otb':
        options.setdefault('version', None)
    return KINDS[kind](root, **options)
