"""The shared results model: the tracking loop, got10k-layout files, atomic writes."""
import numpy as np
import pytest

from metartt_tracker.results import (FrameState, ResetRun, SequenceResult, format_reset_rows, read_got10k,
                                     track_sequence, track_with_resets, write_got10k)


class Walker:
    """A stand-in tracker that moves the box one pixel right per frame."""

    def init(self, frame, box):
        self.box, self.score = np.asarray(box, dtype=float), float('nan')

    def update(self, frame):
        self.box = self.box + [1, 0, 0, 0]
        self.score = float(frame)
        return self.box


def test_track_sequence_records_boxes_scores_and_times():
    seen = []
    res = track_sequence(Walker(), [0, 5, 6], (1, 2, 3, 4), 'w', lambda i, f, b, s, t: seen.append((i, s)))
    assert res.boxes.tolist() == [[1, 2, 3, 4], [2, 2, 3, 4], [3, 2, 3, 4]]
    assert np.isnan(res.scores[0]) and res.scores[1:].tolist() == [5.0, 6.0]
    assert (res.times >= 0).all() and len(seen) == 3


def test_got10k_round_trip_and_repetition_columns(tmp_path):
    a = SequenceResult('seqA', np.arange(12.0).reshape(3, 4) + 0.25, [np.nan, 1.5, -2.0], [0.5, 0.1, 0.2])
    write_got10k(a, tmp_path, 'T')
    b = SequenceResult('seqA', a.boxes + 1, a.scores, [0.4, 0.3, 0.2])
    write_got10k(b, tmp_path, 'T', repetition=2)
    assert (tmp_path / 'T/seqA/seqA_001.txt').read_text().splitlines()[0] == '0.250,1.250,2.250,3.250'
    times = np.loadtxt(tmp_path / 'T/seqA/seqA_time.txt', delimiter=',')
    assert times.shape == (3, 2) and times[0].tolist() == [0.5, 0.4]
    back = read_got10k(tmp_path, 'T', 'seqA', 2)
    assert np.allclose(back.boxes, b.boxes) and np.allclose(back.times, b.times)
    assert np.isnan(back.scores[0]) and back.scores[2] == -2.0
    assert not [p for p in tmp_path.rglob('*') if '.tmp' in p.name]  # atomic writes leave no temp file


def test_mismatched_lengths_and_missing_results_are_errors(tmp_path):
    with pytest.raises(ValueError, match='3 boxes but 2 scores'):
        SequenceResult('s', np.zeros((3, 4)), [0, 0], [0, 0, 0])
    with pytest.raises(FileNotFoundError, match='seqB_001.txt'):
        read_got10k(tmp_path, 'T', 'seqB')


def test_track_with_resets_returns_one_reset_run():
    """Failure at frame 2 (the Walker drifts), re-initialised `skip` frames later; states and file rows agree."""
    frames = list(range(8))
    run = track_with_resets(Walker(), frames, lambda i: np.array([0.0, 0, 10, 10]), lambda i, f, box: i == 2, 's', 3)
    S = FrameState
    assert isinstance(run, ResetRun) and run.name == 's' and run.failures == 1
    assert run.states.tolist() == [S.INIT, S.TRACKED, S.FAILURE, S.SKIPPED, S.SKIPPED, S.INIT, S.TRACKED, S.TRACKED]
    assert np.isnan(run.result.boxes[3]).all() and np.isnan(run.tracked_boxes()[[0, 2, 5]]).all()
    rows = format_reset_rows(run.states, run.result.boxes).splitlines()
    assert rows[:6] == ['1', '1.0000,0.0000,10.0000,10.0000', '2', '0', '0', '1']
    with pytest.raises(ValueError, match='3 frame states for 8 frames'):
        ResetRun(run.result, run.states[:3])


def test_atomic_dir_appears_whole_with_the_usual_mode_and_a_failure_keeps_the_old_one(tmp_path):
    import os
    from metartt_tracker.fileio import atomic_dir
    target = tmp_path / 'seq'
    with atomic_dir(target) as d:
        (d / 'a.txt').write_text('new')
        assert not target.exists()
    umask = os.umask(0)
    os.umask(umask)
    assert (target / 'a.txt').read_text() == 'new' and (target.stat().st_mode & 0o777) == 0o777 & ~umask
    try:
        with atomic_dir(target) as d:
            (d / 'a.txt').write_text('half')
            raise RuntimeError('crash')
    except RuntimeError:
        pass
    assert (target / 'a.txt').read_text() == 'new' and [p.name for p in tmp_path.iterdir()] == ['seq']
