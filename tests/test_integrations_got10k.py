"""MetaRTT inside the real got10k toolkit: its experiment classes run and report on local copies of
the bundled sample, offline, with checked inputs and the numpy-2 shims for ExperimentVOT."""
import json
import re
from dataclasses import replace

import numpy as np
import pytest

from conftest import FAST, SAMPLES
from metartt_tracker.evaluation.metrics import ope_curves
from metartt_tracker.cli import main
from metartt_tracker.integrations import got10k as g
from metartt_tracker.integrations.layouts import export_dataset, open_harness_sequence
from metartt_tracker.integrations.options import TrackerSpec

pytestmark = pytest.mark.filterwarnings('ignore::ResourceWarning')  # got10k's own loops never close images
SPEC = TrackerSpec('rtmdnet', overrides=FAST)
N = 16


@pytest.fixture(scope='module')
def car():
    return open_harness_sequence(SAMPLES / 'davis_car-shadow', max_frames=N)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Any download attempt fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f'got10k tried to download {args}')
    for module in ('otb', 'vot'):
        monkeypatch.setattr(f'got10k.datasets.{module}.download', refuse)


def test_got10k_experiment_runs_and_reports_through_the_cli(tmp_path, capsys, car):
    export_dataset([car], tmp_path / 'GOT10k/val', 'got10k')
    with open(tmp_path / 'GOT10k/val/list.txt', 'a') as f:
        f.write('GOT-10k_Val_000999\n')  # listed but not in this partial copy
    argv = ['eval', 'got10k', '--root', str(tmp_path / 'GOT10k'), '--results', str(tmp_path / 'results'),
            '--reports', str(tmp_path / 'reports'), '--name', 'MetaRTT', *SPEC.argv()]
    assert main(argv) == 0
    out = capsys.readouterr().out
    summary = json.loads(out.strip().splitlines()[-1])
    assert 'GOT-10k_Val_000999' in out and 0.3 < summary['ao'] <= 1 and 0 <= summary['sr'] <= 1
    d = tmp_path / 'results/GOT-10k/MetaRTT/davis_car-shadow'
    assert sorted(p.name for p in d.iterdir()) == ['davis_car-shadow_001.txt', 'davis_car-shadow_001_confidence.value',
                                                   'davis_car-shadow_time.txt']  # deterministic: one repetition
    boxes = np.loadtxt(d / 'davis_car-shadow_001.txt', delimiter=',')
    assert boxes.shape == (N, 4) and np.allclose(boxes[0], car.regions[0], atol=1e-3)
    assert len(np.loadtxt(d / 'davis_car-shadow_001_confidence.value')) == N
    report = json.loads((tmp_path / 'reports/GOT-10k/MetaRTT/performance.json').read_text())
    assert report['MetaRTT']['overall']['ao'] == pytest.approx(summary['ao'])
    assert (tmp_path / 'reports/GOT-10k/MetaRTT/success_plot.png').is_file()


def test_eval_max_frames_cuts_boxes_frames_and_labels_under_its_own_name(tmp_path, capsys, car):
    """`metartt eval --max-frames N`: the toolkit runs and reports on the first N frames (the GOT-10k cover
    labels cut alike), and the results go under <name>@firstN so a later full run never reuses them."""
    export_dataset([car], tmp_path / 'GOT10k/val', 'got10k')
    argv = ['eval', 'got10k', '--root', str(tmp_path / 'GOT10k'), '--results', str(tmp_path / 'results'),
            '--reports', str(tmp_path / 'reports'), '--name', 'MetaRTT', '--max-frames', '6', *SPEC.argv()]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    d = tmp_path / 'results/GOT-10k/MetaRTT@first6/davis_car-shadow'
    assert np.loadtxt(d / 'davis_car-shadow_001.txt', delimiter=',').shape == (6, 4)
    assert summary['tracker'] == 'MetaRTT@first6' and 0 < summary['ao'] <= 1
    assert not (tmp_path / 'results/GOT-10k/MetaRTT').exists()
    with pytest.raises(ValueError, match='at least 2 frames'):
        g.FirstFrames([], 1)


def test_determinism_flag_is_honest(car):
    assert g.MetaRTTGot10k(SPEC).is_deterministic  # seeded: same boxes every run (tests/test_tracker.py)
    stochastic = g.MetaRTTGot10k(SPEC, stochastic=True)
    seeds = []
    stochastic.tracker.init = lambda image, box: seeds.append(stochastic.tracker.seed)
    for _ in range(3):
        stochastic.init(car.frames[0], car.regions[0])
    assert not stochastic.is_deterministic and seeds == [0, 1, 2]


def test_otb_experiment_on_a_partial_copy_never_downloads(tmp_path):
    crossing = replace(open_harness_sequence(SAMPLES / 'otb_Crossing', max_frames=N),
                       name='Crossing')  # an official OTB name; the other 99 are missing
    export_dataset([crossing], tmp_path / 'OTB', 'otb')
    exp = g.make_experiment('otb', tmp_path / 'OTB', tmp_path / 'results', tmp_path / 'reports')
    assert exp.dataset.seq_names == ['Crossing']
    tracker = g.MetaRTTGot10k(SPEC)
    exp.run(tracker)
    perf = exp.report([tracker.name])[tracker.name]['overall']
    d = tmp_path / 'results/OTB2015/rtmdnet'
    boxes = np.loadtxt(d / 'Crossing.txt', delimiter=',')
    anno = exp.dataset[0][1]  # the exported OTB annotation, 1-based as the tracker was given it
    assert boxes.shape == (N, 4) and np.allclose(boxes[0], anno[0], atol=1e-3)  # written as %.3f
    # got10k's own score of the written file is ours under got10k's convention (float32 vs float64 sums)
    mine = ope_curves(boxes, anno, 'got10k').scores()
    assert perf['success_score'] == pytest.approx(mine['auc'], abs=1e-6)
    assert perf['precision_score'] == pytest.approx(mine['precision'], abs=1e-6)
    assert len(np.loadtxt(d / 'times/Crossing_time.txt')) == N and len(np.loadtxt(d / 'scores/Crossing_score.txt')) == N


def test_otb_experiment_without_official_names_points_to_dtb70(tmp_path, car):
    export_dataset([car], tmp_path / 'OTB', 'otb')
    with pytest.raises(ValueError, match='dtb70'):
        g.make_experiment('otb', tmp_path / 'OTB')
    exp = g.make_experiment('dtb70', tmp_path / 'OTB', tmp_path / 'results', tmp_path / 'reports')
    assert exp.dataset.seq_names == ['davis_car-shadow']


def test_vot_experiment_with_scoped_numpy2_shims(tmp_path, capsys, car):
    export_dataset([car], tmp_path / 'VOT', 'got10k-vot')
    with open(tmp_path / 'VOT/list.txt', 'a') as f:
        f.write('ghost\n')  # got10k would download the whole dataset for this
    exp = g.make_experiment('vot', tmp_path / 'VOT', tmp_path / 'results', tmp_path / 'reports')
    tracker = g.MetaRTTGot10k(SPEC)
    exp.run(tracker)
    perf = exp.report([tracker.name])[tracker.name]
    assert 'ghost' in capsys.readouterr().out
    assert 0.3 < perf['accuracy'] <= 1 and perf['robustness'] >= 0
    record = (tmp_path / 'results/VOT2016/rtmdnet/baseline/davis_car-shadow/davis_car-shadow_001.txt').read_text()
    assert record.splitlines()[0] == '1' and len(record.splitlines()) == N
    assert 'NaN' not in np.__dict__ and g._vot_module.poly_iou is g._ORIGINAL_POLY_IOU


def test_numpy2_shims_are_scoped():
    had_nan = 'NaN' in np.__dict__
    with g.numpy2_shims():
        assert np.isnan(np.NaN)
        assert isinstance(g._vot_module.poly_iou(np.array([0, 0, 10, 10.]), np.array([5, 0, 10, 10.])), float)
    assert ('NaN' in np.__dict__) == had_nan and g._vot_module.poly_iou is g._ORIGINAL_POLY_IOU


@pytest.mark.parametrize('damage, message', [
    (lambda seq: (seq / 'groundtruth.txt').write_text('1,2,3,4\n1,2,x,4\n' * 8), r'groundtruth.txt:2: expected 4'),
    (lambda seq: (seq / 'groundtruth.txt').write_text('5,5,0,9\n' * 16), r'groundtruth.txt:1: region .* zero size'),
    (lambda seq: [p.unlink() for p in seq.glob('*.jpg')], r'16 ground-truth rows do not match .* \(0 .jpg'),
])
def test_bad_inputs_are_named_and_leave_no_results(tmp_path, capsys, car, damage, message):
    export_dataset([car], tmp_path / 'GOT10k/val', 'got10k')
    damage(tmp_path / 'GOT10k/val/davis_car-shadow')
    argv = ['eval', 'got10k', '--root', str(tmp_path / 'GOT10k'), '--results', str(tmp_path / 'results'), *SPEC.argv()]
    assert main(argv) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / 'results').exists()


def test_missing_root_is_an_error(tmp_path, capsys):
    assert main(['eval', 'dtb70', '--root', str(tmp_path / 'nope')]) == 2
    assert 'nope: benchmark root folder not found' in capsys.readouterr().err


def test_vot_frames_in_color_and_a_partial_uav123_copy(tmp_path, car):
    """vot-toolkit keeps VOT frames in <seq>/color/ (got10k reads them beside groundtruth.txt); a UAV123 copy with
    some sequences used to fail got10k's 'more than 3 entries in the root' check."""
    export_dataset([car], tmp_path / 'VOT', 'vot')
    assert (tmp_path / 'VOT/davis_car-shadow/color').is_dir()
    exp = g.make_experiment('vot', tmp_path / 'VOT', tmp_path / 'results', tmp_path / 'reports')
    assert len(exp.dataset[0][0]) == N and exp.dataset[0][0][0].endswith('color/00000001.jpg')
    (tmp_path / 'UAV').mkdir()
    with pytest.raises(FileNotFoundError, match='no anno or data_seq/ folder'):
        g.make_experiment('uav123', tmp_path / 'UAV')
    (tmp_path / 'UAV/anno/UAV123').mkdir(parents=True)
    (tmp_path / 'UAV/data_seq/UAV123').mkdir(parents=True)
    with pytest.raises(ValueError, match='no sequences of this benchmark found'):
        g.make_experiment('uav123', tmp_path / 'UAV')
