"""Integration building blocks without a CNN: tracker specs, regions, the reset protocol, result
writers (parsed back), and sequence loading/export with its errors."""
from dataclasses import replace

import numpy as np
import pytest

from conftest import FAST, SAMPLES
from metartt_tracker.evaluation.vot_protocol import run_supervised
from metartt_tracker.integrations.layouts import export_dataset, load_sequences, open_harness_sequence
from metartt_tracker.integrations.options import TrackerSpec, parse_spec
from metartt_tracker.integrations.regions import pysot_init_box, read_regions, region_to_box
from metartt_tracker.integrations.reset import run_reset_protocol
from metartt_tracker.integrations.results_io import (read_pysot, read_pysot_baseline, read_pytracking,
                                                     write_got10k_toolkit, write_otb, write_pysot,
                                                     write_pysot_baseline, write_pytracking)
from metartt_tracker.overlap import region_overlap
from metartt_tracker.results import FrameState, SequenceResult


def test_spec_round_trips_through_its_command_line():
    spec = TrackerSpec('rtmdnet-5-5', 'vggm', None, 3, dict(FAST), threads=2)
    assert parse_spec(spec.argv()) == spec
    assert spec.label == 'rtmdnet-5-5_vggm' and TrackerSpec(checkpoint='w/metartt.pth').label == 'metartt'
    with pytest.raises(ValueError, match='geometry.nope'):
        TrackerSpec(overrides={'geometry.nope': 1})
    with pytest.raises(ValueError, match='unknown variant'):
        TrackerSpec('mdnet')


def test_region_overlap_matches_got10k_poly_iou_on_rectangles_and_polygons():
    from got10k.utils.metrics import poly_iou
    rng = np.random.default_rng(0)
    for _ in range(30):
        box = np.r_[rng.uniform(-20, 300, 2), rng.uniform(5, 120, 2)]
        cx, cy, r, a = *rng.uniform(0, 320, 2), rng.uniform(10, 80), rng.uniform(0, np.pi)
        poly = np.array([[cx + r * np.cos(a + k * np.pi / 2), cy + r * np.sin(a + k * np.pi / 2)] for k in range(4)])
        for region in (poly.reshape(-1), np.r_[poly.min(0), np.ptp(poly, 0)]):
            want = float(poly_iou(region, box, (320, 240))[0])
            assert region_overlap(box, region, (320, 240)) == pytest.approx(want, abs=1e-6)
    assert np.isnan(region_overlap([0, 0, 5, 5], [np.nan] * 4)) and region_overlap([np.nan] * 4, [0, 0, 5, 5]) == 0.0


def test_region_conversions():
    square = [10, 10, 30, 10, 30, 30, 10, 30]
    assert region_to_box(square).tolist() == [10, 10, 20, 20]
    assert pysot_init_box([10, 20, 30, 40]).tolist() == [10.5, 20.5, 30, 40]  # pysot's half-pixel shift
    assert pysot_init_box(square).tolist() == pytest.approx([10, 10, 21, 21])
    with pytest.raises(ValueError):
        region_to_box([1, 2, 3])


def test_region_files_errors_name_file_and_line(tmp_path):
    f = tmp_path / 'groundtruth.txt'
    f.write_text('1,2,3,4\n1,2,x,4\n')
    with pytest.raises(ValueError, match=r'groundtruth.txt:2: expected 4 numbers'):
        read_regions(f)
    f.write_text('1 2 3 4 5 6 7 8\n1,2,3,4\n')
    with pytest.raises(ValueError, match='mix region formats'):
        read_regions(f, (4, 8))
    f.write_text('7 1 2 11 12 0 0 0 "person"\n')
    assert read_regions(f, (4,), slice(1, 5)).tolist() == [[1, 2, 11, 12]]


class Drifter:
    """A stand-in tracker: moves right by 10 px per frame; its score is the frame index."""

    def init(self, frame, box):
        self.box, self.k, self.score = np.asarray(box, dtype=float), 0, float('nan')

    def update(self, frame):
        self.box, self.k = self.box + [10, 0, 0, 0], self.k + 1
        self.score = float(self.k)
        return self.box


def test_reset_protocol_marks_failures_and_reinitialises_five_frames_later():
    frames = [np.zeros((100, 200, 3), np.uint8)] * 20
    regions = np.tile([50.0, 40, 20, 20], (20, 1))  # the target never moves; the tracker drifts away
    run = run_reset_protocol(Drifter(), frames, regions, 'drift')
    # overlap of the drifting box is 0 at its 2nd update: failure at 2, re-init at 7, 14 (and a failure at 16)
    want = [1, 3, 2, 0, 0, 0, 0, 1, 3, 2, 0, 0, 0, 0, 1, 3, 2, 0, 0, 0]
    assert run.states.tolist() == want and run.failures == 3
    assert np.isnan(run.result.boxes[3]).all() and run.result.boxes[7].tolist() == [50, 40, 20, 20]
    assert np.isnan(run.result.scores[7]) and run.result.scores[8] == 1.0 and np.isnan(run.result.times[4])


def test_reset_protocol_waits_for_an_annotated_frame_to_reinitialise():
    regions = np.tile([50.0, 40, 20, 20], (12, 1))
    regions[7:9] = np.nan  # frames 7 and 8 not annotated
    run = run_reset_protocol(Drifter(), [np.zeros((100, 200, 3), np.uint8)] * 12, regions)
    assert run.states[7:10].tolist() == [FrameState.SKIPPED, FrameState.SKIPPED, FrameState.INIT]


def test_both_reset_protocols_run_the_same_loop_and_agree_on_rectangles():
    """pysot's (geometric overlap) and vot-toolkit's (rasterised overlap) protocols share one loop."""
    frames = [np.zeros((100, 200, 3), np.uint8)] * 20
    regions = np.tile([50.0, 40, 20, 20], (20, 1))
    regions[7] = np.nan  # the re-initialisation waits for frame 8
    pysot_like = run_reset_protocol(Drifter(), frames, regions, 'drift')
    vot = run_supervised(Drifter(), frames, regions, regions, (200, 100), 'drift')
    assert pysot_like.states.tolist() == [1, 3, 2, 0, 0, 0, 0, 0, 1, 3, 2, 0, 0, 0, 0, 1, 3, 2, 0, 0]
    assert vot.states.tolist() == pysot_like.states.tolist()  # one ResetRun type, one FrameState code
    assert np.array_equal(vot.result.boxes, pysot_like.result.boxes, equal_nan=True)
    assert np.isnan(vot.tracked_boxes()[pysot_like.states != FrameState.TRACKED]).all()
    assert np.isnan(vot.result.times[3]) and vot.result.times[8] > 0


def _result(name='vid', n=5):
    boxes = np.arange(n * 4, dtype=float).reshape(n, 4) + [0.25, 0.5, 10, 20]
    return SequenceResult(name, boxes, np.r_[np.nan, np.linspace(-1, 2, n - 1)], np.linspace(0.5, 0.1, n))


def test_pysot_writers_follow_tools_test_layouts(tmp_path):
    r = _result()
    assert write_pysot(r, tmp_path, 'OTB100', 'T') == tmp_path / 'OTB100/T/vid.txt'
    assert np.allclose(read_pysot(tmp_path / 'OTB100/T/vid.txt'), r.boxes)
    write_pysot(r, tmp_path, 'GOT-10k', 'T')
    assert np.allclose(np.loadtxt(tmp_path / 'GOT-10k/T/vid/vid_time.txt'), r.times)
    lt = write_pysot(r, tmp_path, 'VOT2018-LT', 'T')
    assert lt.read_text().splitlines()[0] == '1' and len(lt.read_text().splitlines()) == 5
    conf = (lt.parent / 'vid_001_confidence.value').read_text().splitlines()
    assert conf[0] == '' and float(conf[1]) == -1.0
    with pytest.raises(ValueError, match='write_pysot_baseline'):
        write_pysot(r, tmp_path, 'VOT2016', 'T')
    frames, regions = [np.zeros((100, 200, 3), np.uint8)] * 9, np.tile([50.0, 40, 20, 20], (9, 1))
    run = run_reset_protocol(Drifter(), frames, regions, 'v')
    path = write_pysot_baseline(run, tmp_path, 'VOT2016', 'T')
    assert path == tmp_path / 'VOT2016/T/baseline/v/v_001.txt'
    assert path.read_text().splitlines()[:4] == ['1', '60.0000,40.0000,20.0000,20.0000', '2', '0']
    states, boxes = read_pysot_baseline(path)
    assert states.tolist() == run.states.tolist() and np.allclose(boxes[1], run.result.boxes[1])
    assert not [p for p in tmp_path.rglob('*') if '.tmp' in p.name]


def test_pytracking_writer_mirrors_its_running_py(tmp_path):
    r = _result('seqA')
    r.scores[1:] = [0.1, 0.5, 0.75, 1.0]  # confidences in [0, 1], as trackers record them
    write_pytracking(r, tmp_path, 'rtmdnet', run_id=2)
    d = tmp_path / 'metartt/rtmdnet_002'
    assert (d / 'seqA.txt').read_text().splitlines()[0] == '0\t1\t12\t23'  # integer boxes, as pytracking saves
    back = read_pytracking(tmp_path, 'rtmdnet', 'seqA', run_id=2)
    assert np.array_equal(back.boxes, np.trunc(r.boxes)) and np.allclose(back.times, r.times, atol=1e-6)
    assert back.scores[0] == 1.0 and np.allclose(back.scores[1:], r.scores[1:], atol=1e-6)  # written as recorded


def test_got10k_toolkit_writers_keep_files_the_toolkit_reads_clean(tmp_path):
    r = _result('s')
    write_otb(r, tmp_path, 'T')
    assert np.allclose(np.loadtxt(tmp_path / 'T/s.txt', delimiter=','), r.boxes, atol=1e-3)
    assert np.allclose(np.loadtxt(tmp_path / 'T/times/s_time.txt'), r.times)
    write_got10k_toolkit(r, tmp_path, 'T', 1)
    write_got10k_toolkit(r, tmp_path, 'T', 2)
    names = sorted(p.name for p in (tmp_path / 'T/s').iterdir())
    assert names == ['s_001.txt', 's_001_confidence.value', 's_002.txt', 's_002_confidence.value', 's_time.txt']
    assert np.loadtxt(tmp_path / 'T/s/s_time.txt', delimiter=',').shape == (5, 2)


def test_loading_sequences_checks_every_boundary(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        load_sequences(tmp_path / 'nowhere')
    (tmp_path / 'list.txt').write_text('a\nb\n')
    (tmp_path / 'a').mkdir()
    with pytest.raises(FileNotFoundError, match=r'list.txt:2: sequence folder .*b not found'):
        load_sequences(tmp_path)
    (tmp_path / 'list.txt').unlink()
    with pytest.raises(ValueError, match=r'folder .*a is empty'):
        load_sequences(tmp_path)
    seq = open_harness_sequence(SAMPLES / 'davis_car-shadow', max_frames=4)
    export_dataset([seq], tmp_path / 'g', 'got10k')
    gt = tmp_path / 'g/davis_car-shadow/groundtruth.txt'
    lines = gt.read_text().splitlines()
    gt.write_text('\n'.join([lines[0], '1,2,x,4', *lines[2:]]) + '\n')
    with pytest.raises(ValueError, match=r'groundtruth.txt:2'):
        load_sequences(tmp_path / 'g')
    gt.write_text('\n'.join(['10,10,0,5', *lines[1:]]) + '\n')
    with pytest.raises(ValueError, match=r'groundtruth.txt:1: region .* zero size'):
        load_sequences(tmp_path / 'g')


def test_a_truncated_video_is_loaded_as_far_as_it_decodes(tmp_path):
    from metartt_tracker.data import TruncatedVideoWarning
    from video_files import truncate_mp4, write_mp4
    (tmp_path / 'cut').mkdir()
    write_mp4(tmp_path / 'cut' / 'video.mp4', 20)
    truncate_mp4(tmp_path / 'cut' / 'video.mp4', 0.3)
    (tmp_path / 'cut' / 'groundtruth.txt').write_text('4,21,24,21\n' * 20)
    with pytest.warns(TruncatedVideoWarning, match=r'video.mp4: decoded \d+ of 20'):
        (seq,) = load_sequences(tmp_path)
    assert len(seq) == len(seq.frames) == len(seq.regions) == seq.frames.decoded < 20
    assert seq.annotation == tmp_path / 'cut' / 'groundtruth.txt' and seq.paths is None


def test_export_layouts_and_vot_needs_a_region_in_every_frame(tmp_path):
    seq = open_harness_sequence(SAMPLES / 'otb_Crossing', max_frames=3)
    export_dataset([seq], tmp_path / 'otb', 'otb')
    assert sorted(p.name for p in (tmp_path / 'otb/otb_Crossing/img').iterdir()) == ['0001.jpg', '0002.jpg', '0003.jpg']
    back = open_harness_sequence(tmp_path / 'otb/otb_Crossing')
    assert np.allclose(back.regions, seq.regions, atol=0.01) and len(back) == 3
    with pytest.raises(ValueError, match='already exists'):
        export_dataset([seq], tmp_path / 'otb', 'otb')
    regions = seq.regions.copy()
    regions[2, 2] = 0
    bad = replace(seq, name='bad', boxes=regions)
    with pytest.raises(ValueError, match=r'groundtruth.txt:3 .*zero size'):
        export_dataset([bad], tmp_path / 'vot', 'vot')
    assert not (tmp_path / 'vot').exists()


@pytest.mark.parametrize('write, main_file', [
    (lambda r, root: write_got10k_toolkit(r, root, 'T'), 'T/s/s_001.txt'),
    (lambda r, root: write_otb(r, root, 'T'), 'T/s.txt'),
    (lambda r, root: write_pytracking(r, root, 'p'), 'metartt/p/s.txt'),
    (lambda r, root: write_pysot(r, root, 'GOT-10k', 'T'), 'GOT-10k/T/s/s_001.txt'),
])
def test_an_interrupted_write_leaves_no_main_file(tmp_path, monkeypatch, write, main_file):
    """Harnesses skip sequences whose main file exists, so it is written last, atomically."""
    import os
    real = os.replace

    def crash_on_main(src, dst):
        if str(dst).endswith(main_file):
            raise OSError('disk full')
        return real(src, dst)
    monkeypatch.setattr(os, 'replace', crash_on_main)
    with pytest.raises(OSError, match='disk full'):
        write(_result('s'), tmp_path)
    files = [p for p in tmp_path.rglob('*') if p.is_file()]
    assert files and not (tmp_path / main_file).exists() and not [p for p in files if '.tmp' in p.name]
