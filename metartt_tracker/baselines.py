"""OpenCV's CSRT and KCF behind our tracker interface: experiment rows and `metartt bench`'s speed reference.

`init(image, box)` / `update(image) -> box` with RGB frames and 0-based (x, y, w, h) boxes, like
`MetaRTTTracker`; `score` is 1.0 when OpenCV reports success, else 0.0 (the box is kept).
Needs the `baselines` extra (opencv-contrib-python-headless).
"""
from __future__ import annotations

from typing import Any

import numpy as np

FACTORIES = {'csrt': 'TrackerCSRT_create', 'kcf': 'TrackerKCF_create'}


class OpenCVTracker:
    """A thin adapter over `cv2.TrackerCSRT` / `cv2.TrackerKCF`."""

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
        self.cv2, self.factory, self.kind = cv2, factory, kind
        self.score = self.confidence = float('nan')  # 1 / 0: OpenCV found / lost the target
        self.box = np.zeros(4)
        self._tracker: Any = None

    def _bgr(self, image: Any) -> np.ndarray:
        img = np.asarray(image)
        if img.ndim == 2:
            return self.cv2.cvtColor(img, self.cv2.COLOR_GRAY2BGR)
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
        self.score = self.confidence = 1.0 if ok else 0.0
        if ok:
            self.box = np.asarray(box, dtype=np.float64)
        return self.box.copy()
