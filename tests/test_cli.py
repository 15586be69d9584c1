"""`metartt track` / `bench` end to end on the bundled sample, and their input errors."""
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import SAMPLES
from metartt_tracker.cli import main

SAMPLE = SAMPLES / 'davis_car-shadow'


def test_track_writes_one_row_per_frame_starting_with_the_initial_box(tmp_path, capsys):
    out, video = tmp_path / 'res' / 'boxes.txt', tmp_path / 'res' / 'out.mp4'
    rc = main(['track', str(SAMPLE), '--box', '234.57,65.95,256.3,145.39', '--max-frames', '4',
               '--output', str(out), '--video', str(video), '--quiet', '--seed', '3'])
    assert rc == 0
    rows = np.loadtxt(out, delimiter=',')
    assert rows.shape == (4, 4)
    assert np.allclose(rows[0], [234.57, 65.95, 256.3, 145.39])
    assert video.stat().st_size > 1000 and sorted(p.name for p in video.parent.iterdir()) == ['boxes.txt', 'out.mp4']
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary['frames'] == 4 and 'auc' in summary and 'static_box_auc' in summary


def test_track_a_truncated_video_tracks_what_decodes_and_reports_both_counts(tmp_path, capsys):
    from video_files import truncate_mp4, write_mp4
    video, out = tmp_path / 'cut.mp4', tmp_path / 'boxes.txt'
    write_mp4(video, 20)
    truncate_mp4(video, 0.3)  # the container still announces 20 frames
    assert main(['track', str(video), '--box', '4,21,24,21', '--output', str(out), '--quiet', '--threads', '1']) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    n = summary['frames_decoded']
    assert summary['frames'] == n < summary['frames_announced'] == 20
    assert f'cut.mp4: decoded {n} of 20 frames the container announces; tracked the {n}' in captured.err
    assert np.loadtxt(out, delimiter=',').shape == (n, 4)


@pytest.mark.parametrize('argv, message', [
    (['track', str(SAMPLES / 'nope')], 'nope'),
    (['track', str(SAMPLE), '--box', '1,2,3'], "invalid box '1,2,3'"),
    (['track', str(SAMPLE), '--box', '10,10,0,5'], "invalid box"),
    (['track', str(SAMPLE), '--box', '900,10,20,20'], 'outside'),
    (['track', str(SAMPLE), '--variant', 'metartt'], 'metartt train meta'),
])
def test_track_errors_are_reported_without_output(tmp_path, capsys, argv, message, no_shipped_weights):
    out = tmp_path / 'boxes.txt'
    assert main(argv + ['--output', str(out), '--quiet']) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_bench_prints_every_stage(capsys):
    assert main(['bench', str(SAMPLE), '--variants', 'rtmdnet-5-5', '--backbones', 'lite0', '--frames', '4']) == 0
    text = capsys.readouterr().out
    for word in ('rtmdnet-5-5', 'lite0', 'backbone', 'roi_align', 'update', 'bbreg', '640x360', 'FPS xCSRT'):
        assert word in text
    csrt = [line.split() for line in text.splitlines() if line.startswith('csrt ')]
    assert len(csrt) == 1 and csrt[0][7:10] == ['1.00', '1.00', '1.00']  # the reference is 1x itself


def test_bench_rows_are_relative_to_the_reference_run_on_the_same_frames():
    from metartt_tracker.bench import _relative_to
    rows = [{'fps': 10.0, 'fps_without_first': 12.0, 'first_frame_ms': 500.0},
            {'fps': 40.0, 'fps_without_first': 48.0, 'first_frame_ms': 25.0}]
    _relative_to(rows, rows[1])
    assert (rows[0]['fps_x_ref'], rows[0]['fps_without_first_x_ref'], rows[0]['first_frame_x_ref']) == (0.25, 0.25, 20.0)


def test_console_script_is_installed():
    res = subprocess.run([sys.executable, '-m', 'metartt_tracker.cli', '--help'], capture_output=True, text=True)
    assert res.returncode == 0 and 'track' in res.stdout and 'bench' in res.stdout


def test_bench_runs_a_meta_checkpoint_from_a_weights_folder_once(tmp_path, capsys):
    """Meta-learned variants take `--weights DIR/<variant>.pt` and their checkpoint's backbone;
    a folder without the file is a clear error."""
    from metartt_tracker.adaptation import constant_alphas
    from metartt_tracker.checkpoint import Checkpoint, save_checkpoint
    from metartt_tracker.config import variant_config
    from metartt_tracker.model import init_head_params
    cfg = variant_config('metartt', backbone='lite0').replace(**{'geometry.n_aug_crops': 4})
    theta = init_head_params(112 * 9, 512)
    save_checkpoint(Checkpoint(cfg, theta, alphas=constant_alphas(theta, cfg.adaptation.adapted, 5, 5, 1e-3)),
                    tmp_path / 'metartt.pt')
    argv = ['bench', str(SAMPLE), '--variants', 'metartt', '--backbones', 'lite0,vggm', '--frames', '3',
            '--weights', str(tmp_path)]
    assert main(argv) == 0
    speed, first = capsys.readouterr().out.split('\n\n')  # per-frame table, then the first frame's stages
    rows = [line for line in speed.splitlines() if line.startswith('metartt ')]
    assert len(rows) == 1 and 'lite0' in rows[0]
    assert len([line for line in first.splitlines() if line.startswith('metartt ')]) == 1
    assert main(argv[:-1] + [str(tmp_path / 'empty')]) == 2
    assert "no checkpoint for variant 'metartt'" in capsys.readouterr().err
