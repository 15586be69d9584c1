"""The experiment runner: planning, skipping finished runs, shards, parallel workers, provenance, failures."""
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from metartt_tracker.data.benchmarks import Benchmark, read_packed
from metartt_tracker.evaluation import runner
from metartt_tracker.evaluation.vot_protocol import read_supervised, write_supervised
from metartt_tracker.evaluation.scoring import ResultSource, score_ope
from metartt_tracker.evaluation.rows import ROWS, row
from metartt_tracker.results import FrameState, ResetRun, SequenceResult, read_got10k, write_got10k

SAMPLES = Path(__file__).resolve().parents[1] / 'samples'


@pytest.fixture(scope='module')
def short():
    """Both bundled sequences cut to 6 frames."""
    b = read_packed(SAMPLES)
    return Benchmark(b.name, b.kind, b.root, tuple(runner.head(s, 6) for s in b))


def test_plan_skips_finished_runs_and_shards_partition_the_rest(short, tmp_path):
    csrt, rt = row('csrt'), row('rtmdnet')
    jobs = runner.plan([csrt, rt], short, tmp_path, repetitions=3)
    assert [(j.spec.key, j.seq.name, j.repetitions) for j in jobs] == [
        ('csrt', 'davis_car-shadow', (1,)), ('csrt', 'otb_Crossing', (1,)),  # deterministic: one repetition
        ('rtmdnet', 'davis_car-shadow', (1, 2, 3)), ('rtmdnet', 'otb_Crossing', (1, 2, 3))]
    shards = [runner.shard(jobs, i, 3) for i in range(3)]
    assert sorted(id(j) for s in shards for j in s) == sorted(id(j) for j in jobs)
    assert runner.parse_shard('1/3') == (1, 3)
    with pytest.raises(ValueError, match='need 0 <= i < n'):
        runner.parse_shard('3/3')
    reports = runner.run_jobs(jobs[:2], progress=False)
    assert [r.error for r in reports] == ['', ''] and [r.done for r in reports] == [[1], [1]]
    assert [j.spec.key for j in runner.plan([csrt, rt], short, tmp_path, repetitions=3)] == ['rtmdnet', 'rtmdnet']
    assert not list(tmp_path.rglob('*.tmp'))


def test_results_info_and_scores_of_a_run(short, tmp_path):
    jobs = runner.plan([row('kcf')], short, tmp_path)
    runner.run_jobs(jobs, progress=False)
    res = read_got10k(tmp_path, 'kcf', 'otb_Crossing')
    assert res.boxes.shape == (6, 4) and np.allclose(res.boxes[0], short['otb_Crossing'].boxes[0])
    info = runner.read_info(tmp_path, 'ope', 'kcf', 'otb_Crossing', 1)
    assert info['seed'] == 0 and info['frames'] == 6 and info['machine']['cpus'] >= 1 and info['code_version']
    scores = score_ope(short, ResultSource('KCF', tmp_path / 'kcf'), repetitions=1)
    assert set(scores.reps) == {1} and 0 <= scores.stat('auc')[0] <= 1 and scores.stat('fps')[0] > 0
    assert len(scores.infos) == 2 and not scores.missing


def test_parallel_workers_and_supervised_protocol(short, tmp_path):
    jobs = runner.plan([row('csrt')], short, tmp_path, protocol='supervised')
    reports = runner.run_jobs(jobs, workers=2, progress=False)
    assert sorted(r.seq for r in reports) == ['davis_car-shadow', 'otb_Crossing'] and not any(r.error for r in reports)
    run = read_supervised(tmp_path, 'csrt', 'otb_Crossing')
    assert run.states[0] == FrameState.INIT and len(run.states) == 6
    assert runner.read_info(tmp_path, 'supervised', 'csrt', 'otb_Crossing', 1)['protocol'] == 'supervised'


def test_missing_weights_and_broken_sequences_are_reported_not_raised(short, tmp_path, no_shipped_weights):
    job = runner.plan([row('metartt')], short, tmp_path, repetitions=1, weights_dir=tmp_path)[0]
    report = runner.run_job(job)
    assert report.error.startswith('missing weights:') and 'metartt.pt' in report.error and not report.done
    broken = replace(short['otb_Crossing'], boxes=short['otb_Crossing'].boxes[:4])
    report = runner.run_job(replace(runner.plan([row('kcf')], short, tmp_path)[0], seq=broken))
    assert 'ValueError' in report.error and 'groundtruth.txt: 4 ground-truth rows but 6 frames' in report.error


def test_supervised_files_round_trip(tmp_path):
    """vot-toolkit's text: codes on special frames (their boxes dropped), seconds with 0 on skipped frames."""
    S = FrameState
    boxes = np.array([[1, 1, 5, 5], [1.5, 2, 3, 4], [9, 9, 9, 9], [np.nan] * 4])
    run = ResetRun(SequenceResult('s', boxes, np.full(4, np.nan), np.array([0.5, 0.1, 0.1, np.nan])),
                   [S.INIT, S.TRACKED, S.FAILURE, S.SKIPPED])
    path = write_supervised(run, tmp_path, 'T', 2)
    assert path.read_text().splitlines() == ['1', '1.5000,2.0000,3.0000,4.0000', '2', '0']
    back = read_supervised(tmp_path, 'T', 's', 2)
    assert back.states.tolist() == run.states.tolist() and back.result.times.tolist() == [0.5, 0.1, 0.1, 0.0]
    assert np.array_equal(back.tracked_boxes(), run.tracked_boxes(), equal_nan=True) and back.failures == 1


def test_rows_are_data_over_one_tracker_spec(tmp_path):
    spec = ROWS['metartt']
    assert (spec.weights, spec.train) == ('metartt.pt', {'variant': 'metartt', 'ablation': 'metartt'})
    run = spec.tracker_spec(7, tmp_path)  # no metartt.pt in tmp_path: the shipped weights
    assert (run.variant, run.seed, Path(run.checkpoint).name) == ('metartt', 7, 'metartt.pt')
    assert ROWS['rtmdnet-5-5'].tracker_spec(0, tmp_path).checkpoint is None
    assert ROWS['csrt'].deterministic and ROWS['csrt'].tracker is None and not ROWS['rtmdnet'].deterministic
    quick = ROWS['rtmdnet-50-5'].with_overrides({'geometry.n_aug_crops': 8})
    assert quick.key.startswith('rtmdnet-50-5@') and quick.overrides == {'adaptation.iters_update': 5,
                                                                        'geometry.n_aug_crops': 8}
    with pytest.raises(ValueError, match='unknown experiment row'):
        row('nope')
    assert json.dumps({k: v.overrides for k, v in ROWS.items()})  # plain data


def test_export_results_through_the_integrations_writers(tmp_path, capsys):
    """`metartt export-results` writes every repetition with the real pysot / pytracking / got10k writers."""
    from metartt_tracker.cli import main
    from metartt_tracker.evaluation.export import export
    from metartt_tracker.integrations.results_io import read_pysot, read_pytracking
    src = tmp_path / 'ope'
    for rep in (1, 2):
        write_got10k(SequenceResult('s', np.ones((3, 4)) * rep + 0.25, np.zeros(3), np.ones(3) * rep), src, 'T', rep)
    assert main(['export-results', str(src), '--tracker', 'T', '--layout', 'pysot', '--out', str(tmp_path / 'pysot'),
                 '--option', 'dataset=OTB100']) == 0
    assert 'wrote 2 result file(s) in the pysot layout' in capsys.readouterr().out
    assert read_pysot(tmp_path / 'pysot' / 'OTB100' / 'T' / 's.txt').tolist() == [[1.25] * 4] * 3
    assert read_pysot(tmp_path / 'pysot' / 'OTB100' / 'T_002' / 's.txt').tolist() == [[2.25] * 4] * 3
    files = export(src, 'T', 'pytracking', tmp_path / 'pyt', parameter='default', integer=False)
    assert [f.parent.name for f in files] == ['default', 'default_002']
    back = read_pytracking(tmp_path / 'pyt', 'default', 's', 'T', 2)
    assert back.boxes.tolist() == [[2.25] * 4] * 3 and back.times.tolist() == [2.0] * 3
    export(src, 'T', 'got10k', tmp_path / 'g')
    assert read_got10k(tmp_path / 'g', 'T', 's', 2).boxes.tolist() == [[2.25] * 4] * 3
    with pytest.raises(ValueError, match="no writer for layout 'mmtrack'"):
        export(src, 'T', 'mmtrack', tmp_path)
    with pytest.raises(ValueError, match='dataset=OTB100'):
        export(src, 'T', 'pysot', tmp_path / 'x')


def test_backbone_override_selects_the_backbone(tmp_path):
    """`--override backbone=vggm` used to collide with build_tracker's own backbone argument."""
    from metartt_tracker import MetaRTTTracker, TrackerSpec
    spec = ROWS['rtmdnet-5-5'].with_overrides({'backbone': 'vggm'})
    assert runner.make_tracker(spec, 0, tmp_path).cfg.backbone == 'vggm'
    assert MetaRTTTracker.from_spec(TrackerSpec('rtmdnet-5-5', overrides={'backbone': 'vggm'})).cfg.backbone == 'vggm'


def test_a_folder_of_runs_with_another_backbone_is_not_completed(short, tmp_path):
    """Result folders are named by row, not backbone; runs made when lite0 was the default must not be
    mixed with new nano16 runs under the same name."""
    rt = row('rtmdnet-5-5')
    boxes = runner.result_path(tmp_path, 'ope', 'rtmdnet-5-5', 'otb_Crossing', 1)
    boxes.parent.mkdir(parents=True)
    np.savetxt(boxes, np.tile(short['otb_Crossing'].boxes[0], (6, 1)), delimiter=',')  # a finished lite0 run
    boxes.with_name(boxes.stem + '_info.json').write_text(json.dumps({'config': {'backbone': 'lite0'}}))
    with pytest.raises(ValueError, match=r"otb_Crossing_001.txt: made with backbone 'lite0', but this run uses 'nano16'"):
        runner.plan([rt], short, tmp_path, repetitions=2)
    assert [j.repetitions for j in runner.plan([rt.with_overrides({'backbone': 'lite0'})], short, tmp_path,
                                             repetitions=2)] == [(1, 2), (1, 2)]  # its own folder
    boxes.with_name(boxes.stem + '_info.json').write_text(json.dumps({'config': {'backbone': 'nano16'}}))
    assert [j.repetitions for j in runner.plan([rt], short, tmp_path, repetitions=2)] == [(1, 2), (2,)]


def test_nanotrack_row_tracks_from_the_shipped_onnx_files_and_refuses_altered_ones(short, tmp_path):
    """The `nanotrack` baseline (cv2.TrackerNano on weights/nanotrack_v2_*.onnx) follows the car, reports
    its own score in [0, 1], and a file whose sha256 differs is refused before OpenCV reads it."""
    import shutil
    import cv2
    from metartt_tracker.baselines import NANOTRACK_FILES, nanotrack_params
    from metartt_tracker.overlap import box_iou
    from metartt_tracker.shipped import weights_dir
    runner.run_jobs(runner.plan([row('nanotrack')], short, tmp_path), progress=False)
    res = read_got10k(tmp_path, 'nanotrack', 'davis_car-shadow')
    gt = short['davis_car-shadow'].boxes
    assert box_iou(res.boxes[1:], gt[1:]).min() > 0.5
    assert np.isnan(res.scores[0]) and ((res.scores[1:] >= 0) & (res.scores[1:] <= 1)).all()
    for name, _ in NANOTRACK_FILES.values():
        shutil.copy(weights_dir() / name, tmp_path / name)
    assert nanotrack_params(cv2, tmp_path).backbone.endswith('nanotrack_v2_backbone.onnx')
    with open(tmp_path / NANOTRACK_FILES['neckhead'][0], 'ab') as f:
        f.write(b'\0')
    with pytest.raises(ValueError, match='nanotrack_v2_head.onnx: sha256 .* does not match'):
        nanotrack_params(cv2, tmp_path)
