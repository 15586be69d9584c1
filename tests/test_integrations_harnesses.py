"""pysot and pytracking adapters against stand-in checkouts whose base classes mirror upstream
(STVIR/pysot pysot/tracker/base_tracker.py + tracker_builder.py; visionml/pytracking
pytracking/tracker/base/basetracker.py + utils/params.py), installed with `metartt dropin`, and
`metartt run-pysot` / `run-pytracking` results parsed back and checked against them."""
import importlib
import json
import sys
from collections import OrderedDict

import numpy as np
import pytest

from conftest import SAMPLES
from metartt_tracker.cli import main
from metartt_tracker.integrations.layouts import export_dataset, open_harness_sequence
from metartt_tracker.integrations.options import TrackerSpec
from metartt_tracker.tracker import MetaRTTTracker
from metartt_tracker.integrations.results_io import read_pysot, read_pysot_baseline, read_pytracking
from metartt_tracker.results import FrameState

SPEC = TrackerSpec('rtmdnet-5-5', overrides={'geometry.n_aug_crops': 8})
N = 16

PYSOT = {
    'pysot/__init__.py': '',
    'pysot/core/__init__.py': '',
    'pysot/core/config.py': '''
class _Node(dict):
    __getattr__, __setattr__ = dict.__getitem__, dict.__setitem__

cfg = _Node(CUDA=True, TRACK=_Node(TYPE='SiamRPNTracker'))  # upstream: __C.CUDA = True
''',
    'pysot/tracker/__init__.py': '',
    'pysot/tracker/base_tracker.py': '''
class BaseTracker(object):
    """ Base tracker of single objec tracking (signatures as upstream) """
    def init(self, img, bbox):
        """img(np.ndarray): BGR image; bbox(list): [x, y, width, height], 0-based"""
        raise NotImplementedError

    def track(self, img):
        """img(np.ndarray): BGR image; return: bbox(list):[x, y, width, height]"""
        raise NotImplementedError
''',
    'pysot/tracker/tracker_builder.py': '''
from pysot.core.config import cfg

TRACKS = {}


def build_tracker(model):
    return TRACKS[cfg.TRACK.TYPE](model)
''',
}

PYTRACKING = {
    'pytracking/__init__.py': '',
    'pytracking/tracker/__init__.py': '',
    'pytracking/tracker/base/__init__.py': 'from .basetracker import BaseTracker\n',
    'pytracking/tracker/base/basetracker.py': '''
class BaseTracker:
    """Base class for all trackers (signatures as upstream)."""
    def __init__(self, params):
        self.params = params
        self.visdom = None

    def predicts_segmentation_mask(self):
        return False

    def initialize(self, image, info: dict) -> dict:
        raise NotImplementedError

    def track(self, image, info: dict = None) -> dict:
        raise NotImplementedError
''',
    'pytracking/utils/__init__.py': 'from .params import *\n',
    'pytracking/utils/params.py': '''
class TrackerParams:
    """Class for tracker parameters."""
    def set_default_values(self, default_vals: dict):
        for name, val in default_vals.items():
            if not hasattr(self, name):
                setattr(self, name, val)

    def get(self, name: str, *default):
        if len(default) > 1:
            raise ValueError('Can only give one default value.')
        if not default:
            return getattr(self, name)
        return getattr(self, name, default[0])

    def has(self, name: str):
        return hasattr(self, name)
''',
    'pytracking/parameter/__init__.py': '',
}


def _checkout(root, files):
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text.lstrip('\n'))
    return root


@pytest.fixture
def fresh_imports(monkeypatch):
    """Import stand-in packages from a tmp checkout, and forget them afterwards."""
    before = set(sys.modules)
    yield lambda root: monkeypatch.syspath_prepend(str(root))
    for name in set(sys.modules) - before:
        if name.split('.')[0] in ('pysot', 'pytracking'):
            del sys.modules[name]


@pytest.fixture(scope='module')
def png_sequences(tmp_path_factory):
    """The first 16 sample frames as lossless PNGs (cv2 and PIL decode them identically)."""
    root = tmp_path_factory.mktemp('png')
    car = open_harness_sequence(SAMPLES / 'davis_car-shadow', max_frames=N)
    export_dataset([car], root, 'got10k', image_ext='png')
    return root


def _frames_bgr(folder):
    import cv2
    return [cv2.imread(str(p)) for p in sorted(folder.glob('*.png'))]


def _assert_probability_like(scores: list[float], boxes: np.ndarray, gt: np.ndarray) -> None:
    """Toolkit scores are probabilities: in [0, 1], and above 0.5 on most frames where the box overlaps the
    target well (the raw logit they replaced was negative on such frames; a 5-iteration classifier can still
    be unsure on a well-tracked frame, so the median is checked, not every frame)."""
    from metartt_tracker.overlap import box_iou
    good = box_iou(boxes, gt) > 0.7
    assert good.sum() >= 3, 'too few well-tracked frames to check the score'
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert np.median(np.array(scores)[good]) > 0.5, list(zip(scores, good))


def test_pysot_dropin_in_a_pysot_loop_matches_run_pysot(tmp_path, png_sequences, fresh_imports, capsys):
    checkout = _checkout(tmp_path / 'pysot_repo', PYSOT)
    assert main(['dropin', 'pysot', str(checkout), *SPEC.argv()]) == 0
    registration = capsys.readouterr().out.split('tracker_builder.py:\n')[1]
    with open(checkout / 'pysot/tracker/tracker_builder.py', 'a') as f:
        f.write(registration)  # what the user pastes
    assert main(['dropin', 'pysot', str(checkout)]) == 2  # exists: not overwritten without --force
    fresh_imports(checkout)
    builder = importlib.import_module('pysot.tracker.tracker_builder')
    importlib.import_module('pysot.core.config').cfg.TRACK.TYPE = 'MetaRTTTracker'
    tracker = builder.build_tracker(None)
    assert isinstance(tracker, importlib.import_module('pysot.tracker.base_tracker').BaseTracker)

    # tools/test.py's one-pass loop: BGR frames, init box [cx-(w-1)/2, cy-(h-1)/2, w, h]
    gt = np.loadtxt(png_sequences / 'davis_car-shadow/groundtruth.txt', delimiter=',')
    x, y, w, h = gt[0]
    init = [x + w / 2 - (w - 1) / 2, y + h / 2 - (h - 1) / 2, w, h]
    pred, scores = [init], []
    for idx, img in enumerate(_frames_bgr(png_sequences / 'davis_car-shadow')):
        if idx == 0:
            tracker.init(img, init)
        else:
            out = tracker.track(img)
            pred.append(out['bbox'])
            scores.append(out['best_score'])
    assert all(isinstance(s, float) for s in scores)
    _assert_probability_like(scores, np.array(pred[1:]), gt[1:])

    results = tmp_path / 'results'
    assert main(['run-pysot', str(png_sequences), '--dataset', 'OTB100', '--results', str(results), *SPEC.argv()]) == 0
    ours = read_pysot(results / 'OTB100/rtmdnet-5-5/davis_car-shadow.txt')
    assert ours.shape == (N, 4) and np.allclose(ours, pred, atol=1e-3)


def test_run_pysot_vot_reset_protocol_from_a_pysot_json_with_polygons(tmp_path, png_sequences):
    gt = np.loadtxt(png_sequences / 'davis_car-shadow/groundtruth.txt', delimiter=',')
    gt[8:] = [20, 280, 60, 60]  # the target jumps away: failure at frame 8, re-initialisation at 13
    polygons = [[x, y, x + w, y, x + w, y + h, x, y + h] for x, y, w, h in gt]
    names = [f'davis_car-shadow/{i:08d}.png' for i in range(1, N + 1)]
    meta = {'jump': {'video_dir': 'davis_car-shadow', 'init_rect': list(gt[0]), 'img_names': names,
                     'gt_rect': polygons}}
    (png_sequences / 'VOT2016.json').write_text(json.dumps(meta))
    try:
        assert main(['run-pysot', str(png_sequences), '--dataset', 'VOT2016', '--results', str(tmp_path), '--name',
                     'MetaRTT', *SPEC.argv()]) == 0
    finally:
        (png_sequences / 'VOT2016.json').unlink()
    states, boxes = read_pysot_baseline(tmp_path / 'VOT2016/MetaRTT/baseline/jump/jump_001.txt')
    assert states[:14].tolist() == [1] + [3] * 7 + [2, 0, 0, 0, 0, 1]  # then it tracks a patch of road
    assert np.isfinite(boxes[states == FrameState.TRACKED]).all()


class Stub:
    """A tracker that fails at frame `fail_at` (simulating a crash mid-sequence)."""

    def __init__(self, fail_at=None):
        self.fail_at, self.k, self.score = fail_at, 0, 0.0

    def init(self, image, box):
        self.box, self.k = np.asarray(box, dtype=float), 0

    def update(self, image):
        self.k += 1
        if self.k == self.fail_at:
            raise RuntimeError('interrupted')
        return self.box


def test_interrupted_runs_leave_no_result_and_finished_ones_are_skipped(tmp_path, png_sequences, monkeypatch):
    from metartt_tracker.integrations.runs import run_pytracking
    trackers = iter([Stub(fail_at=5), Stub()])
    monkeypatch.setattr(MetaRTTTracker, 'from_spec', classmethod(lambda cls, spec: next(trackers)))
    with pytest.raises(RuntimeError, match='interrupted'):
        run_pytracking(SPEC, png_sequences, tmp_path)
    assert not list(tmp_path.rglob('*.txt')) and not [p for p in tmp_path.rglob('*') if '.tmp' in p.name]
    files = run_pytracking(SPEC, png_sequences, tmp_path)
    assert len(files) == 1 and len(files[0].read_text().splitlines()) == N
    assert run_pytracking(SPEC, png_sequences, tmp_path) == files  # complete: skipped, no tracker built


def test_pytracking_dropin_in_a_pytracking_loop_matches_run_pytracking(tmp_path, png_sequences, fresh_imports):
    import cv2
    checkout = _checkout(tmp_path / 'pytracking_repo', PYTRACKING)
    assert main(['dropin', 'pytracking', str(checkout), *SPEC.argv()]) == 0
    assert (checkout / 'pytracking/parameter/metartt/metartt_prune.py').is_file()
    fresh_imports(checkout)
    # what pytracking/evaluation/tracker.py does: get_tracker_class(), parameters(), tracker_class(params)
    tracker_class = importlib.import_module('pytracking.tracker.metartt').get_tracker_class()
    params = importlib.import_module('pytracking.parameter.metartt.rtmdnet_5_5').parameters()
    assert params.get('overrides') == SPEC.overrides and params.get('debug', 1) == 0
    tracker = tracker_class(params)
    tracker.initialize_features()
    assert tracker.predicts_segmentation_mask() is False
    images = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in _frames_bgr(png_sequences / 'davis_car-shadow')]
    init = list(np.loadtxt(png_sequences / 'davis_car-shadow/groundtruth.txt', delimiter=',')[0])
    out = tracker.initialize(images[0], {'init_bbox': init}) or {}
    boxes, presence, prev = [init], [1.0], OrderedDict(out)
    for image in images[1:]:
        out = tracker.track(image, {'previous_output': prev})
        prev = OrderedDict(out)
        boxes.append(out['target_bbox'])
        presence.append(out['object_presence_score'])

    results = tmp_path / 'tracking_results'
    assert main(['run-pytracking', str(png_sequences), '--results-path', str(results), *SPEC.argv()]) == 0
    ours = read_pytracking(results, 'rtmdnet_5_5', 'davis_car-shadow')
    assert np.array_equal(ours.boxes, np.trunc(np.array(boxes)))  # pytracking stores integer boxes
    assert np.allclose(ours.scores, presence, atol=1e-5) and ours.times.shape == (N,)
    gt = np.loadtxt(png_sequences / 'davis_car-shadow/groundtruth.txt', delimiter=',')
    _assert_probability_like(presence[1:], np.array(boxes[1:]), gt[1:])

    tracker.initialize(images[0], {'init_bbox': OrderedDict({1: init})})  # run_video's multi-object form
    assert list(tracker.track(images[1])['target_bbox']) == [1]


def test_dropin_refuses_a_folder_that_is_not_a_checkout(tmp_path, capsys):
    assert main(['dropin', 'pytracking', str(tmp_path)]) == 2
    assert 'not a pytracking checkout' in capsys.readouterr().err
