"""Attribute-wise analysis on small hand-made benchmarks: per-sequence attributes (OTB toolkit flag files),
per-frame VOT tags (accuracy / failures), the readers' errors, and the pooled per-frame curves."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from metartt_tracker.cli import main
from metartt_tracker.data.attributes import read_attributes
from metartt_tracker.data.benchmarks import read_otb, read_tc128, read_vot
from metartt_tracker.evaluation import metrics as M
from metartt_tracker.evaluation.attributes import score_ope_attributes, score_supervised_attributes
from metartt_tracker.evaluation.frames import load_attribute_results, load_results
from metartt_tracker.evaluation.scoring import ResultSource
from metartt_tracker.evaluation.vot_protocol import write_supervised
from metartt_tracker.results import FrameState, ResetRun, SequenceResult, write_got10k

GT = [10.0, 10.0, 20.0, 20.0]
OFF = [40.0, 30.0, 20.0, 20.0]  # no overlap with GT


def _images(folder: Path, n: int, pattern: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        Image.new('RGB', (64, 48)).save(folder / (pattern % i))


def _otb(root: Path) -> dict[str, list[list[float]]]:
    """Three 5-frame OTB sequences; predictions: A all right, B all wrong, C frames 2-3 right, 4-5 wrong."""
    preds = {'A': [GT] * 5, 'B': [GT] + [OFF] * 4, 'C': [GT] * 3 + [OFF] * 2}
    for name in preds:
        _images(root / name / 'img', 5, '%04d.jpg')
        (root / name / 'groundtruth_rect.txt').write_text('11,11,20,20\n' * 5)  # 1-based: GT above
    att = root / 'anno' / 'att'
    att.mkdir(parents=True)
    # OTB toolkit order IV, OPR, SV, OCC, DEF, MB, FM, IPR, OV, BC, LR: IV on A and B, OCC on B and C
    (att / 'A.txt').write_text('1,0,0,0,0,0,0,0,0,0,0\n')
    (att / 'B.txt').write_text('1,0,0,1,0,0,0,0,0,0,0\n')
    (att / 'C.txt').write_text('0\t0\t0\t1\t0\t0\t0\t0\t0\t0\t0\n')
    return preds


def test_otb_attributes_average_the_sequences_that_have_them(tmp_path):
    preds = _otb(tmp_path / 'OTB')
    bench = read_otb(tmp_path / 'OTB', version=None)
    for name, boxes in preds.items():
        write_got10k(SequenceResult(name, np.array(boxes), np.zeros(5), np.full(5, 0.01)), tmp_path / 'res', 'T')
    attrs = read_attributes(bench)
    assert not attrs.per_frame and attrs.sequences['B'] == {'IV', 'OCC'} and list(attrs.names)[:4] == \
        ['IV', 'OPR', 'SV', 'OCC']
    scores = score_ope_attributes(bench, ResultSource('T', tmp_path / 'res' / 'T'), attrs)
    # AUC of frames 2..5: A 20/21 (IoU 1 passes every threshold but 1.0), B 0, C half of that
    assert scores.values['IV'][1]['auc'] == pytest.approx((20 / 21 + 0) / 2, abs=1e-12)
    assert scores.values['OCC'][1]['auc'] == pytest.approx((0 + 10 / 21) / 2, abs=1e-12)
    assert 'SV' not in scores.values  # no sequence has it
    out = tmp_path / 'tables'
    assert main(['score', '--dataset', str(tmp_path / 'OTB'), '--compare', f'T={tmp_path / "res" / "T"}',
                 '--attributes', '--out', str(out), '--name', 'otb']) == 0
    table = (out / 'otb_attributes_auc.txt').read_text()
    assert re.search(r'IV +Illumination Variation +2 +47.6', table) and re.search(r'OCC +Occlusion +2 +23.8', table)
    assert re.search(r'SV +Scale Variation +0 +n/a', table)
    assert (out / 'otb_attributes_radar.png').stat().st_size > 0 and (out / 'otb_success_OCC.png').is_file()
    assert '| OCC' in (out / 'otb_attributes_auc.md').read_text()
    long = load_attribute_results(tmp_path / 'OTB', {'T': tmp_path / 'res' / 'T'})
    occ = long[long.attribute == 'OCC'].iloc[0]
    assert (occ.sequences, occ.repetition) == (2, 1) and occ.auc == pytest.approx(5 / 21, abs=1e-12)
    per_seq = load_results(tmp_path / 'OTB', {'T': tmp_path / 'res' / 'T'})
    assert per_seq.set_index('sequence').auc.to_dict() == pytest.approx({'A': 20 / 21, 'B': 0.0, 'C': 10 / 21})


def _vot(root: Path, n: int = 30) -> None:
    _images(root / 's' / 'color', n, '%08d.jpg')
    (root / 's' / 'groundtruth.txt').write_text('10,10,20,20\n' * n)
    (root / 'list.txt').write_text('s\n')
    tags = np.zeros(n, int)
    tags[[12, 13, 14, 15, 16, 20]] = 1
    (root / 's' / 'occlusion.tag').write_text(''.join(f'{t}\n' for t in tags))
    (root / 's' / 'camera_motion.label').write_text('1\n' * 6)  # shorter than the sequence: padded with 0


def test_vot_tags_accuracy_and_failures_on_tagged_frames(tmp_path):
    _vot(tmp_path / 'VOT')
    bench = read_vot(tmp_path / 'VOT')
    S = FrameState
    states = [S.INIT] + [S.TRACKED] * 19 + [S.FAILURE] + [S.SKIPPED] * 4 + [S.INIT] + [S.TRACKED] * 4
    boxes = np.array([GT] * 30)
    boxes[15:20] = [20, 10, 20, 20]  # half a box to the right: overlap about 1/3
    run = ResetRun(SequenceResult('s', boxes, np.zeros(30), np.full(30, 0.01)), np.array(states))
    write_supervised(run, tmp_path / 'res', 'T')
    attrs = read_attributes(bench)
    assert attrs.per_frame and list(attrs.names)[-1] == 'empty'
    assert attrs.frames['s']['camera_motion'].sum() == 6
    scored = score_supervised_attributes(bench, ResultSource('T', tmp_path / 'res' / 'T', 'vot'), attrs)
    third = M.with_vot_overlaps(run, bench['s'].regions, (64, 48)).overlaps[15]
    assert third == pytest.approx(1 / 3, abs=0.02)
    # accuracy counts tracked frames 10..19 (10 burn-in frames after each init); occlusion tags 12-16 and 20
    assert scored.values['occlusion'][1] == {'accuracy': pytest.approx((3 + 2 * third) / 5), 'failures': 1.0}
    assert scored.values['empty'][1] == {'accuracy': pytest.approx((2 + 3 * third) / 5), 'failures': 0.0}
    assert 'camera_motion' not in scored.values  # its frames are all inside the burn-in
    out = tmp_path / 'tables'
    assert main(['score', '--dataset', str(tmp_path / 'VOT'), '--protocol', 'supervised', '--compare',
                 f'T={tmp_path / "res" / "T"}', '--attributes', '--out', str(out), '--name', 'vot']) == 0
    failures = (out / 'vot_attributes_failures.txt').read_text()
    assert 'occlusion' in failures and 'Failures per attribute' in failures
    assert (out / 'vot_attributes_radar.png').is_file() and not list(out.glob('vot_success_*'))


def test_attribute_files_errors_name_the_file_and_line(tmp_path):
    _otb(tmp_path / 'OTB')
    bench = read_otb(tmp_path / 'OTB', version=None)
    (tmp_path / 'OTB' / 'anno' / 'att' / 'B.txt').write_text('1,0,2\n')
    with pytest.raises(ValueError, match=r'anno/att/B.txt:1: expected 11 0/1 flags'):
        read_attributes(bench)
    (tmp_path / 'OTB' / 'anno' / 'att' / 'B.txt').unlink()
    with pytest.raises(FileNotFoundError, match="no attribute file for sequence 'B'"):
        read_attributes(bench)
    bad = tmp_path / 'pysot.json'
    bad.write_text('{"A": {"attr": ["IV"]},\n "B": ')
    with pytest.raises(ValueError, match=r'pysot.json:2: not JSON'):
        read_attributes(bench, bad)
    good = tmp_path / 'OTB100.json'
    good.write_text(json.dumps({n: {'attr': a} for n, a in (('A', ['IV']), ('B', []), ('C', ['OCC', 'XY']))}))
    attrs = read_attributes(bench, good)
    assert attrs.sequences['C'] == {'OCC', 'XY'} and attrs.names['XY'] == 'XY' and attrs.count(bench, 'IV') == 1
    (tmp_path / 'OTB' / 'anno').rename(tmp_path / 'elsewhere')
    with pytest.raises(FileNotFoundError, match='no attribute files found .*pass --attributes PATH'):
        read_attributes(bench)
    (tmp_path / 'elsewhere' / 'att' / 'B.txt').write_text('0,0,0,0,0,0,0,0,0,0,1\n')
    assert read_attributes(bench, tmp_path / 'elsewhere' / 'att').sequences == {'A': {'IV'}, 'B': {'LR'}, 'C': {'OCC'}}


def test_tc128_attribute_files(tmp_path):
    root = tmp_path / 'TC128'
    for name, att in (('Ball_ce1', 'SV, OCC,FM'), ('Bike_ce2', '0,0,0,0,0,0,0,0,0,0,1')):
        _images(root / name / 'img', 3, '%04d.jpg')
        (root / name / f'{name}_gt.txt').write_text('1,1,4,4\n' * 3)
        (root / name / f'{name}_frames.txt').write_text('1,3\n')
        (root / name / f'{name}_att.txt').write_text(att + '\n')
    bench = read_tc128(root)
    attrs = read_attributes(bench)
    assert attrs.sequences == {'Ball_ce1': {'SV', 'OCC', 'FM'}, 'Bike_ce2': {'LR'}}
    (root / 'Ball_ce1' / 'Ball_ce1_att.txt').write_text('SV,Rain\n')
    with pytest.raises(ValueError, match="Ball_ce1_att.txt:1: unknown attribute 'Rain'"):
        read_attributes(bench)


def test_pooled_frame_curves_equal_one_long_sequence():
    """Pooling tagged frames of two sequences scores those frames as one pool (frame 1 follows the convention)."""
    rng = np.random.default_rng(3)
    gt = np.tile(GT, (12, 1))
    preds = [gt + rng.normal(0, 6, gt.shape) for _ in range(2)]
    tags = [rng.random(12) > 0.4 for _ in range(2)]
    for conv, first_scored in (('pysot', True), ('metartt', False)):
        passes = [M.frame_passes(p, gt, conv) for p in preds]
        pooled = M.FramePasses.concat(passes, tags).curves()
        keep = [t & (np.arange(12) > 0 if not first_scored else True) for t in tags]
        ious = np.concatenate([M.box_iou(p[k], gt[k]) for p, k in zip(preds, keep)])
        assert pooled.frames == len(ious)
        assert pooled.success == pytest.approx((ious[:, None] > M.SUCCESS_THRESHOLDS).mean(0), abs=1e-12)
