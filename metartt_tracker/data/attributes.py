"""Challenge attributes of a benchmark's sequences, read from the user's dataset copy (never downloaded).

Two kinds, as the benchmarks define them:

- per sequence (OTB, UAV123, LaSOT, TempleColor): a sequence has the attribute or not; toolkits average
  the curves of the sequences that have it. Files: one line of 0/1 flags per sequence in the benchmark's
  order (OTB toolkit ``anno/att/<Seq>.txt``, UAV123 ``anno/UAV123/att/<seq>.txt``, LaSOT toolkit
  ``annos/att/<seq>.txt``), TempleColor ``<Seq>/<Seq>_att.txt`` (abbreviations), or a pysot dataset
  JSON (``OTB100.json`` ...: ``attr`` lists of abbreviations per video);
- per frame (VOT tags ``<seq>/<tag>.tag|.label``, one 0/1 per frame as vot-toolkit reads them; GOT-10k
  ``cover.label`` / ``cut_by_image.label``): frames carry the attribute, scores pool those frames.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .benchmarks import Benchmark
from .sequences import Sequence

# The order of the flags in each benchmark's attribute files (abbreviation, full name).
OTB_ATTRIBUTES = (('IV', 'Illumination Variation'), ('OPR', 'Out-of-Plane Rotation'), ('SV', 'Scale Variation'),
                  ('OCC', 'Occlusion'), ('DEF', 'Deformation'), ('MB', 'Motion Blur'), ('FM', 'Fast Motion'),
                  ('IPR', 'In-Plane Rotation'), ('OV', 'Out of View'), ('BC', 'Background Clutter'),
                  ('LR', 'Low Resolution'))  # OTB toolkit perfPlot.m attName
UAV123_ATTRIBUTES = (('SV', 'Scale Variation'), ('ARC', 'Aspect Ratio Change'), ('LR', 'Low Resolution'),
                     ('FM', 'Fast Motion'), ('FOC', 'Full Occlusion'), ('POC', 'Partial Occlusion'),
                     ('OV', 'Out-of-View'), ('BC', 'Background Clutter'), ('IV', 'Illumination Variation'),
                     ('VC', 'Viewpoint Change'), ('CM', 'Camera Motion'), ('SOB', 'Similar Object'))  # UAV123 perfPlot.m
LASOT_ATTRIBUTES = (('IV', 'Illumination Variation'), ('POC', 'Partial Occlusion'), ('DEF', 'Deformation'),
                    ('MB', 'Motion Blur'), ('CM', 'Camera Motion'), ('ROT', 'Rotation'), ('BC', 'Background Clutter'),
                    ('VC', 'Viewpoint Change'), ('SV', 'Scale Variation'), ('FOC', 'Full Occlusion'),
                    ('FM', 'Fast Motion'), ('OV', 'Out-of-View'), ('LR', 'Low Resolution'),
                    ('ARC', 'Aspect Ratio Change'))  # LaSOT_Evaluation_Toolkit run_tracker_performance_evaluation.m
VOT_TAGS = (('camera_motion', 'Camera motion'), ('illum_change', 'Illumination change'), ('occlusion', 'Occlusion'),
            ('size_change', 'Size change'), ('motion_change', 'Motion change'), ('empty', 'No attribute'))
GOT10K_ATTRIBUTES = (('occlusion', 'Partly occluded (cover 1-7 of 8)'),
                     ('heavy_occlusion', 'Half or more hidden (cover 1-4 of 8)'),
                     ('cut_by_image', 'Cut by the image border'),
                     ('absence', 'Target leaves the view (whole sequences)'))
BY_FLAG_COUNT = {len(a): a for a in (OTB_ATTRIBUTES, UAV123_ATTRIBUTES, LASOT_ATTRIBUTES)}
ORDER = {'otb': OTB_ATTRIBUTES, 'dtb70': OTB_ATTRIBUTES, 'tc128': OTB_ATTRIBUTES, 'uav123': UAV123_ATTRIBUTES,
         'lasot': LASOT_ATTRIBUTES}


@dataclass(frozen=True)
class Attributes:
    """Which sequences (per-sequence attributes) or frames (per-frame ones) of a benchmark have each attribute."""

    names: dict[str, str]  # abbreviation -> full name, in the benchmark's order
    per_frame: bool  # True: `frames` holds per-frame flags; False: `sequences` holds each sequence's set
    source: str  # where they were read from (printed under the table)
    sequences: dict[str, frozenset[str]] = field(default_factory=dict)  # sequence -> its attributes
    frames: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # sequence -> attribute -> (N,) bool

    def mask(self, seq: Sequence, attr: str) -> np.ndarray:
        """(len(seq),) frames of `seq` with the attribute (all or none for per-sequence attributes)."""
        if not self.per_frame:
            return np.full(len(seq), attr in self.sequences.get(seq.name, ()))
        flags = self.frames.get(seq.name, {}).get(attr)
        return np.zeros(len(seq), bool) if flags is None else flags[:len(seq)]

    def count(self, bench: Benchmark, attr: str) -> int:
        """Sequences with the attribute (per sequence) or frames with it (per frame)."""
        if not self.per_frame:
            return sum(attr in self.sequences.get(s.name, ()) for s in bench)
        return int(sum(self.mask(s, attr).sum() for s in bench))


def _sequence_file(folder: Path, name: str) -> Path | None:
    """`<folder>/<name>.txt`, trying got10k's 'Jogging.1' as the toolkits' 'Jogging-1' / 'Jogging' and UAV123's
    sub-sequence 'bird1_1' as 'bird1'."""
    for candidate in (name, name.replace('.', '-'), name.split('.')[0], re.sub(r'_\d+$', '', name)):
        if (folder / f'{candidate}.txt').is_file():
            return folder / f'{candidate}.txt'
    return None


def _flags_line(path: Path, order: tuple[tuple[str, str], ...] | None) -> tuple[frozenset[str], tuple]:
    """One line of 0/1 flags -> the attributes it sets (and the order used)."""
    text = path.read_text().strip()
    try:
        values = [int(float(v)) for v in re.split(r'[,\s]+', text) if v]
    except ValueError:
        raise ValueError(f'{path}:1: expected comma-separated 0/1 flags, got {text[:60]!r}') from None
    order = order or BY_FLAG_COUNT.get(len(values))
    if order is None or len(values) != len(order) or any(v not in (0, 1) for v in values):
        want = f'{len(order)} 0/1 flags' if order else f'0/1 flags ({", ".join(map(str, sorted(BY_FLAG_COUNT)))})'
        raise ValueError(f'{path}:1: expected {want}, got {text[:60]!r}')
    return frozenset(a for (a, _), v in zip(order, values) if v), order


def _from_flag_folder(bench: Benchmark, folder: Path) -> Attributes:
    order = ORDER.get(bench.kind)
    sets = {}
    for seq in bench:
        path = _sequence_file(folder, seq.name)
        if path is None:
            raise FileNotFoundError(f'{folder}: no attribute file for sequence {seq.name!r} ({seq.name}.txt)')
        sets[seq.name], order = _flags_line(path, order)
    return Attributes(dict(order), False, str(folder), sequences=sets)


def _from_pysot_json(bench: Benchmark, path: Path) -> Attributes:
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}:{e.lineno}: not JSON ({e.msg})') from None
    if bench.kind == 'vot':
        return _vot_from_json(bench, meta, path)
    known = dict(ORDER.get(bench.kind, ()))
    sets = {}
    for seq in bench:
        video = meta.get(seq.name) or meta.get(seq.name.replace('.', '-'))
        if video is None or 'attr' not in video:
            raise ValueError(f'{path}: no "attr" list for video {seq.name!r}')
        sets[seq.name] = frozenset(video['attr'])
    seen = sorted(set().union(*sets.values()) - set(known))
    return Attributes({**known, **{a: a for a in seen}}, False, str(path), sequences=sets)


def _vot_from_json(bench: Benchmark, meta: dict, path: Path) -> Attributes:
    frames = {}
    for seq in bench:
        video = meta.get(seq.name)
        if video is None:
            raise ValueError(f'{path}: no video {seq.name!r}')
        frames[seq.name] = {t: _padded(np.asarray(video.get(t, []), bool), len(seq)) for t, _ in VOT_TAGS[:-1]}
    return _with_empty(Attributes(dict(VOT_TAGS), True, str(path), frames=frames))


def _padded(flags: np.ndarray, n: int) -> np.ndarray:
    """vot-toolkit pads short tag files with 'no' (dataset/common.py)."""
    out = np.zeros(n, bool)
    out[:min(n, len(flags))] = flags[:n]
    return out


def _with_empty(attrs: Attributes) -> Attributes:
    """VOT's 'empty' attribute: frames with none of the others."""
    for tags in attrs.frames.values():
        n = len(next(iter(tags.values()))) if tags else 0
        tags['empty'] = ~np.any([v for k, v in tags.items() if k != 'empty'] or [np.zeros(n, bool)], axis=0)
    return attrs


def _read_tag(path: Path, n: int) -> np.ndarray:
    values = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip() not in ('0', '1', ''):
            raise ValueError(f'{path}:{i}: expected 0 or 1, got {line.strip()[:20]!r}')
        values.append(line.strip() == '1')
    return _padded(np.asarray(values, bool), n)


def _vot_tags(bench: Benchmark) -> Attributes:
    frames, names = {}, dict(VOT_TAGS)
    for seq in bench:
        folder = seq.annotation.parent
        files = sorted(folder.glob('*.tag')) + sorted(folder.glob('*.label'))
        frames[seq.name] = {f.stem: _read_tag(f, len(seq)) for f in files}
        names.update({f.stem: f.stem.replace('_', ' ').capitalize() for f in files if f.stem not in names})
    if not any(frames.values()):
        raise FileNotFoundError(f'{bench.root}: no <seq>/*.tag or *.label files (VOT per-frame tags)')
    for seq in bench:  # a tag file missing from one sequence: no frame of it has the tag
        for t in names:
            frames[seq.name].setdefault(t, np.zeros(len(seq), bool))
        frames[seq.name].pop('empty')
    ordered = {k: v for k, v in names.items() if k != 'empty'} | {'empty': names['empty']}
    return _with_empty(Attributes(ordered, True, f'{bench.root}/<seq>/*.tag|*.label', frames=frames))


def _got10k_labels(bench: Benchmark) -> Attributes:
    frames = {}
    for seq in bench:
        folder = seq.annotation.parent
        cover = _label_file(folder / 'cover.label', len(seq))
        absent = _label_file(folder / 'absence.label', len(seq))
        cut = _label_file(folder / 'cut_by_image.label', len(seq))
        if cover is None:
            raise FileNotFoundError(f'{folder / "cover.label"}: GOT-10k attribute labels missing')
        leaves = bool(absent is not None and absent.any())
        frames[seq.name] = {'occlusion': (cover > 0) & (cover < 8), 'heavy_occlusion': (cover > 0) & (cover <= 4),
                            'cut_by_image': np.zeros(len(seq), bool) if cut is None else cut > 0,
                            'absence': np.full(len(seq), leaves)}
    return Attributes(dict(GOT10K_ATTRIBUTES), True, f'{bench.root}/<seq>/cover.label, absence.label, '
                      f'cut_by_image.label', frames=frames)


def _label_file(path: Path, n: int) -> np.ndarray | None:
    """A GOT-10k label file (one integer per frame), at least `n` rows; None when absent."""
    if not path.is_file():
        return None
    values = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                values.append(int(line.strip()))
            except ValueError:
                raise ValueError(f'{path}:{i}: expected an integer label, got {line.strip()[:20]!r}') from None
    if len(values) < n:
        raise ValueError(f'{path}: {len(values)} labels but the sequence has {n} frames')
    return np.asarray(values[:n], np.int64)


def _tc128(bench: Benchmark) -> Attributes:
    known = dict(OTB_ATTRIBUTES)
    sets = {}
    for seq in bench:
        path = seq.annotation.parent / f'{seq.name}_att.txt'
        if not path.is_file():
            raise FileNotFoundError(f'{path}: TempleColor attribute file missing')
        tokens = [t for t in re.split(r'[,\s]+', path.read_text().strip()) if t]
        if tokens and all(t in ('0', '1') for t in tokens):
            sets[seq.name] = _flags_line(path, OTB_ATTRIBUTES)[0]
            continue
        unknown = [t for t in tokens if t.upper() not in known]
        if unknown:
            raise ValueError(f'{path}:1: unknown attribute {unknown[0]!r}; expected OTB abbreviations {sorted(known)}')
        sets[seq.name] = frozenset(t.upper() for t in tokens)
    return Attributes(known, False, f'{bench.root}/<Seq>/<Seq>_att.txt', sequences=sets)


SEARCHED = {'otb': ('anno/att', 'att', 'OTB100.json', 'OTB2015.json'), 'dtb70': ('anno/att', 'att'),
            'uav123': ('anno/UAV123/att', 'anno/UAV20L/att', 'anno/att', 'att', 'UAV123.json'),
            'lasot': ('annos/att', 'att', 'LaSOT.json')}


def read_attributes(bench: Benchmark, path: str | Path | None = None) -> Attributes:
    """The attributes of `bench`'s sequences: from `path` (a folder of per-sequence flag files or a pysot
    JSON) when given, else from where the benchmark keeps them in the user's copy."""
    if path:
        path = Path(path)
        if path.is_dir():
            return _from_flag_folder(bench, path)
        if path.suffix == '.json' and path.is_file():
            return _from_pysot_json(bench, path)
        raise FileNotFoundError(f'{path}: not a folder of <seq>.txt attribute files nor a pysot .json file')
    if bench.kind == 'vot':
        return _vot_tags(bench)
    if bench.kind in ('got10k', 'packed'):
        return _got10k_labels(bench)
    if bench.kind == 'tc128':
        return _tc128(bench)
    for rel in SEARCHED.get(bench.kind, ()):
        where = bench.root / rel
        if where.is_dir():
            return _from_flag_folder(bench, where)
        if where.is_file():
            return _from_pysot_json(bench, where)
    looked = ', '.join(str(bench.root / r) for r in SEARCHED.get(bench.kind, ())) or 'nothing: it ships none'
    raise FileNotFoundError(f'{bench.name} ({bench.kind}): no attribute files found (looked for {looked}); '
                            f'pass --attributes PATH (a folder of <seq>.txt flag files, e.g. the OTB / LaSOT '
                            f'toolkit\'s anno/att, or a pysot dataset JSON)')
