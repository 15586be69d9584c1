"""`make gpu-check`: everything that needs a GPU, in one go, on a machine with one NVIDIA GPU (< 8 min).

1. the device-parametrised tests on `cuda` (tests/test_device.py);
2. `metartt bench` on the bundled sample on `cuda` and on `cpu` (per-stage ms, FPS with and without frame 1);
3. a 200-episode `full`-recipe meta-training with `torchrun --nproc_per_node 2` on the one GPU (gloo: NCCL refuses
   two ranks on one device), stopped after half the steps, then resumed by the same command to the end.

Prints one summary table and exits non-zero when any step fails. Needs nothing outside the repo. Without CUDA
it says so in one line and exits 0. `--cpu-dry-run` runs the same steps on the CPU with tiny settings (to check
the script itself where no GPU is lent).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / 'samples' / 'davis_car-shadow'
CLI = [sys.executable, '-m', 'metartt_tracker.cli']  # no assumption on where console scripts live


DEADLINE = 450.0  # seconds for every step together (the machine is lent for minutes, not hours)
_START = time.perf_counter()


def _run(name: str, argv: list[str], rows: list[dict], timeout: int, env: dict | None = None) -> subprocess.CompletedProcess:
    left = DEADLINE - (time.perf_counter() - _START)
    timeout = int(max(1, min(timeout, left)))
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired as e:
        text = lambda b: b.decode(errors='replace') if isinstance(b, bytes) else (b or '')  # noqa: E731
        proc = subprocess.CompletedProcess(argv, 124, text(e.stdout), text(e.stderr) + f'\ntimed out after {timeout} s')
    ok = proc.returncode == 0
    last = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ['(no output)']
    rows.append({'step': name, 'ok': ok, 'seconds': round(time.perf_counter() - t0, 1), 'detail': '' if ok else last[0]})
    if not ok:
        print(f'--- {name} failed (rc {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}', file=sys.stderr)
    return proc


def _bench(device: str, rows: list[dict], frames: int, out: Path) -> list[dict]:
    path = out / f'bench_{device}.json'
    _run(f'bench on {device}', [*CLI, 'bench', str(SAMPLE), '--variants', 'rtmdnet,metartt,metartt-prune',
                                '--backbones', 'nano16', '--device', device, '--frames', str(frames), '--json', str(path),
                                '--reference', ''], rows, 120)
    return json.loads(path.read_text()) if path.is_file() else []


def _train(device: str, rows: list[dict], out: Path, dry: bool) -> None:
    split = out / 'samples.txt'
    split.write_text('davis_car-shadow\notb_Crossing\n')
    sets = ['episodes=16', 'meta_batch=2', 'n_pos_init=16', 'n_neg_init=64', 'n_pos_test=8', 'n_neg_test=16',
            'n_hard=4', 'max_scene=192', 'workers=1', 'threads=1'] if dry else ['episodes=200', 'workers=2']
    steps = (16 // 2) if dry else (200 // 8)
    argv = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '-m', 'metartt_tracker.cli', 'train',
            'meta', '--data', str(ROOT / 'samples'), '--split', str(split), '--recipe', 'full', '--out',
            str(out / 'full'), '--device', device, '--dist-backend', 'gloo']
    for s in sets:
        argv += ['--set', s]
    _run('train full, torchrun x2, first half', argv + ['--set', f'stop_after={steps // 2}'], rows, 180)
    state = out / 'full' / 'state.pt'
    if state.is_file() and rows[-1]['ok']:
        import torch
        half = torch.load(state, map_location='cpu', weights_only=False)['iteration']
        rows[-1]['detail'] = f'stopped at step {half} of {steps}'
    _run('train full, torchrun x2, resumed', argv, rows, 180)
    ckpt = out / 'full' / 'metartt.pt'
    if ckpt.is_file() and rows[-1]['ok']:
        import torch
        rec = torch.load(ckpt, map_location='cpu', weights_only=False)['recipe']
        rows[-1]['detail'] = f"{rec['iterations']} steps, world {rec['world_size']}, on {rec['ran_on']}"


def _table(rows: list[dict], benches: dict[str, list[dict]]) -> str:
    lines = [f"{'step':<40}{'ok':>4}{'s':>8}  detail", '-' * 90]
    lines += [f"{r['step']:<40}{'yes' if r['ok'] else 'NO':>4}{r['seconds']:>8.1f}  {r['detail']}" for r in rows]
    for device, bench in benches.items():
        if not bench:
            continue
        lines += ['', f'bench on {device} ({bench[0]["device"]}): {bench[0]["sequence"]} at {bench[0]["size"]}, '
                  f'{bench[0]["frames"]} frames',
                  f"{'variant':<15}{'FPS':>8}{'FPS>1':>8}{'1st ms':>9}" + ''.join(f'{s:>11}' for s in bench[0]['stage_ms'])]
        lines += [f"{b['variant']:<15}{b['fps']:>8.1f}{b['fps_without_first']:>8.1f}{b['first_frame_ms']:>9.0f}"
                  + ''.join(f"{v:>11.2f}" for v in b['stage_ms'].values()) for b in bench]
    return '\n'.join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--cpu-dry-run', action='store_true', help='run every step on the CPU with tiny settings')
    p.add_argument('--keep', help='keep the outputs in this folder (default: a temporary one, removed)')
    args = p.parse_args()
    import torch
    if not torch.cuda.is_available() and not args.cpu_dry_run:
        why = 'this torch is a CPU build' if torch.version.cuda is None else 'no CUDA GPU is visible'
        if shutil.which('nvidia-smi') or Path('/dev/nvidia0').exists():  # a GPU is there but torch cannot use it
            print(f'gpu-check: FAILED: an NVIDIA GPU is here but torch cannot use it ({why}; torch {torch.__version__}); '
                  f'install a CUDA build of torch', file=sys.stderr)
            return 1
        print(f'gpu-check: no CUDA device here ({why}; torch {torch.__version__}): nothing to check')
        return 0
    device = 'cpu' if args.cpu_dry_run else 'cuda'
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix='gpu-check-'))
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    t0 = time.perf_counter()
    try:
        _run(f'device tests on {device}', [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                                           str(ROOT / 'tests' / 'test_device.py'), '-k', device], rows, 240,
             {'METARTT_TEST_CUDA': '1'})  # the suite hides GPUs otherwise (tests/conftest.py)
        frames = 8 if args.cpu_dry_run else 0
        benches = {d: _bench(d, rows, frames, out) for d in dict.fromkeys([device, 'cpu'])}
        _train(device, rows, out, args.cpu_dry_run)
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    print(_table(rows, benches if 'benches' in locals() else {}))
    print(f'total {time.perf_counter() - t0:.0f} s on {torch.cuda.get_device_name(0) if device == "cuda" else "cpu"}, '
          f'torch {torch.__version__}')
    return 0 if all(r['ok'] for r in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
