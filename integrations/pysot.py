"""MetaRTT with pysot's tracker interface (STVIR/pysot, pysot/tracker/base_tracker.py).

pysot calls `init(img, bbox)` with a BGR uint8 image and a 0-based [x, y, w, h] box, then
`track(img) -> {'bbox': [x, y, w, h], 'best_score': float}` per frame; `build_tracker(model)`
constructs trackers as `TRACKS[cfg.TRACK.TYPE](model)`.

`metartt dropin pysot CHECKOUT` writes `pysot/tracker/metartt_tracker.py` into a pysot checkout
(a new file next to siamrpn_tracker.py; nothing upstream is replaced). Register it in
`pysot/tracker/tracker_builder.py` with the two lines `PYSOT_REGISTRATION` prints, and select it
with `TRACK.TYPE: 'MetaRTTTracker'`. pysot's tools/test.py also builds and loads a Siamese model
on CUDA, which MetaRTT does not need: `metartt run-pysot` produces the same result files
(`results_io.write_pysot*`) for pysot's tools/eval.py without it.
"""
from __future__ import annotations

import dataclasses

from pathlib import Path
from typing import Any

import numpy as np

from metartt_tracker.tracker import MetaRTTTracker

from .options import TrackerSpec

DROPIN_PATH = 'pysot/tracker/metartt_tracker.py'
PYSOT_REGISTRATION = ("from pysot.tracker.metartt_tracker import MetaRTTTracker\n"
                      "TRACKS['MetaRTTTracker'] = MetaRTTTracker")


class PysotAdapter:
    """pysot's `init`/`track` over a MetaRTT tracker; mix in before pysot's BaseTracker."""

    def __init__(self, spec: TrackerSpec | None = None, model: Any = None, cuda: bool | None = None) -> None:
        self.spec = device_from_pysot(spec or TrackerSpec(), cuda)
        self.model = model  # what pysot's build_tracker passes; MetaRTT brings its own network
        self.tracker = MetaRTTTracker.from_spec(self.spec)

    def init(self, img: np.ndarray, bbox: Any) -> None:
        """img: BGR uint8 (H, W, 3); bbox: [x, y, w, h], 0-based."""
        self.tracker.init(_rgb(img), np.asarray(bbox, dtype=np.float64))

    def track(self, img: np.ndarray) -> dict[str, Any]:
        """{'bbox': [x, y, w, h], 'best_score': the classifier's target probability in [0, 1], as pysot's trackers}."""
        box = self.tracker.update(_rgb(img))
        return {'bbox': [float(v) for v in box], 'best_score': float(self.tracker.confidence)}


def device_from_pysot(spec: TrackerSpec, cuda: bool | None) -> TrackerSpec:
    """pysot's convention, `cfg.CUDA`: False keeps the tracker on the CPU, True uses the GPU when there is one
    ('auto'); a device named in the spec wins."""
    if spec.device != 'auto' or cuda is None:
        return spec
    return dataclasses.replace(spec, device='auto' if cuda else 'cpu')


def _rgb(img_bgr: np.ndarray) -> np.ndarray:
    img = np.asarray(img_bgr)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'pysot frames are H x W x 3 BGR arrays, got shape {img.shape}')
    return np.ascontiguousarray(img[:, :, ::-1])


def dropin_source(spec: TrackerSpec) -> str:
    """Text of pysot/tracker/metartt_tracker.py for a pysot checkout, building `spec`."""
    return f'''"""MetaRTT for pysot (written by `metartt dropin pysot`; joins pysot/tracker/, replaces nothing).

Register in pysot/tracker/tracker_builder.py:
{_indent(PYSOT_REGISTRATION)}
and set TRACK.TYPE: 'MetaRTTTracker' in the experiment's config.yaml. Edit SPEC to change the tracker.
"""
from metartt_tracker.integrations.options import TrackerSpec
from metartt_tracker.integrations.pysot import PysotAdapter
from pysot.core.config import cfg
from pysot.tracker.base_tracker import BaseTracker

SPEC = {spec!r}


class MetaRTTTracker(PysotAdapter, BaseTracker):
    """pysot tracker: init(img_bgr, bbox) / track(img_bgr) -> {{'bbox', 'best_score'}}; on the GPU when
    cfg.CUDA and one exists, else the CPU (SPEC.device, when not 'auto', wins)."""

    def __init__(self, model=None):
        super().__init__(SPEC, model, getattr(cfg, 'CUDA', None))
'''


def _indent(text: str) -> str:
    return ''.join(f'    {line}\n' for line in text.splitlines()).rstrip('\n')


def dropin_files(spec: TrackerSpec) -> dict[str, str]:
    """Relative path -> text of every file `metartt dropin pysot` writes."""
    return {DROPIN_PATH: dropin_source(spec)}


def check_checkout(checkout: str | Path) -> Path:
    """The checkout root, or an error if it has no pysot/tracker/ folder."""
    root = Path(checkout)
    if not (root / 'pysot' / 'tracker').is_dir():
        raise FileNotFoundError(f'{root}: not a pysot checkout ({root / "pysot" / "tracker"} not found)')
    return root
