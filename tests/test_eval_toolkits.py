"""Cross-checks against the reference toolkits on the same result files (to 1e-6).

got10k 0.1.3: OTB-protocol success / precision / speed (ExperimentDTB70 = ExperimentOTB on any
folders), UAV123's NaN handling, GOT-10k AO / SR. vot-toolkit 0.7.4: a real workspace run of a
drifting TraX tracker on a tiny stack (rectangles and polygons); accuracy, failures and EAO from
`vot analysis` against ours, and our reset-based protocol against the toolkit's trajectories.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from metartt_tracker.data.benchmarks import read_dtb70, read_got10k_dataset, read_vot
from metartt_tracker.evaluation import metrics as M
from metartt_tracker.evaluation.vot_protocol import read_supervised, run_supervised
from metartt_tracker.evaluation.scoring import ResultSource, score_ope, score_supervised
from metartt_tracker.overlap import box_iou
from metartt_tracker.results import FrameState, SequenceResult, write_got10k

W, H, N = 64, 48, 24


def _frames(folder: Path, n: int, pattern: str, rng: np.random.Generator) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (H, W, 3), dtype=np.uint8)).save(folder / (pattern % (i + 1)))


def _gt(n: int, k: int) -> np.ndarray:
    t = np.arange(n)[:, None]
    return np.hstack([8 + 0.9 * t + k, 6 + 0.4 * t, np.full((n, 1), 20.0 - k), np.full((n, 1), 15.0)])


def _noisy(gt: np.ndarray, rng: np.random.Generator, drift: float) -> np.ndarray:
    pred = np.nan_to_num(gt, nan=10.0) + rng.normal(0, 2.0, gt.shape)
    pred[:, 0] += drift * np.arange(len(gt))
    pred[:, 2:] = np.abs(pred[:, 2:]) + 1
    return np.round(pred, 3)


def test_otb_protocol_equals_got10k_experiment_report(tmp_path):
    from got10k.experiments import ExperimentDTB70
    rng = np.random.default_rng(0)
    data, results = tmp_path / 'DTB', tmp_path / 'results' / 'DTB70' / 'Noisy'
    for k, name in enumerate(['Aseq', 'Bseq', 'Cseq']):
        _frames(data / name / 'img', N, '%05d.jpg', rng)
        gt = _gt(N, k)
        if k == 2:
            gt[5:8] = np.nan  # unannotated frames: got10k counts them as misses
        np.savetxt(data / name / 'groundtruth_rect.txt', gt, fmt='%.2f', delimiter=',')
        (results / 'times').mkdir(parents=True, exist_ok=True)
        np.savetxt(results / f'{name}.txt', _noisy(gt, rng, 0.4 * k), fmt='%.3f', delimiter=',')
        np.savetxt(results / 'times' / f'{name}_time.txt', rng.uniform(0.01, 0.05, N), fmt='%.8f')
    exp = ExperimentDTB70(str(data), result_dir=str(tmp_path / 'results'), report_dir=str(tmp_path / 'reports'))
    ref = exp.report(['Noisy'])['Noisy']
    ours = score_ope(read_dtb70(data), ResultSource('Noisy', results, 'flat', one_based=True), 'got10k')
    r = ours.reps[1]
    assert r['auc'] == pytest.approx(ref['overall']['success_score'], abs=1e-6)
    assert r['precision'] == pytest.approx(ref['overall']['precision_score'], abs=1e-6)
    assert r['success_rate'] == pytest.approx(ref['overall']['success_rate'], abs=1e-6)
    assert ours.curves.success == pytest.approx(ref['overall']['success_curve'], abs=1e-6)
    assert ours.curves.precision == pytest.approx(ref['overall']['precision_curve'], abs=1e-6)
    speeds = [ref['seq_wise'][s]['speed_fps'] for s in ('Aseq', 'Bseq', 'Cseq')]
    assert r['got10k_speed'] == pytest.approx(np.mean(speeds), abs=1e-6)  # equal lengths: pooled = per-sequence mean
    assert 0 < r['auc'] < 1 and 0 < r['precision'] < 1


def test_uav123_nan_frames_are_dropped_as_got10k_does():
    from got10k.experiments.uav123 import ExperimentUAV123
    rng = np.random.default_rng(3)
    gt = _gt(30, 0)
    gt[[0, 4, 9, 10]] = np.nan
    pred = _noisy(gt, rng, 0.5)
    pred[0] = gt[0]
    ious, errs = ExperimentUAV123._calc_metrics(None, pred.copy(), gt.copy())
    succ, prec = ExperimentOTB_curves(ious, errs)
    c = M.ope_curves(pred, gt, 'got10k-uav123')
    assert c.success == pytest.approx(succ, abs=1e-12) and c.precision == pytest.approx(prec, abs=1e-12)


def ExperimentOTB_curves(ious, errs):  # noqa: N802 - got10k's own curve code, unbound
    from got10k.experiments.otb import ExperimentOTB
    probe = type('Probe', (), {'nbins_iou': 21, 'nbins_ce': 51})()
    return ExperimentOTB._calc_curves(probe, ious, errs)


def _got10k_data(root: Path, rng: np.random.Generator) -> list[str]:
    names = ['GOT-10k_Val_000001', 'GOT-10k_Val_000002']
    val = root / 'val'
    for k, name in enumerate(names):
        d = val / name
        _frames(d, N, '%08d.jpg', rng)
        gt = _gt(N, k)
        gt[-4:, 0] += 40  # leaves the image: boxes are bounded to (W, H)
        cover = np.where(np.arange(N) % 7 == 3, 0, 8)
        np.savetxt(d / 'groundtruth.txt', gt, fmt='%.4f', delimiter=',')
        for label, values in (('cover', cover), ('absence', (cover == 0).astype(int)), ('cut_by_image', 0 * cover)):
            np.savetxt(d / f'{label}.label', values, fmt='%d')
        (d / 'meta_info.ini').write_text(f'[METAINFO]\nobject_class: thing\nresolution: ({W}, {H})\n')
    (val / 'list.txt').write_text('\n'.join(names))
    return names


def _write_runs(bench, results: Path, rng: np.random.Generator) -> None:
    for seq in bench:
        for rep in (1, 2, 3):
            pred = _noisy(seq.boxes, rng, 0.3 * rep)
            write_got10k(SequenceResult(seq.name, pred, np.full(len(pred), np.nan), rng.uniform(0.01, 0.05, len(pred))),
                         results, 'Noisy', rep)


def test_ao_sr_equal_got10k_experiment_report(tmp_path):
    from got10k.experiments import ExperimentGOT10k
    rng = np.random.default_rng(1)
    _got10k_data(tmp_path / 'GOT', rng)
    bench = read_got10k_dataset(tmp_path / 'GOT', 'val')
    results = tmp_path / 'results' / 'GOT-10k'
    _write_runs(bench, results, rng)  # our layout as written: got10k's report reads it unchanged
    exp = ExperimentGOT10k(str(tmp_path / 'GOT'), subset='val', result_dir=str(tmp_path / 'results'),
                           report_dir=str(tmp_path / 'reports'))
    ref = exp.report(['Noisy'])['Noisy']['overall']
    ours = score_ope(bench, ResultSource('Noisy', results / 'Noisy'), repetitions=3)
    assert sorted(ours.reps) == [1, 2, 3]
    assert ours.stat('ao')[0] == pytest.approx(ref['ao'], abs=1e-6)
    assert ours.stat('sr50')[0] == pytest.approx(ref['sr'], abs=1e-6)
    assert ours.stat('got10k_speed')[0] == pytest.approx(ref['speed_fps'], abs=1e-6)
    assert 0 < ref['ao'] < 1


DRIFT = '''
import trax


def main():
    server = trax.Server([trax.Region.RECTANGLE], [trax.Image.PATH], ['color'], tracker_name='drift')
    box = None
    while True:
        req = server.wait()
        if req.type in ('quit', 'error'):
            break
        if req.type == 'initialize':
            box = list(req.objects[0][0].bounds())
        else:
            box[0] += 2.7
            box[1] += 0.6
        server.status([(trax.Rectangle.create(*box), {})])
    server.quit()


if __name__ == '__main__':
    main()
'''


class Drift:
    """The same drifting tracker, in-process."""

    def init(self, frame, box):
        self.box = np.asarray(box, float).copy()

    def update(self, frame):
        self.box = self.box + [2.7, 0.6, 0, 0]
        return self.box


def _workspace(root: Path, rng: np.random.Generator) -> Path:
    ws, trackers = root / 'ws', root / 'trackers'
    trackers.mkdir(parents=True)
    (trackers / 'drift_tracker.py').write_text(DRIFT)
    ws.mkdir()
    (ws / 'trackers.ini').write_text(f'[Drift]\nlabel = Drift\nprotocol = traxpython\ncommand = drift_tracker\n'
                                     f'paths = {trackers}\ntimeout = 120\n')
    (ws / 'stack.yaml').write_text(textwrap.dedent('''\
        title: tiny reset-based stack
        experiments:
          baseline:
            type: supervised
            repetitions: 1
            skip_initialize: 5
            analyses:
              - type: supervised_average_ar
                sensitivity: 30
              - type: supervised_eao_score
                low: 5
                high: 30
        '''))
    (ws / 'config.yaml').write_text('registry:\n- ./trackers.ini\nstack: ./stack.yaml\n')
    (ws / 'results').mkdir()
    seqs = ws / 'sequences'
    for k, name in enumerate(['rects', 'polys']):
        _frames(seqs / name / 'color', 36, '%08d.jpg', rng)
        gt = _gt(36, k)
        if k:  # a rotated rectangle as an 8-value polygon
            c, a = gt[:, :2] + gt[:, 2:] / 2, 0.3 + 0.01 * np.arange(36)
            corners = np.array([[-10, -7], [10, -7], [10, 7], [-10, 7]], float)
            rot = np.stack([np.cos(a), -np.sin(a), np.sin(a), np.cos(a)], 1).reshape(-1, 2, 2)
            gt = (np.einsum('nij,kj->nki', rot, corners) + c[:, None]).reshape(-1, 8)
        np.savetxt(seqs / name / 'groundtruth.txt', gt, fmt='%.3f', delimiter=',')
        (seqs / name / 'sequence').write_text(f'channels.color=color/%08d.jpg\nformat=default\nfps=30\nname={name}\n')
    (seqs / 'list.txt').write_text('rects\npolys\n')
    return ws


def _vot(ws: Path, *args: str) -> None:
    env = {**os.environ, 'VOT_RESULTS_BINARY': '0'}
    proc = subprocess.run([sys.executable, '-m', 'vot', *args, '--workspace', str(ws), 'Drift'], cwd=ws, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_eao_accuracy_failures_equal_vot_toolkit_workspace_run(tmp_path):
    ws = _workspace(tmp_path, np.random.default_rng(4))
    _vot(ws, 'evaluate')
    _vot(ws, 'analysis', '--name', 'an')
    results = json.loads((ws / 'analysis' / 'an.json').read_text())['results']['baseline']['results']
    (accuracy, failures, _, _), = results[0]
    (eao,), = results[1]
    bench = read_vot(ws / 'sequences')
    ours = score_supervised(bench, ResultSource('Drift', ws / 'results' / 'Drift', 'vot'), eao_range=(5, 30))
    assert ours.pooled['accuracy'] == pytest.approx(accuracy, abs=1e-6)
    assert ours.pooled['failures'] == pytest.approx(failures, abs=1e-6)
    assert ours.pooled['eao'] == pytest.approx(eao, abs=1e-6)
    assert failures > 0 and 0 < eao < 1
    # our reset-based protocol gives the toolkit's trajectories: same codes, boxes up to float32
    for s in bench:
        seq = s.check()
        run = run_supervised(Drift(), seq.frames, s.boxes, s.regions, s.image_size(), s.name)
        ref = read_supervised(ws / 'results', 'Drift', s.name)
        assert run.states.tolist() == ref.states.tolist()
        assert np.nanmax(np.abs(run.tracked_boxes() - ref.tracked_boxes())) < 1e-4


def test_binary_vot_trajectories_and_result_folder_layouts(tmp_path):
    """vot-toolkit's default binary results read back; result folders are recognised by layout."""
    from vot.region import Special
    from vot.region.io import write_trajectory
    from vot.region.shapes import Polygon, Rectangle
    folder = tmp_path / 'T' / 'baseline' / 's'
    folder.mkdir(parents=True)
    write_trajectory(str(folder / 's_001.bin'), [Special(1), Rectangle(1.5, 2, 3, 4),
                                                 Polygon([(1, 1), (5, 1), (5, 4), (1, 4)]), Special(2), Special(0)])
    run = read_supervised(tmp_path, 'T', 's')
    S = FrameState
    assert run.states.tolist() == [S.INIT, S.TRACKED, S.TRACKED, S.FAILURE, S.SKIPPED]
    assert run.result.boxes[1].tolist() == [1.5, 2, 3, 4] and run.result.boxes[2].tolist() == [1, 1, 4, 3]
    src = ResultSource.parse(f'Theirs={tmp_path / "T"}')
    assert (src.layout, src.one_based, src.repetitions('s')) == ('vot', False, [1])
    (tmp_path / 'flat').mkdir()
    (tmp_path / 'flat' / 's.txt').write_text('1\t2\t3\t4\n')
    src = ResultSource.parse(f'OTB={tmp_path / "flat"}:one-based')
    assert (src.layout, src.one_based) == ('flat', True) and src.read_ope('s')[0].tolist() == [[0, 1, 3, 4]]
    with pytest.raises(ValueError, match='LABEL=DIR'):
        ResultSource.parse(str(tmp_path))


def test_iou_and_centre_error_equal_got10k_utils_metrics():
    from got10k.utils.metrics import center_error, rect_iou
    rng = np.random.default_rng(5)
    a = np.c_[rng.uniform(-20, 80, (200, 2)), rng.uniform(0.5, 40, (200, 2))]
    b = np.c_[rng.uniform(-20, 80, (200, 2)), rng.uniform(0.5, 40, (200, 2))]
    assert box_iou(a, b) == pytest.approx(rect_iou(a.copy(), b.copy()), abs=1e-12)
    assert box_iou(a, b, (W, H)) == pytest.approx(rect_iou(a.copy(), b.copy(), bound=(W, H)), abs=1e-12)
    assert M.center_errors(a, b) == pytest.approx(center_error(a, b), abs=1e-12)
