"""MetaRTT inside the GOT-10k toolkit (`got10k==0.1.3`): a `got10k.trackers.Tracker` for every
variant and the toolkit's own experiment classes, run offline on a local copy.

What our experiment subclasses change, and why:
- no downloads: OTB and VOT read the local copy with `download=False` (a partial copy runs the
  sequences it has; ExperimentOTB only knows the official names, so other names are an error
  that points to `dtb70`, which accepts any name); sequences listed but missing are skipped;
- inputs are checked before tracking (ground-truth lines, frame counts, first region), with
  errors naming file:line, instead of numpy asserts deep inside a run;
- records are written atomically, boxes last: got10k skips any sequence whose record exists,
  so a half-written file would be taken for a finished one;
- ExperimentVOT gets numpy-2 shims (`np.NaN`, a scalar `poly_iou`: `metartt_tracker.overlap`'s)
  only while it runs.
"""
from __future__ import annotations

import contextlib
import glob
import io
import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from metartt_tracker.fileio import atomic_write
from metartt_tracker.overlap import region_overlap
from metartt_tracker.results import FrameState, SequenceResult, format_reset_rows, format_rows, track_sequence
from metartt_tracker.tracker import MetaRTTTracker

from .options import TrackerSpec
from .regions import check_region, read_regions
from .results_io import write_got10k_toolkit, write_otb

try:
    from got10k.datasets import OTB, UAV123, VOT
    from got10k.experiments import (ExperimentDTB70, ExperimentGOT10k, ExperimentNfS, ExperimentOTB,
                                    ExperimentUAV123, ExperimentVOT)
    from got10k.experiments import otb as _otb_module
    from got10k.experiments import vot as _vot_module
    from got10k.trackers import Tracker as _Got10kTracker
except ImportError as e:  # pragma: no cover - the 'got10k' extra is missing
    raise ImportError("the GOT-10k toolkit is not installed: pip install 'metartt[got10k]'") from e

_ORIGINAL_POLY_IOU = _vot_module.poly_iou


class MetaRTTGot10k(_Got10kTracker):
    """A got10k tracker for any MetaRTT variant or checkpoint.

    Deterministic by default: every (re-)initialisation reseeds the tracker, so repeated runs give
    identical boxes and the toolkit runs one repetition. `stochastic=True` gives initialisation k
    the seed `spec.seed + k` and tells the toolkit to run its repetitions.
    """

    def __init__(self, spec: TrackerSpec | None = None, name: str | None = None, stochastic: bool = False) -> None:
        self.spec = spec or TrackerSpec()
        super().__init__(name or self.spec.label, is_deterministic=not stochastic)
        self.stochastic = stochastic
        self.tracker = MetaRTTTracker.from_spec(self.spec)
        self.inits = 0
        self.last_result: SequenceResult | None = None

    @property
    def score(self) -> float:
        """Confidence of the last update: the classifier's target probability in [0, 1]."""
        return self.tracker.confidence

    def init(self, image: Any, box: Any) -> None:
        if self.stochastic:
            self.tracker.seed = self.spec.seed + self.inits
        self.inits += 1
        self.tracker.init(image, box)

    def update(self, image: Any) -> np.ndarray:
        return self.tracker.update(image)

    def track(self, img_files: list[str], box: Any, visualize: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The toolkit's `track`, run by the shared loop (frames decoded outside the timer, files closed)."""
        on_frame = None
        if visualize:
            from got10k.utils.viz import show_frame
            on_frame = lambda i, frame, b, score, t: show_frame(frame, b)  # noqa: E731
        self.last_result = track_sequence(self, _rgb_frames(img_files), box, '', on_frame)
        return self.last_result.boxes, self.last_result.times


def _rgb_frames(img_files: list[str]) -> Iterator[np.ndarray]:
    from PIL import Image
    for f in img_files:
        with Image.open(f) as img:
            yield np.asarray(img.convert('RGB'))


# ------------------------------------------------------------------------------ shims
@contextlib.contextmanager
def _swapped(owner: Any, name: str, value: Any) -> Iterator[None]:
    """Temporarily set `owner.name` (removed again if it did not exist)."""
    missing = object()
    old = getattr(owner, name, missing)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if old is missing:
            delattr(owner, name)
        else:
            setattr(owner, name, old)


def _poly_iou(polys1: Any, polys2: Any, bound: Any = None) -> Any:
    """got10k's `poly_iou(polys1, polys2, bound)` computed by `metartt_tracker.overlap.region_overlap`;
    one pair of regions gives a float (numpy 2 rejects the ragged arrays ExperimentVOT._calc_iou
    otherwise builds from shape-(1,) results and NaNs), rows of pairs give an array. got10k passes
    the ground truth first in some calls and second in others, so a non-finite region on either
    side gives NaN, as got10k's shapely-based original does (never a failure, never a hit)."""
    def one(a: Any, b: Any) -> float:
        finite = np.all(np.isfinite(np.asarray(a, float))) and np.all(np.isfinite(np.asarray(b, float)))
        return region_overlap(a, b, bound) if finite else float('nan')

    if np.ndim(polys1) == 1:
        return one(polys1, polys2)
    return np.array([one(a, b) for a, b in zip(polys1, polys2)])


@contextlib.contextmanager
def numpy2_shims() -> Iterator[None]:
    """What got10k's ExperimentVOT needs under numpy 2, only while the block runs: `np.NaN`
    (removed in numpy 2.0) and a `poly_iou` that returns scalars for single regions (ours)."""
    with contextlib.ExitStack() as stack:
        if 'NaN' not in np.__dict__:
            stack.enter_context(_swapped(np, 'NaN', np.nan))
        stack.enter_context(_swapped(_vot_module, 'poly_iou', _poly_iou))
        yield


def _count_jpgs(folder: str) -> int:
    """.jpg files the toolkit reads: those directly in the folder."""
    return len(glob.glob(os.path.join(folder, '*.jpg')))


def _offline(cls: type) -> Any:
    """A dataset constructor that never downloads."""
    return lambda *args, **kwargs: cls(*args, **{**kwargs, 'download': False})


# ------------------------------------------------------------------------- experiments
class _LocalExperiment:
    """Shared by our experiment subclasses: input checks, present sequences only, atomic records."""

    region_widths: tuple[int, ...] = (4,)
    region_columns: slice | None = None
    dataset: Any
    result_dir: str

    def _adopt(self, root: str | os.PathLike) -> None:
        """Keep the sequences whose folders exist, check them, and refuse an empty selection."""
        ds = self.dataset
        keep = [i for i, d in enumerate(ds.seq_dirs) if os.path.isdir(d)]
        missing = [ds.seq_names[i] for i in range(len(ds.seq_names)) if i not in keep]
        if missing:
            print(f'{len(missing)} listed sequence(s) not under {root}, skipped: {", ".join(missing)}')
        for attr in ('seq_names', 'seq_dirs', 'anno_files'):
            setattr(ds, attr, [getattr(ds, attr)[i] for i in keep])
        if not ds.seq_names:
            raise ValueError(f'{root}: no sequences of this benchmark found')
        for i in range(len(ds.seq_names)):
            self._check_sequence(i)

    def _check_sequence(self, i: int) -> None:
        """Ground-truth lines, first region, and frames (count and existence) of sequence i."""
        anno_file, seq_dir = self.dataset.anno_files[i], self.dataset.seq_dirs[i]
        regions = read_regions(anno_file, self.region_widths, self.region_columns)
        check_region(regions[0], f'{anno_file}:1')
        try:
            img_files = self.dataset[i][0]
        except AssertionError:
            raise ValueError(f'{anno_file}: {len(regions)} ground-truth rows do not match the frames of {seq_dir} '
                             f'({_count_jpgs(seq_dir)} .jpg files)') from None
        missing = next((f for f in img_files if not os.path.isfile(f)), None)
        if not img_files or missing:
            raise FileNotFoundError(f'{seq_dir}: frame {missing or "*.jpg"} not found ({anno_file} has '
                                    f'{len(regions)} rows)')

    def run(self, tracker: Any, visualize: bool = False) -> None:
        self._tracker = tracker
        super().run(tracker, visualize)  # type: ignore[misc]

    def _result(self, name: str, boxes: np.ndarray, times: np.ndarray) -> SequenceResult:
        """The run's SequenceResult (scores included) when the tracker is ours, else boxes and times."""
        last = getattr(getattr(self, '_tracker', None), 'last_result', None)
        scores = last.scores if last is not None and len(last.scores) == len(boxes) else np.full(len(boxes), np.nan)
        return SequenceResult(name, boxes, scores, times)


class _OTBRecords(_LocalExperiment):
    """Atomic <tracker>/<seq>.txt + times/ records (OTB, UAV123, DTB70, NfS)."""

    def _record(self, record_file: str, boxes: np.ndarray, times: np.ndarray) -> None:
        path = Path(record_file)
        write_otb(self._result(path.stem, boxes, times), path.parent.parent, path.parent.name)
        print('  Results recorded at', record_file)


class LocalOTB(_OTBRecords, ExperimentOTB):
    """ExperimentOTB on a local (possibly partial) copy: official sequence names, no download."""

    def __init__(self, root_dir: str, version: int | str = 2015, result_dir: str = 'results',
                 report_dir: str = 'reports') -> None:
        with _swapped(_otb_module, 'OTB', _offline(OTB)), contextlib.redirect_stdout(io.StringIO()):
            super().__init__(root_dir, version, result_dir, report_dir)  # silences 100 "not exists" lines
        if not self.dataset.seq_names:
            raise ValueError(f'{root_dir}: no OTB-{version} sequence folders (ExperimentOTB reads only the official '
                             f'names, e.g. Basketball/groundtruth_rect.txt); run `metartt eval dtb70` for other names')
        self._adopt(root_dir)


def _uav123_root(self: Any, root_dir: str, version: str) -> None:
    """got10k's UAV123 check wants more than 3 entries in the root (a full copy); we want its two folders."""
    missing = [d for d in ('anno', 'data_seq') if not os.path.isdir(os.path.join(root_dir, d))]
    if missing:
        raise FileNotFoundError(f'{root_dir}: no {" or ".join(missing)}/ folder (UAV123 layout: anno/{version}/<seq>.txt, '
                                f'data_seq/UAV123/<folder>/%06d.jpg)')


class LocalUAV123(_OTBRecords, ExperimentUAV123):
    """ExperimentUAV123 on the sequences present (annotation and frame folder both there)."""

    def __init__(self, root_dir: str, version: str = 'UAV123', result_dir: str = 'results',
                 report_dir: str = 'reports') -> None:
        with _swapped(UAV123, '_check_integrity', _uav123_root), contextlib.redirect_stdout(io.StringIO()):
            super().__init__(root_dir, version, result_dir, report_dir)  # silences its per-sequence warnings
        self._adopt(root_dir)


class LocalDTB70(_OTBRecords, ExperimentDTB70):
    """ExperimentDTB70: any */groundtruth_rect.txt + img/*.jpg (OTB protocol and metrics)."""

    def __init__(self, root_dir: str, result_dir: str = 'results', report_dir: str = 'reports') -> None:
        super().__init__(root_dir, result_dir, report_dir)
        self._adopt(root_dir)


class LocalNfS(_OTBRecords, ExperimentNfS):
    """ExperimentNfS (NfS annotation lines: id x1 y1 x2 y2 ...)."""

    region_columns = slice(1, 5)

    def __init__(self, root_dir: str, fps: int = 30, result_dir: str = 'results', report_dir: str = 'reports') -> None:
        super().__init__(root_dir, fps, result_dir, report_dir)
        self._adopt(root_dir)


class LocalGOT10k(_LocalExperiment, ExperimentGOT10k):
    """ExperimentGOT10k on the sequences of <root>/<subset>/list.txt that are present."""

    def __init__(self, root_dir: str, subset: str = 'val', result_dir: str = 'results',
                 report_dir: str = 'reports') -> None:
        listing = Path(root_dir) / subset / 'list.txt'
        if not listing.is_file():
            raise FileNotFoundError(f'{listing}: GOT-10k split list not found')
        super().__init__(root_dir, subset, result_dir, report_dir)
        self._adopt(Path(root_dir) / subset)

    def _record(self, record_file: str, boxes: np.ndarray, times: np.ndarray) -> None:
        path = Path(record_file)
        repetition = int(path.stem.rsplit('_', 1)[1])
        result = self._result(path.parent.name, boxes, times)
        write_got10k_toolkit(result, path.parents[2], path.parents[1].name, repetition, self.subset != 'test')
        print('  Results recorded at', record_file)


class LocalVOT(_LocalExperiment, ExperimentVOT):
    """got10k's ExperimentVOT (accuracy/robustness, no EAO) offline, with the numpy-2 shims."""

    region_widths = (4, 8)

    def __init__(self, root_dir: str, version: int | str = 2016, experiments: tuple[str, ...] = ('supervised',),
                 result_dir: str = 'results', report_dir: str = 'reports', read_image: bool = True) -> None:
        listing = Path(root_dir) / 'list.txt'
        if not listing.is_file():
            raise FileNotFoundError(f'{listing}: VOT sequence list not found')
        with _swapped(_vot_module, 'VOT', _offline(VOT)), contextlib.redirect_stdout(io.StringIO()):
            super().__init__(root_dir, version, read_image, experiments, result_dir, report_dir)
        ds = self.dataset  # vot-toolkit keeps frames in <seq>/color/; got10k reads them beside groundtruth.txt
        ds.seq_dirs = [os.path.join(d, 'color') if not glob.glob(os.path.join(d, '*.jpg'))
                       and glob.glob(os.path.join(d, 'color', '*.jpg')) else d for d in ds.seq_dirs]
        self._adopt(root_dir)

    def run(self, tracker: Any, visualize: bool = False) -> None:
        with numpy2_shims():
            super().run(tracker, visualize)

    def report(self, tracker_names: list[str]) -> dict:
        with numpy2_shims():
            return super().report(tracker_names)

    def _record(self, record_file: str, boxes: list, times: list) -> None:
        """Same text as got10k writes (state codes / boxes, time columns), atomically, boxes last."""
        path = Path(record_file)
        states = np.array([int(b[0]) if len(b) == 1 else FrameState.TRACKED for b in boxes])
        rects = np.array([b if len(b) != 1 else [np.nan] * 4 for b in boxes], dtype=np.float64).reshape(-1, 4)
        time_file = path.with_name(path.stem.rsplit('_', 1)[0] + '_time.txt')
        column = np.asarray(times, dtype=np.float64)[:, None]
        if time_file.is_file():
            old = np.loadtxt(time_file, delimiter=',', ndmin=2)
            column = np.hstack([old, column]) if old.shape[0] == len(column) else column
        atomic_write(time_file, format_rows(column, '%.4f').replace('nan', 'NaN'))
        atomic_write(path, format_reset_rows(states, rects))
        print('  Results recorded at', record_file)


class FirstFrames:
    """A got10k dataset whose sequences stop after their first `n` frames (boxes, frames and per-frame meta
    labels alike), for quick runs; everything else is the wrapped dataset's."""

    def __init__(self, dataset: Any, n: int) -> None:
        if n < 2:
            raise ValueError(f'--max-frames {n}: a sequence needs at least 2 frames (one to initialise, one to track)')
        self._dataset, self._n = dataset, n

    def __len__(self) -> int:
        return len(self._dataset)

    def __getitem__(self, index: Any) -> tuple:
        item = self._dataset[index]
        full = len(item[0])
        return tuple(self._cut(v, full) for v in item)

    def _cut(self, value: Any, full: int) -> Any:
        if isinstance(value, dict):
            return {k: self._cut(v, full) for k, v in value.items()}
        if isinstance(value, (list, tuple, np.ndarray)) and len(value) == full:
            return value[:self._n]
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dataset, name)

    def __setattr__(self, name: str, value: Any) -> None:  # e.g. the report's dataset.return_meta = True
        if name.startswith('_'):
            object.__setattr__(self, name, value)
        else:
            setattr(self._dataset, name, value)


def make_experiment(benchmark: str, root: str | os.PathLike, result_dir: str = 'results', report_dir: str = 'reports',
                    version: str | None = None, subset: str = 'val', fps: int = 30,
                    experiments: tuple[str, ...] = ('supervised',)) -> Any:
    """The local experiment for got10k, otb, uav123, dtb70, nfs or vot; `version` as the toolkit spells it."""
    root = str(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f'{root}: benchmark root folder not found')
    dirs = dict(result_dir=result_dir, report_dir=report_dir)
    if benchmark == 'got10k':
        return LocalGOT10k(root, subset, **dirs)
    if benchmark == 'otb':
        return LocalOTB(root, _version(version, 2015), **dirs)
    if benchmark == 'uav123':
        return LocalUAV123(root, version or 'UAV123', **dirs)
    if benchmark == 'dtb70':
        return LocalDTB70(root, **dirs)
    if benchmark == 'nfs':
        return LocalNfS(root, fps, **dirs)
    if benchmark == 'vot':
        return LocalVOT(root, _version(version, 2016), experiments, **dirs)
    raise ValueError(f'unknown benchmark {benchmark!r}; choose got10k, otb, uav123, dtb70, nfs or vot')


def _version(text: str | None, default: int) -> int | str:
    if text is None:
        return default
    return int(text) if text.isdigit() else text


def summary(performance: dict | None, name: str) -> dict:
    """The headline numbers of a got10k report for one tracker (curves left out)."""
    if not performance:
        return {}
    entry = performance.get(name, {})
    numbers = entry.get('overall', entry)
    return {k: v for k, v in numbers.items() if not isinstance(v, (list, dict))}
