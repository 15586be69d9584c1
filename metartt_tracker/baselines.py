"""OpenCV's CSRT, KCF and NanoTrack v2 behind our tracker interface: experiment rows and `metartt bench`'s
speed reference.

`init(image, box)` / `update(image) -> box` with RGB frames and 0-based (x, y, w, h) boxes, like
`MetaRTTTracker`; `score` is 1.0 when OpenCV reports success, else 0.0 (the box is kept); NanoTrack's
is its own tracking score (`getTrackingScore`, a probability). Needs the `baselines` extra
(opencv-contrib-python-headless). NanoTrack v2's two ONNX files ship in `weights/` (Apache-2.0, NOTICE)
and are sha256-checked before OpenCV reads them; nothing is downloaded.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .fileio import sha256_file
from .shipped import weights_dir

FACTORIES = {'csrt': 'TrackerCSRT_create', 'kcf': 'TrackerKCF_create', 'nanotrack': 'TrackerNano_create'}
NANOTRACK_FILES = {  # weights/ file -> sha256 (the upstream ONNX files, byte for byte)
    'backbone': ('nanotrack_v2_backbone.onnx', '530bdd0cd00f19afab79a863e71ba71e3312395a5dc9151af675082bdaaa2fc4'),
    'neckhead': ('nanotrack_v2_head.onnx', '0d8c0637be849f092cc7236cae02e55c8b9455ebe37ba50601d6115db4247cd9'),
}
# The channel order `cv2.TrackerNano` is given. OpenCV's implementation feeds its network RGB where upstream
# NanoTrack (pysot family) feeds BGR (third_party PROVENANCE); handing OpenCV RGB frames would give the network
# upstream's order. Measured on val (reports/2026-12-01-toolkits/README.md): 66.4 AUC with BGR, 65.4 with RGB,
# so we keep OpenCV's convention for every tracker: BGR.
NANOTRACK_INPUT = 'bgr'


def nanotrack_params(cv2: Any, folder: Path | None = None) -> Any:
    """`cv2.TrackerNano_Params` pointing at the shipped ONNX files, after checking their sha256."""
    d = Path(folder) if folder else weights_dir()
    params = cv2.TrackerNano_Params()
    for field, (name, sha) in NANOTRACK_FILES.items():
        path = d / name
        if not path.is_file():
            raise FileNotFoundError(f'{path}: NanoTrack v2 weights missing (they ship in the package\'s weights/)')
        digest = sha256_file(path)
        if digest != sha:
            raise ValueError(f'{path}: sha256 {digest} does not match the shipped {sha}')
        setattr(params, field, str(path))
    return params


class OpenCVTracker:
    """A thin adapter over `cv2.TrackerCSRT` / `cv2.TrackerKCF` / `cv2.TrackerNano`."""

    def __init__(self, kind: str = 'csrt', threads: int = 0) -> None:
        import cv2
        if kind not in FACTORIES:
            raise ValueError(f'unknown OpenCV tracker {kind!r}; choose one of {sorted(FACTORIES)}')
        factory = getattr(cv2, FACTORIES[kind], None) or getattr(getattr(cv2, 'legacy', None), FACTORIES[kind], None)
        if factory is None:
            raise RuntimeError(f'cv2.{FACTORIES[kind]} is missing: install the contrib build '
                               f'(pip install opencv-contrib-python-headless, last)')
        if threads > 0:
            cv2.setNumThreads(threads)
        if kind == 'nanotrack':
            params, create = nanotrack_params(cv2), factory
            factory = lambda: create(params)  # noqa: E731 - one factory signature for every kind
        self.cv2, self.factory, self.kind = cv2, factory, kind
        self.score = self.confidence = float('nan')  # 1 / 0: OpenCV found / lost the target
        self.box = np.zeros(4)
        self._tracker: Any = None

    def _bgr(self, image: Any) -> np.ndarray:
        """The frame as OpenCV's trackers take it: BGR (NanoTrack: NANOTRACK_INPUT, see there)."""
        img = np.asarray(image)
        if img.ndim == 2:
            return self.cv2.cvtColor(img, self.cv2.COLOR_GRAY2BGR)
        if self.kind == 'nanotrack' and NANOTRACK_INPUT == 'rgb':
            return np.ascontiguousarray(img[..., :3])
        return np.ascontiguousarray(img[..., 2::-1])

    def init(self, image: Any, box: Any) -> None:
        """Start tracking `box` (x, y, w, h) in an RGB frame."""
        self.box = np.asarray(box, dtype=np.float64).reshape(4)
        self._tracker = self.factory()
        self._tracker.init(self._bgr(image), tuple(int(round(v)) for v in self.box))
        self.score = self.confidence = float('nan')

    def update(self, image: Any) -> np.ndarray:
        """The target's box in the next frame (the last box when OpenCV loses it)."""
        ok, box = self._tracker.update(self._bgr(image))
        self.score = self.confidence = (float(self._tracker.getTrackingScore()) if self.kind == 'nanotrack'
                                        else 1.0 if ok else 0.0)
        if ok:
            self.box = np.asarray(box, dtype=np.float64)
        return self.box.copy()
