"""Harness readers and exporters over the core `Sequence`: toolkit dataset layouts in and out.

`load_sequences` reads a folder of sequences (GOT-10k, OTB or packed layout, optionally ordered
by list.txt) or a pysot dataset (`<root>/<DS>.json`) into `metartt_tracker.data.Sequence`s (the
regions the toolkits score are `Sequence.regions`, the file they came from `.annotation`, the
image files `.paths`), checking everything before any tracking starts: a missing folder, an
empty folder, a malformed ground-truth line or a zero-size initial region is an error naming the
file (and line). A truncated video is kept as far as it decodes (the reader warns). `max_frames`
keeps the first frames (`Sequence.head`). `export_dataset` writes sequences in the layout a
toolkit expects: 'got10k' (GOT-10k split folder), 'otb' (OTB-2015), 'vot' (vot-toolkit
workspace sequences) or 'got10k-vot' (got10k's ExperimentVOT: frames beside groundtruth.txt).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Iterable

import numpy as np

from metartt_tracker.data import ImageFolderFrames, Sequence, open_sequence
from metartt_tracker.fileio import atomic_dir, atomic_write
from metartt_tracker.results import format_rows

from .regions import check_region, region_to_box

LAYOUTS = ('got10k', 'otb', 'vot', 'got10k-vot')
_GT_NAMES = ('groundtruth.txt', 'groundtruth_rect.txt')


def sequence_dirs(root: str | os.PathLike) -> list[Path]:
    """Sequence folders under `root`: those in list.txt (in order), else every sub-folder; `root`
    itself if it is one sequence."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f'{root}: sequences folder not found')
    if any((root / n).is_file() for n in (*_GT_NAMES, 'video.mp4')):
        return [root]
    listing = root / 'list.txt'
    if listing.is_file():
        names = [(n, line.strip()) for n, line in enumerate(listing.read_text().splitlines(), 1) if line.strip()]
        for n, name in names:
            if not (root / name).is_dir():
                raise FileNotFoundError(f'{listing}:{n}: sequence folder {root / name} not found')
        dirs = [root / name for _, name in names]
    else:
        dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith('.'))
    if not dirs:
        raise ValueError(f'{root}: no sequence folders in it (expected GOT-10k, OTB or packed sequences)')
    return dirs


def gt_file_of(folder: Path) -> Path:
    """The ground-truth file of a sequence folder (for messages)."""
    return next((folder / n for n in _GT_NAMES if (folder / n).is_file()), folder / _GT_NAMES[0])


def open_harness_sequence(folder: str | os.PathLike, max_frames: int = 0) -> Sequence:
    """One GOT-10k / OTB / packed sequence, first region checked; a truncated video is cut to what decodes."""
    seq = open_sequence(folder)
    gt = seq.annotation or gt_file_of(Path(folder))
    if seq.boxes is None:
        raise ValueError(f'{folder}: no ground truth ({gt.name} missing)')
    if seq.boxes.shape[0] == 0:
        raise ValueError(f'{gt}: ground-truth file is empty')
    check_region(seq.boxes[0], f'{gt}:1')
    if seq.truncated:  # tracked as far as it decodes; the reader warned with both counts
        seq = seq.head(len(seq.frames))
    return seq.head(max_frames)


def load_pysot_dataset(root: str | os.PathLike, dataset: str, max_frames: int = 0) -> list[Sequence]:
    """The videos of a pysot dataset description `<root>/<dataset>.json` (img_names relative to root)."""
    root = Path(root)
    meta_file = root / f'{dataset}.json'
    try:
        meta = json.loads(meta_file.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f'{meta_file}:{e.lineno}: not valid JSON ({e.msg})') from None
    out = []
    for video, m in meta.items():
        where = f'{meta_file}: video {video!r}'
        try:
            names, rows = m['img_names'], m['gt_rect']
        except (KeyError, TypeError):
            raise ValueError(f'{where}: needs img_names and gt_rect') from None
        paths = [_resolve_image(root, m.get('video_dir', video), n, where) for n in names]
        regions = _regions_from_rows(rows, len(paths), where)
        check_region(regions[0], f'{where}, gt_rect[0]')
        out.append(_pysot_sequence(video, paths, regions, meta_file).head(max_frames))
    if not out:
        raise ValueError(f'{meta_file}: no videos in it')
    return out


def _pysot_sequence(name: str, paths: list[Path], regions: np.ndarray, meta_file: Path) -> Sequence:
    """A pysot video: boxes, plus the polygons as written when its regions are 8 numbers."""
    polygons = regions if regions.shape[1] == 8 else None
    boxes = np.array([region_to_box(r) for r in regions]).reshape(-1, 4)
    return Sequence(name, ImageFolderFrames(paths), boxes, paths[0].parent, annotation=meta_file, polygons=polygons)


def _resolve_image(root: Path, video_dir: str, name: str, where: str) -> Path:
    for candidate in (root / name, root / video_dir / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f'{where}: frame {name} not found under {root}')


def _regions_from_rows(rows: list[list[float]], n: int, where: str) -> np.ndarray:
    """pysot gt_rect rows -> (n, 4|8) array; rows that are not 4 or 8 numbers (absent target) -> NaN."""
    if len(rows) != n:
        raise ValueError(f'{where}: {len(rows)} gt_rect rows for {n} img_names')
    widths = {len(r) for r in rows if len(r) in (4, 8)}
    width = widths.pop() if len(widths) == 1 else 4
    out = np.full((n, width), np.nan)
    for i, r in enumerate(rows):
        if len(r) == width:
            out[i] = r
        elif len(r) in (4, 8):
            out[i] = region_to_box(r)
    return out


def load_sequences(root: str | os.PathLike, dataset: str | None = None, max_frames: int = 0) -> list[Sequence]:
    """A pysot dataset if `<root>/<dataset>.json` exists, else the sequence folders under `root`."""
    if dataset and (Path(root) / f'{dataset}.json').is_file():
        return load_pysot_dataset(root, dataset, max_frames)
    return [open_harness_sequence(d, max_frames) for d in sequence_dirs(root)]


# ------------------------------------------------------------------------------ export
def export_dataset(seqs: Iterable[Sequence], dest: str | os.PathLike, layout: str,
                   image_ext: str = 'jpg', force: bool = False) -> list[Path]:
    """Write sequences in a toolkit layout under `dest` (+ list.txt except for OTB); returns their folders.

    Each sequence is written to a hidden folder and renamed when complete. An existing sequence
    folder is an error unless `force`.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}; choose one of {LAYOUTS}')
    dest, seqs = Path(dest), list(seqs)
    if layout == 'vot':
        for seq in seqs:
            for i, region in enumerate(seq.regions):
                check_region(region, f'{seq.annotation or seq.name}:{i + 1} (VOT re-initialises from any frame)')
    folders = [_export_one(seq, dest, layout, image_ext, force) for seq in seqs]
    if layout != 'otb':
        atomic_write(dest / 'list.txt', ''.join(f'{s.name}\n' for s in seqs))
    return folders


def _export_one(seq: Sequence, dest: Path, layout: str, image_ext: str, force: bool) -> Path:
    final = dest / seq.name
    if final.exists() and not force:
        raise ValueError(f'{final} already exists (use force to replace it)')
    with atomic_dir(final) as tmp:
        frames_dir, pattern = {'got10k': (tmp, '%08d'), 'otb': (tmp / 'img', '%04d'), 'vot': (tmp / 'color', '%08d'),
                               'got10k-vot': (tmp, '%08d')}[layout]
        size = _write_frames(seq, frames_dir, f'{pattern}.{image_ext}')
        _write_annotations(seq, tmp, layout, size, image_ext)
    return final


def _write_frames(seq: Sequence, folder: Path, pattern: str) -> tuple[int, int]:
    """Copy image files when the format already matches, else encode; returns (width, height)."""
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    ext = Path(pattern).suffix.lower()
    size = (0, 0)
    for i in range(len(seq)):
        dst = folder / (pattern % (i + 1))
        if seq.paths and seq.paths[i].suffix.lower() in ({ext, '.jpeg'} if ext == '.jpg' else {ext}):
            shutil.copyfile(seq.paths[i], dst)
            if i == 0:
                with Image.open(dst) as img:
                    size = img.size
        else:
            frame = seq.frames[i]
            Image.fromarray(frame).save(dst, quality=95)
            size = (frame.shape[1], frame.shape[0])
    return size


def _write_annotations(seq: Sequence, folder: Path, layout: str, size: tuple[int, int], ext: str) -> None:
    boxes = np.array([region_to_box(r) for r in seq.regions]).reshape(-1, 4)
    if layout == 'otb':
        atomic_write(folder / 'groundtruth_rect.txt', format_rows(boxes + [1, 1, 0, 0], '%.2f'))
        return
    regions = seq.regions if layout == 'vot' else boxes
    atomic_write(folder / 'groundtruth.txt', format_rows(regions, '%.4f'))
    if layout == 'vot':
        atomic_write(folder / 'sequence',
                          f'channels.color=color/%08d.{ext}\nformat=default\nfps=30\nname={seq.name}\n')
    elif layout == 'got10k':
        absent = ~np.all(np.isfinite(boxes), axis=1)
        atomic_write(folder / 'absence.label', ''.join(f'{int(a)}\n' for a in absent))
        atomic_write(folder / 'cover.label', ''.join('0\n' if a else '8\n' for a in absent))
        atomic_write(folder / 'cut_by_image.label', '0\n' * len(boxes))
        atomic_write(folder / 'meta_info.ini', f'[METAINFO]\nresolution: ({size[0]}, {size[1]})\n')
