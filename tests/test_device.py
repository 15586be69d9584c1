"""The device setting: resolution and its errors, device-parametrised tracking and training (`cpu` always,
`cuda` when this machine has one), the CPU path's boxes against the code before the device work, and the
process-group backend that used to all-reduce CPU tensors with NCCL."""
import os
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from conftest import FAST, SAMPLES
from metartt_tracker import MetaRTTTracker
from metartt_tracker.cli import main
from metartt_tracker.config import variant_config
from metartt_tracker.device import DeviceError, resolve_device
from metartt_tracker.factory import TrackerSpec
from metartt_tracker.meta.placement import backend_for, join_process_group, training_device

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
DATA = Path(__file__).resolve().parent / 'data'
TINY = dict(episodes=4, meta_batch=2, frames_per_video=6, n_pos_init=32, n_neg_init=128, n_candidates=32,
            n_pos_test=16, n_neg_test=32, n_hard=8, ckpt_every=1, val_every=2, val_episodes=2, max_scene=256,
            prune_iters=2, threads=1)


def test_device_names_resolve_or_fail_in_one_line(monkeypatch):
    assert resolve_device('cpu') == torch.device('cpu')
    assert resolve_device('auto') == torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    with pytest.raises(DeviceError, match="unknown device 'gpu'"):
        resolve_device('gpu')
    with pytest.raises(DeviceError, match="'mps' is not supported"):
        resolve_device('mps')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(DeviceError, match=r"device 'cuda:1' requested but .*; use --device cpu or auto"):
        resolve_device('cuda:1')
    assert resolve_device('auto') == torch.device('cpu')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 2)
    assert resolve_device('cuda') == torch.device('cuda', 0) and resolve_device('cuda:1') == torch.device('cuda', 1)
    with pytest.raises(DeviceError, match='only 2 CUDA device'):
        resolve_device('cuda:2')
    monkeypatch.setenv('LOCAL_RANK', '3')  # torchrun: a bare CUDA request takes cuda:LOCAL_RANK (modulo the GPUs)
    assert training_device('cuda') == torch.device('cuda', 1) and training_device('cuda:0') == torch.device('cuda', 0)


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without CUDA')
def test_cuda_without_cuda_is_one_line_on_every_command(capsys, tmp_path):
    for argv in (['track', str(SAMPLES / 'davis_car-shadow'), '--max-frames', '2', '--device', 'cuda'],
                 ['run', '--dataset', str(SAMPLES), '--variants', 'rtmdnet', '--device', 'cuda',
                  '--results', str(tmp_path)],
                 ['run', '--dataset', str(SAMPLES), '--variants', 'rtmdnet', '--devices', 'cpu,cuda:1',
                  '--results', str(tmp_path)]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and 'requested but this torch was built without CUDA' in err[0]
    assert not any(tmp_path.iterdir())  # refused before any job ran


def test_device_is_a_process_setting_never_stored_in_a_checkpoint(tmp_path):
    cfg = variant_config('rtmdnet').replace(device='cuda:1')
    assert cfg.device == 'cuda:1' and 'device' not in cfg.to_dict()
    assert cfg.replace(**{'adaptation.iters_init': 3}).device == 'cuda:1'  # replace keeps it
    spec = TrackerSpec('rtmdnet', device='cpu', overrides=FAST)
    argv = spec.argv()
    assert argv[argv.index('--device') + 1] == 'cpu' and spec.parts().config.device == 'cpu'
    from metartt_tracker.integrations.options import parse_spec
    assert parse_spec(argv) == spec  # trackers.ini lines and TraX servers carry the device


@pytest.mark.parametrize('device', DEVICES)
def test_tracker_keeps_every_tensor_on_its_device(device, car_frames):
    t = MetaRTTTracker.from_spec(TrackerSpec('rtmdnet', overrides=FAST, device=device))
    want = resolve_device(device)
    t.init(car_frames[0], [200, 120, 80, 60])
    for frame in car_frames[1:6]:
        box = t.update(frame)
        assert box.shape == (4,) and np.all(np.isfinite(box)) and 0 <= t.confidence <= 1
    s = t.state
    tensors = [*s.params.values(), *s.pos_memory, *s.neg_memory, s.bbreg.weight, *t.backbone.parameters()]
    assert all(x.device.type == want.type for x in tensors)
    assert s.generator.device.type == want.type and s.rejected_updates == 0


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('variant', ['metartt', 'metartt-prune'])
def test_learned_steps_and_pruned_tracking_on_each_device(device, variant, car_frames):
    t = MetaRTTTracker.from_spec(TrackerSpec(variant, overrides={'geometry.n_aug_crops': 8}, device=device))
    t.init(car_frames[0], [200, 120, 80, 60])
    boxes = [t.update(f) for f in car_frames[1:4]]
    assert np.all(np.isfinite(boxes)) and all(v.device.type == t.device.type for v in t.state.params.values())
    if variant == 'metartt-prune':
        assert 0 < t.prune_rate < 1 and t.state.backbone is not t.backbone
        assert all(p.device.type == t.device.type for p in t.state.backbone.parameters())


def _car_frames_rgb(n: int) -> list[np.ndarray]:
    import cv2
    cap, frames = cv2.VideoCapture(str(SAMPLES / 'davis_car-shadow' / 'video.mp4')), []
    while len(frames) < n:
        ok, frame = cap.read()
        assert ok
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    return frames


@pytest.mark.parametrize('variant', ['rtmdnet', 'metartt-prune'])
def test_cpu_boxes_are_those_of_the_code_before_the_device_work(variant):
    """Same seed, same boxes on the bundled sample as b600728 (reports/2026-12-01-gpu/README.md says how
    the reference: default backbone, shipped weights, seed 0, one thread), to 1e-4 px."""
    ref = np.loadtxt(DATA / f'cpu_boxes_b600728_car-shadow_{variant}.txt', delimiter=',')
    gt = np.loadtxt(SAMPLES / 'davis_car-shadow' / 'groundtruth.txt', delimiter=',')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tracker = MetaRTTTracker.from_spec(TrackerSpec(variant, device='cpu'))
        boxes = tracker.track(_car_frames_rgb(len(ref)), gt[0]).boxes
    finally:
        torch.set_num_threads(threads)
    assert np.abs(boxes - ref).max() < 1e-4


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    from metartt_tracker.meta.videos import sequence_videos
    split = tmp_path_factory.mktemp('split') / 'all.txt'
    split.write_text('davis_car-shadow\notb_Crossing\n')
    return sequence_videos(SAMPLES, split)


@pytest.mark.parametrize('device', DEVICES)
def test_a_meta_training_step_and_a_pruning_step_on_each_device(device, videos, tmp_path):
    from metartt_tracker.checkpoint import load_checkpoint
    from metartt_tracker.meta.config import recipe
    from metartt_tracker.meta.prune_trainer import PruneTrainer
    from metartt_tracker.meta.trainer import MetaTrainer
    cfg = recipe('compact', **TINY, device=device)
    trainer = MetaTrainer(cfg, videos, [], tmp_path / 'meta')
    before = [p.detach().clone() for g in trainer.opt.param_groups for p in g['params']]
    row = trainer.train_step()
    after = [p.detach() for g in trainer.opt.param_groups for p in g['params']]
    assert np.isfinite(row['loss']) and all(p.device.type == trainer.device.type for p in after)
    assert any(not torch.equal(a.cpu(), b.cpu()) for a, b in zip(before, after))
    ckpt = trainer.export()
    rec = load_checkpoint(ckpt).recipe
    assert rec['ran_on'].startswith(trainer.device.type) and rec['device'] == device  # where it ran, what was asked
    pruner = PruneTrainer(cfg, videos, ckpt, tmp_path / 'prune')
    step = pruner.step()
    assert np.isfinite(step['loss']) and all(p.device.type == pruner.device.type for p in pruner.net.parameters())
    # a checkpoint trained on one device tracks on the CPU
    pruned = pruner.export()
    assert load_checkpoint(pruned).recipe['pruning']['ran_on'].startswith(pruner.device.type)
    t = MetaRTTTracker.from_checkpoint(pruned, device='cpu', **{'geometry.n_aug_crops': 8})
    assert t.device == torch.device('cpu')
    assert MetaRTTTracker.from_variant('rtmdnet', device='cpu').device == torch.device('cpu')
    assert TrackerSpec('rtmdnet', overrides={'device': 'cpu'}) == TrackerSpec('rtmdnet', device='cpu')


def test_stop_after_ends_a_session_with_its_state_and_the_same_command_finishes(videos, tmp_path):
    from metartt_tracker.meta.config import recipe
    from metartt_tracker.meta.pipeline import _finished
    from metartt_tracker.meta.prune_trainer import PruneTrainer
    from metartt_tracker.meta.trainer import MetaTrainer
    cfg = recipe('compact', **{**TINY, 'prune_iters': 3}, device='cpu')
    assert MetaTrainer(cfg.replace(stop_after=1), videos, [], tmp_path / 'm').run().name == 'state.pt'
    with pytest.raises(RuntimeError, match='stopped early'):
        _finished(tmp_path / 'm' / 'state.pt', tmp_path / 'out.pt')
    again = MetaTrainer(cfg, videos, [], tmp_path / 'm')
    assert again.iteration == 1 and again.run().name == 'metartt.pt' and again.iteration == 2
    pruner = PruneTrainer(cfg.replace(stop_after=2), videos, tmp_path / 'm' / 'metartt.pt', tmp_path / 'p')
    assert pruner.run().name == 'prune_state.pt' and pruner.iteration == 2
    assert PruneTrainer(cfg, videos, tmp_path / 'm' / 'metartt.pt', tmp_path / 'p').run().name == 'metartt-prune.pt'


def test_resume_on_another_device_or_world_size_is_allowed(videos, tmp_path):
    """device, dist_backend and workers may change when a run resumes (they change float rounding only)."""
    from metartt_tracker.meta.config import recipe
    from metartt_tracker.meta.trainer import MetaTrainer
    MetaTrainer(recipe('compact', **TINY, device='cpu'), videos, [], tmp_path / 'a').train_step()
    resumed = MetaTrainer(recipe('compact', **TINY, device='auto', dist_backend='gloo', workers=0), videos, [],
                          tmp_path / 'a')
    assert resumed.iteration == 1


def test_full_recipe_frames_decoded_by_dataloader_workers_train_identically(videos, tmp_path):
    """The full recipe decodes coming episodes in DataLoader workers; the episodes are the same ones."""
    from metartt_tracker.meta.config import recipe
    from metartt_tracker.meta.trainer import MetaTrainer
    small = {**TINY, 'episodes': 4, 'max_scene': 192, 'n_pos_init': 16, 'n_neg_init': 64, 'n_neg_test': 16,
             'val_episodes': 0, 'device': 'cpu'}
    leaves = []
    for workers in (0, 1):
        trainer = MetaTrainer(recipe('full', **small, workers=workers), videos, [], tmp_path / str(workers))
        assert trainer.bb_params  # the full recipe meta-learns the backbone: frames are decoded per episode
        trainer.run()
        assert (trainer.train_src._coming is not None) == (workers > 0)  # every episode took the prefetched frames
        leaves.append([p.detach() for g in trainer.opt.param_groups for p in g['params']])
    # another episode's frames would move the leaves by far more than float noise
    assert all(torch.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in zip(*leaves))


def test_backend_follows_the_device():
    assert backend_for(torch.device('cpu')) == 'gloo' and backend_for(torch.device('cuda', 0)) == 'nccl'
    assert backend_for(torch.device('cuda', 0), 'gloo') == 'gloo'
    assert backend_for(torch.device('cuda', 0), shared=True) == 'gloo'  # several ranks on one GPU: NCCL refuses
    with pytest.raises(DeviceError, match='share one GPU'):
        backend_for(torch.device('cuda', 0), 'nccl', shared=True)
    with pytest.raises(DeviceError, match='nccl all-reduces CUDA tensors only'):
        backend_for(torch.device('cpu'), 'nccl')
    with pytest.raises(ValueError, match='unknown distributed backend'):
        backend_for(torch.device('cpu'), 'mpi')


def _rank(rank: int, port: int, out: str) -> None:
    """A torchrun-like process on a machine that has CUDA (faked) but trains on the CPU."""
    import torch.distributed as dist
    os.environ.update(WORLD_SIZE='2', RANK=str(rank), LOCAL_RANK=str(rank), MASTER_ADDR='127.0.0.1',
                      MASTER_PORT=str(port))
    torch.cuda.is_available = lambda: True  # the old code then picked NCCL and failed on CPU tensors
    backend = join_process_group('cpu')
    x = torch.full((3,), float(rank + 1))
    dist.all_reduce(x)
    if rank == 0:
        torch.save({'backend': backend, 'sum': x}, out)
    dist.destroy_process_group()


def test_cpu_training_on_a_cuda_machine_all_reduces_with_gloo(tmp_path):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.spawn(_rank, args=(port, str(tmp_path / 'r.pt')), nprocs=2, join=True)
    got = torch.load(tmp_path / 'r.pt')
    assert got['backend'] == 'gloo' and got['sum'].tolist() == [3.0, 3.0, 3.0]


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without CUDA')
def test_gpu_check_says_so_in_one_line_and_passes_without_cuda():
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, str(root / 'scripts' / 'gpu_check.py')], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith('gpu-check: no CUDA device here')
    assert len(proc.stdout.strip().splitlines()) == 1
    assert 'gpu-check:' in (root / 'Makefile').read_text()
