"""Shared fixtures: the bundled sample sequences and a fast tracker configuration.

The suite runs on the CPU everywhere (same numbers as CI): a GPU is hidden unless METARTT_TEST_CUDA=1, which
`make gpu-check` sets for the device-parametrised tests (tests/test_device.py, `cuda` cases).
"""
from __future__ import annotations

import os

if os.environ.get('METARTT_TEST_CUDA') != '1':
    os.environ['CUDA_VISIBLE_DEVICES'] = ''  # before torch first asks CUDA for its devices

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / 'samples'

torch.set_num_threads(2)


@pytest.fixture(scope='session')
def car_shadow():
    """The bundled DAVIS car-shadow sequence (40 frames, 640x360)."""
    from metartt_tracker.data import open_sequence
    return open_sequence(SAMPLES / 'davis_car-shadow')


@pytest.fixture(scope='session')
def car_frames(car_shadow):
    """Its first 8 frames, decoded once."""
    return [f for f, _ in zip(car_shadow.frames, range(8))]


FAST = {  # a cheap but complete tracking configuration for behavioural tests
    'geometry.n_aug_crops': 8,
    'adaptation.iters_init': 5,
    'adaptation.iters_update': 3,
    'sampling.neg_init': {'kind': 'uniform', 'trans': 1.0, 'scale': 2.0, 'aspect': 1.1, 'n': 1000,
                          'iou': (0.0, 0.5), 'area': None},
}


@pytest.fixture
def fast_tracker():
    """Factory of rtmdnet trackers with the FAST overrides (lite0 backbone, built once)."""
    from metartt_tracker import MetaRTTTracker
    from metartt_tracker.backbones import build_backbone
    from metartt_tracker.config import variant_config
    backbone = build_backbone('lite0')

    def make(seed: int = 0, variant: str = 'rtmdnet', **kw):
        cfg = variant_config(variant).replace(**{**FAST, **kw})
        return MetaRTTTracker(cfg, backbone=backbone, seed=seed)
    return make


@pytest.fixture
def no_shipped_weights(tmp_path, monkeypatch):
    """Hide the shipped weights/ so the paths taken without any trained weights can be tested."""
    import metartt_tracker.shipped as shipped
    monkeypatch.setattr(shipped, 'weights_dir', lambda: tmp_path / 'no-shipped-weights')
