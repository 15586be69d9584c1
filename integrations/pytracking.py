"""MetaRTT with pytracking's tracker interface (visionml/pytracking, pytracking/tracker/base/basetracker.py).

pytracking builds `tracker_class(params)` from `pytracking.tracker.<name>.get_tracker_class()` and
`pytracking.parameter.<name>.<parameter>.parameters()` (a `TrackerParams` attribute bag), then calls
`initialize(image, info)` with an RGB array and `info['init_bbox'] = [x, y, w, h]` (0-based), and
`track(image, info=None) -> {'target_bbox': [x, y, w, h], ...}` for the other frames. Its VOT
runners also call `initialize_features()` and `predicts_segmentation_mask()`.

`metartt dropin pytracking CHECKOUT` writes new files only (nothing upstream is replaced):
    pytracking/tracker/metartt/__init__.py        get_tracker_class() -> MetaRTT
    pytracking/tracker/metartt/metartt.py         class MetaRTT(PytrackingAdapter, BaseTracker)
    pytracking/parameter/metartt/__init__.py
    pytracking/parameter/metartt/<variant>.py     one per variant, '-' spelt '_' (rtmdnet_5_5.py)
Then e.g. `python pytracking/run_tracker.py metartt rtmdnet --dataset_name otb`. Results land in
pytracking's layout (`results_io.write_pytracking` writes the same files for `metartt run-pytracking`).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from metartt_tracker.config import VARIANTS
from metartt_tracker.tracker import MetaRTTTracker

from .options import TrackerSpec

TRACKER_NAME = 'metartt'
SPEC_FIELDS = ('variant', 'backbone', 'checkpoint', 'seed', 'overrides', 'threads')


def parameter_name(variant: str) -> str:
    """The parameter-file (module) name of a variant: 'rtmdnet-5-5' -> 'rtmdnet_5_5'."""
    return variant.replace('-', '_')


def spec_from_params(params: Any) -> TrackerSpec:
    """The TrackerSpec a pytracking TrackerParams describes (missing fields take defaults)."""
    default = TrackerSpec()
    fields = {f: getattr(params, f, getattr(default, f)) for f in SPEC_FIELDS}
    return TrackerSpec(**fields, device=device_from_params(params))


def device_from_params(params: Any) -> str:
    """pytracking's convention: `params.device` when set, else `params.use_gpu` (True: the GPU when there is
    one, i.e. 'auto'; False: the CPU)."""
    device = getattr(params, 'device', None)
    if device not in (None, '', 'auto'):
        return str(device)
    return 'auto' if getattr(params, 'use_gpu', True) else 'cpu'


class PytrackingAdapter:
    """pytracking's `initialize`/`track` over a MetaRTT tracker; mix in before pytracking's BaseTracker."""

    multiobj_mode = 'default'

    def __init__(self, params: Any) -> None:
        super().__init__(params)  # BaseTracker keeps params (and visdom)
        self.params = params
        self.tracker: Any = None
        self.object_id: Any = None

    def initialize_features(self) -> None:
        """Load the model now (pytracking calls this once before its VOT loops)."""
        if self.tracker is None:
            self.tracker = MetaRTTTracker.from_spec(spec_from_params(self.params))

    def predicts_segmentation_mask(self) -> bool:
        return False

    def initialize(self, image: np.ndarray, info: dict) -> dict:
        """image: RGB uint8; info['init_bbox']: [x, y, w, h], or a one-entry {object_id: box} mapping."""
        self.initialize_features()
        box = info['init_bbox']
        self.object_id = None
        if isinstance(box, Mapping):
            if len(box) != 1:
                raise ValueError(f'MetaRTT tracks one object; init_bbox has {len(box)}')
            (self.object_id, box), = box.items()
        self.tracker.init(image, np.asarray(box, dtype=np.float64))
        return {}

    def track(self, image: np.ndarray, info: dict | None = None) -> dict:
        """{'target_bbox': [x, y, w, h], 'object_presence_score': the classifier's target probability in [0, 1]}
        (keyed by object id when the initial box was)."""
        box = [float(v) for v in self.tracker.update(image)]
        score = float(self.tracker.confidence)
        if self.object_id is not None:
            return {'target_bbox': {self.object_id: box}, 'object_presence_score': {self.object_id: score}}
        return {'target_bbox': box, 'object_presence_score': score}


def _parameter_source(spec: TrackerSpec) -> str:
    return f'''"""MetaRTT parameters (written by `metartt dropin pytracking`)."""
from pytracking.utils import TrackerParams


def parameters():
    params = TrackerParams()
    params.debug = 0
    params.visualization = False
    params.use_gpu = {spec.device != 'cpu'!r}  # pytracking's switch: True = the GPU when there is one, False = the CPU
    params.device = {spec.device!r}  # or name it: 'auto', 'cpu', 'cuda', 'cuda:N' (wins over use_gpu unless 'auto')
    params.visdom_info = {{}}
    params.variant = {spec.variant!r}
    params.backbone = {spec.backbone!r}
    params.checkpoint = {spec.checkpoint!r}  # MetaRTT checkpoint file (None: metartt / metartt-prune load the shipped weights)
    params.seed = {spec.seed!r}
    params.overrides = {spec.overrides!r}  # dotted tracker-config paths, e.g. {{'adaptation.iters_init': 5}}
    params.threads = {spec.threads!r}
    params.object_presence_score_threshold = 0.5  # the classifier's target probability; 0.5 = its own decision boundary
    params.vot_anno_conversion_type = 'preserve_area'
    return params
'''


_TRACKER_INIT = '''from .metartt import MetaRTT


def get_tracker_class():
    return MetaRTT
'''

_TRACKER_CLASS = '''"""MetaRTT in pytracking (written by `metartt dropin pytracking`)."""
from metartt_tracker.integrations.pytracking import PytrackingAdapter
from pytracking.tracker.base import BaseTracker


class MetaRTT(PytrackingAdapter, BaseTracker):
    """initialize(image, info) / track(image, info=None) -> {'target_bbox', 'object_presence_score'}."""
'''


def dropin_files(spec: TrackerSpec) -> dict[str, str]:
    """Relative path -> text of every file `metartt dropin pytracking` writes (a parameter file per
    variant, built from `spec`'s backbone, seed, overrides; `spec.checkpoint` goes into its own variant's file)."""
    files = {f'pytracking/tracker/{TRACKER_NAME}/__init__.py': _TRACKER_INIT,
             f'pytracking/tracker/{TRACKER_NAME}/{TRACKER_NAME}.py': _TRACKER_CLASS,
             f'pytracking/parameter/{TRACKER_NAME}/__init__.py': ''}
    for variant in VARIANTS:
        checkpoint = spec.checkpoint if variant == spec.variant else None
        s = TrackerSpec(variant, spec.backbone, checkpoint, spec.seed, dict(spec.overrides), spec.threads, spec.device)
        files[f'pytracking/parameter/{TRACKER_NAME}/{parameter_name(variant)}.py'] = _parameter_source(s)
    return files


def check_checkout(checkout: str | Path) -> Path:
    """The checkout root, or an error if it has no pytracking/tracker/ and pytracking/parameter/ folders."""
    root = Path(checkout)
    for sub in ('tracker', 'parameter'):
        if not (root / 'pytracking' / sub).is_dir():
            raise FileNotFoundError(f'{root}: not a pytracking checkout ({root / "pytracking" / sub} not found)')
    return root
